/**
 * The Redis broadcast behind the token memo's version (src/cache/redis-broadcast.ts,
 * src/token/memo-version.ts), on the machine's Redis (CI=true or KEYSTONE_TEST_REDIS=1):
 *  - a publish resolves only after every lease holder's listener ran;
 *  - a holder that cannot acknowledge (its subscription cut) makes the sender wait until its deadline,
 *    and no longer counts as holding its lease;
 *  - a memo version is known without a round trip only while the lease is held, and moves when another
 *    process publishes a change.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { RedisBroadcast } from '../../src/cache/redis-broadcast.js';
import { RedisCacheBackend } from '../../src/cache/redis-backend.js';
import { Cache } from '../../src/cache/cache.js';
import { MemoVersion } from '../../src/token/memo-version.js';
import type { TokenEpoch } from '../../src/token/token-epoch.js';
import { TEST_REDIS_URL, redisWanted } from '../helpers/cache-kinds.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const closers: (() => unknown)[] = [];
after(async () => {
  for (const c of closers.reverse()) await c();
});

async function eventually(check: () => boolean, ms: number, what: string): Promise<void> {
  const until = Date.now() + ms;
  while (!check()) {
    if (Date.now() > until) assert.fail(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

function client(): Redis {
  const c = new Redis(TEST_REDIS_URL, { enableOfflineQueue: true });
  closers.push(() => {
    c.disconnect();
  });
  return c;
}

/** A SQL epoch stand-in: a counter, advanced by advance(). */
function fakeEpoch(): TokenEpoch & { value: number } {
  const e = {
    value: 1,
    advance() {
      e.value++;
      return Promise.resolve();
    },
    current() {
      return Promise.resolve(`${String(e.value)}:0`);
    },
  };
  return e as unknown as TokenEpoch & { value: number };
}

describe('Redis broadcast with leases', { skip: redisWanted() ? false : 'Redis runs with CI=true or KEYSTONE_TEST_REDIS=1' }, () => {
  test('a publish resolves after every lease holder heard it; a silent holder makes it wait for the deadline', async () => {
    const prefix = `ks-test-${randomBytes(6).toString('hex')}:`;
    const holders = [new RedisBroadcast(client(), prefix), new RedisBroadcast(client(), prefix)];
    const heard = [0, 0];
    holders.forEach((h, i) => {
      h.onMessage(() => heard[i]++);
      h.holdLease();
      closers.push(() => {
        h.close();
      });
    });
    await eventually(() => holders.every((h) => h.leaseHeldSince() !== null), 5000, 'both leases');
    const sender = new RedisBroadcast(client(), prefix);
    closers.push(() => {
      sender.close();
    });
    assert.equal(await sender.publish(performance.now() + 5000), true, 'acknowledged by both');
    assert.deepEqual(heard, [1, 1], 'both listeners ran before the publish resolved');

    // one holder stops hearing the channel without noticing (it keeps renewing its lease): the sender waits until its deadline
    const subscriberOf = (h: RedisBroadcast) => (h as unknown as { subscriber: Redis }).subscriber;
    await subscriberOf(holders[1]).unsubscribe(`${prefix}broadcast`);
    const started = performance.now();
    assert.equal(await sender.publish(performance.now() + 300), false, 'not acknowledged by every holder');
    assert.ok(performance.now() - started >= 290, 'the sender waited until its deadline');
    assert.deepEqual(heard, [2, 1]);

    // a holder whose connection drops gives up its lease at once (senders need not wait for it)
    const lost = [0];
    holders[1].onLoss(() => lost[0]++);
    subscriberOf(holders[1]).stream.destroy();
    await eventually(() => lost[0] > 0, 5000, 'the holder noticing its lost subscription');
    assert.equal(holders[1].leaseHeldSince(), null, 'no lease counts without a subscription');
  });

  test('the memo version is known without a round trip while the lease is held, and moves on a change published elsewhere', async () => {
    const prefix = `ks-test-${randomBytes(6).toString('hex')}:`;
    const epoch = fakeEpoch();
    const cacheOf = () => {
      const backend = new RedisCacheBackend({ url: TEST_REDIS_URL, keyPrefix: prefix });
      const cache = new Cache(backend, 600);
      closers.push(() => cache.close());
      return cache;
    };
    const reader = new MemoVersion({ cache: cacheOf(), epoch, useCache: true, relayedRegions: [] });
    const writer = new MemoVersion({ cache: cacheOf(), epoch, useCache: true, relayedRegions: [] });
    closers.push(() => {
      reader.close();
      writer.close();
    });
    assert.equal(reader.currentSync(), undefined, 'not known before the lease and the first epoch read');
    let before: string | undefined;
    await eventually(() => (before = reader.currentSync()) !== undefined, 5000, 'a known version');
    assert.match(before!, /^n:/);
    await writer.changed();
    const afterChange = reader.currentSync();
    assert.notEqual(afterChange, before, 'the reader moved before the writer returned');
    await sleep(600); // the next epoch polls have read the advanced epoch
    const settled = reader.currentSync();
    assert.ok(settled !== undefined && settled !== before);
    await sleep(600);
    assert.equal(reader.currentSync(), settled, 'and stays put while nothing changes');
    reader.close();
    assert.equal(reader.currentSync(), undefined, 'without its lease the version must be read');
  });
});
