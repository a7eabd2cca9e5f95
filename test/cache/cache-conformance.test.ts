/**
 * One cache suite, every backend: in-process memory always, the machine's
 * Redis when CI=true (or KEYSTONE_TEST_REDIS=1), failing when it is down.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Cache } from '../../src/cache/cache.js';
import { MemoryCacheBackend } from '../../src/cache/memory-backend.js';
import { RedisCacheBackend, parseRedisArguments } from '../../src/cache/redis-backend.js';
import type { CacheBackend } from '../../src/cache/cache-backend.js';
import { newId } from '../../src/common/ids.js';

const REDIS_URL = process.env.KEYSTONE_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379/0';
const kinds: ('memory' | 'redis')[] = ['memory'];
if (process.env.CI === 'true' || process.env.KEYSTONE_TEST_REDIS === '1') kinds.push('redis');

for (const kind of kinds) {
  describe(`cache conformance on ${kind}`, () => {
    const prefix = `keystone-test-${newId()}:`;
    const opened: CacheBackend[] = [];
    const open = async (): Promise<CacheBackend> => {
      const b = kind === 'memory' ? new MemoryCacheBackend() : new RedisCacheBackend({ url: REDIS_URL, keyPrefix: prefix });
      opened.push(b);
      if (b instanceof RedisCacheBackend) assert.ok(await b.waitReady(3000), `Redis at ${REDIS_URL} is not reachable`);
      return b;
    };
    after(async () => {
      for (const b of opened) await b.close();
    });

    test('set, get, delete', async () => {
      const cache = new Cache(await open(), 60);
      assert.equal(await cache.get('r', 'k'), undefined);
      await cache.set('r', 'k', 'v');
      assert.equal(await cache.get('r', 'k'), 'v');
      await cache.delete('r', 'k');
      assert.equal(await cache.get('r', 'k'), undefined);
      assert.deepEqual(cache.stats.r, { hits: 1, misses: 2 });
    });

    test('memoize computes once, then answers from the cache', async () => {
      const cache = new Cache(await open(), 60);
      let calls = 0;
      const compute = () => {
        calls++;
        return Promise.resolve({ n: 42 });
      };
      assert.deepEqual(await cache.memoize('m', 'x', null, compute), { n: 42 });
      assert.deepEqual(await cache.memoize('m', 'x', null, compute), { n: 42 });
      assert.equal(calls, 1);
    });

    test('invalidating a region drops every entry in it and nothing else', async () => {
      const cache = new Cache(await open(), 60);
      await cache.set('a', '1', 'x');
      await cache.set('b', '1', 'y');
      await cache.invalidate('a');
      assert.equal(await cache.get('a', '1'), undefined);
      assert.equal(await cache.get('b', '1'), 'y');
    });

    test('entries expire after their time to live', async () => {
      const cache = new Cache(await open(), 60);
      await cache.set('t', 'k', 'v', 1);
      await new Promise((r) => setTimeout(r, 1300));
      assert.equal(await cache.get('t', 'k'), undefined);
    });

    if (kind === 'redis') {
      test("two processes sharing Redis see each other's invalidations at once", async () => {
        const one = new Cache(await open(), 60);
        const two = new Cache(await open(), 60);
        await one.set('tokens', 'abc', 'valid');
        assert.equal(await two.get('tokens', 'abc'), 'valid');
        await two.invalidate('tokens');
        assert.equal(await one.get('tokens', 'abc'), undefined);
      });

      test('an unreachable Redis answers misses, never errors', async () => {
        const down = new RedisCacheBackend({ url: 'redis://127.0.0.1:1/0', keyPrefix: prefix });
        opened.push(down);
        const cache = new Cache(down, 60);
        await cache.set('r', 'k', 'v');
        assert.equal(await cache.get('r', 'k'), undefined);
        await cache.invalidate('r');
      });
    }

    test('backend_argument lines are parsed as oslo.cache passes them', () => {
      assert.deepEqual(parseRedisArguments(['url:redis://10.0.0.1:6379/2', 'sentinels:a:26379,b:26380', 'service_name:ks']), {
        url: 'redis://10.0.0.1:6379/2',
        sentinels: [
          { host: 'a', port: 26379 },
          { host: 'b', port: 26380 },
        ],
        sentinelName: 'ks',
      });
    });
  });
}
