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
 *
 * V8 keeps its young generation at the size a burst grew it to (2 × 16 MB)
 * until a full collection finds the allocation rate it samples low, which
 * the first one after a burst seldom does (seen: 1 to 7 tries, a second
 * apart): a worker idle for YOUNG_IDLE_MS after a burst collects once a
 * second, at most YOUNG_TRIES times, until its young generation is back to
 * its resting size (one worker after a validation storm: RSS 130 -> 97 MB). That lets
 * the workers keep V8's default young generation, which scavenges a quarter
 * as often as the 4 MB one they ran with before (validation: 24 against
 * 29 µs of user CPU a request).
 */
import type { Server } from 'node:http';
import { getHeapSpaceStatistics, getHeapStatistics, setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

const IDLE_MS = 1000;
const GROWTH_BYTES = 4 * 1024 * 1024;
/** past the 5 s window over which V8 measures the allocation rate */
const YOUNG_IDLE_MS = 6000;
/** a young generation at or below this is V8's resting size */
const YOUNG_RESTING_BYTES = 4 * 1024 * 1024;
const YOUNG_TRIES = 10;
/** V8 samples the allocation rate at each collection: tries closer than this keep the burst's rate in its window */
const YOUNG_TRY_SPACING_MS = 1000;
/** requests that make a burst worth new tries (a worker served now and then does not collect ten times per pause) */
const YOUNG_BURST_REQUESTS = 1000;

function youngGenerationBytes(): number {
  return getHeapSpaceStatistics().find((s) => s.space_name === 'new_space')?.space_size ?? 0;
}

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
  let idleFor = 0;
  let youngTries = YOUNG_TRIES;
  let servedAtYoungTries = 0;
  let lastYoungTry = -Infinity;
  const collect = (compact: boolean) => {
    if (compact) setFlagsFromString('--compact-on-every-full-gc');
    try {
      gc();
    } finally {
      if (compact) setFlagsFromString('--no-compact-on-every-full-gc');
    }
    baseline = getHeapStatistics().total_heap_size;
  };
  const timer = setInterval(() => {
    const busy = served !== seen;
    seen = served;
    if (busy) {
      idleFor = 0;
      lastYoungTry = -Infinity;
      if (served - servedAtYoungTries >= YOUNG_BURST_REQUESTS) {
        youngTries = 0;
        servedAtYoungTries = served;
      }
      return;
    }
    idleFor += idleMs;
    if (getHeapStatistics().total_heap_size - baseline >= GROWTH_BYTES) collect(true);
    else if (
      youngTries < YOUNG_TRIES &&
      idleFor >= YOUNG_IDLE_MS &&
      idleFor - lastYoungTry >= YOUNG_TRY_SPACING_MS &&
      youngGenerationBytes() > YOUNG_RESTING_BYTES
    ) {
      youngTries++;
      lastYoungTry = idleFor;
      collect(false);
    }
  }, idleMs);
  timer.unref();
}
