/**
 * How many password hashes one process computes at once. Hashes run on
 * libuv's thread pool; more at once than there are cores buys no
 * throughput, only slows every hash in flight alike (the first caller of a
 * burst then waits as long as the last) and leaves file writes and DNS
 * look-ups, which share that pool, queued behind them.
 *
 * The share is per process, not per machine: keystone-all's primary hands
 * connections to workers unevenly (a burst of 32 was seen split 22/10/0),
 * so one worker alone must be able to keep every core busy.
 */
import { availableParallelism } from 'node:os';

/** libuv's thread pool size: UV_THREADPOOL_SIZE when set (libuv clamps it to 1..1024), else 4. */
export function threadPoolSize(env: NodeJS.ProcessEnv = process.env): number {
  const n = Number.parseInt(env.UV_THREADPOOL_SIZE ?? '', 10);
  return Number.isFinite(n) && n > 0 ? Math.min(n, 1024) : 4;
}

/** The default of [identity] password_hash_concurrency: the cores, at least 1, at most the pool's size less one. */
export function defaultHashConcurrency(cores = availableParallelism(), poolSize = threadPoolSize()): number {
  return Math.max(1, Math.min(cores, poolSize - 1));
}
