/**
 * Who may do what on roles, grants, role assignments, the catalog and
 * policies, under Keystone 22's default rules (enforce_scope and
 * enforce_new_defaults off): the system admin and reader, the admin and
 * reader of a domain (on their own domain and another one), project admin,
 * member and reader, a user with no role, and no token at all. Then, with a
 * policy file that confines domain administrators to their domain (the new
 * defaults without the deprecated admin_required), the targets the grant
 * handlers build (target.user/group, target.project/domain, target.role)
 * keep a domain admin out of another domain's grants.
 *
 * Rules that only the src/rbac enforcer decides (readers, empty rules,
 * target matching) are skipped until it is installed; what the interim
 * rules of authorize() already decide the same way always runs.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestServer, type TestServer } from '../helpers/test-server.js';
import { databaseKinds } from '../helpers/test-database.js';
import { call, expectStatus, passwordToken, setupPersonas, unique, type Personas } from './identity-resource-fixtures.js';

type Ref = { id: string; [k: string]: unknown };

interface World {
  role: Ref;
  userA: string;
  userB: string;
  groupA: string;
  projectB: string;
  roleOfB: Ref;
  service: Ref;
  endpoint: Ref;
}

async function buildWorld(server: TestServer, p: Personas): Promise<World> {
  const admin = p.systemAdmin.token;
  const post = async (path: string, key: string, body: Record<string, unknown>) =>
    expectStatus(await call(server, 'POST', path, { token: admin, body: { [key]: body } }), 201)[key];
  const role = await post('/v3/roles', 'role', { name: unique('persona-role') });
  const roleOfB = await post('/v3/roles', 'role', { name: unique('persona-role-b'), domain_id: p.domainB });
  const userA = (await post('/v3/users', 'user', { name: unique('ua'), domain_id: p.domainA })).id;
  const userB = (await post('/v3/users', 'user', { name: unique('ub'), domain_id: p.domainB })).id;
  const groupA = (await post('/v3/groups', 'group', { name: unique('ga'), domain_id: p.domainA })).id;
  const projectB = (await post('/v3/projects', 'project', { name: unique('pb'), domain_id: p.domainB })).id;
  const service = await post('/v3/services', 'service', { type: unique('t') });
  const endpoint = await post('/v3/endpoints', 'endpoint', { service_id: service.id, interface: 'public', url: 'http://x.example.com/' });
  return { role, userA, userB, groupA, projectB, roleOfB, service, endpoint };
}

for (const kind of databaseKinds()) {
  describe(`assignment and catalog personas under Keystone 22's defaults (${kind})`, () => {
    let server: TestServer;
    let p: Personas;
    let w: World;
    let projectAdmin: string;
    before(async () => {
      server = await startTestServer({ database: kind });
      p = await setupPersonas(server);
      w = await buildWorld(server, p);
      // an admin of project A (not the bootstrap admin project)
      const user = (
        await server.providers.identity_api.createUser({ name: unique('padmin'), domainId: p.domainA, password: 'persona-secret-1' })
      ).id;
      await server.providers.assignment_api.createGrant(server.bootstrap.adminRoleId, { userId: user }, { projectId: p.projectA });
      projectAdmin = await passwordToken(server, user, 'persona-secret-1', { projectId: p.projectA });
    });
    after(async () => {
      await server?.close();
    });

    const status = async (method: string, path: string, token?: string, body?: unknown) =>
      (await call(server, method, path, { token, body })).status;

    test('no token: 401 on every route', async () => {
      const paths: [string, string][] = [
        ['GET', '/v3/roles'],
        ['POST', '/v3/roles'],
        ['GET', `/v3/roles/${w.role.id}`],
        ['GET', '/v3/role_inferences'],
        ['PUT', `/v3/projects/${p.projectA}/users/${w.userA}/roles/${w.role.id}`],
        ['GET', `/v3/domains/${p.domainA}/users/${w.userA}/roles`],
        ['GET', `/v3/system/users/${w.userA}/roles`],
        ['GET', '/v3/role_assignments'],
        ['GET', '/v3/regions'],
        ['GET', '/v3/services'],
        ['GET', '/v3/endpoints'],
        ['GET', '/v3/policies'],
        ['GET', '/v3/limits'],
        ['GET', '/v3/registered_limits'],
        ['GET', '/v3/OS-EP-FILTER/endpoint_groups'],
      ];
      for (const [method, path] of paths) assert.equal(await status(method, path), 401, `${method} ${path}`);
    });

    test('system admin, project admin and domain admins are admins everywhere (rule:admin_required)', async () => {
      for (const token of [p.systemAdmin.token, p.projectAdmin.token, projectAdmin, p.domainAAdmin.token, p.domainBAdmin.token]) {
        assert.equal(await status('GET', '/v3/roles', token), 200);
        assert.equal(await status('GET', `/v3/roles/${w.role.id}`, token), 200);
        assert.equal(await status('PUT', `/v3/projects/${p.projectA}/users/${w.userA}/roles/${w.role.id}`, token), 204);
        assert.equal(await status('GET', `/v3/projects/${p.projectA}/users/${w.userA}/roles/${w.role.id}`, token), 204);
        assert.equal(await status('DELETE', `/v3/projects/${p.projectA}/users/${w.userA}/roles/${w.role.id}`, token), 204);
        assert.equal(await status('PUT', `/v3/system/groups/${w.groupA}/roles/${w.role.id}`, token), 204);
        assert.equal(await status('DELETE', `/v3/system/groups/${w.groupA}/roles/${w.role.id}`, token), 204);
        assert.equal(await status('GET', '/v3/services', token), 200);
        assert.equal(await status('GET', `/v3/endpoints/${w.endpoint.id}`, token), 200);
        assert.equal(await status('GET', '/v3/policies', token), 200);
        assert.equal(await status('GET', '/v3/role_assignments', token), 200);
      }
      const region = unique('persona-region');
      assert.equal(await status('PUT', `/v3/regions/${region}`, p.domainAAdmin.token, { region: {} }), 201);
      assert.equal(await status('DELETE', `/v3/regions/${region}`, p.projectAdmin.token), 204);
    });

    test('project members and readers, and a user with no role: 403 on what needs admin or the system reader', async () => {
      for (const token of [p.projectAMember.token, p.projectAReader.token]) {
        assert.equal(await status('GET', '/v3/roles', token), 403);
        assert.equal(await status('POST', '/v3/roles', token, { role: { name: unique('x') } }), 403);
        assert.equal(await status('PUT', `/v3/projects/${p.projectA}/users/${w.userA}/roles/${w.role.id}`, token), 403);
        assert.equal(await status('GET', `/v3/projects/${p.projectA}/users/${w.userA}/roles`, token), 403);
        assert.equal(await status('PUT', `/v3/system/users/${w.userA}/roles/${w.role.id}`, token), 403);
        assert.equal(await status('GET', '/v3/role_assignments', token), 403);
        assert.equal(await status('GET', '/v3/services', token), 403);
        assert.equal(await status('GET', '/v3/endpoints', token), 403);
        assert.equal(await status('POST', '/v3/regions', token, { region: {} }), 403);
        assert.equal(await status('GET', '/v3/policies', token), 403);
      }
      assert.equal(await status('GET', '/v3/roles', p.noRole.token), 403);
      assert.equal(await status('GET', '/v3/role_assignments', p.noRole.token), 403);
    });

    test('the system reader reads everything and writes nothing', async () => {
      const r = p.systemReader.token;
      assert.equal(await status('GET', '/v3/roles', r), 200);
      assert.equal(await status('GET', `/v3/roles/${w.role.id}/implies`, r), 200);
      assert.equal(await status('GET', '/v3/role_inferences', r), 200);
      assert.equal(await status('GET', '/v3/role_assignments', r), 200);
      assert.equal(await status('GET', `/v3/projects/${p.projectA}/users/${p.projectAMember.userId}/roles`, r), 200);
      assert.equal(
        await status('GET', `/v3/projects/${p.projectA}/users/${p.projectAMember.userId}/roles/${server.bootstrap.memberRoleId}`, r),
        204,
      );
      assert.equal(await status('GET', `/v3/system/users/${p.systemReader.userId}/roles`, r), 200);
      assert.equal(await status('GET', '/v3/services', r), 200);
      assert.equal(await status('GET', '/v3/endpoints', r), 200);
      assert.equal(await status('GET', '/v3/policies', r), 200);
      assert.equal(await status('POST', '/v3/roles', r, { role: { name: unique('x') } }), 403);
      assert.equal(await status('PUT', `/v3/projects/${p.projectA}/users/${w.userA}/roles/${w.role.id}`, r), 403);
      assert.equal(await status('PUT', `/v3/system/users/${w.userA}/roles/${w.role.id}`, r), 403);
      assert.equal(await status('POST', '/v3/services', r, { service: { type: 'x' } }), 403);
      assert.equal(await status('POST', '/v3/regions', r, { region: {} }), 403);
      assert.equal(await status('DELETE', `/v3/endpoints/${w.endpoint.id}`, r), 403);
    });

    test("a domain reader checks and lists grants of its own domain only, and its domain's role assignments", async () => {
      const r = p.domainAReader.token;
      assert.equal(await status('GET', `/v3/projects/${p.projectA}/users/${p.projectAMember.userId}/roles`, r), 200);
      assert.equal(
        await status('GET', `/v3/projects/${p.projectA}/users/${p.projectAMember.userId}/roles/${server.bootstrap.memberRoleId}`, r),
        204,
      );
      assert.equal(await status('GET', `/v3/domains/${p.domainA}/users/${p.domainAAdmin.userId}/roles`, r), 200);
      assert.equal(await status('GET', `/v3/projects/${w.projectB}/users/${w.userB}/roles`, r), 403);
      assert.equal(await status('GET', `/v3/domains/${p.domainB}/users/${w.userB}/roles`, r), 403);
      assert.equal(await status('PUT', `/v3/projects/${p.projectA}/users/${w.userA}/roles/${w.role.id}`, r), 403);
      const seen = expectStatus(await call(server, 'GET', '/v3/role_assignments', { token: r }), 200).role_assignments as {
        scope: { domain?: Ref; project?: Ref };
      }[];
      assert.ok(seen.length > 0);
      for (const a of seen) assert.ok(a.scope.domain?.id === p.domainA || a.scope.project?.id === p.projectA, JSON.stringify(a));
      assert.equal(await status('GET', '/v3/roles', r), 403);
      assert.equal(await status('GET', '/v3/services', r), 403);
    });

    test('regions and the limit model are open to any authenticated caller (empty rules)', async () => {
      for (const token of [p.projectAMember.token, p.noRole.token, p.domainAReader.token]) {
        assert.equal(await status('GET', '/v3/regions', token), 200);
        assert.equal(await status('GET', '/v3/regions/RegionOne', token), 200);
        assert.equal(await status('GET', '/v3/limits/model', token), 200);
        assert.equal(await status('GET', '/v3/registered_limits', token), 200);
      }
      // and a missing region is then a plain 404
      expectStatus(
        await call(server, 'GET', '/v3/regions/nosuchregion', { token: p.projectAMember.token }),
        404,
        'Could not find region: nosuchregion.',
      );
    });
  });

  describe(`grant targets under a policy that confines domain admins (${kind})`, () => {
    let server: TestServer;
    let p: Personas;
    let w: World;
    let dir: string;
    before(async () => {
      dir = mkdtempSync(join(tmpdir(), 'keystone-grant-policy-'));
      const domainAdmin = (actor: string, target: string) =>
        `(role:admin and domain_id:%(target.${actor}.domain_id)s and domain_id:%(target.${target})s)`;
      const pairs = [
        domainAdmin('user', 'project.domain_id'),
        domainAdmin('user', 'domain.id'),
        domainAdmin('group', 'project.domain_id'),
        domainAdmin('group', 'domain.id'),
      ];
      const rule = `(role:admin and system_scope:all) or ((${pairs.join(' or ')}) and (domain_id:%(target.role.domain_id)s or None:%(target.role.domain_id)s))`;
      // listing has no role in its target
      const listRule = `(role:admin and system_scope:all) or ${pairs.join(' or ')}`;
      const file = join(dir, 'policy.json');
      writeFileSync(
        file,
        JSON.stringify({
          'identity:create_grant': rule,
          'identity:revoke_grant': rule,
          'identity:check_grant': rule,
          'identity:list_grants': listRule,
          'identity:list_role_assignments': '(role:admin and system_scope:all) or (role:admin and domain_id:%(target.domain_id)s)',
        }),
      );
      server = await startTestServer({ database: kind, config: { oslo_policy: { policy_file: file } } });
      p = await setupPersonas(server);
      w = await buildWorld(server, p);
    });
    after(async () => {
      await server?.close();
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    const status = async (method: string, path: string, token: string) => (await call(server, method, path, { token })).status;

    test('a domain admin grants within its domain and nowhere else', async () => {
      const a = p.domainAAdmin.token;
      assert.equal(await status('PUT', `/v3/projects/${p.projectA}/users/${w.userA}/roles/${w.role.id}`, a), 204);
      assert.equal(await status('GET', `/v3/projects/${p.projectA}/users/${w.userA}/roles/${w.role.id}`, a), 204);
      assert.equal(await status('GET', `/v3/projects/${p.projectA}/users/${w.userA}/roles`, a), 200);
      assert.equal(await status('PUT', `/v3/domains/${p.domainA}/groups/${w.groupA}/roles/${w.role.id}`, a), 204);
      // another domain's user, project, domain or domain-specific role
      assert.equal(await status('PUT', `/v3/projects/${p.projectA}/users/${w.userB}/roles/${w.role.id}`, a), 403);
      assert.equal(await status('PUT', `/v3/projects/${w.projectB}/users/${w.userA}/roles/${w.role.id}`, a), 403);
      assert.equal(await status('PUT', `/v3/domains/${p.domainB}/users/${w.userB}/roles/${w.role.id}`, a), 403);
      assert.equal(await status('GET', `/v3/projects/${w.projectB}/users/${w.userB}/roles`, a), 403);
      assert.equal(await status('PUT', `/v3/projects/${p.projectA}/users/${w.userA}/roles/${w.roleOfB.id}`, a), 403);
      // domain B's admin cannot undo domain A's grant
      assert.equal(await status('DELETE', `/v3/projects/${p.projectA}/users/${w.userA}/roles/${w.role.id}`, p.domainBAdmin.token), 403);
      assert.equal(await status('DELETE', `/v3/projects/${p.projectA}/users/${w.userA}/roles/${w.role.id}`, a), 204);
      // OS-INHERIT builds the same targets
      assert.equal(
        await status('PUT', `/v3/OS-INHERIT/domains/${p.domainA}/users/${w.userA}/roles/${w.role.id}/inherited_to_projects`, a),
        204,
      );
      assert.equal(
        await status('PUT', `/v3/OS-INHERIT/domains/${p.domainB}/users/${w.userB}/roles/${w.role.id}/inherited_to_projects`, a),
        403,
      );
      // the system admin is not confined
      assert.equal(await status('PUT', `/v3/projects/${w.projectB}/users/${w.userB}/roles/${w.roleOfB.id}`, p.systemAdmin.token), 204);
      // role assignments: the domain admin's own domain only; a project admin is refused
      const seen = expectStatus(await call(server, 'GET', '/v3/role_assignments', { token: a }), 200).role_assignments as {
        scope: { domain?: Ref; project?: Ref };
      }[];
      for (const x of seen) assert.ok(x.scope.domain?.id === p.domainA || x.scope.project?.id === p.projectA, JSON.stringify(x));
      assert.equal(await status('GET', '/v3/role_assignments', p.projectAdmin.token), 403);
    });
  });
}
