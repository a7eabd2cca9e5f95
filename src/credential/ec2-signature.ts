/**
 * Verification of AWS-style signed requests for POST /v3/ec2tokens, as
 * keystoneclient's Ec2Signer (signature versions 0, 1, 2 and 4) and Keystone's
 * EC2 resource do it. Pure: no HTTP, no database.
 *
 * The request body carries {credentials: {access, signature, host, verb, path,
 * params, headers, body_hash}} (Keystone also accepts "credential" and
 * "ec2Credentials" as the key: see extractCredentials()).
 */
import { createHash, createHmac } from 'node:crypto';
import { constantTimeEqual } from '../identity/password-hashing/constant-time.js';

export interface Ec2Credentials {
  access?: string;
  signature?: string;
  host?: string | null;
  verb?: string;
  path?: string;
  params?: Record<string, unknown>;
  headers?: Record<string, unknown>;
  body_hash?: string;
  [key: string]: unknown;
}

/** Keystone's body selection: "credentials", then "credential", then "ec2Credentials", else {}. */
export function extractCredentials(requestBody: unknown): Ec2Credentials {
  if (!requestBody || typeof requestBody !== 'object') return {};
  const b = requestBody as Record<string, unknown>;
  const pick = [b.credentials, b.credential, b.ec2Credentials].find((v) => truthy(v));
  return pick && typeof pick === 'object' ? (pick as Ec2Credentials) : {};
}

/** Python truthiness for JSON values. */
function truthy(v: unknown): boolean {
  if (v === null || v === undefined || v === false || v === 0 || v === '') return false;
  if (Array.isArray(v)) return v.length > 0;
  if (typeof v === 'object') return Object.keys(v).length > 0;
  return true;
}

/** Python's str() of a JSON value (what Ec2Signer does to non-string parameter values). */
export function pyStr(v: unknown): string {
  if (typeof v === 'string') return v;
  if (v === null || v === undefined) return 'None';
  if (v === true) return 'True';
  if (v === false) return 'False';
  if (typeof v === 'number') return Number.isFinite(v) ? String(v) : v > 0 ? 'inf' : v < 0 ? '-inf' : 'nan';
  return JSON.stringify(v);
}

// `o` comes from a request body: whatever its declared type, it may be null or not an object at all.
const hasOwn = (o: Record<string, unknown> | undefined, k: string): o is Record<string, unknown> =>
  typeof o === 'object' && (o as unknown) !== null && Object.hasOwn(o, k);

/** Compares strings by code point, as Python's sort does. */
function codePointCompare(a: string, b: string): number {
  const ai = a[Symbol.iterator]();
  const bi = b[Symbol.iterator]();
  for (;;) {
    const x = ai.next();
    const y = bi.next();
    if (x.done || y.done) return x.done && y.done ? 0 : x.done ? -1 : 1;
    const d = (x.value.codePointAt(0) ?? 0) - (y.value.codePointAt(0) ?? 0);
    if (d !== 0) return d;
  }
}

/** Python's urllib.parse.quote with safe='-_~' (or ''): only A-Z a-z 0-9 _ . - ~ stay as they are. */
export function awsQuote(value: string): string {
  let out = '';
  for (const byte of Buffer.from(value, 'utf8')) {
    const c = String.fromCharCode(byte);
    out += /[A-Za-z0-9_.\-~]/.test(c) ? c : '%' + byte.toString(16).toUpperCase().padStart(2, '0');
  }
  return out;
}

/** Ec2Signer._canonical_qs: keys sorted, key=value pairs percent-encoded, joined by '&'. */
export function canonicalQueryString(params: Record<string, unknown>): string {
  return Object.keys(params)
    .sort(codePointCompare)
    .map((k) => `${awsQuote(k)}=${awsQuote(pyStr(params[k]))}`)
    .join('&');
}

const hmacB64 = (alg: 'sha1' | 'sha256', key: string, data: string | Buffer): string =>
  createHmac(alg, Buffer.from(key, 'utf8')).update(data).digest('base64');

class SignatureError extends Error {}

function requireString(v: unknown, what: string): string {
  if (typeof v !== 'string') throw new SignatureError(`${what} missing`);
  return v;
}

function signatureV0(params: Record<string, unknown>, secret: string): string {
  return hmacB64('sha1', secret, requireString(params.Action, 'Action') + requireString(params.Timestamp, 'Timestamp'));
}

