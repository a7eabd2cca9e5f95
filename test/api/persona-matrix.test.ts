/**
 * Each persona of Keystone's default policy against each resource, as a
 * table: system admin, system reader, domain admin and reader (domain A),
 * project admin (the bootstrap admin on the admin project), project member
 * and reader (a project of domain A), and a user with no role (unscoped).
 *
 * First under Keystone 22's shipped configuration ([oslo_policy]
 * enforce_scope = false, enforce_new_defaults = false: each new default is
 * OR-ed with its deprecated rule, so the admin role anywhere passes
 * rule:admin_required), then with both options on, where a domain-scoped
 * token is refused the rules whose scope_types leave domains out.
 * The table (persona-matrix-table.ts) holds the real Keystone 22's answers:
 * it was run against one (../shared/anchors/keystone, both configurations)
 * and agreed everywhere; test/rbac/keystone-defaults.test.ts compares the
 * rules themselves with Keystone's, rule by rule.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestServer, type TestServer } from '../helpers/test-server.js';
import { databaseKinds } from '../helpers/test-database.js';
import { call, expectStatus, setupPersonas, unique } from './identity-resource-fixtures.js';
import { runTable, SHIPPED, STRICT, type World } from './persona-matrix-table.js';

async function makeWorld(server: TestServer): Promise<World> {
  const p = await setupPersonas(server);
  const admin = p.systemAdmin.token;
  const groupA = expectStatus(
    await call(server, 'POST', '/v3/groups', { token: admin, body: { group: { name: unique('pm-ga'), domain_id: p.domainA } } }),
    201,
  ).group.id;
  const spareUserA = expectStatus(
    await call(server, 'POST', '/v3/users', { token: admin, body: { user: { name: unique('pm-spare'), domain_id: p.domainA } } }),
    201,
  ).user.id;
  const memberCredential = expectStatus(
    await call(server, 'POST', '/v3/credentials', {
      token: admin,
      body: { credential: { type: 'cert', user_id: p.projectAMember.userId, blob: unique('blob') } },
    }),
    201,
  ).credential.id;
  return {
    p,
    groupA,
    spareUserA,
    memberCredential,
    memberRoleId: server.bootstrap.memberRoleId,
    readerRoleId: server.bootstrap.readerRoleId,
  };
}

for (const kind of databaseKinds()) {
  describe(`personas × resources under Keystone 22's default policy (${kind})`, () => {
    let server: TestServer;
    let w: World;
    before(async () => {
      server = await startTestServer({ database: kind });
      w = await makeWorld(server);
    });
    after(async () => {
      await server?.close();
    });

    test('as shipped: enforce_scope and enforce_new_defaults off', async () => {
      assert.deepEqual(await runTable(server, w, SHIPPED), []);
    });

    test('without a token every row is 401', async () => {
      for (const row of SHIPPED) {
        const res = await call(server, row.method, row.path(w, 'noRole'), { body: row.body?.(w, 'noRole') });
        assert.equal(res.status, 401, `${row.what}: ${res.status}`);
      }
    });
  });

  describe(`personas × resources with enforce_scope and enforce_new_defaults (${kind})`, () => {
    let server: TestServer;
    let w: World;
    before(async () => {
      server = await startTestServer({ database: kind, config: { oslo_policy: { enforce_scope: true, enforce_new_defaults: true } } });
      w = await makeWorld(server);
    });
    after(async () => {
      await server?.close();
    });

    test("a token outside a rule's scope_types is refused", async () => {
      assert.deepEqual(await runTable(server, w, STRICT), []);
    });
  });
}
