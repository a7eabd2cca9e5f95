/**
 * The version a memoized token validation (and every look-up memoized in
 * this process under it) is tagged with, and trusted only while it is
 * unchanged. One module decides it for the three configurations:
 *
 *  - Redis ([cache] backend = dogpile.cache.redis): "heard, not asked".
 *    Each process subscribes to a Redis channel and holds a lease
 *    (src/cache/redis-broadcast.ts), and polls the SQL token epoch every
 *    0.25 s. Its version is `n:<generation>:<epoch>`, known without any
 *    round trip, and usable only while (a) its lease has been held without
 *    a gap since before the last epoch read started, (b) that read started
 *    less than 1 s ago. A write that can affect a validation, before it
 *    returns: bumps this process's generation, advances the SQL epoch, then
 *    publishes and waits until every lease holder acknowledged (each one
 *    bumped its generation first), or until 1 s after the epoch advanced.
 *    Why no process can answer stale after the write returned: a process
 *    holding its lease when the writer read the holders acknowledged, so
 *    its generation moved; any other process either trusts nothing yet or
 *    (re)gained its lease after that read, so (a) makes it wait for an
 *    epoch read that started after the advance; and if the writer gave up
 *    waiting, 1 s has passed since the advance, so by (b) every version in
 *    use comes from an epoch read that started after it. When the lease or
 *    the subscription is lost, the version is read per request (the shared
 *    cache's stamp, or the SQL epoch when Redis is away).
 *  - the in-process cache: `m:<generation>:<epoch>`, the generation moved
 *    by this worker's writes and the invalidations the keystone-all primary
 *    relays, the SQL epoch polled once a second (changes made outside this
 *    keystone-all are honoured within a second).
 *  - no cache: `e:<epoch>:<newest revocation>` read from SQL per request
 *    (coalesced: one read serves the requests that arrived meanwhile).
 * Writes change the version through watchTokenDependencies (token-epoch.ts).
 */
import cluster from 'node:cluster';
import type { Cache } from '../cache/cache.js';
import { INVALIDATE_MESSAGE, invalidateAllLocal } from '../cache/memory-backend.js';
import { RedisBroadcast } from '../cache/redis-broadcast.js';
import { RedisCacheBackend } from '../cache/redis-backend.js';
import { onceInRequest, settledInRequest } from '../cache/request-scope.js';
import { messageOf } from '../common/errors.js';
import { log } from '../log/logger.js';
import { RegionStamps } from '../revoke/region-stamp.js';
import { FreshRead } from './fresh-read.js';
import { OutsideWriteDetector } from './outside-write-detector.js';
import { TOKEN_DEPS_REGION, logEpochFailure, type TokenEpoch } from './token-epoch.js';

/** How long an epoch read is trusted, and how long a writer waits at most for the acknowledgements. */
export const EPOCH_TRUST_MS = 1000;
export const EPOCH_POLL_MS = 250;
const MEMORY_EPOCH_POLL_MS = 1000;

const now = (): number => performance.now();

/** the key under which a request keeps the version it read (src/cache/request-scope.ts) */
const MEMO_VERSION_KEY = 'memo-version';

export interface MemoVersionOptions {
  cache: Cache;
  epoch: TokenEpoch;
  /** [cache] enabled with [token] caching: the shared cache takes part */
  useCache: boolean;
  /** the regions whose invalidation the keystone-all primary relays to this worker (in-process cache) */
  relayedRegions: readonly string[];
}

export class MemoVersion {
  /** invalidations this process applied: its own writes, relayed or broadcast ones, and lost subscriptions */
  private generation = 0;
  private readonly stampRead: FreshRead<string | null>;
  private readonly epochRead: FreshRead<string | null>;
  private readonly broadcast: RedisBroadcast | null = null;
  private polled: { value: string; startedAt: number } | null = null;
  private poller: NodeJS.Timeout | null = null;
  private readonly mode: 'redis' | 'memory' | 'sql';
  private closed = false;
  /** in-process cache: writes made outside this keystone-all, seen as epoch advances no worker heard of */
  private readonly outsideWrites = new OutsideWriteDetector(() => {
    log.info('cache: the token epoch moved without a write of this keystone-all (db_import, another node): in-process cache dropped');
    invalidateAllLocal();
    this.generation++;
  });

