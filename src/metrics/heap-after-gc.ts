/**
 * nodejs_heap_used_after_major_gc_bytes: the JS heap in use just after the
 * last full (mark-sweep-compact) garbage collection — the live set. RSS and
 * heap-used move with V8's garbage sawtooth by tens of megabytes; this one
 * rises only when memory is kept, so it is the gauge to watch for a leak.
 */
import { PerformanceObserver, constants } from 'node:perf_hooks';
import { getHeapStatistics } from 'node:v8';
import { Gauge, type Registry } from 'prom-client';

let observer: PerformanceObserver | null = null;

export function observeHeapAfterMajorGc(registry: Registry): void {
  if (observer) return;
  const gauge = new Gauge({
    name: 'nodejs_heap_used_after_major_gc_bytes',
    help: 'JS heap in use just after the last full garbage collection (the live set); 0 until the first one.',
    registers: [registry],
  });
  gauge.set(0);
  observer = new PerformanceObserver((list) => {
    const major = list.getEntries().some((e) => (e as { detail?: { kind?: number } }).detail?.kind === constants.NODE_PERFORMANCE_GC_MAJOR);
    if (major) gauge.set(getHeapStatistics().used_heap_size);
  });
  observer.observe({ entryTypes: ['gc'] });
}
