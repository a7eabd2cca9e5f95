/**
 * keystone-manage token_flush: deletes expired rows of the token table in
 * batches (each its own short statement, so no long lock is held and
 * validation carries on meanwhile). Used by src/cli.
 */
import type { Queryable } from '../../storage/database.js';

export interface FlushOptions {
  /** keep tokens that expired less than this many seconds ago (e.g. [token] allow_expired_window); default 0 */
  graceSeconds?: number;
  /** called after each batch with the running total */
  onBatch?: (deletedSoFar: number) => void;
}

/** Deletes tokens that expired before now (minus the grace); returns how many rows were deleted. */
export async function flushExpiredTokens(db: Queryable, batchSize = 1000, options: FlushOptions = {}): Promise<number> {
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new RangeError('batchSize must be a positive integer');
  const cutoff = new Date(Date.now() - (options.graceSeconds ?? 0) * 1000);
  let total = 0;
  for (;;) {
    const r = await db.result(
      'DELETE FROM token WHERE id IN (SELECT id FROM token WHERE expires < $1 LIMIT $2)', [cutoff, batchSize]);
    total += r.rowCount;
    options.onBatch?.(total);
    if (r.rowCount < batchSize) return total;
  }
}
