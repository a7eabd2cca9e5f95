/**
 * Grants over HTTP: users and groups on projects and domains, OS-INHERIT
 * inherited grants, system grants — codes, Keystone's messages, the roles
 * that reach tokens, and tokens recomputed when a grant goes away.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestServer, type TestServer } from '../helpers/test-server.js';
import { databaseKinds } from '../helpers/test-database.js';
import { call, expectStatus, passwordToken, setupPersonas, tokenStatus, unique, type Personas } from './identity-resource-fixtures.js';

type Ref = { id: string; name: string; [k: string]: unknown };
const ids = (list: Ref[]) => list.map((x) => x.id).sort();
const notFound = (role: string, actor: string, target: string) =>
  `Could not find role assignment with role: ${role}, user or group: ${actor}, project, domain, or system: ${target}.`;

for (const kind of databaseKinds()) {
  describe(`grants over HTTP (${kind})`, () => {
    let server: TestServer;
    let p: Personas;
    before(async () => {
      server = await startTestServer({ database: kind });
      p = await setupPersonas(server);
    });
    after(async () => {
      await server?.close();
    });

    const admin = () => p.systemAdmin.token;
    const password = 'grant-user-pw-1';
    const createRole = async (role: Record<string, unknown> = {}) =>
      expectStatus(await call(server, 'POST', '/v3/roles', { token: admin(), body: { role: { name: unique('role'), ...role } } }), 201)
        .role as Ref;
    const createUser = async (domainId = p.domainA) =>
      expectStatus(
        await call(server, 'POST', '/v3/users', { token: admin(), body: { user: { name: unique('u'), domain_id: domainId, password } } }),
        201,
      ).user as Ref;
    const createGroup = async (domainId = p.domainA) =>
      expectStatus(
        await call(server, 'POST', '/v3/groups', { token: admin(), body: { group: { name: unique('g'), domain_id: domainId } } }),
        201,
      ).group as Ref;
    const createProject = async (parentId?: string, domainId = p.domainA) =>
      expectStatus(
        await call(server, 'POST', '/v3/projects', {
          token: admin(),
          body: { project: { name: unique('prj'), domain_id: domainId, ...(parentId ? { parent_id: parentId } : {}) } },
        }),
        201,
      ).project as Ref;
    const tokenRoles = async (userId: string, scope: { projectId: string } | { domainId: string } | { system: true }) => {
      const token = await passwordToken(server, userId, password, scope);
      const body = (await call(server, 'GET', '/v3/auth/tokens', { token: admin(), headers: { 'X-Subject-Token': token } })).body;
      return (body.token.roles as Ref[]).map((r) => r.name).sort();
    };

    for (const target of ['project', 'domain'] as const) {
      for (const actor of ['user', 'group'] as const) {
        test(`${actor}s on ${target}s: PUT, GET/HEAD, list, DELETE, and Keystone's 404s`, async () => {
          const role = await createRole();
          const actorRef = actor === 'user' ? await createUser() : await createGroup();
          const targetId = target === 'project' ? p.projectA : p.domainA;
          const base = `/v3/${target}s/${targetId}/${actor}s/${actorRef.id}/roles`;
          expectStatus(await call(server, 'GET', `${base}/${role.id}`, { token: admin() }), 404, notFound(role.id, actorRef.id, targetId));
          expectStatus(await call(server, 'PUT', `${base}/${role.id}`, { token: admin() }), 204);
          expectStatus(await call(server, 'PUT', `${base}/${role.id}`, { token: admin() }), 204);
          expectStatus(await call(server, 'GET', `${base}/${role.id}`, { token: admin() }), 204);
          assert.equal((await call(server, 'HEAD', `${base}/${role.id}`, { token: admin() })).status, 204);
          const listed = expectStatus(await call(server, 'GET', base, { token: admin() }), 200);
          assert.deepEqual(ids(listed.roles), [role.id]);
          assert.equal(listed.roles[0].links.self, `${server.publicUrl}/v3/roles/${role.id}`);
          assert.equal(listed.links.self, `${server.publicUrl}${base}`);
          assert.equal((await call(server, 'HEAD', base, { token: admin() })).status, 200);
          // the grant is not an inherited one
          const inheritBase = `/v3/OS-INHERIT/${target}s/${targetId}/${actor}s/${actorRef.id}/roles`;
          expectStatus(await call(server, 'GET', `${inheritBase}/${role.id}/inherited_to_projects`, { token: admin() }), 404);
          expectStatus(await call(server, 'DELETE', `${base}/${role.id}`, { token: admin() }), 204);
          expectStatus(
            await call(server, 'DELETE', `${base}/${role.id}`, { token: admin() }),
            404,
            notFound(role.id, actorRef.id, targetId),
          );
          assert.deepEqual(expectStatus(await call(server, 'GET', base, { token: admin() }), 200).roles, []);
          // what must exist
          expectStatus(await call(server, 'PUT', `${base}/nosuchrole`, { token: admin() }), 404, 'Could not find role: nosuchrole.');
          expectStatus(
            await call(server, 'PUT', `/v3/${target}s/${targetId}/${actor}s/nosuchactor/roles/${role.id}`, { token: admin() }),
            404,
            `Could not find ${actor}: nosuchactor.`,
          );
          expectStatus(
            await call(server, 'PUT', `/v3/${target}s/nosuchtarget/${actor}s/${actorRef.id}/roles/${role.id}`, { token: admin() }),
            404,
            `Could not find ${target}: nosuchtarget.`,
          );
          expectStatus(
            await call(server, 'GET', `/v3/${target}s/nosuchtarget/${actor}s/${actorRef.id}/roles`, { token: admin() }),
            404,
            `Could not find ${target}: nosuchtarget.`,
          );
          // DELETE tolerates a missing actor and answers with the assignment it could not find
          expectStatus(
            await call(server, 'DELETE', `/v3/${target}s/${targetId}/${actor}s/nosuchactor/roles/${role.id}`, { token: admin() }),
            404,
            notFound(role.id, 'nosuchactor', targetId),
          );
        });
      }
    }

    test('a user grant reaches the token; removing it makes the token invalid', async () => {
      const role = await createRole();
      const user = await createUser();
      expectStatus(await call(server, 'PUT', `/v3/projects/${p.projectA}/users/${user.id}/roles/${role.id}`, { token: admin() }), 204);
      assert.deepEqual(await tokenRoles(user.id, { projectId: p.projectA }), [role.name]);
      const token = await passwordToken(server, user.id, password, { projectId: p.projectA });
      assert.equal(await tokenStatus(server, admin(), token), 200);
      expectStatus(await call(server, 'DELETE', `/v3/projects/${p.projectA}/users/${user.id}/roles/${role.id}`, { token: admin() }), 204);
      assert.equal(await tokenStatus(server, admin(), token), 404);
    });

    test('group grants reach members; implied roles are expanded in tokens', async () => {
      const group = await createGroup();
      const user = await createUser();
      expectStatus(await call(server, 'PUT', `/v3/groups/${group.id}/users/${user.id}`, { token: admin() }), 204);
      expectStatus(
        await call(server, 'PUT', `/v3/domains/${p.domainA}/groups/${group.id}/roles/${server.bootstrap.memberRoleId}`, { token: admin() }),
        204,
      );
      assert.deepEqual(await tokenRoles(user.id, { domainId: p.domainA }), ['member', 'reader']);
    });

    test('domain-specific roles: only on projects of their domain, and they only carry what they imply', async () => {
      const domainRole = await createRole({ domain_id: p.domainA });
      const implied = await createRole();
      expectStatus(await call(server, 'PUT', `/v3/roles/${domainRole.id}/implies/${implied.id}`, { token: admin() }), 201);
      const user = await createUser();
      const inB = await createProject(undefined, p.domainB);
      expectStatus(
        await call(server, 'PUT', `/v3/projects/${inB.id}/users/${user.id}/roles/${domainRole.id}`, { token: admin() }),
        403,
        `Project ${inB.id} must be in the same domain as the role ${domainRole.id} being assigned.`,
      );
      expectStatus(
        await call(server, 'PUT', `/v3/projects/${p.projectA}/users/${user.id}/roles/${domainRole.id}`, { token: admin() }),
        204,
      );
      assert.deepEqual(await tokenRoles(user.id, { projectId: p.projectA }), [implied.name]);
      expectStatus(
        await call(server, 'PUT', `/v3/system/users/${user.id}/roles/${domainRole.id}`, { token: admin() }),
        400,
        `Role ${domainRole.id} is a domain-specific role. Unable to use a domain-specific role in a system assignment.`,
      );
    });

    test('OS-INHERIT on a domain: every project of the domain, not the domain itself', async () => {
      const role = await createRole();
      const user = await createUser();
      const base = `/v3/OS-INHERIT/domains/${p.domainA}/users/${user.id}/roles`;
      expectStatus(await call(server, 'PUT', `${base}/${role.id}/inherited_to_projects`, { token: admin() }), 204);
      expectStatus(await call(server, 'GET', `${base}/${role.id}/inherited_to_projects`, { token: admin() }), 204);
      assert.equal((await call(server, 'HEAD', `${base}/${role.id}/inherited_to_projects`, { token: admin() })).status, 204);
      assert.deepEqual(ids(expectStatus(await call(server, 'GET', `${base}/inherited_to_projects`, { token: admin() }), 200).roles), [
        role.id,
      ]);
      // not a direct domain grant
      assert.deepEqual(
        expectStatus(await call(server, 'GET', `/v3/domains/${p.domainA}/users/${user.id}/roles`, { token: admin() }), 200).roles,
        [],
      );
      const child = await createProject(p.projectA);
      assert.deepEqual(await tokenRoles(user.id, { projectId: p.projectA }), [role.name]);
      assert.deepEqual(await tokenRoles(user.id, { projectId: child.id }), [role.name]);
      const domainScoped = await call(server, 'POST', '/v3/auth/tokens', {
        body: {
          auth: {
            identity: { methods: ['password'], password: { user: { id: user.id, password } } },
            scope: { domain: { id: p.domainA } },
          },
        },
      });
      assert.equal(domainScoped.status, 401);
      expectStatus(await call(server, 'DELETE', `${base}/${role.id}/inherited_to_projects`, { token: admin() }), 204);
      expectStatus(
        await call(server, 'GET', `${base}/${role.id}/inherited_to_projects`, { token: admin() }),
        404,
        notFound(role.id, user.id, p.domainA),
      );
      // groups too
      const group = await createGroup();
      const gbase = `/v3/OS-INHERIT/domains/${p.domainA}/groups/${group.id}/roles`;
      expectStatus(await call(server, 'PUT', `${gbase}/${role.id}/inherited_to_projects`, { token: admin() }), 204);
      assert.deepEqual(ids(expectStatus(await call(server, 'GET', `${gbase}/inherited_to_projects`, { token: admin() }), 200).roles), [
        role.id,
      ]);
      expectStatus(await call(server, 'DELETE', `${gbase}/${role.id}/inherited_to_projects`, { token: admin() }), 204);
    });

    test('OS-INHERIT on a project: the subtree, not the project itself', async () => {
      const role = await createRole();
      const user = await createUser();
      const parent = await createProject();
      const child = await createProject(parent.id);
      const grandchild = await createProject(child.id);
      const base = `/v3/OS-INHERIT/projects/${parent.id}/users/${user.id}/roles/${role.id}/inherited_to_projects`;
      expectStatus(await call(server, 'PUT', base, { token: admin() }), 204);
      expectStatus(await call(server, 'GET', base, { token: admin() }), 204);
      const parentToken = await call(server, 'POST', '/v3/auth/tokens', {
        body: {
          auth: {
            identity: { methods: ['password'], password: { user: { id: user.id, password } } },
            scope: { project: { id: parent.id } },
          },
        },
      });
      assert.equal(parentToken.status, 401);
      assert.deepEqual(await tokenRoles(user.id, { projectId: child.id }), [role.name]);
      assert.deepEqual(await tokenRoles(user.id, { projectId: grandchild.id }), [role.name]);
      const groupBase = `/v3/OS-INHERIT/projects/${parent.id}/groups/${(await createGroup()).id}/roles/${role.id}/inherited_to_projects`;
      expectStatus(await call(server, 'PUT', groupBase, { token: admin() }), 204);
      expectStatus(await call(server, 'GET', groupBase, { token: admin() }), 204);
      expectStatus(await call(server, 'DELETE', groupBase, { token: admin() }), 204);
      expectStatus(await call(server, 'DELETE', base, { token: admin() }), 204);
      expectStatus(await call(server, 'DELETE', base, { token: admin() }), 404, notFound(role.id, user.id, parent.id));
    });

    for (const actor of ['user', 'group'] as const) {
      test(`system grants for ${actor}s`, async () => {
        const role = await createRole();
        const actorRef = actor === 'user' ? await createUser() : await createGroup();
        const base = `/v3/system/${actor}s/${actorRef.id}/roles`;
        expectStatus(await call(server, 'GET', `${base}/${role.id}`, { token: admin() }), 404, notFound(role.id, actorRef.id, 'system'));
        expectStatus(await call(server, 'PUT', `${base}/${role.id}`, { token: admin() }), 204);
        expectStatus(await call(server, 'PUT', `${base}/${role.id}`, { token: admin() }), 204);
        expectStatus(await call(server, 'GET', `${base}/${role.id}`, { token: admin() }), 204);
        assert.equal((await call(server, 'HEAD', `${base}/${role.id}`, { token: admin() })).status, 204);
        const listed = expectStatus(await call(server, 'GET', base, { token: admin() }), 200);
        assert.deepEqual(ids(listed.roles), [role.id]);
        assert.equal(listed.links.self, `${server.publicUrl}${base}`);
        if (actor === 'user') assert.deepEqual(await tokenRoles(actorRef.id, { system: true }), [role.name]);
        expectStatus(await call(server, 'DELETE', `${base}/${role.id}`, { token: admin() }), 204);
        expectStatus(await call(server, 'DELETE', `${base}/${role.id}`, { token: admin() }), 404, notFound(role.id, actorRef.id, 'system'));
        expectStatus(await call(server, 'PUT', `${base}/nosuchrole`, { token: admin() }), 404, 'Could not find role: nosuchrole.');
        expectStatus(
          await call(server, 'PUT', `/v3/system/${actor}s/nosuchactor/roles/${role.id}`, { token: admin() }),
          404,
          `Could not find ${actor}: nosuchactor.`,
        );
        expectStatus(
          await call(server, 'GET', `/v3/system/${actor}s/nosuchactor/roles`, { token: admin() }),
          404,
          `Could not find ${actor}: nosuchactor.`,
        );
        expectStatus(
          await call(server, 'DELETE', `/v3/system/${actor}s/nosuchactor/roles/${role.id}`, { token: admin() }),
          404,
          notFound(role.id, 'nosuchactor', 'system'),
        );
      });
    }

    test('a system grant removed: the system-scoped token is no longer valid', async () => {
      const user = await createUser();
      expectStatus(
        await call(server, 'PUT', `/v3/system/users/${user.id}/roles/${server.bootstrap.readerRoleId}`, { token: admin() }),
        204,
      );
      const token = await passwordToken(server, user.id, password, { system: true });
      assert.equal(await tokenStatus(server, admin(), token), 200);
      expectStatus(
        await call(server, 'DELETE', `/v3/system/users/${user.id}/roles/${server.bootstrap.readerRoleId}`, { token: admin() }),
        204,
      );
      assert.equal(await tokenStatus(server, admin(), token), 404);
    });

    test('deleted users, groups and projects take their grants with them', async () => {
      const role = await createRole();
      const user = await createUser();
      const group = await createGroup();
      const project = await createProject();
      expectStatus(await call(server, 'PUT', `/v3/projects/${project.id}/users/${user.id}/roles/${role.id}`, { token: admin() }), 204);
      expectStatus(await call(server, 'PUT', `/v3/projects/${p.projectA}/groups/${group.id}/roles/${role.id}`, { token: admin() }), 204);
      expectStatus(await call(server, 'PUT', `/v3/system/groups/${group.id}/roles/${role.id}`, { token: admin() }), 204);
      expectStatus(await call(server, 'PUT', `/v3/domains/${p.domainA}/users/${user.id}/roles/${role.id}`, { token: admin() }), 204);
      const count = async () =>
        expectStatus(await call(server, 'GET', `/v3/role_assignments?role.id=${role.id}`, { token: admin() }), 200).role_assignments.length;
      assert.equal(await count(), 4);
      expectStatus(await call(server, 'DELETE', `/v3/groups/${group.id}`, { token: admin() }), 204);
      assert.equal(await count(), 2);
      expectStatus(
        await call(server, 'PATCH', `/v3/projects/${project.id}`, { token: admin(), body: { project: { enabled: false } } }),
        200,
      );
      expectStatus(await call(server, 'DELETE', `/v3/projects/${project.id}`, { token: admin() }), 204);
      assert.equal(await count(), 1);
      expectStatus(await call(server, 'DELETE', `/v3/users/${user.id}`, { token: admin() }), 204);
      assert.equal(await count(), 0);
    });

    test('without a token: 401; a project member: 403, whether or not the parts exist', async () => {
      const role = await createRole();
      const paths = [
        `/v3/projects/${p.projectA}/users/${p.projectAMember.userId}/roles/${role.id}`,
        `/v3/domains/${p.domainA}/groups/nosuchgroup/roles/${role.id}`,
        `/v3/OS-INHERIT/domains/${p.domainA}/users/${p.projectAMember.userId}/roles/${role.id}/inherited_to_projects`,
        `/v3/system/users/${p.projectAMember.userId}/roles/${role.id}`,
      ];
      for (const path of paths) {
        expectStatus(await call(server, 'PUT', path), 401);
        expectStatus(await call(server, 'GET', path), 401);
        expectStatus(await call(server, 'DELETE', path), 401);
      }
      const t = p.projectAMember.token;
      expectStatus(
        await call(server, 'PUT', paths[0], { token: t }),
        403,
        'You are not authorized to perform the requested action: identity:create_grant.',
      );
      expectStatus(
        await call(server, 'GET', paths[0], { token: t }),
        403,
        'You are not authorized to perform the requested action: identity:check_grant.',
      );
      expectStatus(
        await call(server, 'GET', `/v3/projects/${p.projectA}/users/${p.projectAMember.userId}/roles`, { token: t }),
        403,
        'You are not authorized to perform the requested action: identity:list_grants.',
      );
      expectStatus(
        await call(server, 'DELETE', paths[0], { token: t }),
        403,
        'You are not authorized to perform the requested action: identity:revoke_grant.',
      );
      expectStatus(await call(server, 'PUT', paths[2], { token: t }), 403);
      expectStatus(
        await call(server, 'PUT', paths[3], { token: t }),
        403,
        'You are not authorized to perform the requested action: identity:create_system_grant_for_user.',
      );
      expectStatus(
        await call(server, 'GET', `/v3/system/users/${p.projectAMember.userId}/roles`, { token: t }),
        403,
        'You are not authorized to perform the requested action: identity:list_system_grants_for_user.',
      );
      // OS-INHERIT builds a lenient target: a missing role is told only to those allowed
      expectStatus(
        await call(
          server,
          'PUT',
          `/v3/OS-INHERIT/domains/${p.domainA}/users/${p.projectAMember.userId}/roles/nosuchrole/inherited_to_projects`,
          { token: t },
        ),
        403,
      );
      expectStatus(
        await call(
          server,
          'PUT',
          `/v3/OS-INHERIT/domains/${p.domainA}/users/${p.projectAMember.userId}/roles/nosuchrole/inherited_to_projects`,
          { token: admin() },
        ),
        404,
        'Could not find role: nosuchrole.',
      );
    });
  });
}
