/**
 * "No stale yes" across processes: once DELETE /v3/auth/tokens (or a user
 * disable, a password change, a project disable) returns, no worker of any
 * keystone-all sharing the database (and Redis) accepts the affected tokens
 * — with several workers of one keystone-all (memory cache relayed by the
 * primary, no cache, Redis), and with two keystone-all instances on one
 * PostgreSQL and Redis (or no cache). And with Redis down, validation keeps
 * working from SQL, the error is logged once per worker, and the cache
 * comes back by itself.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { createServer } from 'node:net';
import { api, instanceToken, startKeystoneAll, validations, type KeystoneInstance } from './keystone-all-harness.js';
import { cacheConfig, redisWanted, type CacheKind } from '../helpers/cache-kinds.js';
import { createTestDatabase, databaseKinds, type TestDatabase } from '../helpers/test-database.js';

const N = 24;

/** A user made through the API, with an unscoped token of its own. */
async function userWithToken(url: string, admin: string): Promise<{ userId: string; password: string; token: string }> {
  const password = 'pw-' + Math.random().toString(16).slice(2);
  const created = await api(url, 'POST', '/v3/users', admin, {
    user: { name: 'u-' + Math.random().toString(16).slice(2), domain_id: 'default', password },
  });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  const userId = (created.body as { user: { id: string } }).user.id;
  const token = await instanceToken(url, { identity: { methods: ['password'], password: { user: { id: userId, password } } } });
  return { userId, password, token };
}

const singleKinds: CacheKind[] = ['memory', 'none', ...(redisWanted() ? ['redis' as CacheKind] : [])];

for (const cache of singleKinds) {
  describe(`one keystone-all, 3 workers, cache ${cache}`, () => {
    let ks: KeystoneInstance;
    let admin: string;
    before(async () => {
      ks = await startKeystoneAll({ workers: 3, config: cacheConfig(cache) });
      admin = await instanceToken(ks.publicUrl);
    });
    after(async () => {
      await ks?.stop();
    });

    test('DELETE, user disable, password change: every worker refuses at once', async () => {
      const url = ks.publicUrl;
      const subject = await instanceToken(url);
      assert.deepEqual(new Set(await validations(url, admin, subject, N)), new Set([200]));
      const del = await fetch(`${url}/v3/auth/tokens`, {
        method: 'DELETE',
        headers: { 'X-Auth-Token': admin, 'X-Subject-Token': subject },
      });
      assert.equal(del.status, 204);
      assert.deepEqual(new Set(await validations(url, admin, subject, N)), new Set([404]));

      const u1 = await userWithToken(url, admin);
      assert.deepEqual(new Set(await validations(url, admin, u1.token, N)), new Set([200]));
      const disabled = await api(url, 'PATCH', `/v3/users/${u1.userId}`, admin, { user: { enabled: false } });
      assert.equal(disabled.status, 200, JSON.stringify(disabled.body));
      assert.deepEqual(new Set(await validations(url, admin, u1.token, N)), new Set([404]));

      const u2 = await userWithToken(url, admin);
      assert.deepEqual(new Set(await validations(url, admin, u2.token, N)), new Set([200]));
      const changed = await api(url, 'POST', `/v3/users/${u2.userId}/password`, u2.token, {
        user: { password: 'new-' + u2.password, original_password: u2.password },
      });
      assert.equal(changed.status, 204, JSON.stringify(changed.body));
      assert.deepEqual(new Set(await validations(url, admin, u2.token, N)), new Set([404]));
    });
  });
}

const twoInstanceKinds: CacheKind[] = [...(redisWanted() ? ['redis' as CacheKind] : []), 'none'];
const withPostgres = databaseKinds().includes('postgres');

