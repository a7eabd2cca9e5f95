/**
 * GET /v3/role_assignments over HTTP: every filter, effective mode (groups
 * expanded, OS-INHERIT applied down the tree, implied roles added),
 * include_names, include_subtree, Keystone's links and its 400s, and what a
 * domain-scoped caller sees.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestServer, type TestServer } from '../helpers/test-server.js';
import { databaseKinds } from '../helpers/test-database.js';
import { call, expectStatus, passwordToken, unique } from './identity-resource-fixtures.js';

interface Assignment {
  user?: { id: string; name?: string; domain?: { id: string; name: string } };
  group?: { id: string; name?: string; domain?: { id: string; name: string } };
  role: { id: string; name?: string; domain?: { id: string; name: string } };
  scope: {
    project?: { id: string; name?: string; domain?: { id: string; name: string } };
    domain?: { id: string; name?: string };
    system?: { all: true };
    'OS-INHERIT:inherited_to'?: string;
  };
  links: { assignment: string; membership?: string; prior_role?: string };
}

/** "actor role target[*]" — * for OS-INHERIT — sorted, to compare lists. */
function summary(list: Assignment[]): string[] {
  return list
    .map((a) => {
      const actor = a.user ? `u:${a.user.id}` : `g:${a.group?.id}`;
      const target = a.scope.project ? `p:${a.scope.project.id}` : a.scope.domain ? `d:${a.scope.domain.id}` : 'system';
      return `${actor} ${a.role.id} ${target}${a.scope['OS-INHERIT:inherited_to'] ? '*' : ''}`;
    })
    .sort();
}

