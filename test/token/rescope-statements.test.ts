/**
 * A rescope (the token method) with [cache] enabled = false, Keystone's default: the SQL statements it costs on
 * the embedded database. The version memoized validations carry is read once per request, before any look-up;
 * a user is read with its options, a project's direct and inherited assignments together, and its endpoint
 * filter in one statement; and every look-up behind a token is kept in the process under that version, so a
 * rescope answered before sends that one read (src/cache/cache.ts keepLocally). With the in-process cache a
 * rescope sends none.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestServer, type TestServer } from '../helpers/test-server.js';
import { adminToken } from '../helpers/tokens.js';
import { cacheConfig } from '../helpers/cache-kinds.js';
import { sqlStatements } from '../../src/storage/database.js';

for (const [kind, most] of [
  ['none', 1],
  ['memory', 0],
] as const) {
  describe(`rescope statements (cache ${kind})`, () => {
    let server: TestServer;
    let body: string;
    before(async () => {
      server = await startTestServer({ config: cacheConfig(kind) });
      const caller = await adminToken(server);
      const subject = await adminToken(server);
      const res = await fetch(`${server.publicUrl}/v3/auth/tokens`, { headers: { 'X-Auth-Token': caller, 'X-Subject-Token': subject } });
      const projectId = ((await res.json()) as { token: { project: { id: string } } }).token.project.id;
      body = JSON.stringify({ auth: { identity: { methods: ['token'], token: { id: subject } }, scope: { project: { id: projectId } } } });
    });
    after(async () => {
      await server?.close();
    });

    test(`a rescope sends at most ${String(most)} SQL statements`, async () => {
      const counts: number[] = [];
      for (let i = 0; i < 3; i++) {
        const sent = sqlStatements.sent;
        const res = await fetch(`${server.publicUrl}/v3/auth/tokens`, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json' },
          body,
        });
        assert.equal(res.status, 201, await res.text());
        counts.push(sqlStatements.sent - sent);
      }
      // the fewest of three: the background epoch poll (cache on) may add one to a request
      assert.ok(Math.min(...counts) <= most, `statements per rescope: ${counts.join(', ')}`);
    });
  });
}
