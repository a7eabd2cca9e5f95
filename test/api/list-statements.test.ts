/**
 * GET /v3/users and /v3/projects: the number of SQL statements a list costs does not grow with its rows
 * (no per-row queries), and with a cache the rendered list is kept (src/api/collection-memo.ts) until
 * something changes: a list asked again costs no statement, and a user or project created, renamed or
 * deleted shows in the very next list. [DEFAULT] list_limit and "truncated" hold on kept lists too.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestServer, type TestServer } from '../helpers/test-server.js';
import { adminToken } from '../helpers/tokens.js';
import { cacheConfig, cacheKinds } from '../helpers/cache-kinds.js';
import { sqlStatements } from '../../src/storage/database.js';

interface ListBody {
  truncated?: boolean;
  users?: { id: string; name: string }[];
  projects?: { id: string; name: string }[];
}

for (const kind of cacheKinds()) {
  describe(`list statements (cache ${kind})`, () => {
    let server: TestServer;
    let token: string;
    before(async () => {
      server = await startTestServer({ config: { ...cacheConfig(kind), DEFAULT: { list_limit: 150 } } });
      token = await adminToken(server);
    });
    after(async () => {
      await server?.close();
    });

    const get = async (path: string): Promise<{ body: ListBody; statements: number }> => {
      const before = sqlStatements.sent;
      const res = await fetch(`${server.publicUrl}${path}`, { headers: { 'X-Auth-Token': token } });
      assert.equal(res.status, 200, path);
      const body = (await res.json()) as ListBody;
      return { body, statements: sqlStatements.sent - before };
    };
    const post = async (path: string, body: unknown): Promise<{ id: string }> => {
      const res = await fetch(`${server.publicUrl}${path}`, {
        method: 'POST',
        headers: { 'X-Auth-Token': token, 'Content-Type': 'application/json' },
        body: JSON.stringify(body),
      });
      assert.equal(res.status, 201, await res.clone().text());
      const json = (await res.json()) as Record<string, { id: string }>;
      return Object.values(json)[0];
    };
    const createMany = async (n: number, prefix: string) => {
      for (let i = 0; i < n; i += 10)
        await Promise.all(
          Array.from({ length: Math.min(10, n - i) }, (_, j) =>
            Promise.all([
              post('/v3/users', { user: { name: `${prefix}-u-${String(i + j)}`, domain_id: 'default' } }),
              post('/v3/projects', { project: { name: `${prefix}-p-${String(i + j)}`, domain_id: 'default' } }),
            ]),
          ),
        );
    };

    /**
     * The statements of one rendering of a list: the fewest of three renderings (each URL differs by a
     * parameter no filter reads, so none is kept), the first after a warm-up that validates the token
     * again (the background epoch poll may add a statement to one of them).
     */
    const rendered = async (path: string): Promise<{ body: ListBody; statements: number }> => {
      await get(`${path}?warm-up`);
      const tries = [await get(`${path}?try=1`), await get(`${path}?try=2`), await get(`${path}?try=3`)];
      return tries.reduce((a, b) => (b.statements < a.statements ? b : a));
    };

    test('statements per list do not grow with rows; a kept list is current after every change', async () => {
      await createMany(10, 'few');
      const fewUsers = await rendered('/v3/users');
      const fewProjects = await rendered('/v3/projects');
      assert.ok(fewUsers.statements > 0 && fewProjects.statements > 0, 'rendered from the database after a change');
      await createMany(190, 'many');
      const manyUsers = await rendered('/v3/users');
      const manyProjects = await rendered('/v3/projects');
      assert.equal(manyUsers.statements, fewUsers.statements, 'users: the same statements at 10 and 200 rows');
      assert.equal(manyProjects.statements, fewProjects.statements, 'projects: the same statements at 10 and 200 rows');
      // list_limit 150: truncated, also when kept
      assert.equal(manyUsers.body.users?.length, 150);
      assert.equal(manyUsers.body.truncated, true);

      await get('/v3/users');
      // the fewest of three (the background epoch poll may add a statement to one of them)
      const againTries = [await get('/v3/users'), await get('/v3/users'), await get('/v3/users')];
      const again = againTries.reduce((a, b) => (b.statements < a.statements ? b : a));
      assert.deepEqual(again.body.users, manyUsers.body.users);
      if (kind !== 'none') assert.equal(again.statements, 0, 'a list asked again with nothing changed is kept');

      // every change shows in the next list
      const user = await post('/v3/users', { user: { name: 'aaa-first-user', domain_id: 'default' } });
      assert.equal((await get('/v3/users')).body.users?.[0]?.id, user.id, 'a created user is listed at once');
      const res = await fetch(`${server.publicUrl}/v3/users/${user.id}`, {
        method: 'PATCH',
        headers: { 'X-Auth-Token': token, 'Content-Type': 'application/json' },
        body: JSON.stringify({ user: { name: 'aaa-renamed' } }),
      });
      assert.equal(res.status, 200);
      assert.equal((await get('/v3/users')).body.users?.[0]?.name, 'aaa-renamed', 'a renamed user is listed renamed at once');
      const project = await post('/v3/projects', { project: { name: 'aaa-first-project', domain_id: 'default' } });
      const projectsNow = await get('/v3/projects?name=aaa-first-project');
      assert.deepEqual(
        projectsNow.body.projects?.map((p) => p.id),
        [project.id],
      );
      const del = await fetch(`${server.publicUrl}/v3/projects/${project.id}`, { method: 'DELETE', headers: { 'X-Auth-Token': token } });
      assert.equal(del.status, 204);
      assert.deepEqual((await get('/v3/projects?name=aaa-first-project')).body.projects, [], 'a deleted project is gone at once');
    });
  });
}
