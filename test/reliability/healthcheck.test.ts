/**
 * /healthcheck tells a load balancer the truth about a real keystone-all:
 *  - PostgreSQL stopped (a private cluster; the machine's is never touched):
 *    503 "database unreachable" within seconds, 200 again once it is back;
 *  - the embedded database not answering (the primary that hosts it is
 *    stopped with SIGSTOP): 503 once the check's timeout passes, 200 after
 *    SIGCONT; a load balancer polling hard costs the database at most one
 *    query a second per worker;
 *  - a worker draining after SIGTERM answers 503 "draining" on the
 *    connections it still serves.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startKeystone, type KeystoneProcess } from '../helpers/keystone-process.js';
import { eventually, httpRequest } from '../process/http-client.js';
import { skipUnless, startPostgres, type PrivatePostgres } from './backing-services.js';
import { startNode } from './keystone-node.js';
import { metricsUrlOf, scrape, sum } from '../metrics/scrape.js';

/** How long /healthcheck may take to notice: the database check's 2 s timeout, its 1 s cache, and slack for a loaded machine. */
const NOTICE_MS = 15_000;

async function health(url: string, agent?: Agent): Promise<{ status: number; body: string }> {
  if (!agent) {
    const res = await httpRequest(`${url}/healthcheck`, { timeoutMs: 10_000 });
    return { status: res.status, body: res.body };
  }
  return new Promise((resolve, reject) => {
    const req = request(`${url}/healthcheck`, { agent }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d) => {
        body += d;
      });
      res.on('end', () => {
        resolve({ status: res.statusCode ?? 0, body });
      });
    });
    req.setTimeout(10_000, () => req.destroy(new Error(`timeout: ${url}/healthcheck`)));
    req.on('error', reject);
    req.end();
  });
}

describe('/healthcheck and PostgreSQL', { skip: skipUnless(['postgres']) }, () => {
  let pg: PrivatePostgres | undefined;
  let ks: KeystoneProcess | undefined;
  let keys: string | undefined;
  after(async () => {
    await ks?.stop({ signal: 'SIGKILL' });
    await pg?.destroy();
    if (keys) rmSync(keys, { recursive: true, force: true });
  });

  test('503 "database unreachable" within seconds of stopping PostgreSQL, 200 again after it returns', async () => {
    pg = await startPostgres();
    keys = mkdtempSync(join(tmpdir(), 'keystone-keys-'));
    ks = await startNode({
      connection: pg.connection,
      keys,
      initialize: true,
      config: { eventlet_server: { public_workers: 1, admin_workers: 1 } },
    });
    const node = ks;
    assert.deepEqual(await health(node.publicUrl), { status: 200, body: '' });
    assert.deepEqual(await health(node.adminUrl), { status: 200, body: '' });

    await pg.stop();
    for (const url of [node.publicUrl, node.adminUrl]) {
      const down = await eventually(
        async () => {
          const h = await health(url);
          return h.status === 503 ? h : null;
        },
        NOTICE_MS,
        `503 from ${url}/healthcheck`,
      );
      assert.equal(down.body, 'database unreachable');
    }
    const json = await httpRequest(`${node.publicUrl}/healthcheck`, { headers: { Accept: 'application/json' } });
    assert.equal(json.status, 503);
    assert.deepEqual(JSON.parse(json.body), { detailed: false, reasons: ['database unreachable'] });
    const head = await httpRequest(`${node.publicUrl}/healthcheck`, { method: 'HEAD' });
    assert.equal(head.status, 503);

    await pg.start();
    for (const url of [node.publicUrl, node.adminUrl]) {
      await eventually(async () => (await health(url)).status === 200, NOTICE_MS, `200 from ${url}/healthcheck after PostgreSQL returned`);
    }
    assert.deepEqual(await health(node.publicUrl), { status: 200, body: '' });
  });
});

