/**
 * Issue 11, item 1, against a running keystone-all: the v2.0 admin API is
 * authorized by the same policy engine and rules as v3. With a policy file
 * that confines identity:update_user and identity:create_grant to
 * `role:admin and system_scope:all`, a user who is `admin` on one ordinary
 * project is refused (403) on v3 and now on v2.0 too: no reset of the cloud
 * admin's password through PUT /v2.0/users/{id}/OS-KSADM/password, no admin
 * role on the admin project through PUT /v2.0/tenants/{id}/users/{id}/roles/OS-KSADM/{role};
 * the system admin the policy allows still can, on both versions.
 *
 * Then `[DEFAULT] enable_v2_api = false`: every /v2.0 path answers 404 as an
 * unknown path does, on both ports, and version discovery lists v3 only.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startKeystone, type KeystoneProcess } from '../helpers/keystone-process.js';
import type { TestServer } from '../helpers/test-server.js';
import { call, expectStatus, passwordToken, unique } from '../api/identity-resource-fixtures.js';

const at = (url: string) => ({ publicUrl: url }) as TestServer;

/** The bootstrap admin's token by name (v3), scoped as asked. */
async function adminToken(ks: KeystoneProcess, scope: Record<string, unknown>): Promise<string> {
  const res = await fetch(`${ks.publicUrl}/v3/auth/tokens`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({
      auth: {
        identity: { methods: ['password'], password: { user: { name: 'admin', domain: { id: 'default' }, password: ks.adminPassword } } },
        scope,
      },
    }),
  });
  assert.equal(res.status, 201, await res.text());
  return res.headers.get('x-subject-token') as string;
}

describe('item 1: the v2.0 admin API obeys the policy file, as v3 (keystone-all)', () => {
  let ks: KeystoneProcess;
  let dir: string;
  let system: string;
  const ids: Record<string, string> = {};
  const malloryPassword = 'mallory-secret-1';

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'v2-side-door-'));
    const policyFile = join(dir, 'policy.yaml');
    writeFileSync(
      policyFile,
      '"identity:update_user": "role:admin and system_scope:all"\n"identity:create_grant": "role:admin and system_scope:all"\n',
    );
    ks = await startKeystone({ config: { oslo_policy: { policy_file: policyFile } } });
    system = await adminToken(ks, { system: { all: true } });
    const pub = at(ks.publicUrl);
    const get = async (path: string, key: string) =>
      expectStatus(await call(pub, 'GET', path, { token: system }), 200)[key][0].id as string;
    ids.cloudAdmin = await get('/v3/users?name=admin', 'users');
    ids.adminProject = await get('/v3/projects?name=admin', 'projects');
    ids.adminRole = await get('/v3/roles?name=admin', 'roles');
    // an ordinary project, and Mallory, admin on it (and on nothing else)
    ids.ordinary = expectStatus(
      await call(pub, 'POST', '/v3/projects', { token: system, body: { project: { name: unique('ordinary'), domain_id: 'default' } } }),
      201,
    ).project.id;
    ids.mallory = expectStatus(
      await call(pub, 'POST', '/v3/users', {
        token: system,
        body: { user: { name: unique('mallory'), domain_id: 'default', password: malloryPassword } },
      }),
      201,
    ).user.id;
    expectStatus(
      await call(pub, 'PUT', `/v3/projects/${ids.ordinary}/users/${ids.mallory}/roles/${ids.adminRole}`, { token: system }),
      204,
    );
  });
  after(async () => {
    await ks?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test("a project admin cannot reset the cloud admin's password nor make itself admin of the admin project, on v2.0 as on v3", async () => {
    const pub = at(ks.publicUrl);
    const adm = at(ks.adminUrl);
    // Mallory's tokens: v2.0 (POST /v2.0/tokens, scoped to her project) and v3
    const v2 = await call(pub, 'POST', '/v2.0/tokens', {
      body: { auth: { tenantId: ids.ordinary, passwordCredentials: { userId: ids.mallory, password: malloryPassword } } },
    });
    const v2Token = expectStatus(v2, 200).access.token.id as string;
    const v3Token = await passwordToken(pub, ids.mallory, malloryPassword, { projectId: ids.ordinary });

    // v3 refuses both…
    expectStatus(
      await call(pub, 'PATCH', `/v3/users/${ids.cloudAdmin}`, { token: v3Token, body: { user: { password: 'pwned-v3' } } }),
      403,
    );
    expectStatus(
      await call(pub, 'PUT', `/v3/projects/${ids.adminProject}/users/${ids.mallory}/roles/${ids.adminRole}`, { token: v3Token }),
      403,
    );
    // …and so does v2.0, with either token, on the admin port
    for (const token of [v2Token, v3Token]) {
      expectStatus(
        await call(adm, 'PUT', `/v2.0/users/${ids.cloudAdmin}/OS-KSADM/password`, { token, body: { user: { password: 'pwned-v2' } } }),
        403,
        'You are not authorized to perform the requested action: identity:update_user.',
      );
      expectStatus(await call(adm, 'PUT', `/v2.0/users/${ids.cloudAdmin}`, { token, body: { user: { password: 'pwned-v2' } } }), 403);
      expectStatus(
        await call(adm, 'PUT', `/v2.0/tenants/${ids.adminProject}/users/${ids.mallory}/roles/OS-KSADM/${ids.adminRole}`, { token }),
        403,
        'You are not authorized to perform the requested action: identity:create_grant.',
      );
      // the diablo-era paths and roleRefs are held to the same rules
      expectStatus(
        await call(adm, 'PUT', `/v2.0/users/${ids.cloudAdmin}/password`, { token, body: { user: { password: 'pwned-v2' } } }),
        403,
        'You are not authorized to perform the requested action: identity:update_user.',
      );
      expectStatus(
        await call(adm, 'PUT', `/v2.0/users/${ids.cloudAdmin}`, { token, body: { user: { 'OS-KSADM:password': 'pwned-v2' } } }),
        403,
      );
      expectStatus(
        await call(adm, 'POST', `/v2.0/users/${ids.mallory}/roleRefs`, {
          token,
          body: { role: { tenantId: ids.adminProject, roleId: ids.adminRole } },
        }),
        403,
        'You are not authorized to perform the requested action: identity:create_grant.',
      );
      expectStatus(
        await call(adm, 'PUT', `/v2.0/users/${ids.mallory}/tenant`, { token, body: { user: { tenantId: ids.adminProject } } }),
        403,
        'You are not authorized to perform the requested action: identity:update_user.',
      );
    }

    // nothing changed: the cloud admin's password still works, Mallory holds no role on the admin project
    await adminToken(ks, { project: { id: ids.adminProject } });
    assert.deepEqual(
      expectStatus(await call(pub, 'GET', `/v3/projects/${ids.adminProject}/users/${ids.mallory}/roles`, { token: system }), 200).roles,
      [],
    );
    for (const pw of ['pwned-v2', 'pwned-v3']) {
      const res = await call(pub, 'POST', '/v2.0/tokens', {
        body: { auth: { passwordCredentials: { userId: ids.cloudAdmin, password: pw } } },
      });
      assert.equal(res.status, 401, `the cloud admin's password was not reset to ${pw}`);
    }
  });

  test('the system admin the policy allows does the same operations on v2.0 and v3', async () => {
    const pub = at(ks.publicUrl);
    const adm = at(ks.adminUrl);
    const victim = expectStatus(
      await call(pub, 'POST', '/v3/users', {
        token: system,
        body: { user: { name: unique('victim'), domain_id: 'default', password: 'first-secret' } },
      }),
      201,
    ).user.id as string;
    expectStatus(
      await call(adm, 'PUT', `/v2.0/users/${victim}/OS-KSADM/password`, { token: system, body: { user: { password: 'second-secret' } } }),
      200,
    );
    expectStatus(
      await call(adm, 'PUT', `/v2.0/tenants/${ids.ordinary}/users/${victim}/roles/OS-KSADM/${ids.adminRole}`, { token: system }),
      200,
    );
    await passwordToken(pub, victim, 'second-secret', { projectId: ids.ordinary });
    expectStatus(await call(pub, 'PATCH', `/v3/users/${victim}`, { token: system, body: { user: { password: 'third-secret' } } }), 200);
  });

  test('under the same policy, Mallory keeps what the rules the file leaves alone give a project admin (deprecated rules ORed in)', async () => {
    const adm = at(ks.adminUrl);
    const token = await passwordToken(at(ks.publicUrl), ids.mallory, malloryPassword, { projectId: ids.ordinary });
    // identity:get_user is not in the file: Keystone's default ORs in admin_required (role:admin on any project)
    expectStatus(await call(adm, 'GET', `/v2.0/users/${ids.cloudAdmin}`, { token }), 200);
  });
});