  constructor(private readonly options: MemoVersionOptions) {
    const { cache, epoch } = options;
    const stamps = new RegionStamps(cache);
    this.stampRead = new FreshRead(() => stamps.stamp(TOKEN_DEPS_REGION));
    this.epochRead = new FreshRead(() =>
      epoch.current().catch((err: unknown) => {
        logEpochFailure(err);
        return null;
      }),
    );
    const backend = cache.backend;
    this.mode = !options.useCache ? 'sql' : backend.name === 'redis' ? 'redis' : backend.name === 'memory' ? 'memory' : 'sql';
    if (backend instanceof RedisCacheBackend) {
      // Writers broadcast whenever the cache is Redis (also with [token] caching off elsewhere).
      this.broadcast = new RedisBroadcast(backend.client, backend.keyPrefix);
      this.broadcast.onMessage(() => {
        this.generation++;
      });
      this.broadcast.onLoss(() => {
        this.generation++;
      });
    }
    if (this.mode === 'memory' && cluster.isWorker) {
      // Invalidations relayed by the keystone-all primary: applied by the memory backend's own
      // listener in this same 'message' emit, before the primary hears the acknowledgement.
      const relayed = new Set<string>([...options.relayedRegions, TOKEN_DEPS_REGION]);
      process.on('message', (msg: unknown) => {
        const m = msg as { type?: string; region?: string } | null;
        if (m?.type !== INVALIDATE_MESSAGE || typeof m.region !== 'string' || !relayed.has(m.region)) return;
        this.generation++;
        // one per write of a sibling worker, before that write advances the epoch
        if (m.region === TOKEN_DEPS_REGION) this.outsideWrites.heardWrite();
      });
    }
  }

  /** The version without waiting, when it can be known at once; undefined when current() must read it. */
  currentSync(): string | undefined {
    if (this.closed) return undefined;
    if (this.mode === 'memory') {
      this.startPolling(MEMORY_EPOCH_POLL_MS);
      return `m:${String(this.generation)}:${this.polled?.value ?? ''}`;
    }
    if (this.mode !== 'redis' || !this.broadcast) return undefined;
    this.broadcast.holdLease();
    this.startPolling(EPOCH_POLL_MS);
    const since = this.broadcast.leaseHeldSince();
    const polled = this.polled;
    if (since === null || polled === null || polled.startedAt < since || !(now() - polled.startedAt < EPOCH_TRUST_MS)) return undefined;
    return `n:${String(this.generation)}:${polled.value}`;
  }

  /**
   * Without a cache: the version this request read already (current()), synchronously; undefined before it
   * read one, after a write of the request dropped it, and in the other modes.
   */
  readInRequest(): string | undefined {
    if (this.closed || this.mode !== 'sql' || this.options.cache.enabled) return undefined;
    return settledInRequest(TOKEN_DEPS_REGION, MEMO_VERSION_KEY);
  }

  /**
   * The version memoized data must carry to be trusted now; null when none can be read (nothing is memoized then).
   * Read per request when it cannot be known at once, and once per request: a rescope validates the token it is
   * given and then memoizes the one it mints under the version read before either (src/cache/request-scope.ts,
   * installed without a cache). That is never newer than what the request then reads; a write in the request drops
   * it (its invalidation drops TOKEN_DEPS_REGION from the scope).
   */
  async current(): Promise<string | null> {
    const known = this.currentSync();
    if (known !== undefined) return known;
    const version = await onceInRequest(TOKEN_DEPS_REGION, MEMO_VERSION_KEY, () =>
      this.read().then((v) => (v === null ? Promise.reject(new Error('no version')) : v)),
    ).catch(() => null);
    return version ?? null;
  }

  private async read(): Promise<string | null> {
    if (this.options.useCache && this.options.cache.enabled) {
      const stamp = await this.stampRead.read();
      if (stamp !== null) return `s:${stamp}`;
    }
    const epoch = await this.epochRead.read();
    return epoch === null ? null : `e:${epoch}`;
  }

  private startPolling(intervalMs: number): void {
    if (this.poller) return;
    const poll = () => {
      const startedAt = now();
      this.options.epoch.current().then(
        (value) => {
          if (this.mode === 'memory') this.outsideWrites.reading(value, startedAt);
          if (this.polled === null || startedAt > this.polled.startedAt) this.polled = { value, startedAt };
        },
        () => undefined,
      );
    };
    poll();
    this.poller = setInterval(poll, intervalMs);
    this.poller.unref();
  }

  /** A write of this process is invalidating a token dependency (synchronously, before anything else). */
  invalidatingHere(): void {
    this.generation++;
  }

  /** After a write's invalidation: the epoch advanced, and (Redis) every lease holder told, before the write returns. */
  async changed(): Promise<void> {
    this.generation++;
    this.outsideWrites.heardWrite();
    try {
      await this.options.epoch.advance();
    } catch (err) {
      log.error(`token: advancing the token epoch failed: ${messageOf(err)}`);
    }
    if (this.broadcast) await this.broadcast.publish(now() + EPOCH_TRUST_MS + 5);
  }

  close(): void {
    this.closed = true;
    if (this.poller) clearInterval(this.poller);
    this.poller = null;
    this.broadcast?.close();
  }
}