describe('/healthcheck and the embedded database', () => {
  let ks: KeystoneProcess | undefined;
  after(async () => {
    if (ks) {
      try {
        process.kill(ks.pid, 'SIGCONT');
      } catch {
        /* gone */
      }
      await ks.stop();
    }
  });

  test('a load balancer polling hard costs the database at most one query a second per worker', async () => {
    ks = await startKeystone({ config: { metrics: { enabled: true }, eventlet_server: { public_workers: 1, admin_workers: 1 } } });
    const url = await metricsUrlOf(ks);
    const selects = async () => sum((await scrape(url)).samples, 'keystone_db_query_duration_seconds_count', { operation: 'select' });
    const before = await selects();
    const started = Date.now();
    for (let i = 0; i < 40; i++) assert.equal((await health(ks.publicUrl)).status, 200);
    const seconds = (Date.now() - started) / 1000;
    const queries = (await selects()) - before;
    assert.ok(queries >= 1, 'the database was checked');
    assert.ok(queries <= Math.ceil(seconds) + 1, `${queries} queries for 40 health checks in ${seconds.toFixed(1)} s`);
  });

  test('503 while the database does not answer (its host, the primary, stopped), 200 once it answers again', async () => {
    assert.ok(ks);
    const node = ks;
    // one kept-alive connection, opened now: a stopped primary accepts no new ones (node:cluster hands them out)
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    try {
      assert.equal((await health(node.publicUrl, agent)).status, 200);
      process.kill(node.pid, 'SIGSTOP');
      try {
        const down = await eventually(
          async () => {
            const h = await health(node.publicUrl, agent);
            return h.status === 503 ? h : null;
          },
          NOTICE_MS,
          '503 while the embedded database hangs',
        );
        assert.equal(down.body, 'database unreachable');
      } finally {
        process.kill(node.pid, 'SIGCONT');
      }
      await eventually(
        async () => (await health(node.publicUrl, agent)).status === 200,
        NOTICE_MS,
        '200 once the embedded database answers again',
      );
    } finally {
      agent.destroy();
    }
  });
});

describe('/healthcheck of a draining worker', () => {
  let ks: KeystoneProcess | undefined;
  let socket: Socket | undefined;
  after(async () => {
    socket?.destroy();
    await ks?.stop({ signal: 'SIGKILL' });
  });

  test('after SIGTERM, a health check on a connection the worker still serves answers 503 "draining" and closes it', async () => {
    ks = await startKeystone({ config: { eventlet_server: { public_workers: 1, admin_workers: 1, shutdown_timeout: 20 } } });
    const node = ks;
    assert.equal((await health(node.publicUrl)).status, 200);
    // A health check whose body is still on its way: in flight when SIGTERM arrives, answered after.
    const s = connect(node.publicPort, '127.0.0.1');
    socket = s;
    let received = '';
    s.setEncoding('utf8');
    s.on('data', (d) => {
      received += String(d);
    });
    const closed = new Promise<void>((resolve) =>
      s.on('close', () => {
        resolve();
      }),
    );
    await new Promise<void>((resolve) =>
      s.once('connect', () => {
        resolve();
      }),
    );
    // one whole exchange first: the worker holds this connection
    s.write('GET /healthcheck HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
    await eventually(() => /\r\n\r\n$/.test(received), 10_000, 'the first answer');
    assert.match(received, /^HTTP\/1\.1 200 /);
    received = '';
    s.write('GET /healthcheck HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n');
    node.signal('SIGTERM');
    await node.waitForOutput(/keystone-public: draining \d+ in-flight request\(s\)/, 20_000);
    s.write('{}');
    await closed;
    const [head, body] = received.split('\r\n\r\n');
    assert.match(head, /^HTTP\/1\.1 503 /);
    assert.match(head, /\r\nconnection: close\r\n/i);
    assert.equal(body, 'draining');
    assert.equal((await node.exited).code, 0);
  });
});
