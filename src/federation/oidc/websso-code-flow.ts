/**
 * WebSSO run natively: the OpenID Connect authorization code flow with PKCE (S256), this server being
 * the client, instead of an Apache module in front.
 *
 *  begin:  the browser is sent to the issuer's authorization_endpoint (discovered) with a fresh state,
 *          nonce and code challenge. What the answer is checked against is kept in the database
 *          (authorization-request-backend.ts), not in the browser, with the hash of a cookie that binds
 *          the sign-in to the browser that began it (login CSRF: RFC 6749 §10.12).
 *  finish: the state's request taken (once, by any worker; unknown, expired, used or from another
 *          browser: refused), the code exchanged at the token_endpoint with the verifier, the ID token
 *          verified (signature against the issuer's JWKS, iss, aud = client id, azp, exp, iat, nonce),
 *          the userinfo claims added (their sub must be the ID token's). The claims then go through the
 *          protocol's mapping as a natively validated access token's do.
 *
 * Every refusal is a CodeFlowRefused (a 401 to the browser, the reason logged); nothing is created.
 */
import { createHash, randomBytes } from 'node:crypto';
import { browserBinding as keptOrNewBinding, matchesHash, secretHash as sha256 } from '../websso-browser-binding.js';
import type { AuthorizationRequestBackend } from './authorization-request-backend.js';
import type { WebSsoClient, WebSsoClients } from './websso-clients.js';
import { IssuerUnavailable, type IssuerMetadataCache, type ProviderMetadata } from './issuer-metadata.js';
import { checkJwtTimes, InvalidJwt, jwtAudiences, verifySignedJwt } from './signed-jwt.js';
import { MalformedJws } from './jws.js';
import { clientSecretBasic, getWithBearer, postForm, ProviderRequestFailed } from './provider-http.js';

export class CodeFlowRefused extends Error {}

export interface CodeFlowSettings {
  allowedAlgorithms: readonly string[];
  clockSkewSeconds: number;
  timeoutSeconds: number;
  /** how long a sign-in may take at the identity provider */
  requestLifetimeSeconds: number;
}

export interface CodeFlowIdentityProvider {
  id: string;
  remote_ids: readonly string[];
}

export interface BeginInput {
  idp: CodeFlowIdentityProvider;
  protocolId: string;
  origin: string;
  redirectUri: string;
  /** the browser's binding cookie, when it has one already (kept, so that sign-ins in two tabs both finish) */
  browserBinding: string | undefined;
}

export interface FinishInput {
  idp: CodeFlowIdentityProvider;
  protocolId: string;
  /** the query of the identity provider's redirect back */
  state: string | null;
  code: string | null;
  error: string | null;
  browserBinding: string | undefined;
}

export interface SignedInClaims {
  origin: string;
  issuer: string;
  claims: Record<string, unknown>;
}

const random = (bytes: number): string => randomBytes(bytes).toString('base64url');

export class WebSsoCodeFlow {
  constructor(
    private readonly requests: AuthorizationRequestBackend,
    private readonly clients: WebSsoClients,
    private readonly issuers: IssuerMetadataCache,
    private readonly settings: CodeFlowSettings,
  ) {}

  /** Whether WebSSO runs the code flow itself for this protocol of this identity provider. */
  runsFor(idpId: string, protocolId: string): boolean {
    return this.clients.clientFor(idpId, protocolId) !== undefined;
  }

  private client(idpId: string, protocolId: string): WebSsoClient {
    const client = this.clients.clientFor(idpId, protocolId);
    if (!client) throw new CodeFlowRefused(`no WebSSO client for ${idpId}/${protocolId}`);
    return client;
  }

