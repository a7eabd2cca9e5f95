/**
 * The catalogs a worker keeps for its tokens: one per user and project, replaced
 * when the catalog's version changes (a version in the key left one entry per
 * version behind until the LRU's cap pushed them out).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { LRUCache } from 'lru-cache';
import { startTestServer } from '../helpers/test-server.js';
import { adminToken, validateToken } from '../helpers/tokens.js';

test('a new catalog version replaces the catalog of a user and project; the token still has the new catalog', async () => {
  const server = await startTestServer({ config: { cache: { enabled: true, backend: 'dogpile.cache.memory' } } });
  try {
    const catalogs = (server.providers.token_provider_api as unknown as { catalogs: LRUCache<string, object> }).catalogs;
    const auth = await adminToken(server);
    for (let i = 0; i < 5; i++) {
      await server.providers.catalog_api.createRegion({ id: `soak-region-${i}` });
      const subject = await adminToken(server);
      const r = await validateToken(server, auth, subject);
      assert.equal(r.status, 200);
    }
    assert.equal(catalogs.size, 1, `one catalog for the one user and project: ${[...catalogs.keys()].join(', ')}`);
    const service = await server.providers.catalog_api.createService({ type: 'image', name: 'glance', enabled: true });
    await server.providers.catalog_api.createEndpoint({
      serviceId: service.id,
      interface: 'public',
      url: 'http://glance.example:9292',
      regionId: 'RegionOne',
      enabled: true,
    });
    const r = await validateToken(server, auth, await adminToken(server));
    assert.ok(
      r.body.token.catalog.some((s: { type: string }) => s.type === 'image'),
      'the new endpoint is in the catalog',
    );
    assert.equal(catalogs.size, 1);
  } finally {
    await server.close();
  }
});
