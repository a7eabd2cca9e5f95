/**
 * Federated tokens end when what they were issued through changes, each case through real tokens: a user
 * signs in through a trusted front proxy's headers (the protocol auth endpoint, the mapping, the shadow
 * user), rescopes to a project, and both tokens validate (so the validation memo holds them); then one
 * change made over the API as an operator makes it — the identity provider disabled or deleted, the
 * protocol's mapping changed or the protocol deleted, the mapping changed or deleted, the shadow user
 * disabled or deleted — and both tokens are a 404, while a federated user of another identity provider
 * keeps a valid token. Also: a mapping naming a group that does not exist is a clear 400 (Keystone 22: a
 * 500) and creates no user.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestServer, type TestServer } from '../helpers/test-server.js';
import { adminToken, validateToken } from '../helpers/tokens.js';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const FED = '/v3/OS-FEDERATION';

describe('federated tokens and the changes that end them', () => {
  let server: TestServer;
  let admin: string;
  let groupId: string;
  let projectId: string;
  let bystander: { unscoped: string; scoped: string };

  async function api(method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
    const res = await fetch(`${server.publicUrl}${path}`, {
      method,
      headers: { 'X-Auth-Token': admin, ...(body === undefined ? {} : { 'Content-Type': 'application/json' }), ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, token: res.headers.get('x-subject-token'), body: (text ? JSON.parse(text) : null) as Json };
  }

  const rules = (group: string) => [
    { local: [{ user: { name: '{0}' } }, { group: { id: group } }], remote: [{ type: 'OIDC-preferred_username' }] },
  ];

  /** An enabled IdP `name` with protocol `mapped` through mapping `name-map` (the mapped group: `group`). */
  async function federation(name: string, group = groupId): Promise<void> {
    assert.equal((await api('PUT', `${FED}/mappings/${name}-map`, { mapping: { rules: rules(group) } })).status, 201);
    assert.equal((await api('PUT', `${FED}/identity_providers/${name}`, { identity_provider: { enabled: true } })).status, 201);
    assert.equal(
      (await api('PUT', `${FED}/identity_providers/${name}/protocols/mapped`, { protocol: { mapping_id: `${name}-map` } })).status,
      201,
    );
  }

  function signIn(idp: string, username: string) {
    // no X-Auth-Token: the proxy's headers are the only credentials
    return fetch(`${server.publicUrl}${FED}/identity_providers/${idp}/protocols/mapped/auth`, {
      headers: { 'OIDC-preferred_username': username },
    });
  }

  /** An unscoped federated token and its rescope to the project, both validated once (memoized). */
  async function tokensOf(idp: string, username: string): Promise<{ unscoped: string; scoped: string; userId: string }> {
    const res = await signIn(idp, username);
    const body = (await res.json()) as Json;
    assert.equal(res.status, 201, JSON.stringify(body));
    const unscoped = res.headers.get('x-subject-token') as string;
    const rescoped = await fetch(`${server.publicUrl}/v3/auth/tokens`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ auth: { identity: { methods: ['token'], token: { id: unscoped } }, scope: { project: { id: projectId } } } }),
    });
    const scopedBody = (await rescoped.json()) as Json;
    assert.equal(rescoped.status, 201, JSON.stringify(scopedBody));
    assert.equal(scopedBody.token.user['OS-FEDERATION'].identity_provider.id, idp);
    const scoped = rescoped.headers.get('x-subject-token') as string;
    for (const token of [unscoped, scoped]) assert.equal((await validateToken(server, admin, token)).status, 200);
    return { unscoped, scoped, userId: body.token.user.id as string };
  }

  async function assertEnded(tokens: { unscoped: string; scoped: string }, what: string): Promise<void> {
    for (const [kind, token] of Object.entries(tokens).filter(([k]) => k !== 'userId')) {
      const v = await validateToken(server, admin, token);
      assert.equal(v.status, 404, `${what}: the ${kind} token still validates`);
    }
    for (const token of [bystander.unscoped, bystander.scoped])
      assert.equal((await validateToken(server, admin, token)).status, 200, `${what}: another IdP's user lost a token`);
  }

  before(async () => {
    server = await startTestServer({ config: { federation: { trusted_proxies: ['127.0.0.1'] } } });
    admin = await adminToken(server);
    const { providers } = server;
    groupId = (await providers.identity_api.createGroup({ name: 'revocation-users', domainId: 'default' })).id;
    projectId = (await providers.resource_api.createProject({ name: 'revocation-project', domainId: 'default' })).id;
    const member = (await providers.role_api.listRoles({ name: 'member' }))[0];
    await providers.assignment_api.createGrant(member.id, { groupId }, { projectId });
    await federation('steady');
    bystander = await tokensOf('steady', 'bystander');
  });
  after(() => server?.close());

  test('the identity provider disabled', async () => {
    await federation('idp-off');
    const tokens = await tokensOf('idp-off', 'u-idp-off');
    assert.equal((await api('PATCH', `${FED}/identity_providers/idp-off`, { identity_provider: { enabled: false } })).status, 200);
    await assertEnded(tokens, 'IdP disabled');
    // enabled again: the old tokens stay ended, a new sign-in works
    assert.equal((await api('PATCH', `${FED}/identity_providers/idp-off`, { identity_provider: { enabled: true } })).status, 200);
    await assertEnded(tokens, 'IdP enabled again');
    assert.equal((await signIn('idp-off', 'u-idp-off')).status, 201);
  });

  test('the identity provider deleted', async () => {
    await federation('idp-gone');
    const tokens = await tokensOf('idp-gone', 'u-idp-gone');
    assert.equal((await api('DELETE', `${FED}/identity_providers/idp-gone`)).status, 204);
    await assertEnded(tokens, 'IdP deleted');
  });

  test("the protocol's mapping changed", async () => {
    await federation('proto-upd');
    const tokens = await tokensOf('proto-upd', 'u-proto-upd');
    assert.equal((await api('PUT', `${FED}/mappings/proto-upd-other`, { mapping: { rules: rules(groupId) } })).status, 201);
    const patched = await api('PATCH', `${FED}/identity_providers/proto-upd/protocols/mapped`, {
      protocol: { mapping_id: 'proto-upd-other' },
    });
    assert.equal(patched.status, 200, JSON.stringify(patched.body));
    await assertEnded(tokens, 'protocol updated');
  });

  test('the protocol deleted', async () => {
    await federation('proto-gone');
    const tokens = await tokensOf('proto-gone', 'u-proto-gone');
    assert.equal((await api('DELETE', `${FED}/identity_providers/proto-gone/protocols/mapped`)).status, 204);
    await assertEnded(tokens, 'protocol deleted');
    // and the shadow user's link through it went with it
    assert.deepEqual((await api('GET', `/v3/users/${tokens.userId}`)).body.user.federated, undefined);
  });

  test('the mapping changed', async () => {
    await federation('map-upd');
    const tokens = await tokensOf('map-upd', 'u-map-upd');
    const patched = await api('PATCH', `${FED}/mappings/map-upd-map`, { mapping: { rules: rules(groupId).reverse() } });
    assert.equal(patched.status, 200, JSON.stringify(patched.body));
    await assertEnded(tokens, 'mapping updated');
  });

  test('the mapping deleted', async () => {
    await federation('map-gone');
    const tokens = await tokensOf('map-gone', 'u-map-gone');
    assert.equal((await api('DELETE', `${FED}/mappings/map-gone-map`)).status, 204);
    await assertEnded(tokens, 'mapping deleted');
  });

  test('the shadow user disabled', async () => {
    await federation('user-off');
    const tokens = await tokensOf('user-off', 'u-user-off');
    const shown = await api('GET', `/v3/users/${tokens.userId}`);
    assert.deepEqual(shown.body.user.federated, [{ idp_id: 'user-off', protocols: [{ protocol_id: 'mapped', unique_id: 'u-user-off' }] }]);
    assert.equal((await api('PATCH', `/v3/users/${tokens.userId}`, { user: { enabled: false } })).status, 200);
    await assertEnded(tokens, 'shadow user disabled');
  });

  test('the shadow user deleted', async () => {
    await federation('user-gone');
    const tokens = await tokensOf('user-gone', 'u-user-gone');
    assert.equal((await api('DELETE', `/v3/users/${tokens.userId}`)).status, 204);
    await assertEnded(tokens, 'shadow user deleted');
  });

  test('a mapping naming a group that does not exist: a 400 that says so (Keystone 22: 500), no user created', async () => {
    await federation('no-group', 'f'.repeat(32));
    const users = async () => (await api('GET', `/v3/users?idp_id=no-group`)).body.users as Json[];
    const res = await signIn('no-group', 'u-no-group');
    assert.equal(res.status, 400);
    assert.deepEqual(await res.json(), {
      error: {
        code: 400,
        title: 'Bad Request',
        message: `Group ${'f'.repeat(32)} returned by mapping no-group-map was not found in the backend.`,
      },
    });
    assert.deepEqual(await users(), []);
  });
});
