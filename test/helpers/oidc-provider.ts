/**
 * A real OpenID Provider on loopback for the federation tests: panva's oidc-provider (a certified OP) in
 * this process, on port 0. Its clients cover what Keystone's users meet at Keycloak-style IdPs:
 * - `cli`: confidential, client_credentials + password + authorization_code (no PKCE, as keystoneauth1's
 *   v3oidcauthcode sends none), JWT access tokens signed RS256 for Keystone's audience;
 * - `es`: client_credentials, JWT access tokens signed ES256;
 * - `opaque`: client_credentials + password, opaque access tokens (Keystone must introspect them);
 * - `keystone`: Keystone's own client at the IdP (RFC 7662 introspection, and the WebSSO code flow with PKCE, whose
 *   access token is for the userinfo endpoint).
 * oidc-provider has no password grant: `password` is registered as a custom grant, as Keycloak offers it.
 * Access tokens carry the user's claims (preferred_username, email, groups) as Keycloak puts them in its JWTs.
 * rotateSigningKey() swaps in a provider instance with a new signing key first in its JWKS; tokens
 * already issued stay valid (oidc-provider's memory adapter is shared by the process's instances).
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { generateKeyPairSync, randomUUID, timingSafeEqual } from 'node:crypto';
import Provider, { errors, type Configuration, type KoaContextWithOIDC, type JWK, type ResourceServer } from 'oidc-provider';

export interface OidcTestUser {
  username: string;
  password: string;
  email: string;
  groups: string[];
}

export interface OidcTestClient {
  clientId: string;
  clientSecret: string;
}

export interface TestOpenIdProvider {
  issuer: string;
  discoveryUrl: string;
  tokenEndpoint: string;
  /** the resource indicator of Keystone at this IdP: the `aud` of the access tokens it issues */
  audience: string;
  clients: { cli: OidcTestClient; es: OidcTestClient; opaque: OidcTestClient; keystone: OidcTestClient };
  users: OidcTestUser[];
  /** where the `keystone` client may be sent back to after a code flow (the test sets it before use) */
  setKeystoneRedirectUris(uris: string[]): Promise<void>;
  /** a new RSA and EC signing key first in the JWKS; `retire` drops the previous ones from it */
  rotateSigningKey(options?: { retire?: boolean }): Promise<void>;
  /** the access token the OP's token endpoint answers for a grant (form fields beside grant_type) */
  accessToken(client: OidcTestClient, grant: 'client_credentials' | 'password', fields?: Record<string, string>): Promise<string>;
  close(): Promise<void>;
}

export interface TestOpenIdProviderOptions {
  /** Keystone's audience at the IdP (default `https://keystone.example.test`) */
  audience?: string;
  /** access token lifetime in seconds (default 300) */
  accessTokenTtl?: number;
}

const DEFAULT_USERS: OidcTestUser[] = [
  { username: 'alice', password: 'alice-secret', email: 'alice@example.test', groups: ['cloud-users', 'admins'] },
  { username: 'bob', password: 'bob-secret', email: 'bob@example.test', groups: ['cloud-users'] },
];

function signingKeys(): JWK[] {
  const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' });
  const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'jwk' });
  return [
    { ...rsa, kid: `rsa-${randomUUID()}`, use: 'sig' },
    { ...ec, kid: `ec-${randomUUID()}`, use: 'sig' },
  ] as JWK[];
}

