/**
 * With the in-process cache, tells writes made outside this keystone-all
 * (keystone-manage db_import, a keystone-manage command on its own cache,
 * another node on the same database) from this keystone-all's own.
 *
 * Every write that can change a token advances the SQL token epoch by one
 * (nextval), and each of this keystone-all's is heard by every worker before
 * it advances: the writing worker counts it in changed(), the others when
 * the primary relays the write's invalidation of TOKEN_DEPS_REGION, which is
 * acknowledged before the writer advances the epoch. So an epoch that moved
 * by more than the writes heard was moved from outside, and what the
 * worker's in-process regions hold may be stale: they are dropped.
 */
/** how long after a write was heard of its epoch advance is surely visible (else it failed) */
const FORGET_UNSEEN_AFTER_MS = 10_000;

export class OutsideWriteDetector {
  private lastEpoch: bigint | null = null;
  private lastStartedAt = -Infinity;
  /** epoch advances heard of that the last reading did not show yet */
  private heard = 0n;
  private lastHeardAt = -Infinity;

  constructor(private readonly onOutsideWrite: () => void) {}

  /** One of this keystone-all's writes will advance the epoch by one. */
  heardWrite(): void {
    this.heard++;
    this.lastHeardAt = performance.now();
  }

  /** An epoch reading ("epoch:newest revocation id") from a read that started at `startedAt` (performance.now()). */
  reading(value: string, startedAt: number): void {
    if (startedAt <= this.lastStartedAt) return; // an older read that answered late
    const epoch = /^(\d+)/.exec(value)?.[1];
    if (epoch === undefined) return;
    this.lastStartedAt = startedAt;
    const now = BigInt(epoch);
    if (this.lastEpoch === null) {
      this.lastEpoch = now;
      this.heard = 0n;
      return;
    }
    const moved = now - this.lastEpoch;
    this.lastEpoch = now;
    // a write heard of whose advance failed must not hide a later outside write for ever
    if (moved <= 0n) {
      if (startedAt - this.lastHeardAt > FORGET_UNSEEN_AFTER_MS) this.heard = 0n;
      return;
    }
    if (moved > this.heard) {
      this.heard = 0n;
      this.onOutsideWrite();
    } else this.heard -= moved;
  }
}