function signatureV1(params: Record<string, unknown>, secret: string): string {
  // keys sorted case-insensitively (a stable sort on the lower-cased keys), each key then value fed to one HMAC
  const keys = Object.keys(params).sort((a, b) => codePointCompare(a.toLowerCase(), b.toLowerCase()));
  const mac = createHmac('sha1', Buffer.from(secret, 'utf8'));
  for (const k of keys) mac.update(k, 'utf8').update(pyStr(params[k]), 'utf8');
  return mac.digest('base64');
}

function signatureV2(params: Record<string, unknown>, verb: unknown, host: unknown, path: unknown, secret: string): string {
  // Ec2Signer always signs v2 with HMAC-SHA256 and sets SignatureMethod accordingly before canonicalising
  const signed = { ...params, SignatureMethod: 'HmacSHA256' };
  const stringToSign = `${pyStr(verb)}\n${pyStr(host)}\n${pyStr(path)}\n` + canonicalQueryString(signed);
  return hmacB64('sha256', secret, stringToSign);
}

/** Ec2Signer._v4_creds */
function isV4(creds: Ec2Credentials): boolean {
  const headers = creds.headers;
  if (hasOwn(headers, 'Authorization')) {
    const auth = headers.Authorization;
    return typeof auth === 'string' && auth.startsWith('AWS4-HMAC-SHA256');
  }
  const params = creds.params;
  return hasOwn(params, 'X-Amz-Algorithm') && params['X-Amz-Algorithm'] === 'AWS4-HMAC-SHA256';
}

const sha256Hex = (data: string): string => createHash('sha256').update(data, 'utf8').digest('hex');
const hmac256 = (key: Buffer, msg: string): Buffer => createHmac('sha256', key).update(msg, 'utf8').digest();

/** The AWS v4 signing key: HMAC chain over date, region, service and "aws4_request". */
export function v4SigningKey(secret: string, date: string, region: string, service: string): Buffer {
  const kDate = hmac256(Buffer.from('AWS4' + secret, 'utf8'), date);
  return hmac256(hmac256(hmac256(kDate, region), service), 'aws4_request');
}

function signatureV4(creds: Ec2Credentials, secret: string): string {
  const params = creds.params ?? {};
  const headers = creds.headers ?? {};
  const verb = requireString(creds.verb, 'verb');
  const path = requireString(creds.path, 'path');
  const bodyHash = requireString(creds.body_hash, 'body_hash');

  // from the Authorization header when there is one, else the X-Amz-<name> query parameter
  const authParam = (name: string): string => {
    if (hasOwn(headers, 'Authorization')) {
      const auth = requireString(headers.Authorization, 'Authorization');
      const at = auth.indexOf(`${name}=`);
      return at < 0 ? '' : auth.slice(at + name.length + 1).split(',')[0];
    }
    return requireString(params[`X-Amz-${name}`], `X-Amz-${name}`);
  };
  const date = requireString(hasOwn(headers, 'X-Amz-Date') ? headers['X-Amz-Date'] : params['X-Amz-Date'], 'X-Amz-Date');

  const signedHeaders = authParam('SignedHeaders');
  const lower = new Map<string, string>();
  for (const [k, v] of Object.entries(headers)) lower.set(k.toLowerCase().trim(), requireString(v, `header ${k}`).trim());
  // boto < 2.9.3 signed the host header without its port
  const stripPort = /^Boto\/2\.[0-9]\.[0-2]/.test(lower.get('user-agent') ?? '');
  const headerLines: string[] = [];
  for (const h of signedHeaders.split(';')) {
    const v = lower.get(h);
    if (v === undefined) continue;
    headerLines.push(`${h}:${h === 'host' && stripPort ? v.split(':')[0] : v}`);
  }
  const canonicalHeaders = headerLines.join('\n') + '\n';
  // POST requests carry their parameters in the body
  const canonicalQs = verb.toUpperCase() !== 'POST' ? canonicalQueryString(params) : '';
  const canonicalRequest = [verb.toUpperCase(), path, canonicalQs, canonicalHeaders, signedHeaders, bodyHash].join('\n');

  const credential = authParam('Credential').split('/');
  if (credential.length < 4) throw new SignatureError('malformed Credential');
  const scope = credential.slice(1).join('/');
  const credentialDate = credential[1];
  if (!date.startsWith(credentialDate)) throw new SignatureError('Request date mismatch error');
  const stringToSign = ['AWS4-HMAC-SHA256', date, scope, sha256Hex(canonicalRequest)].join('\n');
  const key = v4SigningKey(secret, credentialDate, credential[2], credential[3]);
  return createHmac('sha256', key).update(stringToSign, 'utf8').digest('hex');
}