function sameSecret(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

export async function startOpenIdProvider(options: TestOpenIdProviderOptions = {}): Promise<TestOpenIdProvider> {
  const audience = options.audience ?? 'https://keystone.example.test';
  const accessTokenTtl = options.accessTokenTtl ?? 300;
  const users = DEFAULT_USERS;
  const secret = (): string => randomUUID();
  const clients = {
    cli: { clientId: 'openstack-cli', clientSecret: secret() },
    es: { clientId: 'openstack-es', clientSecret: secret() },
    opaque: { clientId: 'openstack-opaque', clientSecret: secret() },
    keystone: { clientId: 'keystone', clientSecret: secret() },
  };
  let keystoneRedirectUris = ['http://127.0.0.1/unused'];
  let keys = signingKeys();

  let dispatch: ((req: IncomingMessage, res: ServerResponse) => Promise<void>) | undefined;
  const server = createServer((req, res) => {
    if (dispatch) void dispatch(req, res);
    else res.writeHead(503).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  function accessTokenFormat(clientId: string | undefined): 'jwt' | 'opaque' {
    return clientId === clients.opaque.clientId ? 'opaque' : 'jwt';
  }
  function resourceServerInfo(clientId: string | undefined): ResourceServer {
    const format = accessTokenFormat(clientId);
    const alg: 'ES256' | 'RS256' = clientId === clients.es.clientId ? 'ES256' : 'RS256';
    return {
      scope: 'openid profile email groups',
      audience,
      accessTokenTTL: accessTokenTtl,
      accessTokenFormat: format,
      ...(format === 'jwt' ? { jwt: { sign: { alg } } } : {}),
    };
  }
  function userBySub(sub: string): OidcTestUser | undefined {
    return users.find((u) => u.username === sub);
  }

  function configuration(): Configuration {
    const grantTypes = ['client_credentials', 'password', 'authorization_code', 'refresh_token'];
    return {
      clients: [
        {
          client_id: clients.cli.clientId,
          client_secret: clients.cli.clientSecret,
          grant_types: grantTypes,
          redirect_uris: ['http://127.0.0.1/cli-callback'],
          response_types: ['code'],
        },
        {
          client_id: clients.es.clientId,
          client_secret: clients.es.clientSecret,
          grant_types: ['client_credentials'],
          redirect_uris: [],
          response_types: [],
        },
        {
          client_id: clients.opaque.clientId,
          client_secret: clients.opaque.clientSecret,
          grant_types: ['client_credentials', 'password'],
          redirect_uris: [],
          response_types: [],
        },
        {
          client_id: clients.keystone.clientId,
          client_secret: clients.keystone.clientSecret,
          grant_types: ['authorization_code'],
          redirect_uris: keystoneRedirectUris,
          response_types: ['code'],
        },
      ],
      jwks: { keys },
      cookies: { keys: ['oidc-test-cookie-key'] },
      claims: { openid: ['sub'], profile: ['preferred_username', 'name'], email: ['email', 'email_verified'], groups: ['groups'] },
      scopes: ['openid', 'offline_access', 'profile', 'email', 'groups'],
      findAccount: (_ctx, sub) => {
        const user = userBySub(sub);
        if (!user) return undefined;
        return {
          accountId: sub,
          claims: () => ({
            sub,
            preferred_username: user.username,
            name: user.username,
            email: user.email,
            email_verified: true,
            groups: user.groups,
          }),
        };
      },
      extraTokenClaims: (_ctx, token) => {
        if (token.kind === 'ClientCredentials') return { preferred_username: `service-account-${token.clientId ?? ''}` };
        const user = token.accountId ? userBySub(token.accountId) : undefined;
        return user ? { preferred_username: user.username, email: user.email, groups: user.groups } : undefined;
      },
      ttl: { AccessToken: accessTokenTtl, ClientCredentials: accessTokenTtl },
      features: {
        devInteractions: { enabled: true },
        introspection: { enabled: true },
        clientCredentials: { enabled: true },
        resourceIndicators: {
          enabled: true,
          // Keystone's own client signs users in (WebSSO): its access token is for the OP's userinfo, not for a resource
          defaultResource: (_ctx, client) => (client?.clientId === clients.keystone.clientId ? undefined : audience),
          useGrantedResource: () => true,
          getResourceServerInfo: (_ctx, _indicator, client) => resourceServerInfo(client.clientId),
        },
      },
      pkce: { required: (_ctx, client) => client.clientId === clients.keystone.clientId },
    };
  }

  async function passwordGrant(ctx: KoaContextWithOIDC): Promise<void> {
    const op = ctx.oidc.provider;
    const params = ctx.oidc.params as Record<string, string | undefined>;
    const user = users.find((u) => u.username === params.username);
    if (!user || !sameSecret(user.password, params.password ?? '')) throw new errors.InvalidGrant('invalid username or password');
    const client = ctx.oidc.client!;
    const scope = (params.scope ?? 'openid').split(' ').filter((s) => ['openid', 'profile', 'email', 'groups'].includes(s));
    const grant = new op.Grant({ accountId: user.username, clientId: client.clientId });
    grant.addOIDCScope(scope.join(' '));
    grant.addResourceScope(audience, scope.join(' '));
    const grantId = await grant.save();
    const accessToken = new op.AccessToken({ accountId: user.username, client, grantId, gty: 'password', scope: scope.join(' ') });
    accessToken.resourceServer = new op.ResourceServer(audience, resourceServerInfo(client.clientId));
    ctx.oidc.entity('AccessToken', accessToken);
    const value = await accessToken.save();
    const idToken = new op.IdToken(
      { sub: user.username, preferred_username: user.username, email: user.email, groups: user.groups },
      { ctx, client },
    );
    (idToken as unknown as { scope: string }).scope = scope.join(' ');
    ctx.body = {
      access_token: value,
      id_token: scope.includes('openid') ? await idToken.issue({ use: 'idtoken' }) : undefined,
      expires_in: accessToken.expiration,
      token_type: 'Bearer',
      scope: scope.join(' '),
    };
  }

  function install(): void {
    const next = new Provider(issuer, configuration());
    next.registerGrantType('password', (ctx) => passwordGrant(ctx), ['username', 'password', 'scope']);
    dispatch = next.callback();
  }
  install();

  const discovered = (await (await fetch(`${issuer}/.well-known/openid-configuration`)).json()) as { token_endpoint: string };

  return {
    issuer,
    discoveryUrl: `${issuer}/.well-known/openid-configuration`,
    tokenEndpoint: discovered.token_endpoint,
    audience,
    clients,
    users,
    setKeystoneRedirectUris(uris) {
      keystoneRedirectUris = uris;
      install();
      return Promise.resolve();
    },
    rotateSigningKey({ retire = false } = {}) {
      keys = [...signingKeys(), ...(retire ? [] : keys)];
      install();
      return Promise.resolve();
    },
    async accessToken(client, grant, fields = {}) {
      const res = await fetch(discovered.token_endpoint, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          authorization: `Basic ${Buffer.from(`${client.clientId}:${client.clientSecret}`).toString('base64')}`,
        },
        body: new URLSearchParams({ grant_type: grant, scope: 'openid profile', ...fields }).toString(),
      });
      const body = (await res.json()) as { access_token?: string; error?: string; error_description?: string };
      if (!res.ok || !body.access_token) throw new Error(`the OP refused the ${grant} grant: ${res.status} ${JSON.stringify(body)}`);
      return body.access_token;
    },
    async close() {
      dispatch = undefined;
      server.closeAllConnections();
      await new Promise<void>((resolve) => {
        server.close(() => {
          resolve();
        });
      });
    },
  };
}
