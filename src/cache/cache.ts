/**
 * Memoization over the configured cache ([cache] enabled, backend,
 * backend_argument, expiration_time), with hit/miss counts per region.
 */
import { LRUCache } from 'lru-cache';
import type { KeystoneConfig } from '../config/options.js';
import { currentRequestScope, onceInRequest } from './request-scope.js';
import { NullCacheBackend, type CacheBackend } from './cache-backend.js';
import { MemoryCacheBackend } from './memory-backend.js';
import { parseRedisArguments, RedisCacheBackend } from './redis-backend.js';

interface LocalValue {
  version: string;
  json: string;
}

export type CacheStats = Record<string, { hits: number; misses: number }>;
export type CacheObserver = (region: string, hit: boolean) => void;

export function createCacheBackend(conf: KeystoneConfig): CacheBackend {
  if (!conf.cache.enabled) return new NullCacheBackend();
  const backend = conf.cache.backend;
  if (backend.includes('redis')) return new RedisCacheBackend(parseRedisArguments(conf.cache.backend_argument));
  if (backend === 'dogpile.cache.null') return new NullCacheBackend();
  // dogpile.cache.memory, oslo_cache.dict, oslo_cache.memcache_pool (no memcached client here): in-process
  return new MemoryCacheBackend();
}

export class Cache {
  readonly stats: CacheStats = {};
  private observers: CacheObserver[] = [];
  /** memoized values of some regions also kept in this process, trusted while a version is unchanged */
  private local: { regions: ReadonlySet<string>; version: () => string | undefined; values: LRUCache<string, LocalValue> } | null = null;

  constructor(
    readonly backend: CacheBackend,
    readonly defaultTtl: number,
  ) {}

  get enabled(): boolean {
    return this.backend.name !== 'null';
  }

  onLookup(observer: CacheObserver): void {
    this.observers.push(observer);
  }

  private count(region: string, hit: boolean): void {
    const s = (this.stats[region] ??= { hits: 0, misses: 0 });
    if (hit) s.hits++;
    else s.misses++;
    for (const o of this.observers) o(region, hit);
  }

  async get(region: string, key: string): Promise<string | undefined> {
    if (!this.enabled) return undefined;
    const value = await this.backend.get(region, key);
    this.count(region, value !== undefined);
    return value;
  }

  async set(region: string, key: string, value: string, ttlSeconds?: number | null): Promise<void> {
    if (!this.enabled) return;
    await this.backend.set(region, key, value, ttlSeconds ?? this.defaultTtl);
  }

  /**
   * Memoized values of `regions` are also kept in this process's memory, tagged with `version()`
   * (read before the value is looked up) and used while it returns the same string: a hit costs no
   * round trip to the shared cache (without a cache: no SQL statement). The caller's version must change, in every process, before any
   * invalidation of these regions returns (src/token/memo-version.ts); undefined means "not known
   * now" and skips the local copy.
   */
  keepLocally(regions: readonly string[], version: () => string | undefined): void {
    this.local = {
      regions: new Set(regions),
      version,
      values: new LRUCache<string, LocalValue>({ max: 20_000, maxSize: 8 * 1024 * 1024, sizeCalculation: (v) => 64 + 2 * v.json.length }),
    };
  }

  /** Returns the cached JSON value, or computes, stores and returns it. */
  async memoize<T>(region: string, key: string, ttlSeconds: number | null | undefined, compute: () => Promise<T>): Promise<T> {
    const local = this.local?.regions.has(region) ? this.local : null;
    const version = local?.version();
    if (local && version !== undefined) {
      const localKey = `${region}\u0000${key}`;
      const hit = local.values.get(localKey);
      if (hit?.version === version) {
        if (this.enabled) this.count(region, true);
        return JSON.parse(hit.json) as T;
      }
      const loaded = this.enabled
        ? await this.memoizeShared(region, key, ttlSeconds, compute)
        : await this.loadInRequest(region, key, compute);
      // never kept longer than the shared cache keeps it (what changes by time alone, e.g. inactivity, stays bounded)
      if (typeof loaded.json === 'string')
        local.values.set(localKey, { version, json: loaded.json }, { ttl: Math.max(1, ttlSeconds ?? this.defaultTtl) * 1000 });
      return loaded.value;
    }
    if (!this.enabled) return this.memoizeInRequest(region, key, compute);
    return (await this.memoizeShared(region, key, ttlSeconds, compute)).value;
  }

  private async memoizeShared<T>(
    region: string,
    key: string,
    ttlSeconds: number | null | undefined,
    compute: () => Promise<T>,
  ): Promise<{ value: T; json: string | undefined }> {
    const cached = await this.get(region, key);
    if (cached !== undefined) return { value: JSON.parse(cached) as T, json: cached };
    const value = await compute();
    // undefined for a value JSON cannot hold (stored as such by the backend, as before)
    const json = JSON.stringify(value) as string | undefined;
    await this.set(region, key, json as string, ttlSeconds);
    return { value, json };
  }

  delete(region: string, key: string): Promise<void> {
    return this.enabled ? this.backend.delete(region, key) : Promise.resolve();
  }

  /** Without a cache: one look-up per request (src/cache/request-scope.ts), none shared outside it. */
  private async memoizeInRequest<T>(region: string, key: string, compute: () => Promise<T>): Promise<T> {
    if (!currentRequestScope()) return compute();
    return (await this.loadInRequest(region, key, compute)).value;
  }

  /** memoizeInRequest, with the JSON it kept (to be kept in this process too). */
  private async loadInRequest<T>(region: string, key: string, compute: () => Promise<T>): Promise<{ value: T; json: string | undefined }> {
    if (!currentRequestScope()) {
      const value = await compute();
      return { value, json: JSON.stringify(value) };
    }
    const json = await onceInRequest(region, key, () => compute().then((value) => JSON.stringify(value) as string | undefined));
    return { value: (json === undefined ? undefined : JSON.parse(json)) as T, json };
  }

  invalidate(...regions: string[]): Promise<void> {
    const scope = currentRequestScope();
    if (scope) for (const r of regions) scope.delete(r);
    if (!this.enabled) return Promise.resolve();
    return Promise.all(regions.map((r) => this.backend.invalidateRegion(r))).then(() => undefined);
  }

  close(): Promise<void> {
    return this.backend.close();
  }
}

export function createCache(conf: KeystoneConfig): Cache {
  return new Cache(createCacheBackend(conf), conf.cache.expiration_time);
}
