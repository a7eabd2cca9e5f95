/**
 * A JWS in compact serialization (RFC 7515), as an OpenID Provider signs its JWT access tokens: split
 * and decoded, and its signature verified with node's crypto against one JWK. Only asymmetric
 * algorithms are known here (RS*, PS*, ES*, EdDSA): `none` and the HMAC family can never verify.
 */
import { constants, createPublicKey, verify as verifySignature, type JsonWebKey, type KeyObject } from 'node:crypto';

export interface DecodedJws {
  header: Record<string, unknown>;
  claims: Record<string, unknown>;
  /** header.payload, the bytes signed */
  signingInput: Buffer;
  signature: Buffer;
}

export class MalformedJws extends Error {}

const B64URL = /^[A-Za-z0-9_-]*$/;

function jsonObject(part: string): Record<string, unknown> {
  if (!B64URL.test(part)) throw new MalformedJws('not base64url');
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
  } catch {
    throw new MalformedJws('not JSON');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new MalformedJws('not a JSON object');
  return value as Record<string, unknown>;
}

/** Whether a bearer token has the shape of a JWS (three base64url parts, the signature maybe empty); anything else is opaque. */
export function looksLikeJws(token: string): boolean {
  const parts = token.split('.');
  return parts.length === 3 && parts.every((p, i) => (i === 2 || p.length > 0) && B64URL.test(p));
}

export function decodeJws(token: string): DecodedJws {
  const parts = token.split('.');
  if (parts.length !== 3) throw new MalformedJws('not three parts');
  const [h, p, s] = parts;
  if (!B64URL.test(s)) throw new MalformedJws('signature not base64url');
  return {
    header: jsonObject(h),
    claims: jsonObject(p),
    signingInput: Buffer.from(`${h}.${p}`, 'ascii'),
    signature: Buffer.from(s, 'base64url'),
  };
}

interface AlgorithmSpec {
  /** node's digest name, or null (EdDSA) */
  digest: string | null;
  keyTypes: readonly string[];
  pss?: boolean;
  /** ECDSA signatures are r||s (IEEE P1363) in a JWS */
  ecdsa?: boolean;
  curve?: string;
}

const ALGORITHMS: Readonly<Record<string, AlgorithmSpec>> = {
  RS256: { digest: 'sha256', keyTypes: ['RSA'] },
  RS384: { digest: 'sha384', keyTypes: ['RSA'] },
  RS512: { digest: 'sha512', keyTypes: ['RSA'] },
  PS256: { digest: 'sha256', keyTypes: ['RSA'], pss: true },
  PS384: { digest: 'sha384', keyTypes: ['RSA'], pss: true },
  PS512: { digest: 'sha512', keyTypes: ['RSA'], pss: true },
  ES256: { digest: 'sha256', keyTypes: ['EC'], ecdsa: true, curve: 'P-256' },
  ES384: { digest: 'sha384', keyTypes: ['EC'], ecdsa: true, curve: 'P-384' },
  ES512: { digest: 'sha512', keyTypes: ['EC'], ecdsa: true, curve: 'P-521' },
  EdDSA: { digest: null, keyTypes: ['OKP'] },
};

export function isKnownAlgorithm(alg: unknown): alg is string {
  return typeof alg === 'string' && Object.prototype.hasOwnProperty.call(ALGORITHMS, alg);
}

/** Whether the JWK can verify `alg` at all (its kty, curve, and its own alg/use when it states them). */
export function keyFits(jwk: JsonWebKey & { kid?: string; use?: string; alg?: string }, alg: string): boolean {
  const spec = ALGORITHMS[alg] as AlgorithmSpec | undefined;
  if (!spec || typeof jwk.kty !== 'string' || !spec.keyTypes.includes(jwk.kty)) return false;
  if (spec.curve && jwk.crv !== spec.curve) return false;
  if (jwk.use !== undefined && jwk.use !== 'sig') return false;
  if (jwk.alg !== undefined && jwk.alg !== alg) return false;
  return true;
}

/** The public key of a JWK (private parts, if a careless JWKS carried them, are never used). */
export function publicKeyOf(jwk: JsonWebKey): KeyObject {
  const { d: _d, p: _p, q: _q, dp: _dp, dq: _dq, qi: _qi, ...pub } = jwk;
  return createPublicKey({ key: pub, format: 'jwk' });
}

/** The JWS signature checked with `key` for the header's algorithm; false for any failure. */
export function verifyJws(jws: DecodedJws, alg: string, key: KeyObject): boolean {
  const spec = ALGORITHMS[alg] as AlgorithmSpec | undefined;
  if (!spec) return false;
  try {
    if (spec.pss) {
      return verifySignature(
        spec.digest,
        jws.signingInput,
        { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_DIGEST },
        jws.signature,
      );
    }
    if (spec.ecdsa) return verifySignature(spec.digest, jws.signingInput, { key, dsaEncoding: 'ieee-p1363' }, jws.signature);
    return verifySignature(spec.digest, jws.signingInput, key, jws.signature);
  } catch {
    return false;
  }
}
