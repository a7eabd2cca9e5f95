/**
 * Expired entries leave memory when they expire, not when a size cap pushes
 * them out: the in-process cache regions and the token validation memo are
 * swept (lru-cache keeps expired entries until they are read or evicted).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { LRUCache } from 'lru-cache';
import { MemoryCacheBackend } from '../../src/cache/memory-backend.js';
import { startTestServer } from '../helpers/test-server.js';
import { adminToken, validateToken } from '../helpers/tokens.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('the in-process cache drops expired entries of every region on its sweep', async () => {
  const backend = new MemoryCacheBackend(20_000, 8 * 1024 * 1024, 200);
  try {
    for (let i = 0; i < 100; i++) await backend.set('short', `k${i}`, 'x'.repeat(1000), 1);
    await backend.set('long', 'k', 'kept', 600);
    const regions = (backend as unknown as { regions: Map<string, LRUCache<string, string>> }).regions;
    assert.equal(regions.get('short')!.size, 100);
    await sleep(1500);
    assert.equal(regions.get('short')!.size, 0, 'expired entries were swept without being read');
    assert.equal(await backend.get('long', 'k'), 'kept');
  } finally {
    await backend.close();
  }
});

test('the token validation memo drops expired validations on its sweep ([token] cache_time)', async () => {
  const server = await startTestServer({ config: { token: { cache_time: 1 } } });
  try {
    const memo = (server.providers.token_provider_api as unknown as { memo: LRUCache<string, object> }).memo;
    const auth = await adminToken(server);
    for (let i = 0; i < 5; i++) {
      const subject = await adminToken(server);
      assert.equal((await validateToken(server, auth, subject)).status, 200);
    }
    assert.ok(memo.size >= 5, `validations are memoized (${memo.size})`);
    await sleep(2500);
    assert.equal(memo.size, 0, 'expired validations were swept without being read');
  } finally {
    await server.close();
  }
});
