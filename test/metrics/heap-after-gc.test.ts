import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { Registry } from 'prom-client';
import { observeHeapAfterMajorGc } from '../../src/metrics/heap-after-gc.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

async function live(registry: Registry): Promise<number> {
  const metric = await registry.getSingleMetric('nodejs_heap_used_after_major_gc_bytes')!.get();
  return metric.values[0].value;
}

test('nodejs_heap_used_after_major_gc_bytes follows the live set of full collections', async () => {
  const registry = new Registry();
  observeHeapAfterMajorGc(registry);
  assert.equal(await live(registry), 0, 'nothing before the first full collection');

  gc();
  await new Promise((r) => setTimeout(r, 50));
  const before = await live(registry);
  assert.ok(before > 1_000_000, `a live set was measured (${before})`);

  let kept: string[] | null = Array.from({ length: 200_000 }, (_, i) => `kept-${i}-${'x'.repeat(40)}`);
  gc();
  await new Promise((r) => setTimeout(r, 50));
  const withKept = await live(registry);
  assert.ok(withKept > before + 10_000_000, `memory that is kept shows (${before} → ${withKept})`);

  assert.equal(kept.length, 200_000);
  // eslint-disable-next-line no-useless-assignment -- dropping the last reference is the point: gc() below frees it
  kept = null;
  gc();
  await new Promise((r) => setTimeout(r, 50));
  const released = await live(registry);
  assert.ok(released < withKept - 10_000_000, `memory that is let go leaves it (${withKept} → ${released})`);
});
