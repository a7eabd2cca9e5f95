import { timingSafeEqual } from 'node:crypto';

/**
 * Constant-time equality of two strings or byte strings. The time depends only
 * on the length of `provided` (as keystone.common.utils.auth_str_equal): a
 * length mismatch still compares `provided` against itself before failing.
 */
export function constantTimeEqual(provided: string | Buffer, known: string | Buffer): boolean {
  const a = typeof provided === 'string' ? Buffer.from(provided, 'utf8') : provided;
  const b = typeof known === 'string' ? Buffer.from(known, 'utf8') : known;
  if (a.length !== b.length) {
    timingSafeEqual(a, a);
    return false;
  }
  return timingSafeEqual(a, b);
}
