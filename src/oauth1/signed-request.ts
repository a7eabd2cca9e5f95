/**
 * An OAuth 1.0a signed request as oauthlib's endpoints read it
 * (endpoints/base.py: _create_request, _check_mandatory_parameters) with
 * Keystone's validator (oauth1/validator.py): the oauth_* parameters from one
 * place only (the Authorization header, a form body or the query), the
 * mandatory ones present, a known signature method, version 1.0, a
 * 10-digit timestamp within 600 seconds of now, a client key of 32
 * lower-case hex characters and a hex nonce. What fails is an
 * OAuthRequestError, which Keystone reports as a 400 naming oauthlib's error.
 */
import { SIGNATURE_METHODS, parseAuthorizationHeader, parseFormPairs, type Param } from './signature.js';

/** oauthlib's RequestValidator.timestamp_lifetime */
export const TIMESTAMP_LIFETIME_SECONDS = 600;

/** The HTTP request, as the handler saw it. */
export interface HttpRequestParts {
  method: string;
  /** the full URL the client signed: scheme, host, path and query */
  url: string;
  authorization?: string;
  contentType?: string;
  /** the raw body, for a form-encoded one */
  body?: string;
}

export interface SignedRequest {
  method: string;
  uri: string;
  /** every parameter but oauth_signature (and the header's realm) */
  params: Param[];
  signature: string;
  clientKey: string;
  /** oauth_token: a request token (access token request) or an access token (resource request) */
  token?: string;
  nonce: string;
  timestamp: string;
  callback?: string;
  verifier?: string;
  signatureMethod: string;
}

/** oauthlib's OAuth1Error: `error` is its error code, `description` its text. */
export class OAuthRequestError extends Error {
  constructor(
    readonly error: string,
    readonly description: string,
  ) {
    super(description);
  }
}

const HEX = /^[0-9a-f]*$/;

/** Keystone's _check_token: a uuid4().hex */
export function isKeystoneKey(value: string): boolean {
  return value.length === 32 && HEX.test(value);
}

function oauthParams(params: readonly Param[]): Param[] {
  return params.filter(([k]) => k.startsWith('oauth_'));
}

/** oauthlib's _create_request: the parameters collected and the oauth_* ones read. */
export function readSignedRequest(http: HttpRequestParts): SignedRequest {
  const header = parseAuthorizationHeader(http.authorization) ?? [];
  const form = http.contentType?.includes('application/x-www-form-urlencoded') && http.body ? parseFormPairs(http.body) : [];
  const queryAt = http.url.indexOf('?');
  const query = queryAt >= 0 ? parseFormPairs(http.url.slice(queryAt + 1).split('#')[0]) : [];
  const sources = [header, form, query].filter((p) => oauthParams(p).length > 0);
  if (sources.length > 1) throw new OAuthRequestError('invalid_request', 'oauth_ params must come from only 1 signature type');
  if (sources.length === 0) throw new OAuthRequestError('invalid_request', 'Missing mandatory OAuth parameters.');
  const oauth = oauthParams(sources[0]);
  const values = new Map(oauth);
  if (values.size !== oauth.length) throw new OAuthRequestError('invalid_request', 'Duplicate OAuth1 entries.');
  const realmInHeader = /realm/.test(http.authorization ?? '');
  const params = [...header, ...form, ...query].filter(([k]) => k !== 'oauth_signature' && !(realmInHeader && k === 'realm'));
  const request = {
    method: http.method.toUpperCase(),
    uri: http.url,
    params,
    signature: values.get('oauth_signature') ?? '',
    clientKey: values.get('oauth_consumer_key') ?? '',
    token: values.get('oauth_token'),
    nonce: values.get('oauth_nonce') ?? '',
    timestamp: values.get('oauth_timestamp') ?? '',
    callback: values.get('oauth_callback'),
    verifier: values.get('oauth_verifier'),
    signatureMethod: values.get('oauth_signature_method') ?? '',
  };
  if (!(request.signature && request.clientKey && request.nonce && request.timestamp && request.signatureMethod))
    throw new OAuthRequestError('invalid_request', 'Missing mandatory OAuth parameters.');
  if (!(SIGNATURE_METHODS as readonly string[]).includes(request.signatureMethod))
    throw new OAuthRequestError(
      'invalid_signature_method',
      `Invalid signature, ${request.signatureMethod} not in ${JSON.stringify(SIGNATURE_METHODS)}.`,
    );
  const version = values.get('oauth_version');
  if (version !== undefined && version !== '1.0') throw new OAuthRequestError('invalid_request', 'Invalid OAuth version.');
  if (request.timestamp.length !== 10) throw new OAuthRequestError('invalid_request', 'Invalid timestamp size');
  if (!/^\s*[+-]?\d+\s*$/.test(request.timestamp)) throw new OAuthRequestError('invalid_request', 'Timestamp must be an integer.');
  if (Math.abs(Date.now() / 1000 - Number(request.timestamp)) > TIMESTAMP_LIFETIME_SECONDS)
    throw new OAuthRequestError(
      'invalid_request',
      `Timestamp given is invalid, differ from allowed by over ${TIMESTAMP_LIFETIME_SECONDS} seconds.`,
    );
  if (!isKeystoneKey(request.clientKey)) throw new OAuthRequestError('invalid_request', 'Invalid client key format.');
  if (!HEX.test(request.nonce)) throw new OAuthRequestError('invalid_request', 'Invalid nonce format.');
  return request;
}

/** The oauth_* names of the Authorization header (Keystone's get_oauth_headers), or null without an OAuth header. */
export function oauthHeaderValues(authorization: string | undefined): Map<string, string> | null {
  const params = parseAuthorizationHeader(authorization);
  return params ? new Map(params) : null;
}
