/**
 * The cache configurations a suite covers: none ([cache] enabled = false),
 * the in-process memory backend, and the machine's Redis when CI=true or
 * KEYSTONE_TEST_REDIS=1 (each suite under its own key prefix). With Redis
 * asked for, an unreachable Redis fails the suite (assertCacheReady).
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { ConfigOverrides } from './test-config.js';
import type { Cache } from '../../src/cache/cache.js';
import { RedisCacheBackend } from '../../src/cache/redis-backend.js';

export type CacheKind = 'none' | 'memory' | 'redis';

export const TEST_REDIS_URL = process.env.KEYSTONE_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379/0';

export function redisWanted(): boolean {
  return process.env.CI === 'true' || process.env.KEYSTONE_TEST_REDIS === '1';
}

export function cacheKinds(options: { none?: boolean } = {}): CacheKind[] {
  const kinds: CacheKind[] = options.none === false ? ['memory'] : ['none', 'memory'];
  if (redisWanted()) kinds.push('redis');
  return kinds;
}

/** keystone.conf overrides for a cache kind (a fresh Redis key prefix each call). */
export function cacheConfig(kind: CacheKind, prefix = `ks-test-${randomBytes(6).toString('hex')}:`): ConfigOverrides {
  if (kind === 'none') return { cache: { enabled: false } };
  if (kind === 'memory') return { cache: { enabled: true, backend: 'dogpile.cache.memory' } };
  return { cache: { enabled: true, backend: 'dogpile.cache.redis', backend_argument: [`url:${TEST_REDIS_URL}`, `key_prefix:${prefix}`] } };
}

/** Fails unless a Redis-backed cache is connected (a no-op for the others). */
export async function assertCacheReady(cache: Cache): Promise<void> {
  if (cache.backend instanceof RedisCacheBackend) {
    assert.ok(await cache.backend.waitReady(3000), `Redis at ${TEST_REDIS_URL} is not reachable`);
  }
}
