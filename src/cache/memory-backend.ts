/**
 * The in-process cache (an LRU per region in each worker). Invalidating a
 * region drops its LRU whole, so that the entries it held are freed at once
 * (entries kept under an old generation until the LRU evicted them made a
 * worker's memory grow by ~90 MB in a 10-minute soak with frequent writes);
 * each region is bounded by entry count and by size. Region invalidations are relayed
 * through the keystone-all primary to every worker, and acknowledged, before
 * invalidateRegion() resolves: no worker keeps a stale entry once a
 * revocation has answered.
 */
import cluster, { type Worker } from 'node:cluster';
import { LRUCache } from 'lru-cache';
import { sweepStale } from './stale-sweep.js';
import type { CacheBackend } from './cache-backend.js';

export const INVALIDATE_MESSAGE = 'keystone:cache-invalidate';
export const INVALIDATED_MESSAGE = 'keystone:cache-invalidated';
const APPLIED_MESSAGE = 'keystone:cache-invalidation-applied';

interface InvalidateMessage {
  type: typeof INVALIDATE_MESSAGE;
  region: string;
  requestId: number;
}

const backends = new Set<MemoryCacheBackend>();
const pendingAcks = new Map<number, () => void>();
let nextRequestId = 1;
let workerListenerInstalled = false;

function installWorkerListener(): void {
  if (workerListenerInstalled || !cluster.isWorker) return;
  workerListenerInstalled = true;
  process.on('message', (msg: unknown) => {
    if (typeof msg !== 'object' || msg === null) return;
    const m = msg as { type?: string; region?: string; requestId?: number; fromSelf?: boolean };
    if (m.type === INVALIDATE_MESSAGE && typeof m.region === 'string') {
      for (const b of backends) b.invalidateLocal(m.region);
      process.send?.({ type: APPLIED_MESSAGE, requestId: m.requestId });
    } else if (m.type === INVALIDATED_MESSAGE && typeof m.requestId === 'number') {
      pendingAcks.get(m.requestId)?.();
      pendingAcks.delete(m.requestId);
    }
  });
}

export class MemoryCacheBackend implements CacheBackend {
  readonly name = 'memory' as const;
  private readonly regions = new Map<string, LRUCache<string, string>>();

  private readonly sweeper: NodeJS.Timeout;

  /** per region: at most `maxEntries` entries and about `maxChars` characters of keys and values; expired entries dropped every `sweepMs` */
  constructor(
    private readonly maxEntries = 20_000,
    private readonly maxChars = 8 * 1024 * 1024,
    sweepMs = 60_000,
  ) {
    backends.add(this);
    installWorkerListener();
    this.sweeper = sweepStale(() => this.regions.values(), sweepMs);
  }

  private region(name: string): LRUCache<string, string> {
    let lru = this.regions.get(name);
    if (!lru) {
      lru = new LRUCache<string, string>({
        max: this.maxEntries,
        maxSize: this.maxChars,
        sizeCalculation: (v, k) => v.length + k.length + 64,
        ttlAutopurge: false,
      });
      this.regions.set(name, lru);
    }
    return lru;
  }

  get(region: string, key: string): Promise<string | undefined> {
    return Promise.resolve(this.regions.get(region)?.get(key));
  }

  set(region: string, key: string, value: string, ttlSeconds: number): Promise<void> {
    this.region(region).set(key, value, { ttl: ttlSeconds * 1000 });
    return Promise.resolve();
  }

  async delete(region: string, key: string): Promise<void> {
    this.regions.get(region)?.delete(key);
    await this.broadcast(region);
  }

  invalidateLocal(region: string): void {
    this.regions.delete(region);
  }

  invalidateAllLocal(): void {
    this.regions.clear();
  }

  async invalidateRegion(region: string): Promise<void> {
    this.invalidateLocal(region);
    await this.broadcast(region);
  }

  /** Ask the primary to invalidate the region in every other worker; resolves on its acknowledgement. */
  private broadcast(region: string): Promise<void> {
    const send = process.send?.bind(process);
    if (!cluster.isWorker || !send) return Promise.resolve();
    const requestId = nextRequestId++;
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        pendingAcks.delete(requestId);
        resolve();
      }, 5000);
      pendingAcks.set(requestId, () => {
        clearTimeout(timer);
        resolve();
      });
      const msg: InvalidateMessage = { type: INVALIDATE_MESSAGE, region, requestId };
      send(msg);
    });
  }

  close(): Promise<void> {
    clearInterval(this.sweeper);
    backends.delete(this);
    this.regions.clear();
    return Promise.resolve();
  }
}

/** Drops every region of every in-process cache of this process (a write made outside this keystone-all was seen). */
export function invalidateAllLocal(): void {
  for (const b of backends) b.invalidateAllLocal();
}

/**
 * In the primary: relay a worker's invalidation to every other worker, wait
 * until each has applied it, then acknowledge to the sender.
 */
export function relayCacheInvalidations(): void {
  let nextRelayId = 1;
  const relays = new Map<number, { waiting: number; done: () => void }>();
  cluster.on('message', (sender, msg: unknown) => {
    if (typeof msg !== 'object' || msg === null) return;
    const m = msg as { type?: string; region?: string; requestId?: number };
    if (m.type === APPLIED_MESSAGE && typeof m.requestId === 'number') {
      const relay = relays.get(m.requestId);
      if (relay && --relay.waiting === 0) relay.done();
      return;
    }
    if (m.type !== INVALIDATE_MESSAGE || typeof m.region !== 'string') return;
    const others = Object.values(cluster.workers ?? {}).filter((w): w is Worker => w !== undefined && w !== sender && w.isConnected());
    const ack = () => {
      if (sender.isConnected()) sender.send({ type: INVALIDATED_MESSAGE, requestId: m.requestId });
    };
    if (others.length === 0) {
      ack();
      return;
    }
    const relayId = nextRelayId++;
    const timer = setTimeout(() => {
      relays.delete(relayId);
      ack();
    }, 4000);
    relays.set(relayId, {
      waiting: others.length,
      done: () => {
        clearTimeout(timer);
        relays.delete(relayId);
        ack();
      },
    });
    for (const w of others) w.send({ type: INVALIDATE_MESSAGE, region: m.region, requestId: relayId });
  });
}
