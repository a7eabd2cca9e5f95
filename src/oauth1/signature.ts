/**
 * OAuth 1.0a signatures (RFC 5849 section 3), as oauthlib signs and checks
 * them: the parameters of a request (the Authorization header's oauth_*
 * values, the query, a form body), the signature base string, and the
 * HMAC-SHA1/SHA256/SHA512 and PLAINTEXT signatures. Keystone's validator
 * allows every method oauthlib knows; RSA-SHA* ones are known but never
 * valid here (Keystone has no RSA key for a consumer either).
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export type Param = [string, string];

export const SIGNATURE_METHODS = ['HMAC-SHA1', 'HMAC-SHA256', 'HMAC-SHA512', 'RSA-SHA1', 'RSA-SHA256', 'RSA-SHA512', 'PLAINTEXT'] as const;

/** RFC 3986 percent-encoding of everything but the unreserved characters (RFC 5849 3.6). */
export function percentEncode(value: string): string {
  return encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

function percentDecode(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

/**
 * The parameters of an `Authorization: OAuth …` header (oauthlib's
 * parse_authorization_header): comma-separated key="value" pairs, the
 * oauth_* values percent-decoded; null when the header is not of the OAuth scheme or is
 * not well formed.
 */
export function parseAuthorizationHeader(header: string | undefined): Param[] | null {
  if (!header || !/^oauth\s/i.test(header)) return null;
  const params: Param[] = [];
  const rest = header.replace(/^oauth\s+/i, '');
  const item = /\s*([^=\s,]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^,\s]*))\s*(?:,|$)/y;
  let at = 0;
  while (at < rest.length) {
    item.lastIndex = at;
    const m = item.exec(rest);
    if (!m) return null;
    const raw = m[2] !== undefined ? m[2].replace(/\\(.)/g, '$1') : m[3];
    // as oauthlib's collect_parameters: the oauth_* values percent-decoded, anything else (realm) as written
    params.push([m[1], m[1].startsWith('oauth_') ? percentDecode(raw) : raw]);
    at = item.lastIndex;
    while (at < rest.length && /[\s,]/.test(rest[at])) at++;
  }
  return params;
}

/** The pairs of a query string or form body, as parse_qsl(keep_blank_values=True) reads them. */
export function parseFormPairs(text: string): Param[] {
  if (!text) return [];
  return text
    .split(/[&;]/)
    .filter((part) => part !== '')
    .map((part) => {
      const eq = part.indexOf('=');
      const [k, v] = eq < 0 ? [part, ''] : [part.slice(0, eq), part.slice(eq + 1)];
      return [percentDecode(k.replace(/\+/g, ' ')), percentDecode(v.replace(/\+/g, ' '))] as Param;
    });
}

/** RFC 5849 3.4.1.2: scheme and host lower-cased, the default port dropped, no query or fragment. */
export function baseStringUri(url: string): string {
  const u = new URL(url);
  const scheme = u.protocol.toLowerCase();
  const host = u.hostname.toLowerCase();
  const port = u.port && !((scheme === 'http:' && u.port === '80') || (scheme === 'https:' && u.port === '443')) ? `:${u.port}` : '';
  return `${scheme}//${host}${port}${u.pathname || '/'}`;
}

/** RFC 5849 3.4.1.3.2: every name and value encoded, sorted by name then value, joined. */
export function normalizeParameters(params: readonly Param[]): string {
  return params
    .map(([k, v]) => [percentEncode(k), percentEncode(v)] as Param)
    .sort(([ak, av], [bk, bv]) => (ak < bk ? -1 : ak > bk ? 1 : av < bv ? -1 : av > bv ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
}

export function signatureBaseString(method: string, uri: string, params: readonly Param[]): string {
  return [method.toUpperCase(), percentEncode(baseStringUri(uri)), percentEncode(normalizeParameters(params))].join('&');
}

const HMACS: Record<string, string> = { 'HMAC-SHA1': 'sha1', 'HMAC-SHA256': 'sha256', 'HMAC-SHA512': 'sha512' };

/** The signature a client with these secrets computes for the request (null for methods never valid here). */
export function expectedSignature(
  signatureMethod: string,
  request: { method: string; uri: string; params: readonly Param[] },
  clientSecret: string,
  tokenSecret: string | null,
): string | null {
  const key = `${percentEncode(clientSecret)}&${percentEncode(tokenSecret ?? '')}`;
  if (signatureMethod === 'PLAINTEXT') return key;
  const digest = HMACS[signatureMethod];
  if (!digest) return null;
  return createHmac(digest, key)
    .update(signatureBaseString(request.method, request.uri, request.params))
    .digest('base64');
}

/** Constant-time comparison of the signature sent with the expected one. */
export function signatureMatches(
  signatureMethod: string,
  request: { method: string; uri: string; params: readonly Param[] },
  clientSecret: string,
  tokenSecret: string | null,
  signature: string,
): boolean {
  const expected = expectedSignature(signatureMethod, request, clientSecret, tokenSecret);
  if (expected === null) return false;
  const a = Buffer.from(expected);
  const b = Buffer.from(signature);
  return a.length === b.length && timingSafeEqual(a, b);
}
