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
 *   - advances the token epoch in SQL: the sequence keystone_token_epoch
 *     (created on first use; not part of Keystone's schema, harmless to it),
 * before the write returns. Memoized validations are tagged with the stamp
 * (cache on) or with the epoch plus the newest revocation event id (cache
 * off or unreachable: also catches revocations recorded by another
 * Keystone sharing the database), and trusted only while it is unchanged.
 */
import type { Cache } from '../cache/cache.js';
import type { Database } from '../storage/database.js';
import { log } from '../log/logger.js';

export const TOKEN_DEPS_REGION = 'token-deps';

const EPOCH_SEQUENCE = 'keystone_token_epoch';
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
    const original = cache.invalidate.bind(cache) as InvalidateFn;
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

/** The SQL side: the epoch sequence and the newest revocation event. */
export class TokenEpoch {
  private ready: Promise<void> | null = null;

  constructor(private readonly db: Database) {}

  private ensure(): Promise<void> {
    if (!this.ready) {
      const attempt: Promise<void> = this.db.none(`CREATE SEQUENCE IF NOT EXISTS ${EPOCH_SEQUENCE}`).then(() => undefined, (err: { code?: string }) => {
        // Two processes creating it at once: the loser sees a duplicate; the sequence exists.
        if (err?.code !== '23505' && err?.code !== '42P07') {
          if (this.ready === attempt) this.ready = null;
          throw err;
        }
      });
      this.ready = attempt;
    }
    return this.ready;
  }

  async advance(): Promise<void> {
    await this.ensure();
    await this.db.one(`SELECT nextval('${EPOCH_SEQUENCE}') AS v`);
  }

  /** "epoch:newest revocation id"; changes whenever anything a validation depends on changed. */
  async current(): Promise<string> {
    await this.ensure();
    const row = await this.db.one<{ epoch: number | string; rev: number | string | null }>(
      `SELECT (SELECT last_value FROM ${EPOCH_SEQUENCE}) AS epoch, (SELECT max(id) FROM revocation_event) AS rev`);
    return `${row.epoch}:${row.rev ?? 0}`;
  }
}

export function logEpochFailure(err: unknown): void {
  log.warn(`token: reading the token epoch failed, validating without memoization: ${(err as Error).message ?? err}`);
}
