/**
 * The targets the identity and resource handlers hand to policy are
 * Keystone's (target.user.domain_id, target.project.domain_id,
 * target.group.domain_id, target.domain.id): with a policy file that
 * confines domain administrators to their own domain, a domain admin
 * neither sees nor touches another domain's users, projects or groups.
 * (Keystone 22's default rule for these actions is admin_required, which a
 * domain-scoped admin passes everywhere; its lists are narrowed to the
 * token's domain regardless — see the persona tests.)
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestServer, type TestServer } from '../helpers/test-server.js';
import { databaseKinds } from '../helpers/test-database.js';
import { call, expectStatus, setupPersonas, unique, type Personas } from './identity-resource-fixtures.js';

const SYSTEM_ADMIN = '(role:admin and system_scope:all)';
const rule = (targetDomain: string) => `${SYSTEM_ADMIN} or (role:admin and domain_id:%(${targetDomain})s)`;
const DOMAIN_CONFINED_POLICY = {
  'identity:get_user': `${rule('target.user.domain_id')} or user_id:%(target.user.id)s`,
  'identity:create_user': rule('target.user.domain_id'),
  'identity:update_user': rule('target.user.domain_id'),
  'identity:delete_user': rule('target.user.domain_id'),
  'identity:get_project': `${rule('target.project.domain_id')} or project_id:%(target.project.id)s`,
  'identity:create_project': rule('target.project.domain_id'),
  'identity:update_project': rule('target.project.domain_id'),
  'identity:delete_project': rule('target.project.domain_id'),
  'identity:get_group': rule('target.group.domain_id'),
  'identity:update_group': rule('target.group.domain_id'),
  'identity:delete_group': rule('target.group.domain_id'),
  'identity:add_user_to_group': `${SYSTEM_ADMIN} or (role:admin and domain_id:%(target.group.domain_id)s and domain_id:%(target.user.domain_id)s)`,
  'identity:get_domain': `${SYSTEM_ADMIN} or token.domain.id:%(target.domain.id)s`,
};

for (const kind of databaseKinds()) {
  describe(`policy targets of the identity and resource APIs (${kind})`, () => {
    let server: TestServer;
    let p: Personas;
    let dir: string;
    before(async () => {
      dir = mkdtempSync(join(tmpdir(), 'keystone-policy-'));
      const file = join(dir, 'policy.json');
      writeFileSync(file, JSON.stringify(DOMAIN_CONFINED_POLICY));
      server = await startTestServer({ database: kind, config: { oslo_policy: { policy_file: file } } });
      p = await setupPersonas(server);
    });
    after(async () => {
      await server?.close();
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    test("users: a domain admin manages its own domain's users and is refused another domain's", async () => {
      const a = p.domainAAdmin.token;
      const inA = expectStatus(
        await call(server, 'POST', '/v3/users', { token: a, body: { user: { name: unique('a'), domain_id: p.domainA } } }),
        201,
      ).user;
      expectStatus(await call(server, 'POST', '/v3/users', { token: a, body: { user: { name: unique('b'), domain_id: p.domainB } } }), 403);
      expectStatus(await call(server, 'GET', `/v3/users/${inA.id}`, { token: a }), 200);
      expectStatus(await call(server, 'PATCH', `/v3/users/${inA.id}`, { token: a, body: { user: { description: 'mine' } } }), 200);
      const b = p.domainBAdmin.token;
      expectStatus(await call(server, 'GET', `/v3/users/${inA.id}`, { token: b }), 403);
      expectStatus(await call(server, 'PATCH', `/v3/users/${inA.id}`, { token: b, body: { user: { description: 'theirs' } } }), 403);
      expectStatus(await call(server, 'DELETE', `/v3/users/${inA.id}`, { token: b }), 403);
      // The refusal does not tell whether the user exists.
      expectStatus(await call(server, 'GET', '/v3/users/no-such-user', { token: b }), 403);
      expectStatus(await call(server, 'DELETE', `/v3/users/${inA.id}`, { token: a }), 204);
    });

    test('projects: the same, with target.project.domain_id', async () => {
      const a = p.domainAAdmin.token;
      const b = p.domainBAdmin.token;
      const prj = expectStatus(
        await call(server, 'POST', '/v3/projects', { token: a, body: { project: { name: unique('pa'), domain_id: p.domainA } } }),
        201,
      ).project;
      expectStatus(
        await call(server, 'POST', '/v3/projects', { token: a, body: { project: { name: unique('pb'), domain_id: p.domainB } } }),
        403,
      );
      expectStatus(await call(server, 'GET', `/v3/projects/${prj.id}`, { token: b }), 403);
      expectStatus(await call(server, 'PATCH', `/v3/projects/${prj.id}`, { token: b, body: { project: { description: 'x' } } }), 403);
      expectStatus(await call(server, 'DELETE', `/v3/projects/${prj.id}`, { token: b }), 403);
      expectStatus(await call(server, 'GET', `/v3/projects/${prj.id}`, { token: a }), 200);
      expectStatus(await call(server, 'DELETE', `/v3/projects/${prj.id}`, { token: a }), 204);
      expectStatus(await call(server, 'GET', `/v3/projects/${p.projectA}`, { token: p.projectAMember.token }), 200);
    });

    test('groups and memberships: target.group.domain_id and target.user.domain_id', async () => {
      const a = p.domainAAdmin.token;
      const b = p.domainBAdmin.token;
      const group = expectStatus(
        await call(server, 'POST', '/v3/groups', {
          token: p.systemAdmin.token,
          body: { group: { name: unique('ga'), domain_id: p.domainA } },
        }),
        201,
      ).group;
      expectStatus(await call(server, 'GET', `/v3/groups/${group.id}`, { token: a }), 200);
      expectStatus(await call(server, 'GET', `/v3/groups/${group.id}`, { token: b }), 403);
      expectStatus(await call(server, 'PUT', `/v3/groups/${group.id}/users/${p.projectAMember.userId}`, { token: a }), 204);
      expectStatus(await call(server, 'PUT', `/v3/groups/${group.id}/users/${p.domainBAdmin.userId}`, { token: a }), 403);
      expectStatus(await call(server, 'DELETE', `/v3/groups/${group.id}`, { token: b }), 403);
      expectStatus(await call(server, 'DELETE', `/v3/groups/${group.id}`, { token: a }), 204);
    });

    test('domains: target.domain.id', async () => {
      expectStatus(await call(server, 'GET', `/v3/domains/${p.domainA}`, { token: p.domainAAdmin.token }), 200);
      expectStatus(await call(server, 'GET', `/v3/domains/${p.domainA}`, { token: p.domainBAdmin.token }), 403);
      assert.ok(p.domainB);
    });
  });
}
