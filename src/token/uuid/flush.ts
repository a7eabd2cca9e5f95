/**
 * keystone-manage token_flush: deletes expired rows of the token table in
 * batches (each its own short statement, so no long lock is held and
 * validation carries on meanwhile). Used by src/cli.
 */
import type { Queryable } from '../../storage/database.js';
import { TokenRepository } from '../token-repository.js';

export interface FlushOptions {
  /** keep tokens that expired less than this many seconds ago (e.g. [token] allow_expired_window); default 0 */
  graceSeconds?: number;
  /** called after each batch with the running total */
  onBatch?: (deletedSoFar: number) => void;
}

/** Deletes tokens that expired before now (minus the grace); returns how many rows were deleted. */
export async function flushExpiredTokens(db: Queryable, batchSize = 1000, options: FlushOptions = {}): Promise<number> {
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new RangeError('batchSize must be a positive integer');
  const tokens = new TokenRepository(db);
  const cutoff = new Date(Date.now() - (options.graceSeconds ?? 0) * 1000);
  let total = 0;
  for (;;) {
    const deleted = await tokens.deleteExpired(cutoff, batchSize);
    total += deleted;
    options.onBatch?.(total);
    if (deleted < batchSize) return total;
  }
}
