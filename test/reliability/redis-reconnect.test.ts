/**
 * The Redis cache backend across a Redis restart that keeps its data (AOF):
 * an invalidation that could not reach Redis during the outage must hold
 * from the first read after the reconnection on, not only once the regions
 * have been bumped (a read racing the bump would return the entry of before
 * the outage: a stale yes).
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { RedisCacheBackend } from '../../src/cache/redis-backend.js';
import { eventually } from '../process/http-client.js';
import { skipUnless, startRedis, type PrivateRedis } from './backing-services.js';

let redis: PrivateRedis | undefined;
const backends: RedisCacheBackend[] = [];
after(async () => {
  for (const b of backends) await b.close();
  await redis?.destroy();
});

describe('Redis cache backend across a restart', { skip: skipUnless(['redis-server']) }, () => {
  test('no entry of before an outage is read once the connection is back', async () => {
    redis = await startRedis();
    const writer = new RedisCacheBackend({ url: redis.url, keyPrefix: 'reconnect:' });
    const reader = new RedisCacheBackend({ url: redis.url, keyPrefix: 'reconnect:' });
    backends.push(writer, reader);
    assert.ok(await writer.waitReady(5000));
    assert.ok(await reader.waitReady(5000));
    await writer.set('token', 'stamp', 'before-the-outage', 3600);
    assert.equal(await reader.get('token', 'stamp'), 'before-the-outage');

    await redis.stop();
    await eventually(() => writer.client.status !== 'ready' && reader.client.status !== 'ready', 10_000, 'both clients to notice');
    await writer.invalidateRegion('token'); // cannot reach Redis: must hold once it is back
    assert.equal(await reader.get('token', 'stamp'), undefined, 'a miss while Redis is down');

    // The first reads the moment each client is ready again, before anything else ran.
    const firstReads: Promise<string | undefined>[] = [];
    for (const b of [reader, writer])
      b.client.once('ready', () => {
        firstReads.push(b.get('token', 'stamp'));
      });
    await redis.start();
    await eventually(() => firstReads.length === 2, 15_000, 'both clients to reconnect');
    assert.deepEqual(await Promise.all(firstReads), [undefined, undefined], 'no stale entry read right after the reconnection');
    assert.equal(await reader.get('token', 'stamp'), undefined);
    assert.equal(await writer.get('token', 'stamp'), undefined);

    // and the cache works again
    await eventually(
      async () => {
        await writer.set('token', 'stamp', 'after', 3600);
        return (await reader.get('token', 'stamp')) === 'after';
      },
      10_000,
      'the cache to serve again',
    );
  });
});
