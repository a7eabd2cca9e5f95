/**
 * Memoization over the configured cache ([cache] enabled, backend,
 * backend_argument, expiration_time), with hit/miss counts per region.
 */
import type { KeystoneConfig } from '../config/options.js';
import { NullCacheBackend, type CacheBackend } from './cache-backend.js';
import { MemoryCacheBackend } from './memory-backend.js';
import { parseRedisArguments, RedisCacheBackend } from './redis-backend.js';

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

  /** Returns the cached JSON value, or computes, stores and returns it. */
  async memoize<T>(region: string, key: string, ttlSeconds: number | null | undefined, compute: () => Promise<T>): Promise<T> {
    if (!this.enabled) return compute();
    const cached = await this.get(region, key);
    if (cached !== undefined) return JSON.parse(cached) as T;
    const value = await compute();
    await this.set(region, key, JSON.stringify(value), ttlSeconds);
    return value;
  }

  delete(region: string, key: string): Promise<void> {
    return this.enabled ? this.backend.delete(region, key) : Promise.resolve();
  }

  invalidate(...regions: string[]): Promise<void> {
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
