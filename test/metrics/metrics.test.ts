import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import cluster, { type Worker } from 'node:cluster';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { makeTestConfig, type TestConfig } from '../helpers/test-config.js';
import { startMetricsServer, recordWorkerRestart, collectWorkerMetrics, mergeMetrics, keyRepositoryStats, type MetricsServer, type ClusterLike } from '../../src/metrics/server.js';
import { Counter, Histogram, Registry } from 'prom-client';
import { sqlOperation, instrumentDatabase, dbQueryDuration, dbQueryErrors } from '../../src/metrics/metrics.js';

const fixture = fileURLToPath(new URL('./fixtures/metrics-worker.js', import.meta.url));

interface Sample { name: string; labels: Record<string, string>; value: number }
function parse(text: string): Sample[] {
  const out: Sample[] = [];
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m) continue;
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]] = l[2];
    out.push({ name: m[1], labels, value: Number(m[3]) });
  }
  return out;
}
const sum = (samples: Sample[], name: string, filter: Record<string, string> = {}) =>
  samples.filter((s) => s.name === name && Object.entries(filter).every(([k, v]) => s.labels[k] === v)).reduce((a, s) => a + s.value, 0);

let tc: TestConfig;
let server: MetricsServer | null = null;
const workers: { worker: Worker; port: number; label: string; service: string }[] = [];

function fork(service: string): Promise<{ worker: Worker; port: number; label: string; service: string }> {
  const worker = cluster.fork({ KEYSTONE_TEST_SERVICE: service });
  return new Promise((resolve, reject) => {
    worker.once('error', reject);
    worker.on('message', (m: { type?: string; port?: number; worker?: string }) => {
      if (m?.type === 'test:ready') resolve({ worker, port: m.port as number, label: m.worker as string, service });
    });
  });
}

before(async () => {
  tc = makeTestConfig({ metrics: { enabled: true, bind_host: '127.0.0.1', port: 0 } });
  const keys = tc.conf.fernet_tokens.key_repository;
  mkdirSync(keys, { recursive: true });
  for (const k of ['0', '1', '2']) writeFileSync(join(keys, k), 'x'.repeat(44));
  cluster.setupPrimary({ exec: fixture, silent: true });
  workers.push(...(await Promise.all([fork('public'), fork('public'), fork('admin')])));
  server = await startMetricsServer(tc.conf, cluster);
});

after(async () => {
  await server?.close();
  for (const w of workers) w.worker.kill();
  tc?.cleanup();
});

test('a scrape of the primary shows every worker, labelled, and the counts add up to the requests sent', async () => {
  assert.ok(server, 'the metrics server started');
  assert.notEqual(server.port, 0);
  // Load: 14 requests over the shared public port, 3 to the admin worker; each
  // response names the worker that served it.
  const sent = new Map<string, number>(workers.map((w) => [w.label, 0]));
  const publicPort = workers[0].port;
  assert.equal(workers[1].port, publicPort, 'the public workers share a port');
  const send = async (port: number, n: number) => {
    const path = n % 2 === 0 ? `/v3/users/u${n}` : '/v3/auth/tokens';
    const r = await fetch(`http://127.0.0.1:${port}${path}`, { headers: { connection: 'close' } });
    await r.text();
    const by = r.headers.get('x-worker') ?? '?';
    sent.set(by, (sent.get(by) ?? 0) + 1);
  };
  await Promise.all(Array.from({ length: 14 }, (_, n) => send(publicPort, n)));
  for (let n = 0; n < 3; n++) await send(workers[2].port, n);
  const res = await fetch(`http://127.0.0.1:${server.port}/metrics`);
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type') ?? '', /text\/plain/);
  const samples = parse(await res.text());
  const labels = new Set(workers.map((w) => w.label));
  assert.equal(labels.size, 3, 'three distinct worker labels');
  let total = 0;
  for (const w of workers) {
    const count = sum(samples, 'keystone_http_request_duration_seconds_count', { worker: w.label });
    assert.equal(count, sent.get(w.label), `requests of ${w.label}`);
    assert.equal(sum(samples, 'keystone_http_request_duration_seconds_count', { worker: w.label, service: w.service }), count);
    assert.equal(sum(samples, 'keystone_token_operations_total', { worker: w.label, operation: 'validate', outcome: 'success' }), count);
    // process metrics of each worker, labelled
    assert.ok(samples.some((s) => s.name === 'process_resident_memory_bytes' && s.labels.worker === w.label), `process metrics of ${w.label}`);
    total += count;
  }
  assert.equal(total, 17);
  assert.equal(sum(samples, 'keystone_http_request_duration_seconds_count'), 17, 'sum over all workers');
  assert.equal(sum(samples, 'keystone_http_request_duration_seconds_count', { service: 'public' }), 14);
  assert.equal(sum(samples, 'keystone_http_request_duration_seconds_count', { service: 'admin' }), 3);
  // route templates, never raw paths
  assert.equal(sum(samples, 'keystone_http_request_duration_seconds_count', { route: '/v3/users/:user_id' }), 7 + 2);
  assert.equal(sum(samples, 'keystone_http_request_duration_seconds_count', { route: '/v3/auth/tokens' }), 7 + 1);
  assert.ok(!samples.some((s) => (s.labels.route ?? '').includes('/u0')));
  // cache hits/misses by cache
  assert.equal(sum(samples, 'keystone_cache_hits_total', { cache: 'token' }) + sum(samples, 'keystone_cache_misses_total', { cache: 'token' }), 17);
  assert.equal(sum(samples, 'keystone_cache_misses_total', { cache: 'token' }), 7 + 1);
  // the +Inf bucket equals the count, per worker
  for (const w of workers) {
    assert.equal(sum(samples, 'keystone_http_request_duration_seconds_bucket', { worker: w.label, le: '+Inf' }), sent.get(w.label));
  }
  // the primary's own series
  assert.equal(sum(samples, 'keystone_workers', { service: 'public' }), 2);
  assert.equal(sum(samples, 'keystone_workers', { service: 'admin' }), 1);
  assert.equal(sum(samples, 'keystone_fernet_keys', { repository: 'fernet_tokens' }), 3);
  const age = samples.find((s) => s.name === 'keystone_fernet_primary_key_age_seconds' && s.labels.repository === 'fernet_tokens');
  assert.ok(age && age.value >= 0 && age.value < 60, 'primary key age');
  assert.ok(samples.some((s) => s.name === 'process_resident_memory_bytes' && s.labels.worker === 'primary'));
});

