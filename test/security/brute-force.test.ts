/**
 * Brute force against a real keystone-all with three public workers and
 * [security_compliance] lockout_failure_attempts = N, lockout_duration = 4 s:
 * concurrent wrong passwords, spread over the workers, lock the account after
 * exactly N failures (each attempt counted once, in the shared database, not
 * per worker); the right password is then refused until lockout_duration has
 * passed, and accepted after.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Agent, request } from 'node:http';
import { startKeystone, type KeystoneProcess } from '../helpers/keystone-process.js';
import { databaseKinds } from '../helpers/test-database.js';
import { bootstrapAdminToken, mustCreate } from './victims.js';

const N = 4;
/** long enough that a loaded machine still checks the lock within it; the test waits it out once */
const LOCKOUT_SECONDS = 4;
const PASSWORD = 'the-right-password';

const running = new Set<KeystoneProcess>();
after(async () => {
  await Promise.all([...running].map((k) => k.stop()));
});

/** One login on its own connection (so the primary hands the attempts to different workers). */
function login(baseUrl: string, userId: string, password: string, marker: string): Promise<{ status: number; text: string }> {
  const body = JSON.stringify({ auth: { identity: { methods: ['password'], password: { user: { id: userId, password } } } } });
  const url = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const r = request(
      {
        host: url.hostname,
        port: url.port,
        method: 'POST',
        path: '/v3/auth/tokens?nocatalog',
        agent: new Agent({ keepAlive: false }),
        headers: {
          'Content-Type': 'application/json',
          'Content-Length': Buffer.byteLength(body),
          Connection: 'close',
          'User-Agent': `guess-${marker}`,
        },
      },
      (res) => {
        let text = '';
        res.on('data', (c) => {
          text += c;
        });
        res.on('end', () => {
          resolve({ status: res.statusCode ?? 0, text });
        });
      },
    );
    r.on('error', reject);
    r.end(body);
  });
}

/** The pids of the workers that logged an access line for `marker` (the User-Agent) with `status`. */
function servingPids(ks: KeystoneProcess, marker: string, status: number): Set<string> {
  const pids = new Set<string>();
  for (const line of ks.output().split('\n')) {
    const m = /^\S+ \S+ (\d+) /.exec(line);
    if (m && line.includes(`"POST /v3/auth/tokens HTTP/1.1" ${status} `) && line.includes(`"guess-${marker}"`)) pids.add(m[1]);
  }
  return pids;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

for (const kind of databaseKinds()) {
  describe(`lockout under concurrent guessing across workers (${kind})`, () => {
    let ks: KeystoneProcess;
    let admin: string;
    before(async () => {
      ks = await startKeystone({
        database: kind,
        config: {
          eventlet_server: { public_workers: 3, admin_workers: 1 },
          security_compliance: { lockout_failure_attempts: N, lockout_duration: LOCKOUT_SECONDS },
        },
      });
      running.add(ks);
      admin = await bootstrapAdminToken(ks.publicUrl, ks.adminPassword);
    });
    after(async () => {
      running.delete(ks);
      await ks?.stop();
    });

    test(`locked after exactly ${N} failures, refused while locked, accepted after lockout_duration`, async () => {
      const user = await mustCreate(ks.publicUrl, admin, '/v3/users', {
        user: { name: 'guessed', domain_id: 'default', password: PASSWORD },
      });
      const userId = user.id;

      // N-1 concurrent failures do not lock: the right password still works (and resets the count)
      const first = await Promise.all(Array.from({ length: N - 1 }, (_, i) => login(ks.publicUrl, userId, `wrong-${i}`, 'round1')));
      assert.deepEqual(
        first.map((a) => a.status),
        Array(N - 1).fill(401),
      );
      assert.equal((await login(ks.publicUrl, userId, PASSWORD, 'ok1')).status, 201, 'N-1 failures must not lock the account');

      // N-1 concurrent failures again, then one more: the N-th locks it
      const second = await Promise.all(Array.from({ length: N - 1 }, (_, i) => login(ks.publicUrl, userId, `wrong-${i}`, 'round2')));
      assert.deepEqual(
        second.map((a) => a.status),
        Array(N - 1).fill(401),
      );
      assert.equal((await login(ks.publicUrl, userId, 'wrong-last', 'round2')).status, 401);
      const lockedAt = Date.now();
      const refused = await login(ks.publicUrl, userId, PASSWORD, 'locked');
      assert.equal(refused.status, 401, 'the right password is refused once N failures are counted');
      assert.match(JSON.parse(refused.text).error.message, /locked/);

      // more concurrent guesses while locked: all refused, on every worker, the right password too
      const storm = await Promise.all(
        Array.from({ length: 12 }, (_, i) => login(ks.publicUrl, userId, i % 4 === 0 ? PASSWORD : `storm-${i}`, 'storm')),
      );
      assert.deepEqual(
        storm.map((a) => a.status),
        Array(12).fill(401),
      );
      assert.ok(
        servingPids(ks, 'storm', 401).size >= 2,
        `the guesses reached several workers: ${[...servingPids(ks, 'storm', 401)].join(', ')}`,
      );
      assert.ok(
        servingPids(ks, 'round1', 401).size + servingPids(ks, 'round2', 401).size >= 2,
        'the counted failures came from several workers',
      );

      // after lockout_duration: accepted
      await sleep(Math.max(0, lockedAt + LOCKOUT_SECONDS * 1000 + 300 - Date.now()));
      const afterwards = await login(ks.publicUrl, userId, PASSWORD, 'after');
      assert.equal(afterwards.status, 201, `accepted once lockout_duration has passed: ${afterwards.text}`);
      for (const secret of [PASSWORD, 'wrong-1', 'storm-1', 'wrong-last'])
        assert.ok(!ks.output().includes(secret), `${secret} in the server's output`);
    });

    test(`N concurrent wrong guesses at once lock the account (no lost update)`, async () => {
      const user = await mustCreate(ks.publicUrl, admin, '/v3/users', {
        user: { name: 'raced', domain_id: 'default', password: PASSWORD },
      });
      const guesses = await Promise.all(Array.from({ length: N }, (_, i) => login(ks.publicUrl, user.id, `wrong-${i}`, 'race')));
      assert.deepEqual(
        guesses.map((a) => a.status),
        Array(N).fill(401),
      );
      const refused = await login(ks.publicUrl, user.id, PASSWORD, 'locked');
      assert.equal(refused.status, 401, `N simultaneous failures on several workers lock the account: ${refused.text}`);
      assert.match(JSON.parse(refused.text).error.message, /locked/);
    });
  });
}