for (const cache of twoInstanceKinds) {
  describe(
    `two keystone-all instances on one PostgreSQL, cache ${cache}`,
    { skip: withPostgres ? false : 'needs PostgreSQL (CI=true or KEYSTONE_TEST_POSTGRES=1)' },
    () => {
      let db: TestDatabase;
      let a: KeystoneInstance;
      let b: KeystoneInstance;
      let keysDir: string;
      before(async () => {
        db = await createTestDatabase('postgres');
        keysDir = mkdtempSync(join(tmpdir(), 'keystone-shared-keys-'));
        const prefix = `ks-two-${Date.now()}:`;
        const config = cacheConfig(cache, prefix);
        a = await startKeystoneAll({ connection: db.connection, fernetKeys: join(keysDir, 'keys'), workers: 2, config, initialize: true });
        b = await startKeystoneAll({ connection: db.connection, fernetKeys: join(keysDir, 'keys'), workers: 2, config });
      });
      after(async () => {
        await a?.stop();
        await b?.stop();
        await db?.close();
        if (keysDir) rmSync(keysDir, { recursive: true, force: true });
      });

      test('a token revoked on one instance is refused by the other at once, both ways', async () => {
        const adminA = await instanceToken(a.publicUrl);
        const adminB = await instanceToken(b.publicUrl);
        const t1 = await instanceToken(a.publicUrl);
        assert.deepEqual(new Set(await validations(b.publicUrl, adminB, t1, N)), new Set([200]));
        assert.deepEqual(new Set(await validations(a.publicUrl, adminA, t1, N)), new Set([200]));
        const del = await fetch(`${a.publicUrl}/v3/auth/tokens`, {
          method: 'DELETE',
          headers: { 'X-Auth-Token': adminA, 'X-Subject-Token': t1 },
        });
        assert.equal(del.status, 204);
        assert.deepEqual(new Set(await validations(b.publicUrl, adminB, t1, N)), new Set([404]));

        const t2 = await instanceToken(b.publicUrl);
        assert.deepEqual(new Set(await validations(a.publicUrl, adminA, t2, N)), new Set([200]));
        const del2 = await fetch(`${b.publicUrl}/v3/auth/tokens`, {
          method: 'DELETE',
          headers: { 'X-Auth-Token': adminB, 'X-Subject-Token': t2 },
        });
        assert.equal(del2.status, 204);
        assert.deepEqual(new Set(await validations(a.publicUrl, adminA, t2, N)), new Set([404]));

        const u = await userWithToken(a.publicUrl, adminA);
        assert.deepEqual(new Set(await validations(b.publicUrl, adminB, u.token, N)), new Set([200]));
        const disabled = await api(a.publicUrl, 'PATCH', `/v3/users/${u.userId}`, adminA, { user: { enabled: false } });
        assert.equal(disabled.status, 200);
        assert.deepEqual(new Set(await validations(b.publicUrl, adminB, u.token, N)), new Set([404]));
      });
    },
  );
}

/** A private redis-server on a free port (started and stopped by this test only). */
async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => {
        resolve(port);
      });
    });
  });
}

const redisServer = spawnSync('redis-server', ['--version']).error === undefined;

describe(
  'Redis down: validation from SQL, one log line per worker, the cache comes back',
  { skip: redisServer ? false : process.env.CI === 'true' ? false : 'redis-server is not installed' },
  () => {
    let ks: KeystoneInstance;
    let redis: ChildProcess | null = null;
    let port: number;
    const startRedis = async () => {
      redis = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
        stdio: 'ignore',
      });
      await sleep(500);
    };
    const stopRedis = async () => {
      if (!redis) return;
      const r = redis;
      redis = null;
      r.kill('SIGTERM');
      await new Promise((res) => r.once('exit', res));
    };
    before(async () => {
      assert.ok(redisServer, 'redis-server is required when CI=true');
      port = await freePort();
      await startRedis();
      ks = await startKeystoneAll({
        workers: 2,
        config: { cache: { enabled: true, backend: 'dogpile.cache.redis', backend_argument: [`url:redis://127.0.0.1:${port}/0`] } },
      });
    });
    after(async () => {
      await ks?.stop();
      await stopRedis();
    });

    test('Redis stops and comes back while tokens are validated and revoked', async () => {
      const url = ks.publicUrl;
      const admin = await instanceToken(url);
      const t1 = await instanceToken(url);
      assert.deepEqual(new Set(await validations(url, admin, t1, 12)), new Set([200]));
      await stopRedis();
      assert.deepEqual(new Set(await validations(url, admin, t1, 12)), new Set([200]), 'valid tokens still validate');
      const t2 = await instanceToken(url);
      assert.deepEqual(new Set(await validations(url, admin, t2, 6)), new Set([200]));
      const del = await fetch(`${url}/v3/auth/tokens`, { method: 'DELETE', headers: { 'X-Auth-Token': admin, 'X-Subject-Token': t1 } });
      assert.equal(del.status, 204);
      assert.deepEqual(new Set(await validations(url, admin, t1, 12)), new Set([404]), 'a revocation during the outage holds');
      const logged = (ks.output().match(/Redis unavailable/g) ?? []).length;
      assert.ok(logged >= 1 && logged <= 3, `logged ${logged} times`);
      await startRedis();
      await sleep(3000);
      assert.deepEqual(new Set(await validations(url, admin, t1, 12)), new Set([404]), 'still refused after Redis returns');
      assert.deepEqual(new Set(await validations(url, admin, t2, 12)), new Set([200]));
      assert.match(ks.output(), /Redis is reachable again/);
      assert.equal((ks.output().match(/Redis unavailable/g) ?? []).length, logged, 'no further error lines');
    });
  },
);
