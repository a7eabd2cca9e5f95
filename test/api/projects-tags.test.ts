import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestServer, type TestServer } from '../helpers/test-server.js';
import { databaseKinds } from '../helpers/test-database.js';
import { call, expectStatus, setupPersonas, unique, type Personas } from './identity-resource-fixtures.js';

for (const kind of databaseKinds()) {
  describe(`/v3/projects/{project_id}/tags over HTTP (${kind})`, () => {
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
    const newProject = async (tags: string[] = []) =>
      expectStatus(
        await call(server, 'POST', '/v3/projects', {
          token: admin(),
          body: { project: { name: unique('tagged'), domain_id: p.domainA, tags } },
        }),
        201,
      ).project.id as string;

    test('add, check, list, replace, delete one and delete all tags', async () => {
      const id = await newProject();
      const put = await call(server, 'PUT', `/v3/projects/${id}/tags/blue`, { token: admin() });
      expectStatus(put, 201);
      assert.equal(put.body, '');
      assert.equal(put.headers.get('location'), `${server.publicUrl}/v3/projects/${id}/tags/blue`);
      expectStatus(await call(server, 'HEAD', `/v3/projects/${id}/tags/blue`, { token: admin() }), 204);
      expectStatus(await call(server, 'GET', `/v3/projects/${id}/tags/blue`, { token: admin() }), 204);
      expectStatus(await call(server, 'GET', `/v3/projects/${id}/tags/red`, { token: admin() }), 404, 'Could not find project tag: red.');

      const listed = expectStatus(await call(server, 'GET', `/v3/projects/${id}/tags`, { token: admin() }), 200);
      assert.deepEqual(listed.tags, ['blue']);
      assert.equal(listed.links.self, `${server.publicUrl}/v3/projects/${id}/tags`);

      const replaced = expectStatus(
        await call(server, 'PUT', `/v3/projects/${id}/tags`, { token: admin(), body: { tags: ['x', 'y', 'z'] } }),
        200,
      );
      assert.deepEqual([...replaced.tags].sort(), ['x', 'y', 'z']);
      assert.deepEqual([...expectStatus(await call(server, 'GET', `/v3/projects/${id}`, { token: admin() }), 200).project.tags].sort(), [
        'x',
        'y',
        'z',
      ]);

      expectStatus(await call(server, 'DELETE', `/v3/projects/${id}/tags/x`, { token: admin() }), 204);
      expectStatus(await call(server, 'DELETE', `/v3/projects/${id}/tags/x`, { token: admin() }), 404, 'Could not find project tag: x.');
      expectStatus(await call(server, 'GET', `/v3/projects/${id}/tags/x`, { token: admin() }), 404);
      expectStatus(await call(server, 'DELETE', `/v3/projects/${id}/tags`, { token: admin() }), 204);
      assert.deepEqual(expectStatus(await call(server, 'GET', `/v3/projects/${id}/tags`, { token: admin() }), 200).tags, []);
    });

    test('tags of a missing project are 404', async () => {
      expectStatus(await call(server, 'GET', '/v3/projects/nosuch/tags', { token: admin() }), 404, 'Could not find project: nosuch.');
      expectStatus(await call(server, 'PUT', '/v3/projects/nosuch/tags/a', { token: admin() }), 404);
      expectStatus(await call(server, 'PUT', '/v3/projects/nosuch/tags', { token: admin(), body: { tags: ['a'] } }), 404);
      expectStatus(await call(server, 'DELETE', '/v3/projects/nosuch/tags', { token: admin() }), 404);
    });

    test('bad tags answer 400 and change nothing: commas, repeats, more than 80, wrong types, NUL', async () => {
      const id = await newProject(['keep']);
      expectStatus(await call(server, 'PUT', `/v3/projects/${id}/tags/a,b`, { token: admin() }), 400);
      expectStatus(await call(server, 'PUT', `/v3/projects/${id}/tags/keep`, { token: admin() }), 400);
      expectStatus(await call(server, 'PUT', `/v3/projects/${id}/tags/${'t'.repeat(256)}`, { token: admin() }), 400);
      // NUL in a path is refused at the edge like any unknown route.
      expectStatus(await call(server, 'PUT', `/v3/projects/${id}/tags/nul%00`, { token: admin() }), 404);
      for (const body of [
        { tags: ['a', 'a'] },
        { tags: 'a' },
        {},
        { tags: [1] },
        { tags: ['a/b'] },
        { tags: Array.from({ length: 81 }, (_, i) => `t${i}`) },
        { tags: ['n\u0000'] },
      ]) {
        expectStatus(await call(server, 'PUT', `/v3/projects/${id}/tags`, { token: admin(), body }), 400);
      }
      const eighty = Array.from({ length: 80 }, (_, i) => `t${i}`);
      expectStatus(await call(server, 'PUT', `/v3/projects/${id}/tags`, { token: admin(), body: { tags: eighty } }), 200);
      expectStatus(await call(server, 'PUT', `/v3/projects/${id}/tags/one-more`, { token: admin() }), 400);
      assert.equal(expectStatus(await call(server, 'GET', `/v3/projects/${id}/tags`, { token: admin() }), 200).tags.length, 80);
    });

    test("personas: project users read their project's tags; only admins change them; no token is 401", async () => {
      const member = p.projectAMember.token;
      expectStatus(await call(server, 'PUT', `/v3/projects/${p.projectA}/tags/shared`, { token: admin() }), 201);
      assert.deepEqual(expectStatus(await call(server, 'GET', `/v3/projects/${p.projectA}/tags`, { token: member }), 200).tags, ['shared']);
      expectStatus(await call(server, 'GET', `/v3/projects/${p.projectA}/tags/shared`, { token: p.projectAReader.token }), 204);
      const other = await newProject(['secret']);
      expectStatus(await call(server, 'GET', `/v3/projects/${other}/tags`, { token: member }), 403);
      expectStatus(await call(server, 'PUT', `/v3/projects/${p.projectA}/tags/mine`, { token: member }), 403);
      expectStatus(await call(server, 'PUT', `/v3/projects/${p.projectA}/tags`, { token: member, body: { tags: [] } }), 403);
      expectStatus(await call(server, 'DELETE', `/v3/projects/${p.projectA}/tags/shared`, { token: p.domainAReader.token }), 403);
      expectStatus(await call(server, 'DELETE', `/v3/projects/${p.projectA}/tags`, { token: p.systemReader.token }), 403);
      expectStatus(await call(server, 'GET', `/v3/projects/${p.projectA}/tags`), 401);
    });
  });
}
