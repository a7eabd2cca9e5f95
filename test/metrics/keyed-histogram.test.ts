/**
 * src/metrics/keyed-histogram.ts scrapes as prom-client's own Histogram would for the same observations: the same
 * series, cumulative buckets, +Inf, _sum and _count, in the text format and in the JSON the primary aggregates.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Histogram, Registry } from 'prom-client';
import { KeyedHistogram } from '../../src/metrics/keyed-histogram.js';

const BUCKETS = [0.005, 0.01, 0.1, 1];
const observations: Array<[string, string, number]> = [
  ['GET', '200', 0.001],
  ['GET', '200', 0.005],
  ['GET', '200', 0.02],
  ['HEAD', '200', 3],
  ['GET', '404', 0.5],
  ['GET', '200', 0.0051],
];

/** The sample lines of a scrape, each with its labels in name order (the two libraries order them differently). */
function samples(text: string): string[] {
  return text
    .split('\n')
    .filter((l) => l !== '' && !l.startsWith('#'))
    .map((l) => {
      const m = /^(\w+)(?:\{(.*)\})? (.+)$/.exec(l);
      assert.ok(m, l);
      const labels = (m[2] ?? '').split(',').filter(Boolean).sort().join(',');
      return `${m[1]}{${labels}} ${m[3]}`;
    })
    .sort();
}

test('a keyed histogram scrapes as prom-client’s Histogram does', async () => {
  const ours = new Registry();
  const theirs = new Registry();
  ours.setDefaultLabels({ worker: 'public-1' });
  theirs.setDefaultLabels({ worker: 'public-1' });
  const keyed = new KeyedHistogram({
    name: 'h_seconds',
    help: 'h',
    labelNames: ['method', 'status'] as const,
    buckets: BUCKETS,
    registers: [ours],
  });
  const reference = new Histogram({
    name: 'h_seconds',
    help: 'h',
    labelNames: ['method', 'status'] as const,
    buckets: BUCKETS,
    registers: [theirs],
  });
  for (const [method, status, value] of observations) {
    keyed.observe(`${method} ${status}`, () => ({ method, status }), value);
    reference.observe({ method, status }, value);
  }
  const got = samples(await ours.metrics());
  assert.equal(got.length, 3 * (BUCKETS.length + 3));
  assert.deepEqual(got, samples(await theirs.metrics()));
  assert.ok(got.includes('h_seconds_bucket{le="0.01",method="GET",status="200",worker="public-1"} 3'), got.join('\n'));

  const json = (await ours.getMetricsAsJSON())[0];
  assert.equal(json.type, 'histogram');
  assert.equal(json.aggregator, 'sum');
});

test('a series held by a caller keeps counting after a reset', async () => {
  const registry = new Registry();
  const keyed = new KeyedHistogram({
    name: 'r_seconds',
    help: 'r',
    labelNames: ['route'] as const,
    buckets: BUCKETS,
    registers: [registry],
  });
  const series = keyed.seriesOf('a', () => ({ route: '/a' }));
  keyed.observeIn(series, 0.002);
  keyed.reset();
  keyed.observeIn(series, 0.2);
  const count = (await keyed.get()).values.find((v) => v.metricName === 'r_seconds_count');
  assert.equal(count?.value, 1);
  assert.match(await registry.metrics(), /r_seconds_bucket\{le="0\.1",route="\/a"\} 0/);
});