for (const kind of databaseKinds()) {
  describe(`/v3/role_assignments over HTTP (${kind})`, () => {
    let server: TestServer;
    let admin: string;
    const w = {} as Record<'d' | 'p1' | 'p2' | 'u1' | 'u2' | 'u3' | 'g' | 'r1' | 'r2' | 'r3' | 'r4' | 'r5' | 'r6' | 'dadmin', string>;
    const names = {} as Record<string, string>;
    const password = 'ra-password-1';

    before(async () => {
      server = await startTestServer({ database: kind });
      admin = (
        await call(server, 'POST', '/v3/auth/tokens', {
          body: {
            auth: {
              identity: {
                methods: ['password'],
                password: { user: { name: 'admin', domain: { id: 'default' }, password: server.adminPassword } },
              },
              scope: { system: { all: true } },
            },
          },
        })
      ).headers.get('x-subject-token') as string;
      const post = async (path: string, key: string, body: Record<string, unknown>) =>
        expectStatus(await call(server, 'POST', path, { token: admin, body: { [key]: body } }), 201)[key];
      const d = await post('/v3/domains', 'domain', { name: unique('ra-domain') });
      w.d = d.id;
      names.d = d.name;
      const p1 = await post('/v3/projects', 'project', { name: unique('ra-p1'), domain_id: w.d });
      w.p1 = p1.id;
      names.p1 = p1.name;
      w.p2 = (await post('/v3/projects', 'project', { name: unique('ra-p2'), domain_id: w.d, parent_id: w.p1 })).id;
      for (const u of ['u1', 'u2', 'u3', 'dadmin'] as const) {
        const user = await post('/v3/users', 'user', { name: unique(`ra-${u}`), domain_id: w.d, password });
        w[u] = user.id;
        names[u] = user.name;
      }
      w.g = (await post('/v3/groups', 'group', { name: unique('ra-g'), domain_id: w.d })).id;
      for (const r of ['r1', 'r2', 'r3', 'r4', 'r5', 'r6'] as const) {
        const role = await post('/v3/roles', 'role', { name: unique(`ra-${r}`) });
        w[r] = role.id;
        names[r] = role.name;
      }
      const put = async (path: string) =>
        expectStatus(await call(server, 'PUT', path, { token: admin }), path.includes('/implies/') ? 201 : 204);
      await put(`/v3/roles/${w.r1}/implies/${w.r2}`);
      await put(`/v3/groups/${w.g}/users/${w.u2}`);
      await put(`/v3/groups/${w.g}/users/${w.u3}`);
      await put(`/v3/projects/${w.p1}/users/${w.u1}/roles/${w.r1}`);
      await put(`/v3/domains/${w.d}/groups/${w.g}/roles/${w.r3}`);
      await put(`/v3/OS-INHERIT/domains/${w.d}/users/${w.u1}/roles/${w.r4}/inherited_to_projects`);
      await put(`/v3/OS-INHERIT/projects/${w.p1}/groups/${w.g}/roles/${w.r5}/inherited_to_projects`);
      await put(`/v3/system/users/${w.u2}/roles/${w.r6}`);
      await put(`/v3/domains/${w.d}/users/${w.dadmin}/roles/${server.bootstrap.adminRoleId}`);
    });
    after(async () => {
      await server?.close();
    });

    const list = async (query: string, token = admin) =>
      expectStatus(await call(server, 'GET', `/v3/role_assignments${query ? `?${query}` : ''}`, { token }), 200)
        .role_assignments as Assignment[];

    test('direct assignments, with each filter', async () => {
      assert.deepEqual(summary(await list(`user.id=${w.u1}`)), [`u:${w.u1} ${w.r1} p:${w.p1}`, `u:${w.u1} ${w.r4} d:${w.d}*`].sort());
      assert.deepEqual(
        summary(await list(`scope.project.id=${w.p1}`)),
        [`g:${w.g} ${w.r5} p:${w.p1}*`, `u:${w.u1} ${w.r1} p:${w.p1}`].sort(),
      );
      assert.deepEqual(summary(await list(`scope.project.id=${w.p1}&scope.OS-INHERIT:inherited_to=projects`)), [
        `g:${w.g} ${w.r5} p:${w.p1}*`,
      ]);
      assert.deepEqual(
        summary(await list(`scope.domain.id=${w.d}`)),
        [`g:${w.g} ${w.r3} d:${w.d}`, `u:${w.u1} ${w.r4} d:${w.d}*`, `u:${w.dadmin} ${server.bootstrap.adminRoleId} d:${w.d}`].sort(),
      );
      assert.deepEqual(summary(await list(`scope.domain.id=${w.d}&role.id=${w.r3}`)), [`g:${w.g} ${w.r3} d:${w.d}`]);
      assert.deepEqual(summary(await list(`group.id=${w.g}`)), [`g:${w.g} ${w.r3} d:${w.d}`, `g:${w.g} ${w.r5} p:${w.p1}*`].sort());
      assert.deepEqual(summary(await list(`role.id=${w.r1}`)), [`u:${w.u1} ${w.r1} p:${w.p1}`]);
      assert.deepEqual(summary(await list(`scope.system=all&role.id=${w.r6}`)), [`u:${w.u2} ${w.r6} system`]);
      assert.deepEqual(summary(await list(`user.id=${w.u2}`)), [`u:${w.u2} ${w.r6} system`]);
      const systemOnly = await list('scope.system=all');
      assert.ok(systemOnly.every((a) => a.scope.system));
      assert.ok(systemOnly.some((a) => a.user?.id === server.bootstrap.userId));
      const all = await list('');
      assert.ok(summary(all).includes(`u:${w.u2} ${w.r6} system`));
      assert.ok(summary(all).includes(`g:${w.g} ${w.r5} p:${w.p1}*`));
    });

    test("Keystone's links and shapes", async () => {
      const base = `${server.publicUrl}/v3`;
      const [direct] = await list(`role.id=${w.r1}`);
      assert.deepEqual(direct, {
        user: { id: w.u1 },
        role: { id: w.r1 },
        scope: { project: { id: w.p1 } },
        links: { assignment: `${base}/projects/${w.p1}/users/${w.u1}/roles/${w.r1}` },
      });
      const [inherited] = await list(`role.id=${w.r5}`);
      assert.deepEqual(inherited, {
        group: { id: w.g },
        role: { id: w.r5 },
        scope: { project: { id: w.p1 }, 'OS-INHERIT:inherited_to': 'projects' },
        links: { assignment: `${base}/OS-INHERIT/projects/${w.p1}/groups/${w.g}/roles/${w.r5}/inherited_to_projects` },
      });
      const [system] = await list(`role.id=${w.r6}`);
      assert.deepEqual(system, {
        user: { id: w.u2 },
        role: { id: w.r6 },
        scope: { system: { all: true } },
        links: { assignment: `${base}/system/users/${w.u2}/roles/${w.r6}` },
      });
      const body = expectStatus(await call(server, 'GET', `/v3/role_assignments?role.id=${w.r1}`, { token: admin }), 200);
      assert.deepEqual(body.links, { self: `${server.publicUrl}/v3/role_assignments?role.id=${w.r1}`, previous: null, next: null });
    });

    test('effective: groups expanded, inheritance applied, implied roles added', async () => {
      const base = `${server.publicUrl}/v3`;
      const u1 = await list(`effective&user.id=${w.u1}`);
      assert.deepEqual(
        summary(u1),
        [
          `u:${w.u1} ${w.r1} p:${w.p1}`,
          `u:${w.u1} ${w.r2} p:${w.p1}`,
          `u:${w.u1} ${w.r4} p:${w.p1}*`,
          `u:${w.u1} ${w.r4} p:${w.p2}*`,
        ].sort(),
      );
      const implied = u1.find((a) => a.role.id === w.r2) as Assignment;
      assert.equal(implied.links.assignment, `${base}/projects/${w.p1}/users/${w.u1}/roles/${w.r1}`);
      assert.equal(implied.links.prior_role, `${base}/prior_role/${w.r2}/implies/${w.r1}`);
      const fromDomain = u1.find((a) => a.role.id === w.r4 && a.scope.project?.id === w.p2) as Assignment;
      assert.equal(fromDomain.links.assignment, `${base}/OS-INHERIT/domains/${w.d}/users/${w.u1}/roles/${w.r4}/inherited_to_projects`);

      const u2 = await list(`effective&user.id=${w.u2}`);
      assert.deepEqual(summary(u2), [`u:${w.u2} ${w.r3} d:${w.d}`, `u:${w.u2} ${w.r5} p:${w.p2}*`].sort());
      const viaGroup = u2.find((a) => a.role.id === w.r3) as Assignment;
      assert.equal(viaGroup.links.membership, `${base}/groups/${w.g}/users/${w.u2}`);
      assert.equal(viaGroup.links.assignment, `${base}/domains/${w.d}/groups/${w.g}/roles/${w.r3}`);

      assert.deepEqual(
        summary(await list(`effective&scope.project.id=${w.p2}`)),
        [`u:${w.u1} ${w.r4} p:${w.p2}*`, `u:${w.u2} ${w.r5} p:${w.p2}*`, `u:${w.u3} ${w.r5} p:${w.p2}*`].sort(),
      );
      assert.deepEqual(
        summary(await list(`effective&scope.project.id=${w.p1}`)),
        [`u:${w.u1} ${w.r1} p:${w.p1}`, `u:${w.u1} ${w.r2} p:${w.p1}`, `u:${w.u1} ${w.r4} p:${w.p1}*`].sort(),
      );
      assert.deepEqual(summary(await list(`effective&role.id=${w.r2}`)), [`u:${w.u1} ${w.r2} p:${w.p1}`]);
      assert.deepEqual(summary(await list(`effective&scope.domain.id=${w.d}&user.id=${w.u3}`)), [`u:${w.u3} ${w.r3} d:${w.d}`]);
      assert.deepEqual(
        summary(await list(`effective&user.id=${w.u1}&scope.OS-INHERIT:inherited_to=projects`)),
        [`u:${w.u1} ${w.r4} p:${w.p1}*`, `u:${w.u1} ${w.r4} p:${w.p2}*`].sort(),
      );
      // a missing project: nothing stored on it, but effective mode looks it up
      assert.deepEqual(await list('scope.project.id=nosuchproject'), []);
      expectStatus(
        await call(server, 'GET', '/v3/role_assignments?effective&scope.project.id=nosuchproject', { token: admin }),
        404,
        'Could not find project: nosuchproject.',
      );
      // effective=0 is not effective
      assert.deepEqual(summary(await list(`effective=0&user.id=${w.u1}`)), summary(await list(`user.id=${w.u1}`)));
    });

    test('include_names', async () => {
      const [named] = await list(`include_names&role.id=${w.r1}`);
      assert.deepEqual(named.user, { id: w.u1, name: names.u1, domain: { id: w.d, name: names.d } });
      assert.deepEqual(named.role, { id: w.r1, name: names.r1 });
      assert.deepEqual(named.scope.project, { id: w.p1, name: names.p1, domain: { id: w.d, name: names.d } });
      const [onDomain] = await list(`include_names&role.id=${w.r3}`);
      assert.deepEqual(onDomain.scope.domain, { id: w.d, name: names.d });
      assert.equal(onDomain.group?.domain?.id, w.d);
      const [unnamed] = await list(`include_names=0&role.id=${w.r1}`);
      assert.deepEqual(unnamed.user, { id: w.u1 });
    });

    test('include_subtree lists the project and every project below it', async () => {
      assert.deepEqual(
        summary(await list(`include_subtree&scope.project.id=${w.p1}`)),
        [`g:${w.g} ${w.r5} p:${w.p1}*`, `u:${w.u1} ${w.r1} p:${w.p1}`].sort(),
      );
      assert.deepEqual(
        summary(await list(`include_subtree&effective&scope.project.id=${w.p1}`)),
        [
          `u:${w.u1} ${w.r1} p:${w.p1}`,
          `u:${w.u1} ${w.r2} p:${w.p1}`,
          `u:${w.u1} ${w.r4} p:${w.p1}*`,
          `u:${w.u1} ${w.r4} p:${w.p2}*`,
          `u:${w.u2} ${w.r5} p:${w.p2}*`,
          `u:${w.u3} ${w.r5} p:${w.p2}*`,
        ].sort(),
      );
      expectStatus(
        await call(server, 'GET', '/v3/role_assignments?include_subtree', { token: admin }),
        400,
        'scope.project.id must be specified if include_subtree is also specified',
      );
      expectStatus(
        await call(server, 'GET', '/v3/role_assignments?include_subtree&scope.project.id=nosuchproject', { token: admin }),
        404,
        'Could not find project: nosuchproject.',
      );
    });

    test('filter combinations Keystone refuses', async () => {
      const bad = async (query: string, message: string) =>
        expectStatus(await call(server, 'GET', `/v3/role_assignments?${query}`, { token: admin }), 400, message);
      await bad(`user.id=${w.u1}&group.id=${w.g}`, 'Specify a user or group, not both');
      await bad(`scope.domain.id=${w.d}&scope.project.id=${w.p1}`, 'Specify a domain or project, not both');
      await bad(`scope.domain.id=${w.d}&scope.system=all`, 'Specify system or domain, not both');
      await bad(`scope.project.id=${w.p1}&scope.system=all`, 'Specify system or project, not both');
      await bad(`effective&group.id=${w.g}`, 'Combining effective and group filter will always result in an empty list.');
      await bad(
        `effective&scope.domain.id=${w.d}&scope.OS-INHERIT:inherited_to=projects`,
        'Combining effective, domain and inherited filters will always result in an empty list.',
      );
    });

    test('a domain-scoped caller sees its domain and its projects only', async () => {
      const token = await passwordToken(server, w.dadmin, password, { domainId: w.d });
      const seen = summary(await list('', token));
      assert.deepEqual(
        seen,
        [
          `g:${w.g} ${w.r3} d:${w.d}`,
          `u:${w.u1} ${w.r4} d:${w.d}*`,
          `u:${w.dadmin} ${server.bootstrap.adminRoleId} d:${w.d}`,
          `u:${w.u1} ${w.r1} p:${w.p1}`,
          `g:${w.g} ${w.r5} p:${w.p1}*`,
        ].sort(),
      );
      assert.ok(!seen.some((s) => s.endsWith('system')));
    });

    test('without a token: 401; a project member without roles to list: 403', async () => {
      expectStatus(await call(server, 'GET', '/v3/role_assignments'), 401);
      expectStatus(await call(server, 'GET', `/v3/role_assignments?include_subtree&scope.project.id=${w.p1}`), 401);
      const member = await passwordToken(server, w.u1, password, { projectId: w.p1 });
      expectStatus(
        await call(server, 'GET', '/v3/role_assignments', { token: member }),
        403,
        'You are not authorized to perform the requested action: identity:list_role_assignments.',
      );
      expectStatus(
        await call(server, 'GET', `/v3/role_assignments?include_subtree&scope.project.id=${w.p1}`, { token: member }),
        403,
        'You are not authorized to perform the requested action: identity:list_role_assignments_for_tree.',
      );
    });
  });
}
