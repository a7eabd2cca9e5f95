/**
 * A keystone-all worker gives back the heap a burst of requests grew (src/cli/all/idle-heap-trim.ts): once it
 * served no request for a whole interval, it runs a full collection, and its heap falls back to its live set.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { PerformanceObserver, constants } from 'node:perf_hooks';
import { getHeapSpaceStatistics, getHeapStatistics } from 'node:v8';
import { trimHeapWhenIdle } from '../../src/cli/all/idle-heap-trim.js';

const mb = (bytes: number) => bytes / 1048576;

test('after a burst, an idle worker collects its garbage', async () => {
  let garbage: unknown[] = [];
  const server = createServer((_req, res) => {
    // each request leaves garbage that lives across many scavenges, as requests in flight under load do
    for (let i = 0; i < 2000; i++) garbage.push({ text: `${'x'.repeat(64)}${String(i)}`, list: [i, i + 1] });
    if (garbage.length > 300_000) garbage = garbage.slice(-150_000);
    res.end('ok');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${String((server.address() as AddressInfo).port)}/`;
  trimHeapWhenIdle(server, 300);
  let majorAt = 0;
  const observer = new PerformanceObserver((list) => {
    for (const e of list.getEntries())
      if ((e as { detail?: { kind?: number } }).detail?.kind === constants.NODE_PERFORMANCE_GC_MAJOR) majorAt = Date.now();
  });
  observer.observe({ entryTypes: ['gc'] });
  try {
    const before = mb(getHeapStatistics().total_heap_size);
    // a burst long enough to grow the heap past the trim's threshold (a loaded machine serves fewer requests)
    const until = Date.now() + 10_000;
    while (Date.now() < until && mb(getHeapStatistics().total_heap_size) - before < 40) await (await fetch(url)).text();
    garbage = [];
    const ended = Date.now();
    const grown = mb(getHeapStatistics().total_heap_size) - before;
    assert.ok(grown > 24, `the burst grew the heap by ${grown.toFixed(0)} MB`);
    await new Promise((r) => setTimeout(r, 1200));
    assert.ok(majorAt > ended, 'a full collection ran once the worker was idle');
    assert.ok(mb(getHeapStatistics().used_heap_size) < 20, `back to the live set: ${mb(getHeapStatistics().used_heap_size).toFixed(0)} MB`);
  } finally {
    observer.disconnect();
    await new Promise((r) => server.close(r));
  }
});

test('a worker idle for a few seconds gives back the young generation a burst grew', async () => {
  const youngBytes = () => getHeapSpaceStatistics().find((s) => s.space_name === 'new_space')?.space_size ?? 0;
  const server = createServer((_req, res) => {
    // short-lived garbage with some survivors: V8 grows the young generation to its maximum
    const kept: unknown[] = [];
    for (let i = 0; i < 5000; i++) {
      const o = { text: `${'y'.repeat(32)}${String(i)}` };
      if (i % 4 === 0) kept.push(o);
    }
    res.end(String(kept.length));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${String((server.address() as AddressInfo).port)}/`;
  trimHeapWhenIdle(server, 300);
  try {
    // a burst: more than the 1,000 requests after which the trim tries again, growing the young generation
    const until = Date.now() + 20_000;
    let served = 0;
    while (Date.now() < until && (mb(youngBytes()) < 16 || served < 1000)) {
      await (await fetch(url)).text();
      served++;
    }
    const grown = mb(youngBytes());
    assert.ok(grown >= 16, `the burst grew the young generation to ${grown.toFixed(0)} MB`);
    // six seconds of idleness, then up to ten collections a second apart
    const deadline = Date.now() + 18_000;
    while (Date.now() < deadline && mb(youngBytes()) > 4) await new Promise((r) => setTimeout(r, 250));
    assert.ok(mb(youngBytes()) <= 4, `the young generation is back to ${mb(youngBytes()).toFixed(0)} MB`);
  } finally {
    await new Promise((r) => server.close(r));
  }
});
