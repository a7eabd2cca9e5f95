/**
 * The pieces of src/metrics in process: the primary's collection protocol,
 * merging, key repository stats, the database instrumentation. What a real
 * keystone-all counts is tested against a running one in request-counts.test.ts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import cluster from 'node:cluster';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeTestConfig } from '../helpers/test-config.js';
import { startMetricsServer, collectWorkerMetrics, mergeMetrics, keyRepositoryStats, type ClusterLike } from '../../src/metrics/server.js';
import { Counter, Histogram, Registry } from 'prom-client';
import {
  sqlOperation,
  instrumentDatabase,
  dbQueryDuration,
  dbQueryErrors,
  routeLabel,
  tokenOperations,
  recordTokenOperation,
  httpMetrics,
  httpRequestDuration,
} from '../../src/metrics/metrics.js';
import { parseExposition, sum } from './scrape.js';

const parse = (text: string) => parseExposition(text).samples;

test('a worker that does not answer is left out of the scrape instead of failing it', async () => {
  const listeners: ((w: { id: number }, m: unknown) => void)[] = [];
  const fake: ClusterLike = {
    workers: {
      1: {
        id: 1,
        send: (msg: unknown) => {
          setImmediate(() => {
            listeners.forEach((l) => {
              l(
                { id: 1 },
                {
                  type: 'keystone:metrics:response',
                  id: (msg as { id: number }).id,
                  service: 'public',
                  worker: 'public-1',
                  pid: 1,
                  metrics: [],
                },
              );
            });
          });
          return true;
        },
      },
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
  const dir = mkdtempSync(join(tmpdir(), 'keystone-metrics-'));
  const keys = join(dir, 'credential-stats');
  mkdirSync(keys);
  assert.deepEqual(keyRepositoryStats(keys), { keys: 0 });
  for (const k of ['0', '1', '5', 'README']) writeFileSync(join(keys, k), 'k');
  const st = keyRepositoryStats(keys);
  assert.equal(st.keys, 3);
  assert.equal(st.primaryKeyIndex, 5);
  assert.ok((st.primaryKeyAgeSeconds ?? -1) >= 0);
  assert.deepEqual(keyRepositoryStats(join(dir, 'absent')), { keys: 0 });
  rmSync(dir, { recursive: true, force: true });
});

test('database instrumentation times statements by operation and counts errors', async () => {
  assert.equal(sqlOperation('  SELECT 1'), 'select');
  assert.equal(sqlOperation({ text: 'insert into x values (1)' }), 'insert');
  assert.equal(sqlOperation('VACUUM'), 'other');
  const calls: string[] = [];
  const pgp = { $config: { options: { error: () => calls.push('orig-error') } as Record<string, unknown> } };
  instrumentDatabase(pgp);
  const before = (await dbQueryDuration.get()).values
    .filter((v) => v.metricName?.endsWith('_count') && v.labels.operation === 'update')
    .reduce((a, v) => a + v.value, 0);
  (pgp.$config.options.receive as (e: unknown) => void)({ result: { duration: 12 }, ctx: { query: 'UPDATE project SET x = 1' } });
  (pgp.$config.options.error as (err: unknown, e: unknown) => void)(new Error('x'), { query: 'DELETE FROM t' });
  const after = (await dbQueryDuration.get()).values
    .filter((v) => v.metricName?.endsWith('_count') && v.labels.operation === 'update')
    .reduce((a, v) => a + v.value, 0);
  assert.equal(after - before, 1);
  assert.deepEqual(calls, ['orig-error']);
  assert.equal((await dbQueryErrors.get()).values.find((v) => v.labels.operation === 'delete')?.value, 1);
  // refused for its data (a duplicate name, an invalid value): the client's 4xx, not a database error
  (pgp.$config.options.error as (err: unknown, e: unknown) => void)(Object.assign(new Error('dup'), { code: '23505' }), {
    query: 'INSERT INTO project VALUES (1)',
  });
  (pgp.$config.options.error as (err: unknown, e: unknown) => void)(Object.assign(new Error('bad'), { code: '22P02' }), {
    query: 'SELECT 1',
  });
  assert.equal(
    (await dbQueryErrors.get()).values.find((v) => v.labels.operation === 'insert'),
    undefined,
  );
  (pgp.$config.options.error as (err: unknown, e: unknown) => void)(Object.assign(new Error('gone'), { code: '57P01' }), { cn: {} });
  assert.equal((await dbQueryErrors.get()).values.find((v) => v.labels.operation === 'connect')?.value, 1);
});

test('route labels are templates in JSON-Home form', () => {
  assert.equal(routeLabel('/v3/users/:user_id'), '/v3/users/{user_id}');
  assert.equal(
    routeLabel('/v3/projects/:project_id/users/:user_id/roles/:role_id'),
    '/v3/projects/{project_id}/users/{user_id}/roles/{role_id}',
  );
  assert.equal(routeLabel('/v3'), '/v3');
});

test('token operations recorded between scrapes are all in the next one', async () => {
  const count = async () =>
    (await tokenOperations.get()).values
      .filter((v) => v.labels.operation === 'revoke' && v.labels.method === 'token')
      .reduce((a, v) => a + v.value, 0);
  const start = await count();
  for (let i = 0; i < 7; i++) recordTokenOperation('revoke', 'fernet', 'token', 'success');
  assert.equal(await count(), start + 7);
  recordTokenOperation('revoke', 'fernet', 'token', 'success');
  assert.equal(await count(), start + 8);
});

test('a response is timed once, whichever stages time it', async () => {
  const count = async () =>
    (await httpRequestDuration.get()).values
      .filter((v) => v.metricName?.endsWith('_count') && v.labels.route === '/once')
      .reduce((a, v) => a + v.value, 0);
  const listeners: Array<() => void> = [];
  const res = { statusCode: 200, writableFinished: true, on: (_e: 'close', fn: () => void) => listeners.push(fn) };
  const req = { method: 'GET', url: '/once', keystone: { routeTemplate: '/once' } };
  const timed = httpMetrics('public');
  timed(req, res, () => undefined);
  timed(req, res, () => undefined);
  for (const fn of listeners) fn();
  assert.equal(await count(), 1);
});

test('startMetricsServer returns null when [metrics] enabled = false', async () => {
  const off = makeTestConfig({ metrics: { enabled: false } });
  try {
    assert.equal(await startMetricsServer(off.conf, cluster), null);
  } finally {
    off.cleanup();
  }
});
