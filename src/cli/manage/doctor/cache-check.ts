import type { KeystoneConfig } from '../../../config/options.js';

/** A redis cache reachable (within 3 s); memcached named as unsupported. */
export async function cacheProblems(conf: KeystoneConfig): Promise<string[]> {
  if (conf.cache.enabled && conf.cache.backend.includes('redis')) {
    const { RedisCacheBackend, parseRedisArguments } = await import('../../../cache/redis-backend.js');
    const backend = new RedisCacheBackend(parseRedisArguments(conf.cache.backend_argument));
    try {
      const ready = await backend.waitReady(3000);
      if (!ready)
        return [
          `[cache] backend ${conf.cache.backend} is not reachable (${conf.cache.backend_argument.filter((a) => a.startsWith('url:') || a.startsWith('sentinels:')).join(' ') || 'redis://127.0.0.1:6379'}).`,
        ];
    } finally {
      await backend.close().catch(() => undefined);
    }
  } else if (conf.cache.enabled && /memcache/.test(conf.cache.backend)) {
    return [
      `[cache] backend ${conf.cache.backend}: memcached is not supported here; the in-process cache is used instead (use dogpile.cache.redis for a shared cache).`,
    ];
  }
  return [];
}
