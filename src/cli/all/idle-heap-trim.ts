/**
 * A worker's memory after a burst of requests: V8 grows its heap while the
 * burst lasts (requests in flight get promoted, then die) and returns the
 * pages only after a full collection, which an idle worker may not run for a
 * long while (README, Performance: 195–220 MB right after the benchmark's
 * storms, against a live set near 40 MB). A worker whose heap grew by more
 * than GROWTH_BYTES since its last trim, and that then served no request for
 * a whole IDLE_MS, collects once: a full collection of such a heap takes tens
 * of milliseconds, run only while nothing waits. That collection compacts
 * every page: without it, the few survivors scattered over the storm's pages
 * keep them (measured after validation, list and rescope storms on one
 * worker: heap 143 MB for 41 MB live and RSS 208 MB at a 24 MB threshold
 * without compaction; 65 MB and 130 MB at 4 MB without; 50 MB and 117 MB at
 * 4 MB with).
 */
import type { Server } from 'node:http';
import { getHeapStatistics, setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

const IDLE_MS = 1000;
const GROWTH_BYTES = 4 * 1024 * 1024;

/** V8's gc(), exposed for this one use (a new context sees the flag set after start). */
function exposedGc(): (() => void) | null {
  setFlagsFromString('--expose-gc');
  const gc: unknown = runInNewContext('typeof gc === "function" ? gc : null');
  return typeof gc === 'function' ? (gc as () => void) : null;
}

export function trimHeapWhenIdle(server: Server, idleMs = IDLE_MS): void {
  const gc = exposedGc();
  if (!gc) return;
  let served = 0;
  let seen = 0;
  let baseline = getHeapStatistics().total_heap_size;
  server.on('request', () => {
    served++;
  });
  const timer = setInterval(() => {
    const busy = served !== seen;
    seen = served;
    if (busy) return;
    if (getHeapStatistics().total_heap_size - baseline < GROWTH_BYTES) return;
    setFlagsFromString('--compact-on-every-full-gc');
    try {
      gc();
    } finally {
      setFlagsFromString('--no-compact-on-every-full-gc');
    }
    baseline = getHeapStatistics().total_heap_size;
  }, idleMs);
  timer.unref();
}
