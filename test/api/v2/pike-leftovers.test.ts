/**
 * The v2.0 operations of Keystone Pike that were missing: token validation,
 * check, revocation and endpoints on the public port (same rules as on the
 * admin port), the diablo paths /users/{id}/password and /tenant, the
 * `OS-KSADM:password` alias, roleRefs, the unimplemented global user roles
 * (501 as Pike), the implicit member role of a default tenant
 * ([DEFAULT] member_role_id / member_role_name, `_member_`, created when
 * missing) and the PKI certificates (410 as Keystone 22's OS-SIMPLE-CERT).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestServer, type TestServer } from '../../helpers/test-server.js';
import { expect, v2call, v2Token } from './v2-helpers.js';

const MEMBER_ROLE_ID = '9fe2ff9ee4384b1894a90878d3e92bab';
const GONE = {
  error: { code: 410, message: 'This API is no longer available due to the removal of support for PKI tokens.', title: 'Gone' },
};

describe('v2.0: what Keystone Pike served and we lacked', () => {
  let server: TestServer;
  let token: string;
  let n = 0;
  const name = (prefix: string) => `${prefix}-${process.pid}-${++n}`;
  before(async () => {
    server = await startTestServer();
    token = (await v2Token(server, 'admin', server.adminPassword, 'admin')).token.id;
  });
  after(async () => {
    await server?.close();
  });
  const admin = (method: string, path: string, body?: unknown) => v2call(server, method, path, { admin: true, token, body });
  const newTenant = async () =>
    expect(await admin('POST', '/v2.0/tenants', { tenant: { name: name('t'), enabled: true } }), 200).json.tenant;
  const newUser = async (extra: Record<string, unknown> = {}) =>
    expect(await admin('POST', '/v2.0/users', { user: { name: name('u'), password: 'secret-1', enabled: true, ...extra } }), 200).json.user;
  const rolesOn = async (tenantId: string, userId: string) =>
    (expect(await admin('GET', `/v2.0/tenants/${tenantId}/users/${userId}/roles`), 200).json.roles as { id: string; name: string }[])
      .map((r) => r.name)
      .sort();

  test('a user created with a tenantId gets _member_ there (created when missing); the member role can be added after', async () => {
    assert.equal(await server.providers.role_api.findRole(MEMBER_ROLE_ID), null, 'bootstrap does not create _member_');
    const tenant = await newTenant();
    const user = await newUser({ tenantId: tenant.id });
    const created = await server.providers.role_api.getRole(MEMBER_ROLE_ID);
    assert.equal(created.name, '_member_');
    assert.deepEqual(await rolesOn(tenant.id, user.id), ['_member_']);
    // adding Keystone 22's `member` role afterwards is no conflict: it is another role
    const member = await server.providers.role_api.findRoleByName('member');
    assert.ok(member);
    expect(await admin('PUT', `/v2.0/tenants/${tenant.id}/users/${user.id}/roles/OS-KSADM/${member.id}`), 200);
    // (member implies reader in Keystone 22's bootstrap)
    assert.deepEqual(await rolesOn(tenant.id, user.id), ['_member_', 'member', 'reader']);
    // a second user reuses the role
    const other = await newUser({ tenantId: tenant.id });
    assert.deepEqual(await rolesOn(tenant.id, other.id), ['_member_']);
    // the membership is a real grant: a token for the tenant
    const access = await v2Token(server, other.name as string, 'secret-1', tenant.name as string);
    assert.deepEqual(
      access.user.roles.map((r: { name: string }) => r.name),
      ['_member_'],
    );
  });

  test('a new default tenant (PUT /users/{id}, /OS-KSADM/tenant, /tenant) moves _member_ from the former one', async () => {
    const [first, second, third] = [await newTenant(), await newTenant(), await newTenant()];
    const user = await newUser({ tenantId: first.id });
    const moved = expect(await admin('PUT', `/v2.0/users/${user.id}/tenant`, { user: { tenantId: second.id } }), 200).json.user;
    assert.equal(moved.tenantId, second.id);
    assert.deepEqual(await rolesOn(first.id, user.id), []);
    assert.deepEqual(await rolesOn(second.id, user.id), ['_member_']);
    expect(await admin('PUT', `/v2.0/users/${user.id}/OS-KSADM/tenant`, { user: { tenantId: third.id } }), 200);
    assert.deepEqual(await rolesOn(second.id, user.id), []);
    assert.deepEqual(await rolesOn(third.id, user.id), ['_member_']);
    // a former tenant where the role was already taken away: not an error
    expect(await admin('DELETE', `/v2.0/tenants/${third.id}/users/${user.id}/roles/OS-KSADM/${MEMBER_ROLE_ID}`), 204);
    expect(await admin('PUT', `/v2.0/users/${user.id}`, { user: { tenantId: first.id } }), 200);
    assert.deepEqual(await rolesOn(first.id, user.id), ['_member_']);
    // an unknown tenant: 404, nothing changed
    expect(await admin('PUT', `/v2.0/users/${user.id}/tenant`, { user: { tenantId: 'nope' } }), 404);
    assert.equal(expect(await admin('GET', `/v2.0/users/${user.id}`), 200).json.user.tenantId, first.id);
  });

  test('PUT /v2.0/users/{id}/password (diablo) and the OS-KSADM:password alias', async () => {
    const user = await newUser();
    expect(await admin('PUT', `/v2.0/users/${user.id}/password`, { user: { password: 'secret-2' } }), 200);
    await v2Token(server, user.name as string, 'secret-2');
    expect(await admin('PUT', `/v2.0/users/${user.id}/OS-KSADM/password`, { user: { 'OS-KSADM:password': 'secret-3' } }), 200);
    await v2Token(server, user.name as string, 'secret-3');
    expect(
      await v2call(server, 'POST', '/v2.0/tokens', {
        body: { auth: { passwordCredentials: { username: user.name, password: 'secret-2' } } },
      }),
      401,
    );
    const aliased = expect(await admin('POST', '/v2.0/users', { user: { name: name('u'), 'OS-KSADM:password': 'alias-1' } }), 200).json
      .user;
    assert.equal(aliased['OS-KSADM:password'], undefined);
    await v2Token(server, aliased.name as string, 'alias-1');
    expect(await admin('PUT', `/v2.0/users/${user.id}/password`, { user: {} }), 400);
    expect(await admin('PUT', `/v2.0/users/nope/password`, { user: { password: 'x' } }), 404);
  });

  test('roleRefs: list, create, delete, as Keystone Pike encodes them', async () => {
    const tenant = await newTenant();
    const user = await newUser({ tenantId: tenant.id });
    const role = expect(await admin('POST', '/v2.0/OS-KSADM/roles', { role: { name: name('r') } }), 200).json.role;
    const created = expect(await admin('POST', `/v2.0/users/${user.id}/roleRefs`, { role: { tenantId: tenant.id, roleId: role.id } }), 200)
      .json.role;
    assert.equal(created.id, role.id);
    assert.equal(created.name, role.name);
    expect(await admin('POST', `/v2.0/users/${user.id}/roleRefs`, { role: { tenantId: tenant.id, roleId: role.id } }), 409);
    const refs = expect(await admin('GET', `/v2.0/users/${user.id}/roleRefs`), 200).json.roles as Record<string, string>[];
    const mine = refs.filter((r) => r.tenantId === tenant.id).sort((a, b) => a.roleId.localeCompare(b.roleId));
    const expected = [MEMBER_ROLE_ID, role.id as string].sort().map((roleId) => ({
      roleId,
      tenantId: tenant.id as string,
      userId: user.id as string,
      id: `roleId=${roleId}&tenantId=${tenant.id}&userId=${user.id}`,
    }));
    assert.deepEqual(mine, expected);
    const ref = mine.find((r) => r.roleId === role.id) as Record<string, string>;
    expect(await admin('DELETE', `/v2.0/users/${user.id}/roleRefs/${encodeURIComponent(ref.id)}`), 204);
    assert.deepEqual(await rolesOn(tenant.id, user.id), ['_member_']);
    expect(await admin('DELETE', `/v2.0/users/${user.id}/roleRefs/${encodeURIComponent(ref.id)}`), 404);
    expect(await admin('POST', `/v2.0/users/${user.id}/roleRefs`, { role: { tenantId: 'nope', roleId: role.id } }), 404);
    expect(await admin('POST', `/v2.0/users/${user.id}/roleRefs`, { role: { tenantId: tenant.id, roleId: 'nope' } }), 404);
    expect(await admin('POST', `/v2.0/users/${user.id}/roleRefs`, { role: { tenantId: tenant.id } }), 400);
    expect(await admin('GET', '/v2.0/users/nope/roleRefs'), 404);
  });

  test('global user roles: 501 as in Pike, once the caller is allowed', async () => {
    const user = await newUser();
    const message = 'User roles not supported: tenant_id required';
    for (const [method, path] of [
      ['GET', `/v2.0/users/${user.id}/roles`],
      ['PUT', `/v2.0/users/${user.id}/roles/OS-KSADM/${MEMBER_ROLE_ID}`],
      ['DELETE', `/v2.0/users/${user.id}/roles/OS-KSADM/${MEMBER_ROLE_ID}`],
    ]) {
      const res = expect(await admin(method, path), 501);
      assert.deepEqual(res.json, { error: { code: 501, message, title: 'Not Implemented' } });
      expect(await v2call(server, method, path, { admin: true }), 401);
    }
    const plain = await v2Token(server, user.name as string, 'secret-1');
    expect(await v2call(server, 'GET', `/v2.0/users/${user.id}/roles`, { admin: true, token: plain.token.id }), 403);
  });

  test('tokens on the public port: validate, HEAD, endpoints, revoke, under the same rules', async () => {
    const tenant = await newTenant();
    const user = await newUser({ tenantId: tenant.id });
    const access = await v2Token(server, user.name as string, 'secret-1', tenant.name as string);
    const id = access.token.id as string;
    const pub = (method: string, path: string, as?: string) => v2call(server, method, path, { token: as });
    const shown = expect(await pub('GET', `/v2.0/tokens/${id}`, token), 200).json.access;
    assert.equal(shown.token.id, id);
    assert.equal(shown.token.tenant.id, tenant.id);
    assert.equal(shown.user.id, user.id);
    expect(await pub('HEAD', `/v2.0/tokens/${id}`, token), 200);
    expect(await pub('GET', `/v2.0/tokens/${id}?belongsTo=${tenant.id}`, token), 200);
    expect(await pub('GET', `/v2.0/tokens/${id}?belongsTo=other`, token), 401);
    expect(await pub('GET', `/v2.0/tokens/${id}/endpoints`, token), 200);
    // the user may validate their own token, not the admin's; nobody without a token
    expect(await pub('GET', `/v2.0/tokens/${id}`, id), 200);
    expect(await pub('GET', `/v2.0/tokens/${token}`, id), 403);
    expect(await pub('DELETE', `/v2.0/tokens/${token}`, id), 403);
    expect(await pub('GET', `/v2.0/tokens/${id}`), 401);
    expect(await pub('GET', '/v2.0/tokens/not-a-token', token), 404);
    // revoked on the public port: gone everywhere
    expect(await pub('DELETE', `/v2.0/tokens/${id}`, token), 204);
    expect(await pub('GET', `/v2.0/tokens/${id}`, token), 404);
    expect(await v2call(server, 'GET', `/v2.0/tokens/${id}`, { admin: true, token }), 404);
    // the admin's token still works
    expect(await pub('GET', `/v2.0/tokens/${token}`, token), 200);
  });

  test('/v2.0/certificates/ca and /signing: 410 Gone on both ports, to anyone', async () => {
    for (const admin of [false, true]) {
      for (const path of ['/v2.0/certificates/ca', '/v2.0/certificates/signing']) {
        const res = expect(await v2call(server, 'GET', path, { admin }), 410);
        assert.deepEqual(res.json, GONE);
        expect(await v2call(server, 'HEAD', path, { admin }), 410);
        expect(await v2call(server, 'GET', path, { admin, token }), 410);
      }
    }
  });
});

describe('v2.0: [DEFAULT] member_role_id and member_role_name choose the implicit role', () => {
  let server: TestServer;
  after(async () => {
    await server?.close();
  });

  test('a configured id and name are used, and created when missing', async () => {
    server = await startTestServer({ config: { DEFAULT: { member_role_id: 'tenant-member-role', member_role_name: 'tenant_member' } } });
    const token = (await v2Token(server, 'admin', server.adminPassword, 'admin')).token.id;
    const admin = (method: string, path: string, body?: unknown) => v2call(server, method, path, { admin: true, token, body });
    const tenant = expect(await admin('POST', '/v2.0/tenants', { tenant: { name: 'configured' } }), 200).json.tenant;
    const user = expect(await admin('POST', '/v2.0/users', { user: { name: 'configured-user', tenantId: tenant.id } }), 200).json.user;
    const roles = expect(await admin('GET', `/v2.0/tenants/${tenant.id}/users/${user.id}/roles`), 200).json.roles;
    assert.deepEqual(
      roles.map((r: { id: string; name: string }) => [r.id, r.name]),
      [['tenant-member-role', 'tenant_member']],
    );
  });
});
