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
import { looksLikeJws, MalformedJws } from './jws.js';
import { IssuerUnavailable, type IssuerMetadataCache } from './issuer-metadata.js';
import { clientSecretBasic, postForm } from './provider-http.js';
import { checkJwtTimes, InvalidJwt, jwtAudiences, verifySignedJwt } from './signed-jwt.js';

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
      if (err instanceof MalformedJws || err instanceof IssuerUnavailable || err instanceof InvalidJwt)
        throw new InvalidAccessToken(err.message);
      throw err;
    }
  }

  private checkAudience(aud: unknown, required: boolean): void {
    const named = jwtAudiences(aud);
    if (named.length === 0 && !required) return;
    if (!named.some((a) => this.settings.audience.includes(a))) throw new InvalidAccessToken('not for this audience');
  }

  private async validateJwt(token: string, acceptedIssuers: readonly string[]): Promise<ValidatedAccessToken> {
    const { issuer, claims } = await verifySignedJwt(token, acceptedIssuers, this.settings.allowedAlgorithms, this.issuers);
    checkJwtTimes(claims, this.settings.clockSkewSeconds, true);
    this.checkAudience(claims.aud, true);
    return { issuer, claims };
  }

  private async introspect(token: string, acceptedIssuers: readonly string[]): Promise<ValidatedAccessToken> {
    const { introspectionClientId: id, introspectionClientSecret: secret } = this.settings;
    if (!id || !secret) throw new InvalidAccessToken('opaque token and no [openid] introspection_client_id');
    for (const issuer of acceptedIssuers) {
      if (!/^https?:\/\//.test(issuer)) continue;
      const { introspection_endpoint: endpoint } = await this.issuers.metadata(issuer).catch(() => ({ introspection_endpoint: undefined }));
      if (!endpoint) continue;
      let answer;
      try {
        answer = await postForm(
          endpoint,
          { token, token_type_hint: 'access_token' },
          clientSecretBasic(id, secret),
          this.settings.timeoutSeconds,
        );
      } catch (err) {
        throw new InvalidAccessToken(`introspection at ${(err as Error).message}`);
      }
      if (!answer.ok) throw new InvalidAccessToken(`introspection at ${endpoint}: HTTP ${answer.status}`);
      const claims = answer.body;
      if (!claims || claims.active !== true) continue;
      if (claims.iss !== undefined && claims.iss !== issuer) throw new InvalidAccessToken('introspected token of another issuer');
      if (claims.token_type !== undefined && typeof claims.token_type === 'string' && !/^(access_token|bearer)$/i.test(claims.token_type))
        throw new InvalidAccessToken('not an access token');
      checkJwtTimes(claims, this.settings.clockSkewSeconds, false);
      this.checkAudience(claims.aud, false);
      return { issuer, claims: { ...claims, iss: issuer } };
    }
    throw new InvalidAccessToken('not active at any issuer of the identity provider');
  }
}
