/**
 * Verification of S3 token requests (POST /v3/s3tokens) as Keystone's
 * S3Resource does it: the body's credentials carry {access, signature, token},
 * token being the URL-safe base64 of the string the client signed. A string
 * to sign starting with "AWS4" is checked as AWS signature v4 (HMAC-SHA256
 * over a derived key, services s3/iam/sts), anything else as v1 (HMAC-SHA1,
 * base64). Pure: no HTTP, no database.
 */
import { createHmac } from 'node:crypto';
import { constantTimeEqual } from '../identity/password-hashing/constant-time.js';
import { judgeRequestTime, parseIsoTime, pyStr, v4SigningKey, type TimestampResult } from './ec2-signature.js';

export interface S3Credentials {
  access?: string;
  signature?: string;
  token?: string;
  [key: string]: unknown;
}

/**
 * base64.urlsafe_b64decode: '-' and '_' stand for '+' and '/', characters
 * outside the alphabet are ignored, and missing padding is an error.
 */
export function urlsafeB64Decode(text: string): Buffer | null {
  const cleaned = text
    .replace(/-/g, '+')
    .replace(/_/g, '/')
    .replace(/[^A-Za-z0-9+/=]/g, '');
  const firstPad = cleaned.indexOf('=');
  const data = firstPad < 0 ? cleaned : cleaned.slice(0, firstPad);
  const pads = firstPad < 0 ? 0 : cleaned.length - firstPad;
  const rem = data.length % 4;
  if (rem === 1) return null;
  if (rem === 2 && pads < 2) return null;
  if (rem === 3 && pads < 1) return null;
  return Buffer.from(data, 'base64');
}

/** Keystone's _calculate_signature_v1: base64 HMAC-SHA1 of the string to sign. */
export function s3SignatureV1(stringToSign: Buffer, secret: string): string {
  return createHmac('sha1', Buffer.from(secret, 'utf8')).update(stringToSign).digest('base64');
}

/**
 * Keystone's _calculate_signature_v4: the string to sign must be the four
 * lines "AWS4-HMAC-SHA256", date, scope "<date>/<region>/<service>/aws4_request"
 * with service s3, iam or sts, and the canonical request's hash; else null.
 */
export function s3SignatureV4(stringToSign: Buffer, secret: string): string | null {
  const parts = stringToSign.toString('latin1').split('\n');
  if (parts.length !== 4 || parts[0] !== 'AWS4-HMAC-SHA256') return null;
  const scope = parts[2].split('/');
  if (scope.length !== 4 || scope[3] !== 'aws4_request') return null;
  if (!['s3', 'iam', 'sts'].includes(scope[2])) return null;
  // the scope parts are raw bytes in Keystone: keep them as such
  const raw = (s: string) => Buffer.from(s, 'latin1');
  const hmac = (key: Buffer, msg: Buffer) => createHmac('sha256', key).update(msg).digest();
  let key = hmac(Buffer.from('AWS4' + secret, 'utf8'), raw(scope[0]));
  key = hmac(key, raw(scope[1]));
  key = hmac(key, raw(scope[2]));
  key = hmac(key, raw('aws4_request'));
  return createHmac('sha256', key).update(stringToSign).digest('hex');
}

export type S3SignatureResult = 'ok' | 'mismatch' | 'malformed';

/**
 * 'ok' when the signature matches; 'mismatch' is Keystone's "Credential
 * signature mismatch"; 'malformed' covers a missing or undecodable token or
 * signature and a v4 string to sign Keystone refuses ("Invalid EC2 signature.").
 */
export function checkS3Signature(creds: S3Credentials, secret: string): S3SignatureResult {
  if (creds.token === undefined || creds.signature === undefined) return 'malformed';
  const stringToSign = urlsafeB64Decode(pyStr(creds.token));
  if (!stringToSign) return 'malformed';
  const expected =
    stringToSign.subarray(0, 4).toString('latin1') !== 'AWS4'
      ? s3SignatureV1(stringToSign, pyStr(secret))
      : s3SignatureV4(stringToSign, pyStr(secret));
  if (expected === null) return 'malformed';
  if (typeof creds.signature !== 'string') return 'mismatch';
  return constantTimeEqual(creds.signature, expected) ? 'ok' : 'mismatch';
}

/** True when the S3 credentials' signature was made with `secret` (constant-time comparison). */
export function verifyS3Signature(creds: S3Credentials, secret: string): boolean {
  return checkS3Signature(creds, secret) === 'ok';
}

/** An HTTP date (RFC 1123, as S3 clients send Date) or an ISO 8601 one (x-amz-date may be either); null otherwise. */
function parseHttpOrIsoDate(text: string): number | null {
  const t = text.trim();
  if (/^[A-Za-z]{3}, [0-9]{1,2} [A-Za-z]{3} [0-9]{4} [0-9]{2}:[0-9]{2}:[0-9]{2} (GMT|UTC|[+-][0-9]{4})$/.test(t)) {
    const ms = Date.parse(t);
    return Number.isNaN(ms) ? null : ms;
  }
  return parseIsoTime(t);
}

/**
 * The time of a signed S3 request, read from the string it signed (so the
 * time is covered by the signature): v4, its second line (the request
 * date); v1, the x-amz-date header line when there is one, else the Date
 * line, which a presigned URL fills with its Expires (epoch seconds).
 * Judged as EC2 requests are (judgeRequestTime): more than auth_ttl from
 * now or past its expiry is 'expired'; no time at all is 'missing'.
 */
export function checkS3RequestTime(creds: S3Credentials, authTtlMinutes: number, now: Date = new Date()): TimestampResult {
  const decoded = creds.token === undefined ? null : urlsafeB64Decode(pyStr(creds.token));
  if (!decoded) return 'missing';
  const lines = decoded.toString('latin1').split('\n');
  if (lines[0] === 'AWS4-HMAC-SHA256') {
    const at = lines.length > 1 ? parseIsoTime(lines[1]) : null;
    return at === null ? 'invalid' : judgeRequestTime(at, null, authTtlMinutes, now);
  }
  if (lines.length < 5) return 'missing';
  const amzDate = lines.slice(4, -1).find((l) => /^x-amz-date:/i.test(l));
  const dateText = amzDate !== undefined ? amzDate.slice(amzDate.indexOf(':') + 1) : lines[3];
  if (dateText.trim() === '') return 'missing';
  if (amzDate === undefined && /^[0-9]{1,12}$/.test(dateText)) return judgeRequestTime(null, Number(dateText) * 1000, authTtlMinutes, now);
  const at = parseHttpOrIsoDate(dateText);
  return at === null ? 'invalid' : judgeRequestTime(at, null, authTtlMinutes, now);
}

export { v4SigningKey };
