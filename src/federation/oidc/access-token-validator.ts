/**
 * Native OpenID Connect: a bearer access token validated by this server itself, without a front proxy.
 *
 *  - a JWT (RFC 9068 style): its `iss` must be one of the identity provider's remote ids; its `alg` one
 *    of [openid] allowed_algorithms (asymmetric only: never `none`, never HMAC); its signature verified
 *    with the issuer's key (JWKS from discovery, fetched again once for an unknown `kid`); `exp`
 *    required and not past, `nbf` not ahead (with [openid] clock_skew); `aud` naming one of
 *    [openid] audience;
 *  - anything else is opaque: introspected (RFC 7662) at the introspection_endpoint of the IdP's
 *    issuer(s), authenticated as [openid] introspection_client_id; it must be `active`, of that issuer,
 *    unexpired, and for our audience when the answer names one.
 *
 * The result is the token's claims. Every failure is one InvalidAccessToken (a 401 to the client,
 * nothing created); why is only logged.
 */
import { decodeJws, isKnownAlgorithm, keyFits, looksLikeJws, MalformedJws, publicKeyOf, verifyJws } from './jws.js';
import { IssuerUnavailable, type IssuerMetadataCache, type Jwk } from './issuer-metadata.js';

export interface AccessTokenSettings {
  audience: readonly string[];
  allowedAlgorithms: readonly string[];
  clockSkewSeconds: number;
  introspectionClientId: string | null;
  introspectionClientSecret: string | null;
  timeoutSeconds: number;
}

export class InvalidAccessToken extends Error {}

export interface ValidatedAccessToken {
  issuer: string;
  claims: Record<string, unknown>;
}

function audiences(aud: unknown): string[] {
  if (typeof aud === 'string') return [aud];
  if (Array.isArray(aud)) return aud.filter((a): a is string => typeof a === 'string');
  return [];
}

export class AccessTokenValidator {
  constructor(
    private readonly settings: AccessTokenSettings,
    private readonly issuers: IssuerMetadataCache,
  ) {}

  /** Whether native validation is configured at all ([openid] audience set). */
  get enabled(): boolean {
    return this.settings.audience.length > 0;
  }

  /** `acceptedIssuers`: the identity provider's remote ids. */
  async validate(token: string, acceptedIssuers: readonly string[]): Promise<ValidatedAccessToken> {
    if (!this.enabled) throw new InvalidAccessToken('native OpenID Connect is not configured ([openid] audience)');
    try {
      return looksLikeJws(token) ? await this.validateJwt(token, acceptedIssuers) : await this.introspect(token, acceptedIssuers);
    } catch (err) {
      if (err instanceof InvalidAccessToken) throw err;
      if (err instanceof MalformedJws || err instanceof IssuerUnavailable) throw new InvalidAccessToken(err.message);
      throw err;
    }
  }

  private checkTimes(claims: Record<string, unknown>, expRequired: boolean): void {
    const now = Date.now() / 1000;
    const skew = this.settings.clockSkewSeconds;
    const { exp, nbf } = claims;
    if (exp === undefined ? expRequired : typeof exp !== 'number' || !(now < exp + skew)) throw new InvalidAccessToken('expired');
    if (nbf !== undefined && (typeof nbf !== 'number' || nbf > now + skew)) throw new InvalidAccessToken('not yet valid');
  }

  private checkAudience(aud: unknown, required: boolean): void {
    const named = audiences(aud);
    if (named.length === 0 && !required) return;
    if (!named.some((a) => this.settings.audience.includes(a))) throw new InvalidAccessToken('not for this audience');
  }

  private async validateJwt(token: string, acceptedIssuers: readonly string[]): Promise<ValidatedAccessToken> {
    const jws = decodeJws(token);
    const { alg, kid, crit } = jws.header;
    if (!isKnownAlgorithm(alg) || !this.settings.allowedAlgorithms.includes(alg)) throw new InvalidAccessToken(`algorithm ${String(alg)}`);
    if (crit !== undefined) throw new InvalidAccessToken('critical header extensions');
    const issuer = jws.claims.iss;
    if (typeof issuer !== 'string' || !acceptedIssuers.includes(issuer)) throw new InvalidAccessToken('issuer not among the remote ids');
    const candidates = (keys: Jwk[]) => keys.filter((k) => keyFits(k, alg) && (kid === undefined || k.kid === kid));
    let keys = candidates(await this.issuers.keys(issuer));
    if (keys.length === 0 && typeof kid === 'string') keys = candidates(await this.issuers.keys(issuer, kid));
    if (keys.length === 0) throw new InvalidAccessToken('no key of the issuer fits');
    if (!keys.some((k) => verifyJws(jws, alg, publicKeyOf(k)))) throw new InvalidAccessToken('bad signature');
    this.checkTimes(jws.claims, true);
    this.checkAudience(jws.claims.aud, true);
    return { issuer, claims: jws.claims };
  }

  private async introspect(token: string, acceptedIssuers: readonly string[]): Promise<ValidatedAccessToken> {
    const { introspectionClientId: id, introspectionClientSecret: secret } = this.settings;
    if (!id || !secret) throw new InvalidAccessToken('opaque token and no [openid] introspection_client_id');
    for (const issuer of acceptedIssuers) {
      if (!/^https?:\/\//.test(issuer)) continue;
      const { introspection_endpoint: endpoint } = await this.issuers.metadata(issuer).catch(() => ({ introspection_endpoint: undefined }));
      if (!endpoint) continue;
      let res: Response;
      try {
        res = await fetch(endpoint, {
          method: 'POST',
          headers: {
            'content-type': 'application/x-www-form-urlencoded',
            accept: 'application/json',
            authorization: `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`,
          },
          body: new URLSearchParams({ token, token_type_hint: 'access_token' }).toString(),
          signal: AbortSignal.timeout(this.settings.timeoutSeconds * 1000),
          redirect: 'error',
        });
      } catch (err) {
        throw new InvalidAccessToken(`introspection at ${endpoint}: ${(err as Error).message}`);
      }
      if (!res.ok) throw new InvalidAccessToken(`introspection at ${endpoint}: HTTP ${res.status}`);
      const claims = (await res.json().catch(() => null)) as Record<string, unknown> | null;
      if (!claims || claims.active !== true) continue;
      if (claims.iss !== undefined && claims.iss !== issuer) throw new InvalidAccessToken('introspected token of another issuer');
      if (claims.token_type !== undefined && typeof claims.token_type === 'string' && !/^(access_token|bearer)$/i.test(claims.token_type))
        throw new InvalidAccessToken('not an access token');
      this.checkTimes(claims, false);
      this.checkAudience(claims.aud, false);
      return { issuer, claims: { ...claims, iss: issuer } };
    }
    throw new InvalidAccessToken('not active at any issuer of the identity provider');
  }
}