/**
 * Ec2Signer.generate: the signature the request should carry. Throws for an
 * unknown SignatureVersion, an unrecognised format or missing fields.
 */
export function generateEc2Signature(creds: Ec2Credentials, secret: string): string {
  const params = creds.params ?? {};
  if (typeof params !== 'object') throw new SignatureError('params must be an object');
  const version = params.SignatureVersion;
  if (version === '0') return signatureV0(params, secret);
  if (version === '1') return signatureV1(params, secret);
  if (version === '2') return signatureV2(params, creds.verb, creds.host, creds.path, secret);
  if (isV4(creds)) return signatureV4(creds, secret);
  throw new SignatureError(version !== undefined ? `Unknown signature version: ${pyStr(version)}` : 'Unexpected signature format');
}

/** urllib.parse.urlsplit('//' + host).hostname: no userinfo, no port, no IPv6 brackets, lower case. */
export function hostnameOf(host: string): string | null {
  const netloc = host.split(/[/?#]/)[0];
  const hostPort = netloc.slice(netloc.lastIndexOf('@') + 1);
  let name: string;
  if (hostPort.includes('[')) {
    const close = hostPort.indexOf(']');
    if (close < 0) return null;
    name = hostPort.slice(hostPort.indexOf('[') + 1, close);
  } else {
    name = hostPort.split(':')[0];
  }
  return name === '' ? null : name.toLowerCase();
}

export type Ec2SignatureResult =
  /** the signature matches */
  | 'ok'
  /** no signature in the request: Keystone's "EC2 signature not supplied." */
  | 'missing'
  /** Keystone's "Invalid EC2 signature." */
  | 'mismatch'
  /** an unknown signature version or malformed signing fields (Keystone fails there with a 500) */
  | 'malformed';

/**
 * Keystone's EC2TokensResource._check_signature: compare in constant time;
 * on a mismatch, when the host has a port, try again without it (some client
 * libraries sign without the port).
 */
export function checkEc2Signature(creds: Ec2Credentials, secret: string): Ec2SignatureResult {
  const provided = creds.signature;
  if (!truthy(provided)) return 'missing';
  if (typeof provided !== 'string') return 'mismatch';
  try {
    if (constantTimeEqual(provided, generateEc2Signature(creds, secret))) return 'ok';
    if (typeof creds.host === 'string' && creds.host.includes(':')) {
      const retry = { ...creds, host: hostnameOf(creds.host) };
      if (constantTimeEqual(provided, generateEc2Signature(retry, secret))) return 'ok';
    }
    return 'mismatch';
  } catch (e) {
    if (e instanceof SignatureError) return 'malformed';
    throw e;
  }
}

/** True when the credentials' signature was made with `secret` (constant-time comparison). */
export function verifyEc2Signature(creds: Ec2Credentials, secret: string): boolean {
  return checkEc2Signature(creds, secret) === 'ok';
}

// ---- timestamps ----

/**
 * iso8601.parse_date as Keystone uses it (oslo timeutils.parse_isotime):
 * basic and extended forms, "YYYY", "YYYY-MM", dates with "T" or " " and time,
 * fractions with "." or ",", "Z" or ±HH[:MM] offsets; no zone means UTC.
 * Returns epoch milliseconds, or null when it does not parse.
 */
export function parseIsoTime(text: string): number | null {
  const m =
    /^([0-9]{4})(?:(?:-([0-9]{1,2})|([0-9]{2})(?!\n?$))(?:(?:-([0-9]{1,2})|([0-9]{2}))(?:([ T])([0-9]{2})(?::?([0-9]{2}))?(?::?([0-9]{1,2})(?:[.,]([0-9]+))?)?(Z|([-+])([0-9]{2}):?([0-9]{2})?)?)?)?)?\n?$/.exec(
      text,
    );
  if (!m) return null;
  const year = Number(m[1]);
  const month = Number(m[2] ?? m[3] ?? 1);
  const day = Number(m[4] ?? m[5] ?? 1);
  const hour = Number(m[7] ?? 0);
  const minute = Number(m[8] ?? 0);
  const second = Number(m[9] ?? 0);
  const micro = m[10] ? Number(m[10].slice(0, 6).padEnd(6, '0')) : 0;
  if (year < 1 || month < 1 || month > 12 || hour > 23 || minute > 59 || second > 59) return null;
  const daysInMonth = new Date(Date.UTC(2000, month, 0)).getUTCDate() - (month === 2 && !isLeap(year) ? 1 : 0);
  if (day < 1 || day > daysInMonth) return null;
  let offsetMinutes = 0;
  if (m[11] && m[11] !== 'Z') {
    const tzHour = Number(m[13]);
    const tzMinute = Number(m[14] ?? 0);
    if (tzHour > 23 || tzMinute > 59) return null;
    offsetMinutes = (m[12] === '-' ? -1 : 1) * (tzHour * 60 + tzMinute);
  }
  const d = new Date(0);
  d.setUTCFullYear(year, month - 1, day);
  d.setUTCHours(hour, minute, second, Math.floor(micro / 1000));
  return d.getTime() - offsetMinutes * 60_000;
}

const isLeap = (y: number): boolean => (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;

export type TimestampResult =
  /** a time within auth_ttl (and before the request's own expiry) */
  | 'ok'
  /** Keystone's "Credential timestamp is invalid: …" */
  | 'invalid'
  /** Keystone's "Credential is expired": older than auth_ttl, ahead of now by more than auth_ttl, or past its expiry */
  | 'expired'
  /** the signed request carries no time at all: a request that would be good forever is refused */
  | 'missing';

/** The AWS v2 `Expires` parameter or SigV4's `X-Amz-Expires` seconds, as epoch milliseconds (null: none; NaN: unreadable). */
function expiryOf(params: Record<string, unknown>, signedAt: number | null): number | null {
  if (truthy(params.Expires)) {
    return typeof params.Expires === 'string' ? (parseIsoTime(params.Expires) ?? Number.NaN) : Number.NaN;
  }
  if (truthy(params['X-Amz-Expires'])) {
    const seconds =
      typeof params['X-Amz-Expires'] === 'string' && /^[0-9]{1,9}$/.test(params['X-Amz-Expires'])
        ? Number(params['X-Amz-Expires'])
        : Number.NaN;
    return signedAt === null ? Number.NaN : signedAt + seconds * 1000;
  }
  return null;
}

/**
 * The time rules of a signed EC2 request, given its time `at` (the signing
 * time, or null) and `expires` (its own expiry, or null; NaN when unreadable):
 * a signing time more than auth_ttl away from now (either way: a time far
 * ahead would make the request good until then), or an expiry passed, is
 * 'expired'; a request with neither is 'missing'.
 */
export function judgeRequestTime(
  at: number | null,
  expires: number | null,
  authTtlMinutes: number,
  now: Date = new Date(),
): TimestampResult {
  if (at === null && expires === null) return 'missing';
  if (Number.isNaN(at) || Number.isNaN(expires)) return 'invalid';
  const ttl = authTtlMinutes * 60_000;
  if (at !== null && Math.abs(now.getTime() - at) > ttl) return 'expired';
  if (expires !== null && now.getTime() > expires) return 'expired';
  return 'ok';
}

/**
 * Keystone's _check_timestamp, closed: the signing time is params.Timestamp
 * (v0/v1/v2), else the X-Amz-Date header, else the X-Amz-Date parameter
 * (v4); the expiry is params.Expires (v1/v2, instead of a Timestamp) or
 * X-Amz-Expires seconds after X-Amz-Date (v4 presigned). Refused: a
 * signing time more than auth_ttl minutes from now, an expiry passed, a
 * time that does not parse, and a request that carries no time at all
 * (Keystone honours those forever).
 */
export function checkTimestampDetailed(creds: Ec2Credentials, authTtlMinutes: number, now: Date = new Date()): TimestampResult {
  const params = creds.params ?? {};
  const headers = creds.headers ?? {};
  const timestamp = [params.Timestamp, headers['X-Amz-Date'], params['X-Amz-Date']].find((v) => truthy(v));
  let at: number | null = null;
  if (timestamp !== undefined) {
    if (typeof timestamp !== 'string') return 'invalid';
    at = parseIsoTime(timestamp);
    if (at === null) return 'invalid';
  }
  return judgeRequestTime(at, expiryOf(params, at), authTtlMinutes, now);
}

/** True when the signed request carries a time within [credential] auth_ttl minutes and is not past its expiry. */
export function checkTimestamp(creds: Ec2Credentials, authTtlMinutes: number, now: Date = new Date()): boolean {
  return checkTimestampDetailed(creds, authTtlMinutes, now) === 'ok';
}
