/**
 * kill -9 of a keystone-public worker under steady load (two keep-alive
 * connections issuing tokens, validating them and creating projects): the
 * primary replaces it, fewer than 0.1% of the requests go unanswered (only
 * those the dead worker was serving), every other answer is the normal one,
 * and every project whose create answered 201 is readable afterwards.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startKeystone, type KeystoneProcess } from '../helpers/keystone-process.js';
import { eventually } from '../process/http-client.js';
import { KeystoneClient, runLoad, timed } from './load.js';

const LOOPS = 2;
/**
 * Requests after the kill: the unanswered ones can only be those in flight on the dead worker
 * (at most one per connection, LOOPS), so 500 + 2000 requests keep them under 0.1%.
 */
const AFTER_KILL = 2000;

const running = new Set<KeystoneProcess>();
after(async () => {
  await Promise.all([...running].map((k) => k.stop({ signal: 'SIGKILL' })));
});

// The embedded database (hosted by the primary, shared by the workers over a socket) is the case where a
// worker dying mid-transaction could hurt others; PostgreSQL is the database's own business.
const kind = 'pglite';

describe(`kill -9 of a worker under load (${kind})`, () => {
  test('the primary replaces it; < 0.1% unanswered; every 201 create is readable', async (t) => {
    const ks = await startKeystone({ database: kind, config: { eventlet_server: { public_workers: 2, admin_workers: 1 } } });
    running.add(ks);
    const client = new KeystoneClient(ks.publicUrl, { sockets: LOOPS });
    try {
      const publicWorkers = () => ks.workers().filter((w) => w.service === 'public');
      const before = await eventually(
        () => {
          const p = publicWorkers();
          return p.length === 2 ? p : null;
        },
        20_000,
        'two public workers',
      );
      const admin = await client.token(ks.adminPassword);
      const subjects = await Promise.all([0, 1, 2].map(() => client.token(ks.adminPassword)));

      const load = runLoad({
        loops: LOOPS,
        step: (n, loop) => {
          const k = (n * LOOPS + loop) % 20;
          if (k === 0) {
            return timed(
              'create',
              () =>
                client.send('POST', '/v3/projects', {
                  token: admin,
                  body: { project: { name: `p-${loop}-${n}-${Date.now()}`, domain_id: 'default' } },
                }),
              (a) => (a.status === 201 ? (JSON.parse(a.body) as { project: { id: string } }).project.id : undefined),
            );
          }
          if (k === 1)
            return timed('issue', () =>
              client.send('POST', '/v3/auth/tokens?nocatalog', {
                body: {
                  auth: {
                    identity: {
                      methods: ['password'],
                      password: { user: { name: 'admin', domain: { id: 'default' }, password: ks.adminPassword } },
                    },
                  },
                },
              }),
            );
          return timed('validate', () =>
            client.send('GET', '/v3/auth/tokens?nocatalog', { token: admin, subject: subjects[n % subjects.length] }),
          );
        },
      });
      await eventually(() => load.results.length >= 500, 60_000, 'warm-up');
      const victim = before[0];
      const atKill = load.results.length;
      process.kill(victim.pid, 'SIGKILL');
      const m = await ks.waitForOutput(
        new RegExp(`restarted keystone-public: worker \\d+ \\(pid (\\d+)\\) replaces worker \\d+ \\(pid ${victim.pid}\\)`),
        30_000,
      );
      const replacement = Number(m[1]);
      await eventually(
        () => {
          const p = publicWorkers();
          return p.length === 2 && p.some((w) => w.pid === replacement) && !p.some((w) => w.pid === victim.pid);
        },
        30_000,
        'the replacement worker',
      );
      await eventually(() => load.results.length >= atKill + AFTER_KILL, 120_000, `${AFTER_KILL} requests after the kill`);
      const report = await load.stop();
      t.diagnostic(report.summary());

      const total = report.results.length;
      const unanswered = report.unanswered();
      assert.ok(unanswered.length / total < 0.001, `${unanswered.length} of ${total} requests unanswered: ${report.summary()}`);
      assert.ok(
        unanswered.length <= LOOPS,
        `only requests in flight on the killed worker may go unanswered: ${JSON.stringify(unanswered.slice(0, 5))}`,
      );
      assert.deepEqual(report.unexpected({ create: [201], issue: [201], validate: [200] }).slice(0, 5), [], report.summary());
      assert.match(ks.output(), new RegExp(`keystone-public worker \\d+ \\(pid ${victim.pid}\\) died \\(signal SIGKILL\\)`));

      const created = report.results.filter((r) => r.op === 'create' && r.status === 201).map((r) => r.note!);
      assert.ok(created.length > 50, `only ${created.length} projects created`);
      const missing: string[] = [];
      for (const id of created) {
        const r = await client.send('GET', `/v3/projects/${id}`, { token: admin });
        if (r.status !== 200) missing.push(`${id}: ${r.status}`);
      }
      assert.deepEqual(missing, [], 'every project whose create answered 201 is readable');
      // the survivors and the replacement keep serving after the load
      for (let i = 0; i < 8; i++) assert.equal(await client.validate(admin, subjects[0]), 200);
    } finally {
      client.close();
      running.delete(ks);
      await ks.stop();
    }
  });
});
