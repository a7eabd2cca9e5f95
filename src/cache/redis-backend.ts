/**
 * The shared cache in Redis (ioredis, single server or Sentinel). A region's
 * entries live under a generation number kept in Redis; invalidating bumps
 * it, so every process and every node sees the change at once. When Redis
 * is unreachable the cache answers "miss" (callers fall back to SQL), the
 * error is logged once, and on reconnection every region is bumped so that
 * nothing cached before the outage can answer a stale yes. Until that bump
 * has completed the cache keeps answering "miss" and writes nothing: a read
 * racing the bump would return an entry of before the outage (Redis keeps
 * its data across a restart when persistence is on).
 */
import { Redis, type RedisOptions } from 'ioredis';
import type { CacheBackend } from './cache-backend.js';
import { log } from '../log/logger.js';
import { messageOf } from '../common/errors.js';

const GET_SCRIPT = `local g = redis.call('GET', KEYS[1]) or '0'
return redis.call('GET', ARGV[1] .. g .. ':' .. ARGV[2])`;
const SET_SCRIPT = `local g = redis.call('GET', KEYS[1]) or '0'
redis.call('SET', ARGV[1] .. g .. ':' .. ARGV[2], ARGV[3], 'EX', ARGV[4])
return 1`;
const DEL_SCRIPT = `local g = redis.call('GET', KEYS[1]) or '0'
return redis.call('DEL', ARGV[1] .. g .. ':' .. ARGV[2])`;

type ScriptedRedis = Redis & {
  ksGet(genKey: string, prefix: string, key: string): Promise<string | null>;
  ksSet(genKey: string, prefix: string, key: string, value: string, ttl: number): Promise<number>;
  ksDel(genKey: string, prefix: string, key: string): Promise<number>;
};

export interface RedisBackendOptions {
  url?: string;
  sentinels?: { host: string; port: number }[];
  sentinelName?: string;
  password?: string;
  db?: number;
  keyPrefix?: string;
}

/** [cache] backend_argument lines ("url:redis://…", "sentinels:h1:26379,h2:26379", "service_name:mymaster", …). */
export function parseRedisArguments(args: readonly string[]): RedisBackendOptions {
  const out: RedisBackendOptions = {};
  for (const arg of args) {
    const i = arg.indexOf(':');
    if (i < 0) continue;
    const name = arg.slice(0, i).trim();
    const value = arg.slice(i + 1).trim();
    if (name === 'url') out.url = value;
    else if (name === 'sentinels')
      out.sentinels = value.split(',').map((hp) => {
        const [host, port] = hp.trim().split(':');
        return { host, port: Number(port ?? 26379) };
      });
    else if (name === 'service_name' || name === 'sentinel_service_name') out.sentinelName = value;
    else if (name === 'password') out.password = value;
    else if (name === 'db') out.db = Number(value);
    else if (name === 'key_prefix') out.keyPrefix = value;
  }
  return out;
}

export class RedisCacheBackend implements CacheBackend {
  readonly name = 'redis' as const;
  readonly client: ScriptedRedis;
  private readonly prefix: string;
  private readonly regions = new Set<string>();
  /** Redis failed (or the connection dropped) since the last completed bump of every region */
  private failing = false;
  /** counts failures, so that one during a bump keeps the cache off until the next bump */
  private failures = 0;
  private recovery: Promise<void> | null = null;

  constructor(options: RedisBackendOptions) {
    this.prefix = options.keyPrefix ?? 'keystone:';
    const common: RedisOptions = {
      maxRetriesPerRequest: 1,
      enableOfflineQueue: false,
      connectTimeout: 2000,
      commandTimeout: 1000,
      retryStrategy: (times) => Math.min(times * 200, 2000),
      password: options.password,
      db: options.db,
      lazyConnect: false,
    };
    const client = options.sentinels?.length
      ? new Redis({ ...common, sentinels: options.sentinels, name: options.sentinelName ?? 'mymaster' })
      : new Redis(options.url ?? 'redis://127.0.0.1:6379', common);
    client.defineCommand('ksGet', { numberOfKeys: 1, lua: GET_SCRIPT });
    client.defineCommand('ksSet', { numberOfKeys: 1, lua: SET_SCRIPT });
    client.defineCommand('ksDel', { numberOfKeys: 1, lua: DEL_SCRIPT });
    client.on('error', (err: Error) => {
      this.fail(err);
    });
    // A dropped connection may hide invalidations other processes could not deliver meanwhile.
    client.on('close', () => {
      this.suspect();
    });
    client.on('ready', () => {
      if (this.failing) this.recover();
    });
    this.client = client as ScriptedRedis;
  }

