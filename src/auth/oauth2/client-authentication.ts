/**
 * Who the OAuth 2.0 client says it is (RFC 6749 section 2.3.1): an
 * application credential's id and secret, as Keystone's POST
 * /v3/OS-OAUTH2/token reads them.
 *
 *   client_secret_basic   Authorization: Basic base64(id:secret), parsed as
 *                         werkzeug parses it (the id and secret as sent, not
 *                         form-decoded; anything unparsable is "required");
 *                         a Digest header is "not supported".
 *   client_secret_post    client_id and client_secret in the form, when no
 *                         Basic or Digest header is sent. Keystone 22 knows
 *                         only the header (it answers such a request 401
 *                         "required"); RFC 6749 allows the form too.
 *
 * The errors are Keystone's words and statuses (invalid_client, 401).
 */
import { OAuth2Error } from '../../common/errors.js';

export interface ClientCredentials {
  clientId: string;
  clientSecret: string;
  method: 'client_secret_basic' | 'client_secret_post';
}

type ParsedAuthorization = { type: 'basic'; username: string; password: string } | { type: 'digest' } | null;

const invalidClient = (description: string) => new OAuth2Error(401, 'Unauthorized', 'invalid_client', description);

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
const utf8 = new TextDecoder('utf-8', { fatal: true });

/** werkzeug 2.2's parse_authorization_header, for the two schemes it knows; null for anything else. */
function parseAuthorization(value: string | undefined): ParsedAuthorization {
  if (!value) return null;
  const m = /^\s*(\S+)\s+([\s\S]+)$/.exec(value);
  if (!m) return null;
  const type = m[1].toLowerCase();
  const info = m[2].trim();
  if (type === 'basic') {
    if (!BASE64.test(info) || info.length % 4 !== 0) return null;
    const raw = Buffer.from(info, 'base64');
    const colon = raw.indexOf(0x3a);
    if (colon < 0) return null;
    try {
      return { type: 'basic', username: utf8.decode(raw.subarray(0, colon)), password: utf8.decode(raw.subarray(colon + 1)) };
    } catch {
      return null;
    }
  }
  if (type === 'digest') {
    const keys = new Set([...info.matchAll(/(?:^|,)\s*([A-Za-z0-9_-]+)\s*=/g)].map((k) => k[1].toLowerCase()));
    const complete = ['username', 'realm', 'nonce', 'uri', 'response'].every((k) => keys.has(k));
    if (!complete || (keys.has('qop') && !(keys.has('nc') && keys.has('cnonce')))) return null;
    return { type: 'digest' };
  }
  return null;
}

const field = (form: Readonly<Record<string, string>>, name: string): string => (Object.hasOwn(form, name) ? form[name] : '');

/** The client's id and secret, from the Authorization header or else the form; an OAuth2Error when absent or invalid. */
export function clientCredentials(authorization: string | undefined, form: Readonly<Record<string, string>>): ClientCredentials {
  const parsed = parseAuthorization(authorization);
  let credentials: ClientCredentials;
  if (parsed?.type === 'digest') throw invalidClient('OAuth2.0 client authorization type digest is not supported.');
  if (parsed?.type === 'basic') {
    credentials = { clientId: parsed.username, clientSecret: parsed.password, method: 'client_secret_basic' };
  } else if (Object.hasOwn(form, 'client_id') || Object.hasOwn(form, 'client_secret')) {
    credentials = { clientId: field(form, 'client_id'), clientSecret: field(form, 'client_secret'), method: 'client_secret_post' };
  } else {
    throw invalidClient('OAuth2.0 client authorization is required.');
  }
  if (!credentials.clientId || !credentials.clientSecret) throw invalidClient('OAuth2.0 client authorization is invalid.');
  return credentials;
}
