/**
 * Revocation over HTTP: GET /v3/OS-REVOKE/events (?since), and every action
 * that must end tokens — token DELETE, user disable/delete, password set or
 * changed, group removal, project delete/disable, domain disable, role
 * assignment removal — then pruning. Once more with JWS tokens.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestServer, type TestServer } from '../helpers/test-server.js';
import { databaseKinds, type DatabaseKind } from '../helpers/test-database.js';
import { assertCacheReady, cacheConfig, cacheKinds, type CacheKind } from '../helpers/cache-kinds.js';
import { mergeOverrides } from '../helpers/test-config.js';
import { tokenProviderConfig } from '../helpers/token-providers.js';
import { getToken, revokeToken, validateToken } from '../helpers/tokens.js';
import { AssignmentRepository } from '../../src/assignment/assignment-repository.js';
import { assertError, call, grant, makeDomain, makeProject, makeUser, nextSecond, type MadeUser } from '../auth/auth-fixtures.js';

/** With Fernet tokens on every cache; with JWS tokens ([token] provider = jws) once, on the memory cache. */
function variantsOf(kind: DatabaseKind): { cache: CacheKind; provider: 'fernet' | 'jws' }[] {
  const fernet = cacheKinds().map((cache) => ({ cache, provider: 'fernet' as const }));
  return kind === 'pglite' ? [...fernet, { cache: 'memory', provider: 'jws' }] : fernet;
}

