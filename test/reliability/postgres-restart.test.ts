/**
 * PostgreSQL restarted under load (a private cluster: initdb + pg_ctl on a
 * free port; the machine's PostgreSQL is never touched):
 *  - while it is down, requests that need it fail fast with 503 and
 *    Keystone's error body (never a hang, a reset or a 500);
 *  - once it is back, every request succeeds again by itself;
 *  - no worker is restarted.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { KeystoneProcess } from '../helpers/keystone-process.js';
import { eventually } from '../process/http-client.js';
import { isKeystoneError, KeystoneClient, runLoad, timed, type Outcome } from './load.js';
import { skipUnless, startPostgres, type PrivatePostgres } from './backing-services.js';
import { NODE_ADMIN_PASSWORD, startNode } from './keystone-node.js';

/** "fail fast": an answer while the database is down comes well within [database] connection timeouts */
const FAST_MS = 5000;

let pg: PrivatePostgres | undefined;
let ks: KeystoneProcess | undefined;
let keys: string | undefined;
after(async () => {
  await ks?.stop({ signal: 'SIGKILL' });
  await pg?.destroy();
  if (keys) rmSync(keys, { recursive: true, force: true });
});

describe('PostgreSQL restarted under load', { skip: skipUnless(['postgres']) }, () => {
  test("503 with Keystone's error body while it is down, recovery by itself, no worker restart", async (t) => {
    pg = await startPostgres();
    keys = mkdtempSync(join(tmpdir(), 'keystone-keys-'));
    ks = await startNode({
      connection: pg.connection,
      keys,
      initialize: true,
      config: { eventlet_server: { public_workers: 2, admin_workers: 1 } },
    });
    const node = ks;
    const client = new KeystoneClient(node.publicUrl, { sockets: 4 });
    try {
      const workersBefore = node
        .workers()
        .map((w) => w.pid)
        .sort();
      const admin = await client.token(NODE_ADMIN_PASSWORD);
      const subject = await client.token(NODE_ADMIN_PASSWORD);
      const issueBody = {
        auth: {
          identity: {
            methods: ['password'],
            password: { user: { name: 'admin', domain: { id: 'default' }, password: NODE_ADMIN_PASSWORD } },
          },
        },
      };
      const load = runLoad({
        loops: 4,
        pauseMs: 2,
        step: (n, loop): Promise<Outcome> => {
          const k = (n * 4 + loop) % 6;
          if (k === 0) return timed('issue', () => client.send('POST', '/v3/auth/tokens?nocatalog', { body: issueBody }));
          if (k === 1) return timed('list-projects', () => client.send('GET', '/v3/projects', { token: admin }));
          return timed('validate', () => client.send('GET', '/v3/auth/tokens?nocatalog', { token: admin, subject }));
        },
      });
      const normal = { issue: [201], 'list-projects': [200], validate: [200] };
      await eventually(() => load.results.length >= 200, 60_000, 'warm-up');
      const warm = load.results.length;
      await pg.stop();
      const downFrom = load.results.length;
      await eventually(
        () => load.results.slice(downFrom).filter((r) => r.status === 503).length >= 50,
        60_000,
        '503 answers while PostgreSQL is down',
      );
      await pg.start();
      const upFrom = load.results.length;
      // recovered: 100 answers in a row, all normal
      await eventually(
        () => {
          const tail = load.results.slice(-100);
          return load.results.length >= upFrom + 100 && tail.every((r) => normal[r.op as keyof typeof normal].includes(r.status));
        },
        60_000,
        'recovery after PostgreSQL returned',
      );
      const recovered = load.results.length;
      await eventually(() => load.results.length >= recovered + 300, 60_000, 'requests after the recovery');
      const report = await load.stop();
      t.diagnostic(report.summary());

      assert.deepEqual(
        report.results.slice(0, warm).filter((r) => r.status !== 201 && r.status !== 200),
        [],
        'warm-up',
      );
      assert.deepEqual(report.unanswered().slice(0, 5), [], `every request got an answer: ${report.summary()}`);
      const outage = report.results.slice(downFrom, upFrom);
      const unavailable = outage.filter((r) => r.status === 503);
      assert.ok(unavailable.length >= 50);
      for (const r of report.results.filter((x) => x.status === 503)) {
        assert.ok(isKeystoneError(r), `Keystone's error body: ${r.body}`);
        assert.ok(r.endedAt - r.startedAt < FAST_MS, `503 after ${r.endedAt - r.startedAt} ms`);
      }
      // nothing but the normal answer or 503, ever
      assert.deepEqual(
        report.results.filter((r) => r.status !== 503 && !normal[r.op as keyof typeof normal].includes(r.status)).slice(0, 5),
        [],
        report.summary(),
      );
      assert.deepEqual(
        report.results
          .slice(recovered)
          .filter((r) => r.status !== 200 && r.status !== 201)
          .slice(0, 5),
        [],
        'after the recovery',
      );
      assert.deepEqual(
        node
          .workers()
          .map((w) => w.pid)
          .sort(),
        workersBefore,
        'no worker was restarted',
      );
      assert.doesNotMatch(node.output(), /died|unexpected (uncaughtException|unhandledRejection)/);
    } finally {
      client.close();
    }
  });
});
