/**
 * Signals to keystone-all under steady load (keep-alive connections issuing
 * and validating tokens):
 *  - SIGHUP replaces every worker one at a time: no connection is refused,
 *    no request goes unanswered, every answer is the normal one;
 *  - SIGTERM: every request already sent when the signal arrives is
 *    answered (normally), and the process exits 0.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startKeystone, type KeystoneProcess } from '../helpers/keystone-process.js';
import { eventually, sleep } from '../process/http-client.js';
import { KeystoneClient, runLoad, timed, type Outcome } from './load.js';

const running = new Set<KeystoneProcess>();
after(async () => {
  await Promise.all([...running].map((k) => k.stop({ signal: 'SIGKILL' })));
});

const EXPECTED = { issue: [201], validate: [200], discovery: [200] };

describe('signals under load', () => {
  test('SIGHUP: zero refused connections, every request answered; SIGTERM: in-flight requests complete', async (t) => {
    const ks = await startKeystone({ config: { eventlet_server: { public_workers: 2, admin_workers: 1, shutdown_timeout: 20 } } });
    running.add(ks);
    const pub = new KeystoneClient(ks.publicUrl, { sockets: 3 });
    const adm = new KeystoneClient(ks.adminUrl, { sockets: 1 });
    try {
      const before = await eventually(
        () => {
          const w = ks.workers();
          return w.filter((x) => x.service !== 'unknown').length === 3 ? w : null;
        },
        20_000,
        'three workers',
      );
      const admin = await pub.token(ks.adminPassword);
      const issueBody = {
        auth: {
          identity: { methods: ['password'], password: { user: { name: 'admin', domain: { id: 'default' }, password: ks.adminPassword } } },
        },
      };
      const step = (n: number, loop: number): Promise<Outcome> => {
        if (loop === 3) return timed('discovery', () => adm.send('GET', '/v3'));
        if ((n + loop) % 8 === 0) return timed('issue', () => pub.send('POST', '/v3/auth/tokens?nocatalog', { body: issueBody }));
        return timed('validate', () => pub.send('GET', '/v3/auth/tokens?nocatalog', { token: admin, subject: admin }));
      };

      // ---- SIGHUP
      const hupLoad = runLoad({ loops: 4, step });
      await eventually(() => hupLoad.results.length >= 200, 60_000, 'warm-up');
      ks.signal('SIGHUP');
      await ks.waitForOutput(/SIGHUP: reload complete/, 120_000);
      const afterReload = hupLoad.results.length;
      await eventually(() => hupLoad.results.length >= afterReload + 200, 60_000, 'requests after the reload');
      const hup = await hupLoad.stop();
      t.diagnostic(`SIGHUP: ${hup.summary()}`);
      const refused = hup.unanswered().filter((r) => /ECONNREFUSED/.test(r.error ?? ''));
      assert.deepEqual(refused, [], 'no refused connection');
      assert.deepEqual(hup.unanswered().slice(0, 5), [], `every request answered during the reload: ${hup.summary()}`);
      assert.deepEqual(hup.unexpected(EXPECTED).slice(0, 5), [], hup.summary());
      const rolled = ks.workers();
      assert.equal(rolled.length, 3);
      for (const w of rolled) assert.ok(!before.some((b) => b.pid === w.pid), `worker ${w.pid} was not replaced`);

      // ---- SIGTERM
      const termLoad = runLoad({ loops: 4, step });
      await eventually(() => termLoad.results.length >= 200, 60_000, 'warm-up');
      const signalledAt = Date.now();
      const inFlight = termLoad.inFlight();
      ks.signal('SIGTERM');
      const exit = await ks.exited;
      const term = await termLoad.stop();
      t.diagnostic(`SIGTERM with ${inFlight} request(s) in flight: ${term.summary()}`);
      assert.deepEqual(exit, { code: 0, signal: null });
      assert.ok(inFlight > 0, 'requests were in flight when SIGTERM was sent');
      const sentBefore = term.results.filter((r) => r.startedAt < signalledAt);
      const lost = sentBefore.filter((r) => r.status === 0);
      assert.deepEqual(lost, [], 'every request sent before SIGTERM is answered');
      assert.deepEqual(
        sentBefore.filter((r) => !EXPECTED[r.op as keyof typeof EXPECTED].includes(r.status)),
        [],
      );
      // after the drain nothing listens any more
      await sleep(100);
      await assert.rejects(new KeystoneClient(ks.publicUrl).send('GET', '/v3'), /ECONNREFUSED/);
      assert.match(ks.output(), /keystone-all stopped/);
    } finally {
      pub.close();
      adm.close();
      running.delete(ks);
      await ks.stop();
    }
  });
});