for (const kind of databaseKinds())
  for (const { cache, provider } of variantsOf(kind)) {
    describe(`revocation (${kind}, cache ${cache}${provider === 'jws' ? ', JWS tokens' : ''})`, () => {
      let server: TestServer;
      let admin: string;
      const status = async (subject: string) => (await validateToken(server, admin, subject)).status;
      const scopedUser = async (
        projectId = server.bootstrap.projectId,
        roleId = server.bootstrap.memberRoleId,
      ): Promise<{ user: MadeUser; token: string }> => {
        const user = await makeUser(server);
        await grant(server, roleId, user.id, { projectId });
        return { user, token: (await getToken(server, { userId: user.id, password: user.password, project: { id: projectId } })).id };
      };

      const jws = provider === 'jws' ? tokenProviderConfig('jws') : undefined;
      before(async () => {
        server = await startTestServer({ database: kind, config: mergeOverrides(cacheConfig(cache), jws?.config ?? {}) });
        await assertCacheReady(server.cache);
        admin = (await getToken(server, { username: 'admin', password: server.adminPassword, system: true })).id;
      });
      after(async () => {
        await server.close();
        jws?.remove();
      });

      test('DELETE records an audit-id event listed at /v3/OS-REVOKE/events; ?since filters; bad since: 400', async () => {
        const before = await call(server, 'GET', '/v3/OS-REVOKE/events', { token: admin });
        assert.equal(before.status, 200);
        assert.deepEqual(before.body.links.next, null);
        assert.match(before.body.links.self, /\/v3\/OS-REVOKE\/events$/);
        const victim = await getToken(server, { username: 'admin', password: server.adminPassword, project: 'admin' });
        const t0 = new Date(Date.now() - 1000).toISOString();
        assert.equal(await revokeToken(server, admin, victim.id), 204);
        const after = await call(server, 'GET', '/v3/OS-REVOKE/events', { token: admin });
        const event = after.body.events.find((e: { audit_id?: string }) => e.audit_id === victim.body.token.audit_ids[0]);
        assert.ok(event, JSON.stringify(after.body));
        assert.deepEqual(Object.keys(event).sort(), ['audit_id', 'issued_before', 'revoked_at']);
        assert.match(event.issued_before, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.000000Z$/);
        assert.equal(event.issued_before, event.revoked_at);
        const since = await call(server, 'GET', `/v3/OS-REVOKE/events?since=${encodeURIComponent(t0)}`, { token: admin });
        assert.ok(since.body.events.some((e: { audit_id?: string }) => e.audit_id === victim.body.token.audit_ids[0]));
        const future = await call(
          server,
          'GET',
          `/v3/OS-REVOKE/events?since=${encodeURIComponent(new Date(Date.now() + 60_000).toISOString())}`,
          { token: admin },
        );
        assert.deepEqual(future.body.events, []);
        assertError(
          await call(server, 'GET', '/v3/OS-REVOKE/events?since=yesterday', { token: admin }),
          400,
          'invalidate date format yesterday',
        );
        const { token: member } = await scopedUser();
        assertError(await call(server, 'GET', '/v3/OS-REVOKE/events', { token: member }), 403);
        assertError(await call(server, 'GET', '/v3/OS-REVOKE/events'), 401);
      });

      test('user disabled: every token of the user ends (and stays ended when re-enabled)', async () => {
        const { user, token } = await scopedUser();
        const unscoped = (await getToken(server, { userId: user.id, password: user.password })).id;
        assert.equal(await status(token), 200);
        await server.providers.identity_api.updateUser(user.id, { enabled: false });
        assert.equal(await status(token), 404);
        assert.equal(await status(unscoped), 404);
        await server.providers.identity_api.updateUser(user.id, { enabled: true });
        assert.equal(await status(token), 404);
        await nextSecond();
        const fresh = (await getToken(server, { userId: user.id, password: user.password })).id;
        assert.equal(await status(fresh), 200);
        const events = (await call(server, 'GET', '/v3/OS-REVOKE/events', { token: admin })).body.events;
        assert.ok(events.some((e: { user_id?: string; audit_id?: string }) => e.user_id === user.id && !e.audit_id));
      });

      test('password set by an admin or changed by the user: tokens end', async () => {
        const { user, token } = await scopedUser();
        await server.providers.identity_api.updateUser(user.id, { password: 'new-password-1' });
        assert.equal(await status(token), 404);
        await nextSecond();
        const t2 = (await getToken(server, { userId: user.id, password: 'new-password-1' })).id;
        assert.equal(await status(t2), 200);
        await server.providers.identity_api.changePassword(user.id, 'new-password-1', 'new-password-2');
        assert.equal(await status(t2), 404);
      });

      test('user deleted: 404', async () => {
        const { user, token } = await scopedUser();
        await server.providers.identity_api.deleteUser(user.id);
        assert.equal(await status(token), 404);
      });

      test("project deleted: its tokens end, the user's other tokens do not; project disabled: 404 until re-enabled", async () => {
        const project = await makeProject(server);
        const { user, token } = await scopedUser(project.id);
        const unscoped = (await getToken(server, { userId: user.id, password: user.password })).id;
        await server.providers.resource_api.updateProjectRef(project.id, { enabled: false }, ['enabled']);
        assertError(await validateToken(server, admin, token), 404, `Unable to validate token because project ${project.id} is disabled`);
        await server.providers.resource_api.updateProjectRef(project.id, { enabled: true }, ['enabled']);
        assert.equal(await status(token), 200);
        await server.providers.resource_api.deleteProjectRef(project.id);
        assert.equal(await status(token), 404);
        assert.equal(await status(unscoped), 200);
      });

      test('domain disabled: project, domain and user tokens in it end', async () => {
        const domain = await makeDomain(server);
        const project = await makeProject(server, { domainId: domain.id });
        const user = await makeUser(server, { domainId: domain.id });
        await grant(server, server.bootstrap.memberRoleId, user.id, { projectId: project.id });
        await grant(server, server.bootstrap.memberRoleId, user.id, { domainId: domain.id });
        const projectToken = (await getToken(server, { userId: user.id, password: user.password, project: { id: project.id } })).id;
        const domainToken = (await getToken(server, { userId: user.id, password: user.password, domain: { id: domain.id } })).id;
        const unscoped = (await getToken(server, { userId: user.id, password: user.password })).id;
        const outsider = await makeUser(server);
        await grant(server, server.bootstrap.memberRoleId, outsider.id, { projectId: project.id });
        const outsiderToken = (await getToken(server, { userId: outsider.id, password: outsider.password, project: { id: project.id } }))
          .id;
        for (const t of [projectToken, domainToken, unscoped, outsiderToken]) assert.equal(await status(t), 200);
        await server.providers.resource_api.updateProjectRef(domain.id, { enabled: false }, ['enabled'], true);
        for (const t of [projectToken, domainToken, unscoped, outsiderToken]) assert.equal(await status(t), 404);
      });

      test('role assignment removed: the token loses the role, and ends with the last one', async () => {
        const project = await makeProject(server);
        const user = await makeUser(server);
        await grant(server, server.bootstrap.memberRoleId, user.id, { projectId: project.id });
        await grant(server, server.bootstrap.adminRoleId, user.id, { projectId: project.id });
        const token = (await getToken(server, { userId: user.id, password: user.password, project: { id: project.id } })).id;
        const { assignment_api: assignment } = server.providers;
        // Straight to storage: the cache invalidation alone must make the token lose the role.
        const assignments = new AssignmentRepository(server.db);
        await assignments.deleteAssignment(
          assignment.grantRow(server.bootstrap.adminRoleId, { userId: user.id }, { projectId: project.id }, false),
        );
        await assignment.invalidate();
        const v = await validateToken(server, admin, token);
        assert.equal(v.status, 200);
        assert.deepEqual(v.body.token.roles.map((r: { name: string }) => r.name).sort(), ['member', 'reader']);
        await assignments.deleteAssignment(
          assignment.grantRow(server.bootstrap.memberRoleId, { userId: user.id }, { projectId: project.id }, false),
        );
        await assignment.invalidate();
        assert.equal(await status(token), 404);
      });

      test('removed from a group holding roles: tokens end', async () => {
        const group = await server.providers.identity_api.createGroup({ name: 'g-' + Date.now(), domainId: 'default' });
        const user = await makeUser(server);
        await server.providers.identity_api.addUserToGroup(user.id, group.id);
        await server.providers.assignment_api.createGrant(
          server.bootstrap.memberRoleId,
          { groupId: group.id },
          { projectId: server.bootstrap.projectId },
        );
        const token = (await getToken(server, { userId: user.id, password: user.password, project: { id: server.bootstrap.projectId } }))
          .id;
        assert.equal(await status(token), 200);
        await server.providers.identity_api.removeUserFromGroup(user.id, group.id);
        assert.equal(await status(token), 404);
      });

      test("group deleted: its members' tokens end when it held a role (any role, anywhere), not when it held none", async () => {
        const { user, token } = await scopedUser();
        const idle = await server.providers.identity_api.createGroup({ name: 'idle-' + Date.now(), domainId: 'default' });
        await server.providers.identity_api.addUserToGroup(user.id, idle.id);
        await server.providers.identity_api.deleteGroup(idle.id);
        assert.equal(await status(token), 200);
        const holding = await server.providers.identity_api.createGroup({ name: 'holding-' + Date.now(), domainId: 'default' });
        await server.providers.identity_api.addUserToGroup(user.id, holding.id);
        await server.providers.assignment_api.createGrant(server.bootstrap.readerRoleId, { groupId: holding.id }, { system: true });
        await server.providers.identity_api.deleteGroup(holding.id);
        assert.equal(await status(token), 404, 'the token, scoped by a direct grant, is revoked with the group');
      });

      test('revokeByAuditChainId ends a token and the tokens rescoped from it', async () => {
        const original = await getToken(server, { username: 'admin', password: server.adminPassword });
        const rescoped = await call(server, 'POST', '/v3/auth/tokens', {
          body: {
            auth: { identity: { methods: ['token'], token: { id: original.id } }, scope: { project: { id: server.bootstrap.projectId } } },
          },
        });
        const rescopedId = rescoped.headers.get('x-subject-token') as string;
        assert.equal(await status(rescopedId), 200);
        await server.providers.revoke_api.revokeByAuditChainId(original.body.token.audit_ids[0]);
        assert.equal(await status(rescopedId), 404);
      });

      test('a rescope right after the role was removed or the project disabled is refused, and allowed again after', async () => {
        const project = await makeProject(server);
        const user = await makeUser(server);
        await grant(server, server.bootstrap.memberRoleId, user.id, { projectId: project.id });
        const unscoped = (await getToken(server, { userId: user.id, password: user.password })).id;
        const rescope = async () =>
          (
            await call(server, 'POST', '/v3/auth/tokens', {
              body: { auth: { identity: { methods: ['token'], token: { id: unscoped } }, scope: { project: { id: project.id } } } },
            })
          ).status;
        // twice: the second one is answered from what the first one looked up, wherever it keeps it
        assert.equal(await rescope(), 201);
        assert.equal(await rescope(), 201);
        const { assignment_api: assignment, resource_api: resource } = server.providers;
        const assignments = new AssignmentRepository(server.db);
        await assignments.deleteAssignment(
          assignment.grantRow(server.bootstrap.memberRoleId, { userId: user.id }, { projectId: project.id }, false),
        );
        await assignment.invalidate();
        assert.equal(await rescope(), 401);
        await grant(server, server.bootstrap.memberRoleId, user.id, { projectId: project.id });
        assert.equal(await rescope(), 201);
        await resource.updateProjectRef(project.id, { enabled: false }, ['enabled']);
        assert.notEqual(await rescope(), 201);
        await resource.updateProjectRef(project.id, { enabled: true }, ['enabled']);
        assert.equal(await rescope(), 201);
      });

      test('events older than the longest token lifetime plus the window are pruned', async () => {
        const { revoke_api: revoke } = server.providers;
        const old = Math.floor(Date.now() / 1000) - (3600 + 172800 + 100);
        await revoke.revoke({ userId: 'ancient-user', revokedAt: old });
        assert.ok((await revoke.listEvents()).some((e) => e.userId === 'ancient-user'));
        assert.ok((await revoke.prune()) >= 1);
        assert.ok(!(await revoke.listEvents()).some((e) => e.userId === 'ancient-user'));
      });
    });
  }
