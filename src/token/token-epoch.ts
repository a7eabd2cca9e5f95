/**
 * What tells a process that a memoized token validation may be stale.
 *
 * Every change that can affect a validation invalidates one of the cache
 * regions a token depends on (identity, resource, assignment, catalog,
 * revoke, token, application_credential, trust) — the managers do that on
 * every write, with or without a cache. watchTokenDependencies() hooks
 * Cache.invalidate so that each such call also
 *   - invalidates the combined region TOKEN_DEPS_REGION in the shared cache
 *     (one stamp to read per request instead of eight), and
 *   - advances the token epoch in SQL (TokenBackend: the sequence
 *     keystone_token_epoch, created on first use),
 * before the write returns. Memoized validations are tagged with the stamp
 * (cache on) or with the epoch plus the newest revocation event id (cache
 * off or unreachable: also catches revocations recorded by another
 * Keystone sharing the database), and trusted only while it is unchanged.
 */
import type { Cache } from '../cache/cache.js';
import { log } from '../log/logger.js';
import type { TokenBackend } from './token-backend.js';
import { messageOf } from '../common/errors.js';

export const TOKEN_DEPS_REGION = 'token-deps';

const WATCHED = Symbol.for('keystone.token-dependency-watch');

type InvalidateFn = (...regions: string[]) => Promise<void>;
type Listener = (regions: string[]) => Promise<void>;

interface Watched {
  regions: Set<string>;
  listeners: Listener[];
  immediate: (() => void)[];
}

/**
 * Calls `immediate` synchronously when one of `regions` is being invalidated
 * through `cache`, and `listener` (awaited, before the invalidation returns)
 * once the shared cache has been invalidated.
 */
export function watchTokenDependencies(cache: Cache, regions: readonly string[], listener: Listener, immediate?: () => void): void {
  const target = cache as unknown as { invalidate: InvalidateFn; [WATCHED]?: Watched };
  let watched = target[WATCHED];
  if (!watched) {
    const state: Watched = { regions: new Set(), listeners: [], immediate: [] };
    const original: InvalidateFn = cache.invalidate.bind(cache);
    target.invalidate = async (...names: string[]) => {
      const hit = names.filter((n) => state.regions.has(n));
      if (hit.length === 0) return original(...names);
      for (const f of state.immediate) f();
      await original(...names, TOKEN_DEPS_REGION);
      await Promise.all(state.listeners.map((l) => l(hit)));
    };
    target[WATCHED] = state;
    watched = state;
  }
  for (const r of regions) watched.regions.add(r);
  watched.listeners.push(listener);
  if (immediate) watched.immediate.push(immediate);
}

/** The SQL side: the epoch counter and the newest revocation event. */
export class TokenEpoch {
  private ready: Promise<void> | null = null;

  constructor(private readonly backend: TokenBackend) {}

  /** Creates the counter once per process; a failed attempt is retried at the next use. */
  private ensure(): Promise<void> {
    if (!this.ready) {
      const attempt: Promise<void> = this.backend.ensureEpoch().catch((err: unknown) => {
        if (this.ready === attempt) this.ready = null;
        throw err;
      });
      this.ready = attempt;
    }
    return this.ready;
  }

  async advance(): Promise<void> {
    await this.ensure();
    await this.backend.advanceEpoch();
  }

  /** "epoch:newest revocation id"; changes whenever anything a validation depends on changed. */
  async current(): Promise<string> {
    await this.ensure();
    const reading = await this.backend.readEpoch();
    return `${reading.epoch}:${reading.newestRevocationId ?? 0}`;
  }
}

export function logEpochFailure(err: unknown): void {
  log.warn(`token: reading the token epoch failed, validating without memoization: ${messageOf(err)}`);
}
