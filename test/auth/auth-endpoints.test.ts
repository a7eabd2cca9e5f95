/** GET /v3/auth/catalog, /v3/auth/projects, /v3/auth/domains, /v3/auth/system over HTTP (samples 22, 23). */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestServer, type TestServer } from '../helpers/test-server.js';
import { databaseKinds } from '../helpers/test-database.js';
import { getToken } from '../helpers/tokens.js';
import { GENERIC_401, assertError, call, grant, makeDomain, makeProject, makeUser } from './auth-fixtures.js';

for (const kind of databaseKinds()) {
  describe(`/v3/auth/* (${kind})`, () => {
    let server: TestServer;
    let admin: string;
    before(async () => {
      server = await startTestServer({ database: kind });
      admin = (await getToken(server, { username: 'admin', password: server.adminPassword, project: 'admin' })).id;
    });
    after(async () => {
      await server.close();
    });

    test('catalog of a project-scoped token (sample 22); 403 for other scopes; 401 without a token', async () => {
      const res = await call(server, 'GET', '/v3/auth/catalog', { token: admin });
      assert.equal(res.status, 200);
      assert.deepEqual(Object.keys(res.body).sort(), ['catalog', 'links']);
      assert.match(res.body.links.self, /^http:\/\/127\.0\.0\.1:\d+\/v3\/auth\/catalog$/);
      const validated = await call(server, 'GET', '/v3/auth/tokens', { token: admin, subject: admin });
      assert.deepEqual(res.body.catalog, validated.body.token.catalog);
      const unscoped = (await getToken(server, { username: 'admin', password: server.adminPassword })).id;
      assertError(
        await call(server, 'GET', '/v3/auth/catalog', { token: unscoped }),
        403,
        'You are not authorized to perform the requested action.',
      );
      assertError(await call(server, 'GET', '/v3/auth/catalog'), 401, GENERIC_401);
      assert.equal((await call(server, 'HEAD', '/v3/auth/catalog', { token: admin })).status, 200);
    });

    test('projects (sample 23) and domains the user has roles on', async () => {
      const user = await makeUser(server);
      const p1 = await makeProject(server);
      const p2 = await makeProject(server);
      await makeProject(server);
      const d = await makeDomain(server);
      await grant(server, server.bootstrap.memberRoleId, user.id, { projectId: p1.id });
      await grant(server, server.bootstrap.readerRoleId, user.id, { projectId: p2.id });
      await grant(server, server.bootstrap.readerRoleId, user.id, { domainId: d.id });
      const token = (await getToken(server, { userId: user.id, password: user.password })).id;
      const projects = await call(server, 'GET', '/v3/auth/projects', { token });
      assert.equal(projects.status, 200);
      assert.deepEqual(projects.body.links.next, null);
      assert.deepEqual(projects.body.links.previous, null);
      assert.match(projects.body.links.self, /\/v3\/auth\/projects$/);
      assert.deepEqual(projects.body.projects.map((p: { id: string }) => p.id).sort(), [p1.id, p2.id].sort());
      const one = projects.body.projects.find((p: { id: string }) => p.id === p1.id);
      assert.deepEqual(Object.keys(one).sort(), [
        'description',
        'domain_id',
        'enabled',
        'id',
        'is_domain',
        'links',
        'name',
        'options',
        'parent_id',
        'tags',
      ]);
      assert.equal(one.domain_id, 'default');
      assert.match(one.links.self, new RegExp(`/v3/projects/${p1.id}$`));
      const domains = await call(server, 'GET', '/v3/auth/domains', { token });
      assert.equal(domains.status, 200);
      assert.deepEqual(
        domains.body.domains.map((x: { id: string }) => x.id),
        [d.id],
      );
      assert.match(domains.body.domains[0].links.self, new RegExp(`/v3/domains/${d.id}$`));
      const adminProjects = await call(server, 'GET', '/v3/auth/projects', { token: admin });
      assert.ok(
        adminProjects.body.projects.some((p: { id: string; name: string }) => p.id === server.bootstrap.projectId && p.name === 'admin'),
      );
      assertError(await call(server, 'GET', '/v3/auth/projects'), 401);
      assertError(await call(server, 'GET', '/v3/auth/domains', { token: 'garbage' }), 401);
    });

    test('system: [{"all": true}] with a system role, [] without', async () => {
      const sys = await call(server, 'GET', '/v3/auth/system', { token: admin });
      assert.equal(sys.status, 200);
      assert.deepEqual(sys.body.system, [{ all: true }]);
      assert.match(sys.body.links.self, /\/v3\/auth\/system$/);
      const user = await makeUser(server);
      const token = (await getToken(server, { userId: user.id, password: user.password })).id;
      assert.deepEqual((await call(server, 'GET', '/v3/auth/system', { token })).body.system, []);
    });

    test('OS-PKI revoked list: 403 as Keystone 22', async () => {
      assertError(await call(server, 'GET', '/v3/auth/tokens/OS-PKI/revoked', { token: admin }), 403);
    });
  });
}
