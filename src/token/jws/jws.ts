/**
 * Compact JWS with ES256 (RFC 7515 / RFC 7518 §3.4), as PyJWT writes and
 * reads it for Keystone's JWS token provider: the header
 * {"alg":"ES256","typ":"JWT"}, the claims as compact JSON, and an ECDSA
 * P-256 / SHA-256 signature as the 64-byte r||s pair (node's crypto with
 * dsaEncoding ieee-p1363). Verification accepts only ES256: a header naming
 * any other algorithm (none, HS256 with the public key as secret, …) is
 * refused before any key is tried.
 */
import { sign, verify, type KeyObject } from 'node:crypto';

const HEADER = Buffer.from(JSON.stringify({ alg: 'ES256', typ: 'JWT' })).toString('base64url');
const B64URL = /^[A-Za-z0-9_-]*$/;

export class JwsError extends Error {}

/** The signed compact serialization of the claims. */
export function signEs256(claims: Record<string, unknown>, privateKey: KeyObject): string {
  const input = `${HEADER}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}`;
  const signature = sign('sha256', Buffer.from(input), { key: privateKey, dsaEncoding: 'ieee-p1363' });
  return `${input}.${signature.toString('base64url')}`;
}

/** A token split and decoded, not yet verified. */
export interface ParsedJws {
  signingInput: Buffer;
  signature: Buffer;
  claims: Record<string, unknown>;
}

/** Splits and decodes a compact JWS whose header says ES256; throws JwsError for anything else. */
export function parseEs256(token: string): ParsedJws {
  const parts = token.split('.');
  if (parts.length !== 3 || !parts.every((p) => B64URL.test(p))) throw new JwsError('not a compact JWS');
  const [h, p, s] = parts;
  const header = decodeJson(h, 'header');
  if (header.alg !== 'ES256') throw new JwsError(`algorithm ${JSON.stringify(header.alg)} is not allowed`);
  if (header.crit !== undefined) throw new JwsError('critical header parameters are not supported');
  const signature = Buffer.from(s, 'base64url');
  if (signature.length !== 64) throw new JwsError('an ES256 signature is 64 bytes');
  return { signingInput: Buffer.from(`${h}.${p}`), signature, claims: decodeJson(p, 'payload') };
}

/** Whether one of the keys made the signature (each key an EC P-256 public key). */
export function verifiedBy(parsed: ParsedJws, keys: readonly KeyObject[]): boolean {
  return keys.some((key) => verify('sha256', parsed.signingInput, { key, dsaEncoding: 'ieee-p1363' }, parsed.signature));
}

function decodeJson(part: string, what: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
  } catch {
    throw new JwsError(`the ${what} is not JSON`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new JwsError(`the ${what} is not a JSON object`);
  return value as Record<string, unknown>;
}