test('worker restarts are counted by the primary', async () => {
  assert.ok(server);
  recordWorkerRestart('public', 'SIGKILL');
  recordWorkerRestart('public', 'SIGKILL');
  const samples = parse(await (await fetch(`http://127.0.0.1:${server.port}/metrics`)).text());
  assert.equal(sum(samples, 'keystone_worker_restarts_total', { service: 'public', reason: 'SIGKILL' }), 2);
});

test('a worker that does not answer is left out of the scrape instead of failing it', async () => {
  const listeners: ((w: { id: number }, m: unknown) => void)[] = [];
  const fake: ClusterLike = {
    workers: {
      1: { id: 1, send: (msg: unknown) => { setImmediate(() => listeners.forEach((l) => l({ id: 1 }, { type: 'keystone:metrics:response', id: (msg as { id: number }).id, service: 'public', worker: 'public-1', pid: 1, metrics: [] }))); return true; } },
      2: { id: 2, send: () => true },
    },
    on: (_e, l) => listeners.push(l as never),
  };
  const started = Date.now();
  const responses = await collectWorkerMetrics(fake, { timeoutMs: 200 });
  assert.equal(responses.length, 1);
  assert.equal(responses[0].worker, 'public-1');
  assert.ok(Date.now() - started >= 150);
});

test('mergeMetrics keeps series of different workers apart and adds identical series', async () => {
  const make = async (worker: string, n: number) => {
    const r = new Registry();
    r.setDefaultLabels({ worker });
    const c = new Counter({ name: 't_total', help: 'h', labelNames: ['x'], registers: [r] });
    const h = new Histogram({ name: 't_seconds', help: 'h', buckets: [1], registers: [r] });
    c.inc({ x: 'a' }, n);
    h.observe(0.5);
    return r.getMetricsAsJSON();
  };
  const a = await make('w1', 2);
  const b = await make('w2', 5);
  const c = await make('w2', 1);
  const text = await mergeMetrics([a, b, c] as never).metrics();
  const samples = parse(text);
  assert.equal(sum(samples, 't_total', { worker: 'w1' }), 2);
  assert.equal(sum(samples, 't_total', { worker: 'w2' }), 6);
  assert.equal(sum(samples, 't_seconds_count'), 3);
});

test('key repository stats: count and primary key', () => {
  const keys = join(tc.dir, 'credential-stats');
  mkdirSync(keys);
  assert.deepEqual(keyRepositoryStats(keys), { keys: 0 });
  for (const k of ['0', '1', '5', 'README']) writeFileSync(join(keys, k), 'k');
  const st = keyRepositoryStats(keys);
  assert.equal(st.keys, 3);
  assert.equal(st.primaryKeyIndex, 5);
  assert.ok((st.primaryKeyAgeSeconds ?? -1) >= 0);
  assert.deepEqual(keyRepositoryStats(join(tc.dir, 'absent')), { keys: 0 });
});

test('database instrumentation times statements by operation and counts errors', async () => {
  assert.equal(sqlOperation('  SELECT 1'), 'select');
  assert.equal(sqlOperation({ text: 'insert into x values (1)' }), 'insert');
  assert.equal(sqlOperation('VACUUM'), 'other');
  const calls: string[] = [];
  const pgp = { $config: { options: { error: () => calls.push('orig-error') } as Record<string, unknown> } };
  instrumentDatabase(pgp);
  const before = (await dbQueryDuration.get()).values.filter((v) => v.metricName?.endsWith('_count') && v.labels.operation === 'update').reduce((a, v) => a + v.value, 0);
  (pgp.$config.options.receive as (e: unknown) => void)({ result: { duration: 12 }, ctx: { query: 'UPDATE project SET x = 1' } });
  (pgp.$config.options.error as (err: unknown, e: unknown) => void)(new Error('x'), { query: 'DELETE FROM t' });
  const after = (await dbQueryDuration.get()).values.filter((v) => v.metricName?.endsWith('_count') && v.labels.operation === 'update').reduce((a, v) => a + v.value, 0);
  assert.equal(after - before, 1);
  assert.deepEqual(calls, ['orig-error']);
  assert.equal((await dbQueryErrors.get()).values.find((v) => v.labels.operation === 'delete')?.value, 1);
});

test('startMetricsServer returns null when [metrics] enabled = false', async () => {
  const off = makeTestConfig({ metrics: { enabled: false } });
  try {
    assert.equal(await startMetricsServer(off.conf, cluster), null);
  } finally {
    off.cleanup();
  }
});
