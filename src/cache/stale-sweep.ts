/**
 * lru-cache keeps an expired entry until it is read or its size cap pushes it
 * out, so a cache that is written more than read holds its expired entries
 * for as long as the cap takes to fill. This drops them on a timer instead.
 */
export function sweepStale(lrus: () => Iterable<{ purgeStale(): boolean }>, intervalMs: number): NodeJS.Timeout {
  const timer = setInterval(() => {
    for (const lru of lrus()) lru.purgeStale();
  }, intervalMs);
  timer.unref();
  return timer;
}
