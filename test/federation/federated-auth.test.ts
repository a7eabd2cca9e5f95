/**
 * Federated sign-in through the protocol auth endpoint and the mapped method, with the real OpenID
 * Provider of test/helpers/oidc-provider.ts: native bearer validation, the mapping applied, the shadow
 * user (Keystone's sha256 id in the IdP's domain, display name, expiring group memberships), projects
 * provisioned with their roles, the federated token as Keystone renders and validates it (OS-FEDERATION,
 * roles from the mapped groups), GET /v3/auth/projects and its OS-FEDERATION alias, rescoping through
 * the token method, a front proxy's headers, the IdP disabled, and hostile tokens refused with nothing
 * created.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { startTestServer, type TestServer } from '../helpers/test-server.js';
import { adminToken } from '../helpers/tokens.js';
import { startOpenIdProvider, type TestOpenIdProvider } from '../helpers/oidc-provider.js';

let server: TestServer;
let op: TestOpenIdProvider;
let admin: string;
let groupId: string;
let projectId: string;
let idpDomainId: string;
const IDP = 'myidp';

interface Answer {
  status: number;
  token: string | null;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  body: any;
}

async function call(method: string, path: string, headers: Record<string, string> = {}, body?: unknown): Promise<Answer> {
  const res = await fetch(`${server.publicUrl}${path}`, {
    method,
    headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, token: res.headers.get('x-subject-token'), body: text ? (JSON.parse(text) as unknown) : undefined };
}

function federatedAuth(bearer: string, protocol = 'openid'): Promise<Answer> {
  return call('POST', `/v3/OS-FEDERATION/identity_providers/${IDP}/protocols/${protocol}/auth`, { authorization: `Bearer ${bearer}` });
}

async function federatedUserCount(): Promise<number> {
  return Number((await server.db.one<{ n: string }>('SELECT count(*) AS n FROM federated_user')).n);
}

before(async () => {
  op = await startOpenIdProvider();
  server = await startTestServer({
    config: {
      auth: { methods: ['password', 'token', 'openid', 'mapped', 'application_credential'] },
      openid: {
        remote_id_attribute: 'HTTP_OIDC_ISS',
        audience: [op.audience],
        introspection_client_id: op.clients.keystone.clientId,
        introspection_client_secret: op.clients.keystone.clientSecret,
      },
      // this process is the front proxy too: requests without a bearer token carry its headers
      federation: { trusted_proxies: ['127.0.0.1'] },
    },
  });
  admin = await adminToken(server);
  const { providers } = server;
  const group = await providers.identity_api.createGroup({ name: 'cloud-users', domainId: 'default' });
  groupId = group.id;
  const project = await providers.resource_api.createProject({ name: 'fed-project', domainId: 'default' });
  projectId = project.id;
  const member = (await providers.role_api.listRoles({ name: 'member' }))[0];
  await providers.assignment_api.createGrant(member.id, { groupId }, { projectId });
  const idp = await providers.federation_api.createIdentityProvider(IDP, { remote_ids: [op.issuer], enabled: true });
  idpDomainId = idp.domain_id;
  await providers.federation_api.createMapping('oidc-mapping', {
    rules: [
      {
        local: [{ user: { name: '{0}', email: '{1}' } }, { group: { id: groupId } }],
        remote: [{ type: 'OIDC-preferred_username' }, { type: 'OIDC-email' }],
      },
      {
        local: [{ projects: [{ name: 'sandbox-{0}', roles: [{ name: 'member' }] }] }],
        remote: [{ type: 'OIDC-preferred_username' }, { type: 'OIDC-groups', any_one_of: ['admins'] }],
      },
    ],
  });
  await providers.federation_api.createProtocol(IDP, 'openid', { mapping_id: 'oidc-mapping' });
});

after(async () => {
  await server?.close();
  await op?.close();
});

test('a bearer access token signs in: an unscoped federated token, the shadow user created', async () => {
  const bearer = await op.accessToken(op.clients.cli, 'password', { username: 'alice', password: 'alice-secret', scope: 'openid profile' });
  const r = await federatedAuth(bearer);
  assert.equal(r.status, 201, JSON.stringify(r.body));
  assert.ok(r.token);
  const user = r.body.token.user;
  const expectedId = createHash('sha256').update(idpDomainId).update('user').update('alice').digest('hex');
  assert.equal(user.id, expectedId);
  assert.equal(user.name, 'alice');
  assert.equal(user.domain.id, idpDomainId);
  assert.deepEqual(user['OS-FEDERATION'], { groups: [{ id: groupId }], identity_provider: { id: IDP }, protocol: { id: 'openid' } });
  assert.equal('password_expires_at' in user, false);
  assert.deepEqual(r.body.token.methods, ['openid']);
  assert.equal(r.body.token.project, undefined);
  // Keystone validates it to the same body
  const v = await call('GET', '/v3/auth/tokens', { 'x-auth-token': admin, 'x-subject-token': r.token });
  assert.equal(v.status, 200);
  assert.deepEqual(v.body.token.user, user);
  // the shadow user: stored with its email, the expiring membership of the mapped group
  const shadow = await server.providers.identity_api.getUser(expectedId);
  assert.equal(shadow.extra.email, 'alice@example.test');
  assert.equal(shadow.isLocal, false);
  const links = await server.db.any('SELECT idp_id, protocol_id, unique_id, display_name FROM federated_user WHERE user_id = $1', [
    expectedId,
  ]);
  assert.deepEqual(links, [{ idp_id: IDP, protocol_id: 'openid', unique_id: 'alice', display_name: 'alice' }]);
  const memberships = await server.db.any('SELECT group_id FROM expiring_user_group_membership WHERE user_id = $1', [expectedId]);
  assert.deepEqual(memberships, [{ group_id: groupId }]);
  // alice is in `admins`: her sandbox project was provisioned with the member role
  const sandbox = await server.providers.resource_api.findProjectByName('sandbox-alice', idpDomainId);
  assert.ok(sandbox);
  // a second sign-in is the same user
  const again = await federatedAuth(await op.accessToken(op.clients.cli, 'password', { username: 'alice', password: 'alice-secret' }));
  assert.equal(again.status, 201);
  assert.equal(again.body.token.user.id, expectedId);
});

test('the federated token lists its scopes (auth/projects and OS-FEDERATION/projects) and rescopes to a project with the group roles', async () => {
  const bearer = await op.accessToken(op.clients.cli, 'password', { username: 'bob', password: 'bob-secret' });
  const unscoped = await federatedAuth(bearer);
  assert.equal(unscoped.status, 201, JSON.stringify(unscoped.body));
  const token = unscoped.token as string;
  for (const path of ['/v3/auth/projects', '/v3/OS-FEDERATION/projects']) {
    const listed = await call('GET', path, { 'x-auth-token': token });
    assert.equal(listed.status, 200, JSON.stringify(listed.body));
    assert.deepEqual(
      listed.body.projects.map((p: { id: string }) => p.id),
      [projectId],
    );
  }
  const scoped = await call(
    'POST',
    '/v3/auth/tokens',
    {},
    { auth: { identity: { methods: ['token'], token: { id: token } }, scope: { project: { id: projectId } } } },
  );
  assert.equal(scoped.status, 201, JSON.stringify(scoped.body));
  const body = scoped.body.token;
  assert.equal(body.project.id, projectId);
  // the group's member role, and reader, which member implies (bootstrap's roles)
  assert.deepEqual(body.roles.map((r: { name: string }) => r.name).sort(), ['member', 'reader']);
  assert.deepEqual(body.user['OS-FEDERATION'].groups, [{ id: groupId }]);
  // as the Fernet payload lists them: highest [auth] methods bit first
  assert.deepEqual(body.methods, ['openid', 'token']);
  assert.equal(body.expires_at, unscoped.body.token.expires_at);
  const v = await call('GET', '/v3/auth/tokens', { 'x-auth-token': admin, 'x-subject-token': scoped.token as string });
  assert.equal(v.status, 200);
  assert.equal(v.body.token.project.id, projectId);
  // the mapped method takes the token too ({id}), as Keystone's mapped plugin does
  const viaMapped = await call(
    'POST',
    '/v3/auth/tokens',
    {},
    { auth: { identity: { methods: ['mapped'], mapped: { id: token } }, scope: { project: { id: projectId } } } },
  );
  assert.equal(viaMapped.status, 201, JSON.stringify(viaMapped.body));
});

test('an opaque access token is introspected and signs in', async () => {
  const bearer = await op.accessToken(op.clients.opaque, 'password', { username: 'bob', password: 'bob-secret' });
  await server.providers.federation_api.createMapping('opaque-mapping', {
    rules: [{ local: [{ user: { name: '{0}' } }, { group: { id: groupId } }], remote: [{ type: 'OIDC-sub' }] }],
  });
  await server.providers.federation_api.createProtocol(IDP, 'mapped', { mapping_id: 'opaque-mapping' });
  const r = await federatedAuth(bearer, 'mapped');
  assert.equal(r.status, 201, JSON.stringify(r.body));
  assert.equal(r.body.token.user.name, 'bob');
  assert.equal(r.body.token.user['OS-FEDERATION'].protocol.id, 'mapped');
  // the same identity through another protocol of the IdP: the same user (Keystone's id), linked twice
  const links = await server.db.any('SELECT protocol_id FROM federated_user WHERE user_id = $1 ORDER BY protocol_id', [
    r.body.token.user.id,
  ]);
  assert.deepEqual(links, [{ protocol_id: 'mapped' }, { protocol_id: 'openid' }]);
});

test('hostile bearer tokens: 401, and no user created', async () => {
  const before = await federatedUserCount();
  const good = await op.accessToken(op.clients.cli, 'password', { username: 'bob', password: 'bob-secret' });
  const [h, p, s] = good.split('.');
  const header = JSON.parse(Buffer.from(h, 'base64url').toString()) as Record<string, unknown>;
  const claims = JSON.parse(Buffer.from(p, 'base64url').toString()) as Record<string, unknown>;
  const enc = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const hostile = [
    `${enc({ ...header, alg: 'none' })}.${enc({ ...claims, preferred_username: 'mallory' })}.`,
    `${enc({ ...header, kid: 'unknown-kid' })}.${p}.${s}`,
    `${h}.${enc({ ...claims, preferred_username: 'mallory' })}.${s}`,
    `${h}.${enc({ ...claims, exp: Math.floor(Date.now() / 1000) - 3600 })}.${s}`,
    'opaque-but-unknown',
  ];
  for (const token of hostile) {
    const r = await federatedAuth(token);
    assert.equal(r.status, 401, `${token.slice(0, 40)}: ${JSON.stringify(r.body)}`);
    assert.equal(r.body.error.code, 401);
  }
  // no bearer at all, and a token of another audience
  assert.equal((await call('POST', `/v3/OS-FEDERATION/identity_providers/${IDP}/protocols/openid/auth`)).status, 401);
  const other = await startOpenIdProvider({ audience: 'https://elsewhere.example.test' });
  try {
    await server.providers.federation_api.updateIdentityProvider(IDP, { remote_ids: [op.issuer, other.issuer] });
    const r = await federatedAuth(await other.accessToken(other.clients.cli, 'client_credentials'));
    assert.equal(r.status, 401, JSON.stringify(r.body));
  } finally {
    await server.providers.federation_api.updateIdentityProvider(IDP, { remote_ids: [op.issuer] });
    await other.close();
  }
  assert.equal(await federatedUserCount(), before);
});

test('an unknown IdP or protocol: 404; a disabled IdP: 403 to sign in, and its federated tokens stop validating', async () => {
  const bearer = await op.accessToken(op.clients.cli, 'password', { username: 'alice', password: 'alice-secret' });
  assert.equal(
    (await call('POST', `/v3/OS-FEDERATION/identity_providers/nope/protocols/openid/auth`, { authorization: `Bearer ${bearer}` })).status,
    404,
  );
  assert.equal((await federatedAuth(bearer, 'saml2')).status, 401, 'saml2 is not an enabled method');
  const signedIn = await federatedAuth(bearer);
  assert.equal(signedIn.status, 201);
  await server.providers.federation_api.updateIdentityProvider(IDP, { enabled: false });
  try {
    const refused = await federatedAuth(bearer);
    assert.equal(refused.status, 403, JSON.stringify(refused.body));
    const v = await call('GET', '/v3/auth/tokens', { 'x-auth-token': admin, 'x-subject-token': signedIn.token as string });
    assert.equal(v.status, 404);
  } finally {
    await server.providers.federation_api.updateIdentityProvider(IDP, { enabled: true });
  }
});

test("a trusted front proxy's headers are the assertion; the IdP's identifier is checked against its remote ids", async () => {
  const path = `/v3/OS-FEDERATION/identity_providers/${IDP}/protocols/openid/auth`;
  const headers = { 'OIDC-preferred_username': 'carol', 'OIDC-email': 'carol@example.test', 'OIDC-iss': op.issuer };
  const r = await call('GET', path, headers);
  assert.equal(r.status, 201, JSON.stringify(r.body));
  assert.equal(r.body.token.user.name, 'carol');
  assert.deepEqual(r.body.token.user['OS-FEDERATION'].groups, [{ id: groupId }]);
  const before = await federatedUserCount();
  const wrong = await call('GET', path, { ...headers, 'OIDC-preferred_username': 'dave', 'OIDC-iss': 'https://evil.example.test' });
  assert.equal(wrong.status, 403, JSON.stringify(wrong.body));
  const missing = await call('GET', path, { 'OIDC-preferred_username': 'dave', 'OIDC-email': 'dave@example.test' });
  assert.equal(missing.status, 401, JSON.stringify(missing.body));
  // the mapped method of POST /v3/auth/tokens reads the same assertion
  const viaMethod = await call('POST', '/v3/auth/tokens', headers, {
    auth: { identity: { methods: ['mapped'], mapped: { identity_provider: IDP, protocol: 'openid' } } },
  });
  assert.equal(viaMethod.status, 201, JSON.stringify(viaMethod.body));
  assert.equal(viaMethod.body.token.user.id, r.body.token.user.id);
  assert.equal(await federatedUserCount(), before);
});