  /** The issuer of the identity provider: the client's, which must be a remote id, else its one http(s) remote id. */
  private issuerOf(idp: CodeFlowIdentityProvider, client: WebSsoClient): string {
    if (client.issuer) {
      if (!idp.remote_ids.includes(client.issuer)) throw new CodeFlowRefused(`issuer ${client.issuer} is not a remote id of ${idp.id}`);
      return client.issuer;
    }
    const urls = idp.remote_ids.filter((r) => /^https?:\/\//.test(r));
    if (urls.length !== 1)
      throw new CodeFlowRefused(`${idp.id} has ${urls.length} http(s) remote ids: name the issuer of its WebSSO client`);
    return urls[0];
  }

  private async metadata(issuer: string): Promise<ProviderMetadata> {
    try {
      return await this.issuers.metadata(issuer);
    } catch (err) {
      if (err instanceof IssuerUnavailable) throw new CodeFlowRefused(err.message);
      throw err;
    }
  }

  /** The identity provider's authorization URL for a new sign-in, and the browser's binding cookie value. */
  async begin(input: BeginInput): Promise<{ location: string; browserBinding: string }> {
    const client = this.client(input.idp.id, input.protocolId);
    const issuer = this.issuerOf(input.idp, client);
    const { authorization_endpoint: endpoint } = await this.metadata(issuer);
    if (!endpoint) throw new CodeFlowRefused(`${issuer} publishes no authorization_endpoint`);
    const browserBinding = keptOrNewBinding(input.browserBinding);
    const state = random(32);
    const nonce = random(24);
    const codeVerifier = random(32);
    const now = Date.now();
    await this.requests.purgeExpired(now);
    await this.requests.save({
      state_hash: sha256(state),
      browser_hash: sha256(browserBinding),
      idp_id: input.idp.id,
      protocol_id: input.protocolId,
      origin: input.origin,
      nonce,
      code_verifier: codeVerifier,
      redirect_uri: input.redirectUri,
      expires_at: now + this.settings.requestLifetimeSeconds * 1000,
    });
    const url = new URL(endpoint);
    const params = {
      response_type: 'code',
      client_id: client.clientId,
      redirect_uri: input.redirectUri,
      scope: client.scope,
      state,
      nonce,
      code_challenge: createHash('sha256').update(codeVerifier).digest('base64url'),
      code_challenge_method: 'S256',
    };
    for (const [name, value] of Object.entries(params)) url.searchParams.set(name, value);
    return { location: url.toString(), browserBinding };
  }

  /** The identity provider's answer checked and the signed-in user's claims. */
  async finish(input: FinishInput): Promise<SignedInClaims> {
    if (!input.state) throw new CodeFlowRefused('no state');
    const request = await this.requests.take(sha256(input.state), Date.now());
    if (!request) throw new CodeFlowRefused('unknown, expired or already used state');
    if (request.idp_id !== input.idp.id || request.protocol_id !== input.protocolId)
      throw new CodeFlowRefused('state of another identity provider or protocol');
    if (!matchesHash(request.browser_hash, input.browserBinding))
      throw new CodeFlowRefused('the answer came back to another browser than the one that began the sign-in');
    if (input.error) throw new CodeFlowRefused(`the identity provider answered ${input.error}`);
    if (!input.code) throw new CodeFlowRefused('no code');
    const client = this.client(input.idp.id, input.protocolId);
    const issuer = this.issuerOf(input.idp, client);
    const metadata = await this.metadata(issuer);
    try {
      const tokens = await this.exchange(metadata, client, input.code, request.code_verifier, request.redirect_uri);
      const idClaims = await this.verifyIdToken(tokens.idToken, issuer, client, request.nonce);
      const userinfo = await this.userinfo(metadata, tokens.accessToken, idClaims.sub as string);
      return { origin: request.origin, issuer, claims: { ...userinfo, ...idClaims } };
    } catch (err) {
      if (
        err instanceof InvalidJwt ||
        err instanceof MalformedJws ||
        err instanceof IssuerUnavailable ||
        err instanceof ProviderRequestFailed
      )
        throw new CodeFlowRefused(err.message);
      throw err;
    }
  }

  private async exchange(
    metadata: ProviderMetadata,
    client: WebSsoClient,
    code: string,
    codeVerifier: string,
    redirectUri: string,
  ): Promise<{ idToken: string; accessToken: string | null }> {
    const endpoint = metadata.token_endpoint;
    if (!endpoint) throw new CodeFlowRefused(`${metadata.issuer} publishes no token_endpoint`);
    const offered = metadata.token_endpoint_auth_methods_supported;
    const method =
      client.tokenEndpointAuthMethod ??
      (offered && !offered.includes('client_secret_basic') && offered.includes('client_secret_post')
        ? 'client_secret_post'
        : 'client_secret_basic');
    const form: Record<string, string> = { grant_type: 'authorization_code', code, redirect_uri: redirectUri, code_verifier: codeVerifier };
    if (method === 'client_secret_post') Object.assign(form, { client_id: client.clientId, client_secret: client.clientSecret });
    const answer = await postForm(
      endpoint,
      form,
      method === 'client_secret_basic' ? clientSecretBasic(client.clientId, client.clientSecret) : undefined,
      this.settings.timeoutSeconds,
    );
    const error = answer.body?.error;
    if (!answer.ok) throw new CodeFlowRefused(`token endpoint: HTTP ${answer.status} ${typeof error === 'string' ? error : ''}`.trim());
    const idToken = answer.body?.id_token;
    if (typeof idToken !== 'string') throw new CodeFlowRefused('the token endpoint answered no id_token');
    const accessToken = answer.body?.access_token;
    return { idToken, accessToken: typeof accessToken === 'string' ? accessToken : null };
  }

  /** OpenID Connect Core §3.1.3.7. */
  private async verifyIdToken(idToken: string, issuer: string, client: WebSsoClient, nonce: string): Promise<Record<string, unknown>> {
    const { claims } = await verifySignedJwt(idToken, [issuer], this.settings.allowedAlgorithms, this.issuers);
    checkJwtTimes(claims, this.settings.clockSkewSeconds, true);
    const audiences = jwtAudiences(claims.aud);
    if (!audiences.includes(client.clientId)) throw new CodeFlowRefused('ID token not for this client');
    if ((audiences.length > 1 || claims.azp !== undefined) && claims.azp !== client.clientId)
      throw new CodeFlowRefused('ID token authorized for another party');
    if (typeof claims.iat !== 'number') throw new CodeFlowRefused('ID token without iat');
    if (typeof claims.nonce !== 'string' || !matchesHash(sha256(nonce), claims.nonce)) throw new CodeFlowRefused('ID token nonce mismatch');
    if (typeof claims.sub !== 'string' || claims.sub === '') throw new CodeFlowRefused('ID token without sub');
    return claims;
  }

  /** The userinfo endpoint's claims (none when the IdP has no such endpoint or gave no access token). */
  private async userinfo(metadata: ProviderMetadata, accessToken: string | null, sub: string): Promise<Record<string, unknown>> {
    if (!metadata.userinfo_endpoint || !accessToken) return {};
    const answer = await getWithBearer(metadata.userinfo_endpoint, accessToken, this.settings.timeoutSeconds);
    if (!answer.ok || !answer.body) throw new CodeFlowRefused(`userinfo endpoint: HTTP ${answer.status}`);
    if (answer.body.sub !== sub) throw new CodeFlowRefused('userinfo of another subject');
    return answer.body;
  }
}