  /** an outage was logged and its end is not yet */
  private loggedOutage = false;

  private fail(err: unknown): void {
    if (!this.loggedOutage) log.error(`cache: Redis unavailable, answering from the database until it returns: ${messageOf(err)}`);
    this.loggedOutage = true;
    this.suspect();
  }

  /** Stop trusting the cache until every region has been bumped. */
  private suspect(): void {
    this.failing = true;
    this.failures++;
  }

  private genKey(region: string): string {
    this.regions.add(region);
    return `${this.prefix}gen:${region}`;
  }

  /** Bumps every region once (one at a time); the cache serves again when it succeeded. */
  private recover(): void {
    if (this.recovery) return;
    const hadErrors = this.loggedOutage;
    const failures = this.failures;
    this.recovery = this.bumpAll()
      .then((ok) => {
        if (!ok || this.failures !== failures) return;
        this.failing = false;
        this.loggedOutage = false;
        if (hadErrors) log.warn('cache: Redis is reachable again; invalidated the regions cached before the outage');
      })
      .finally(() => {
        this.recovery = null;
      });
  }

  private async bumpAll(): Promise<boolean> {
    // Every region any process may have used: those this process knows, and those recorded in Redis.
    try {
      const known = await this.client.smembers(`${this.prefix}regions`);
      const all = new Set([...known, ...this.regions]);
      if (all.size) await Promise.all([...all].map((r) => this.client.incr(`${this.prefix}gen:${r}`)));
      return true;
    } catch (err) {
      this.fail(err);
      return false;
    }
  }

  /** Resolves when connected (or after the timeout, leaving the cache answering misses). */
  waitReady(timeoutMs = 2000): Promise<boolean> {
    if (this.client.status === 'ready') return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.client.off('ready', onReady);
        resolve(false);
      }, timeoutMs);
      const onReady = () => {
        clearTimeout(timer);
        resolve(true);
      };
      this.client.once('ready', onReady);
    });
  }

  /** the prefix of every key this cache writes ([cache] backend_argument key_prefix) */
  get keyPrefix(): string {
    return this.prefix;
  }

  private get ready(): boolean {
    return this.client.status === 'ready';
  }

  /** Connected and trusted: no failure since the last completed bump (else starts one). */
  private get usable(): boolean {
    if (!this.ready) return false;
    if (this.failing) {
      this.recover();
      return false;
    }
    return true;
  }

  async get(region: string, key: string): Promise<string | undefined> {
    if (!this.usable) return undefined;
    try {
      return (await this.client.ksGet(this.genKey(region), `${this.prefix}${region}:`, key)) ?? undefined;
    } catch (err) {
      this.fail(err);
      return undefined;
    }
  }

  async set(region: string, key: string, value: string, ttlSeconds: number): Promise<void> {
    if (!this.usable) return;
    try {
      if (!this.regions.has(region)) await this.client.sadd(`${this.prefix}regions`, region);
      await this.client.ksSet(this.genKey(region), `${this.prefix}${region}:`, key, value, Math.max(1, Math.ceil(ttlSeconds)));
    } catch (err) {
      this.fail(err);
    }
  }

  async delete(region: string, key: string): Promise<void> {
    if (!this.ready) {
      this.suspect();
      return;
    }
    try {
      await this.client.ksDel(this.genKey(region), `${this.prefix}${region}:`, key);
    } catch (err) {
      this.fail(err);
    }
  }

  async invalidateRegion(region: string): Promise<void> {
    if (!this.ready) {
      // Cannot reach Redis: remember to bump every region once it is back.
      this.genKey(region);
      this.suspect();
      return;
    }
    try {
      await this.client.incr(this.genKey(region));
    } catch (err) {
      // Redis is down: nothing can be read from it either; the bump on reconnection covers this region.
      this.fail(err);
    }
  }

  close(): Promise<void> {
    this.client.disconnect();
    return Promise.resolve();
  }
}