describe('[DEFAULT] enable_v2_api = false switches v2.0 off (keystone-all)', () => {
  let ks: KeystoneProcess;

  before(async () => {
    ks = await startKeystone({ config: { DEFAULT: { enable_v2_api: false } } });
  });
  after(async () => {
    await ks?.stop();
  });

  test('every /v2.0 path answers 404 like an unknown path, on both ports', async () => {
    const unknown = await call(at(ks.publicUrl), 'GET', '/no-such-path');
    assert.equal(unknown.status, 404);
    const token = await adminToken(ks, { project: { name: 'admin', domain: { id: 'default' } } });
    const cases: Array<[string, string, string, unknown?]> = [
      [ks.publicUrl, 'GET', '/v2.0'],
      [ks.publicUrl, 'POST', '/v2.0/tokens', { auth: { passwordCredentials: { username: 'admin', password: ks.adminPassword } } }],
      [ks.publicUrl, 'GET', '/v2.0/tenants'],
      [ks.publicUrl, 'POST', '/v2.0/ec2tokens', { credentials: {} }],
      [ks.adminUrl, 'GET', '/v2.0/users'],
      [ks.adminUrl, 'PUT', '/v2.0/users/x/OS-KSADM/password', { user: { password: 'x' } }],
      [ks.adminUrl, 'GET', '/v2.0/tenants'],
      [ks.adminUrl, 'POST', '/v2.0/s3tokens', { credentials: {} }],
      [ks.adminUrl, 'GET', '/v2.0/extensions'],
    ];
    for (const [base, method, path, body] of cases) {
      const res = await call(at(base), method, path, { token, body });
      assert.equal(res.status, 404, `${method} ${base === ks.adminUrl ? 'admin' : 'public'} ${path}: ${res.status}`);
      assert.deepEqual(res.body, unknown.body, `${method} ${path}: the body of an unknown path`);
    }
    // v3 is untouched
    expectStatus(await call(at(ks.adminUrl), 'GET', '/v3/users', { token }), 200);
  });

  test('version discovery lists v3 only', async () => {
    const root = await call(at(ks.publicUrl), 'GET', '/');
    assert.equal(root.status, 300);
    assert.deepEqual(
      root.body.versions.values.map((v: { id: string }) => v.id),
      ['v3.14'],
    );
  });
});
