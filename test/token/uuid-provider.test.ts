/** [token] provider = uuid over HTTP: 32-hex ids persisted in the token table, revocation flips valid, token_flush. */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestServer, type TestServer } from '../helpers/test-server.js';
import { databaseKinds } from '../helpers/test-database.js';
import { getToken, issueToken, revokeToken, validateToken } from '../helpers/tokens.js';
import { assertError, makeUser } from '../auth/auth-fixtures.js';
import { flushExpiredTokens } from '../../src/token/uuid/flush.js';

for (const kind of databaseKinds()) {
  describe(`UUID tokens (${kind})`, () => {
    let server: TestServer;
    let admin: string;
    before(async () => {
      server = await startTestServer({ database: kind, config: { token: { provider: 'uuid' } } });
      admin = (await getToken(server, { username: 'admin', password: server.adminPassword, project: 'admin' })).id;
    });
    after(async () => {
      await server.close();
    });

    test('issue: a 32-hex id, a row in the token table, the same body as Fernet tokens', async () => {
      const t = await getToken(server, { username: 'admin', password: server.adminPassword, project: 'admin' });
      assert.match(t.id, /^[0-9a-f]{32}$/);
      const row = await server.db.one('SELECT id, valid, user_id, trust_id, expires FROM token WHERE id = $1', [t.id]);
      assert.equal(row.valid, true);
      assert.equal(row.user_id, server.bootstrap.userId);
      assert.equal(row.trust_id, null);
      assert.equal(row.expires.getTime(), Date.parse(t.body.token.expires_at));
      assert.deepEqual(Object.keys(t.body.token).sort(), [
        'audit_ids',
        'catalog',
        'expires_at',
        'is_domain',
        'issued_at',
        'methods',
        'project',
        'roles',
        'user',
      ]);
      const v = await validateToken(server, admin, t.id);
      assert.equal(v.status, 200);
      assert.deepEqual(v.body, t.body);
    });

    test('unknown ids and Fernet-looking tokens: 404; rescoping works', async () => {
      assertError(await validateToken(server, admin, 'f'.repeat(32)), 404, `Could not find token: ${'f'.repeat(32)}.`);
      assertError(await validateToken(server, admin, 'gAAAAABsomething'), 404);
      const unscoped = await getToken(server, { username: 'admin', password: server.adminPassword });
      const res = await issueToken(server, {
        identity: { methods: ['token'], token: { id: unscoped.id } },
        scope: { project: { id: server.bootstrap.projectId } },
      });
      assert.equal(res.status, 201);
      assert.match(res.headers.get('x-subject-token') as string, /^[0-9a-f]{32}$/);
    });

    test("DELETE flips valid; a disabled user's rows are flipped too", async () => {
      const t = (await getToken(server, { username: 'admin', password: server.adminPassword, project: 'admin' })).id;
      assert.equal(await revokeToken(server, admin, t), 204);
      assert.equal((await server.db.one('SELECT valid FROM token WHERE id = $1', [t])).valid, false);
      assertError(await validateToken(server, admin, t), 404);
      const user = await makeUser(server);
      const ut = (await getToken(server, { userId: user.id, password: user.password })).id;
      await server.providers.identity_api.updateUser(user.id, { enabled: false });
      assert.equal((await server.db.one('SELECT valid FROM token WHERE id = $1', [ut])).valid, false);
      assertError(await validateToken(server, admin, ut), 404);
    });

    test('flushExpiredTokens deletes expired rows in batches and nothing else', async () => {
      const { db } = server;
      const live = (await getToken(server, { username: 'admin', password: server.adminPassword })).id;
      await db.none(`INSERT INTO token (id, expires, extra, valid, user_id)
        SELECT md5(random()::text || g::text), now() - interval '1 hour', '{}', true, 'u' FROM generate_series(1, 25) g`);
      await db.none(
        `INSERT INTO token (id, expires, extra, valid, user_id) VALUES ('recently-expired', now() - interval '10 seconds', '{}', true, 'u')`,
      );
      const batches: number[] = [];
      const graced = await flushExpiredTokens(db, 10, { graceSeconds: 60, onBatch: (n) => batches.push(n) });
      assert.equal(graced, 25);
      assert.deepEqual(batches, [10, 20, 25]);
      assert.equal(await flushExpiredTokens(db, 10), 1);
      assert.equal(await flushExpiredTokens(db, 10), 0);
      assert.equal((await validateToken(server, admin, live)).status, 200);
      await assert.rejects(flushExpiredTokens(db, 0), RangeError);
    });
  });
}
