/**
 * Redis stopped under load, then started again (a private redis-server with
 * its append-only file on, so that what was cached before the outage is
 * still there when it returns: the stricter case):
 *  - token issue and validation keep answering from the database meanwhile;
 *  - revocations made during the outage and after it are honoured at once
 *    by every worker: no revoked token is accepted at any moment, in
 *    particular not while the workers reconnect to a Redis that still holds
 *    the entries of before the outage;
 *  - the cache comes back by itself (no worker restarts).
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startKeystone, type KeystoneProcess } from '../helpers/keystone-process.js';
import { databaseKinds } from '../helpers/test-database.js';
import { eventually, sleep } from '../process/http-client.js';
import { KeystoneClient, runLoad, timed, type Outcome } from './load.js';
import { skipUnless, startRedis, type PrivateRedis } from './backing-services.js';

const running = new Set<KeystoneProcess>();
let redis: PrivateRedis | undefined;
after(async () => {
  await Promise.all([...running].map((k) => k.stop({ signal: 'SIGKILL' })));
  await redis?.destroy();
});

const kind = databaseKinds().includes('postgres') ? 'postgres' : 'pglite';

describe(`Redis stopped and started under load (${kind})`, { skip: skipUnless(['redis-server']) }, () => {
  test('issue and validation answer from the database; no stale acceptance; the cache comes back', async (t) => {
    redis = await startRedis();
    const ks = await startKeystone({
      database: kind,
      config: {
        eventlet_server: { public_workers: 2, admin_workers: 1 },
        cache: { enabled: true, backend: 'dogpile.cache.redis', backend_argument: [`url:${redis.url}`] },
      },
    });
    running.add(ks);
    const client = new KeystoneClient(ks.publicUrl, { sockets: 4 });
    const revoker = new KeystoneClient(ks.publicUrl, { sockets: 1 });
    try {
      const workersBefore = ks
        .workers()
        .map((w) => w.pid)
        .sort();
      const admin = await client.token(ks.adminPassword);
      const newTokens = (n: number) => Promise.all(Array.from({ length: n }, () => client.token(ks.adminPassword)));
      // valid throughout; revoked during the outage; revoked after Redis returns
      const valid = await newTokens(6);
      const duringOutage = await newTokens(10);
      const afterOutage = await newTokens(10);
      // every worker validates (and caches) all of them before the outage: fresh connections spread over the workers
      for (const t of [...valid, ...duringOutage, ...afterOutage]) {
        for (let i = 0; i < 4; i++) {
          const fresh = new KeystoneClient(ks.publicUrl, { sockets: 1 });
          assert.equal(await fresh.validate(admin, t), 200);
          fresh.close();
        }
      }

      /** token → when its DELETE returned */
      const revokedAt = new Map<string, number>();
      const stale: Outcome[] = [];
      const issueBody = {
        auth: {
          identity: { methods: ['password'], password: { user: { name: 'admin', domain: { id: 'default' }, password: ks.adminPassword } } },
        },
      };
      const load = runLoad({
        loops: 4,
        step: async (n, loop) => {
          const k = (n * 4 + loop) % 10;
          if (k === 0) return timed('issue', () => client.send('POST', '/v3/auth/tokens?nocatalog', { body: issueBody }));
          if (k < 4)
            return timed('validate-valid', () =>
              client.send('GET', '/v3/auth/tokens?nocatalog', { token: admin, subject: valid[n % valid.length] }),
            );
          // only tokens already revoked: the others stay memoized as they were before the outage
          const pool = (k < 7 ? duringOutage : afterOutage).filter((t) => revokedAt.has(t));
          if (pool.length === 0)
            return timed('validate-valid', () =>
              client.send('GET', '/v3/auth/tokens?nocatalog', { token: admin, subject: valid[n % valid.length] }),
            );
          const subject = pool[n % pool.length];
          const r = await timed('validate-other', () => client.send('GET', '/v3/auth/tokens?nocatalog', { token: admin, subject }));
          const at = revokedAt.get(subject);
          if (r.status === 200 && at !== undefined && r.startedAt > at) stale.push({ ...r, note: subject.slice(0, 12) });
          return r;
        },
      });
      const revoke = async (tokens: string[]) => {
        for (const t of tokens) {
          const r = await revoker.send('DELETE', '/v3/auth/tokens', { token: admin, subject: t });
          assert.equal(r.status, 204, r.body);
          revokedAt.set(t, Date.now());
          await sleep(50);
        }
      };

      await eventually(() => load.results.length >= 200, 60_000, 'warm-up');
      await redis.stop();
      const outageStart = load.results.length;
      await eventually(() => load.results.length >= outageStart + 100, 60_000, 'requests during the outage');
      await revoke(duringOutage);
      await eventually(() => load.results.length >= outageStart + 400, 60_000, 'requests during the outage');
      const outageEnd = load.results.length;
      await redis.start();
      await ks.waitForOutput(/Redis is reachable again/, 30_000);
      await eventually(() => load.results.length >= outageEnd + 300, 60_000, 'requests after Redis returned');
      await revoke(afterOutage);
      await eventually(() => load.results.length >= outageEnd + 600, 60_000, 'requests after the revocations');
      const report = await load.stop();
      t.diagnostic(report.summary());

      assert.deepEqual(stale, [], 'a revoked token was accepted');
      assert.deepEqual(report.unanswered().slice(0, 5), [], report.summary());
      const during = report.results.slice(outageStart, outageEnd);
      assert.ok(
        during.some((r) => r.op === 'issue' && r.status === 201),
        'tokens issued during the outage',
      );
      assert.ok(
        during.some((r) => r.op === 'validate-valid' && r.status === 200),
        'tokens validated during the outage',
      );
      assert.deepEqual(
        report.unexpected({ issue: [201], 'validate-valid': [200], 'validate-other': [200, 404] }).slice(0, 5),
        [],
        report.summary(),
      );
      for (const t of [...duringOutage, ...afterOutage]) assert.equal(await client.validate(admin, t), 404);
      for (const t of valid) assert.equal(await client.validate(admin, t), 200);

      // Redis is used again, by the same workers: each public worker holds its broadcast lease again
      // (a key of 1 s that only a worker subscribed to the invalidations renews), so that it answers
      // validations from memory and hears of changes instead of asking (src/token/memo-version.ts).
      for (let i = 0; i < 20; i++) assert.equal(await client.validate(admin, valid[i % valid.length]), 200);
      await eventually(
        async () => ((await redis!.command('KEYS', 'keystone:broadcast-lease:*')) as string[]).length >= 2,
        10_000,
        'both public workers holding their lease again',
      );
      assert.deepEqual(
        ks
          .workers()
          .map((w) => w.pid)
          .sort(),
        workersBefore,
        'no worker was restarted',
      );
      assert.doesNotMatch(ks.output(), /died/);
    } finally {
      client.close();
      revoker.close();
      running.delete(ks);
      await ks.stop();
    }
  });
});
