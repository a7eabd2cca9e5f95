/**
 * A JWT signed by an OpenID Provider (an access token, an ID token): its `alg` one of the accepted
 * asymmetric algorithms, no critical header extensions, its `iss` one of the accepted issuers, and its
 * signature verified with a key of that issuer's JWKS (fetched again, within the cache's limits, for a
 * kid not among them); then its times. Whatever else a kind of token requires is its validator's.
 */
import { decodeJws, isKnownAlgorithm, keyFits, publicKeyOf, verifyJws } from './jws.js';
import type { IssuerMetadataCache, Jwk } from './issuer-metadata.js';

/** Why a JWT is refused (a 401 to the client; the message is for the logs). */
export class InvalidJwt extends Error {}

export interface VerifiedJwt {
  issuer: string;
  header: Record<string, unknown>;
  claims: Record<string, unknown>;
}

export async function verifySignedJwt(
  token: string,
  acceptedIssuers: readonly string[],
  allowedAlgorithms: readonly string[],
  issuers: IssuerMetadataCache,
): Promise<VerifiedJwt> {
  const jws = decodeJws(token);
  const { alg, kid, crit } = jws.header;
  if (!isKnownAlgorithm(alg) || !allowedAlgorithms.includes(alg)) throw new InvalidJwt(`algorithm ${String(alg)}`);
  if (crit !== undefined) throw new InvalidJwt('critical header extensions');
  const issuer = jws.claims.iss;
  if (typeof issuer !== 'string' || !acceptedIssuers.includes(issuer)) throw new InvalidJwt('issuer not among the remote ids');
  const candidates = (keys: Jwk[]) => keys.filter((k) => keyFits(k, alg) && (kid === undefined || k.kid === kid));
  let keys = candidates(await issuers.keys(issuer));
  if (keys.length === 0 && typeof kid === 'string') keys = candidates(await issuers.keys(issuer, kid));
  if (keys.length === 0) throw new InvalidJwt('no key of the issuer fits');
  if (!keys.some((k) => verifyJws(jws, alg, publicKeyOf(k)))) throw new InvalidJwt('bad signature');
  return { issuer, header: jws.header, claims: jws.claims };
}

/** `exp` (required or not) not past and `nbf` not ahead, with `skewSeconds` of tolerance. */
export function checkJwtTimes(claims: Record<string, unknown>, skewSeconds: number, expRequired: boolean): void {
  const now = Date.now() / 1000;
  const { exp, nbf } = claims;
  if (exp === undefined ? expRequired : typeof exp !== 'number' || !(now < exp + skewSeconds)) throw new InvalidJwt('expired');
  if (nbf !== undefined && (typeof nbf !== 'number' || nbf > now + skewSeconds)) throw new InvalidJwt('not yet valid');
}

/** The audiences a JWT names (`aud` as a string or a list). */
export function jwtAudiences(aud: unknown): string[] {
  if (typeof aud === 'string') return [aud];
  if (Array.isArray(aud)) return aud.filter((a): a is string => typeof a === 'string');
  return [];
}

/** The algorithms of a configured list a signature may use: never `none`, never the HMAC family. */
export function asymmetricAlgorithms(configured: readonly string[]): string[] {
  return configured.filter((a) => a !== 'none' && !a.startsWith('HS'));
}
