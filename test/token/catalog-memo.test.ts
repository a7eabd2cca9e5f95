/**
 * The catalogs a worker keeps for its tokens: one per user and project, replaced
 * when the catalog's version changes (a version in the key left one entry per
 * version behind until the LRU's cap pushed them out). Also without a cache,
 * where the version is the SQL epoch read once per request: a catalog change
 * (an endpoint, a project's endpoint filter) is in the next token's body.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { LRUCache } from 'lru-cache';
import { startTestServer, type TestServer } from '../helpers/test-server.js';
import { adminToken, validateToken } from '../helpers/tokens.js';
import { addPublicEndpoint } from '../helpers/catalog-fixtures.js';
import { assertCacheReady, cacheConfig, cacheKinds } from '../helpers/cache-kinds.js';

interface CatalogService {
  type: string;
  endpoints: { id: string }[];
}

/** A rescope of `subject` to its project: the new token's catalog. */
async function rescopedCatalog(server: TestServer, subject: string, projectId: string): Promise<CatalogService[]> {
  const res = await fetch(`${server.publicUrl}/v3/auth/tokens`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ auth: { identity: { methods: ['token'], token: { id: subject } }, scope: { project: { id: projectId } } } }),
  });
  const body = (await res.json()) as { token: { catalog: CatalogService[] } };
  assert.equal(res.status, 201, JSON.stringify(body));
  return body.token.catalog;
}

for (const kind of cacheKinds()) {
  describe(`the catalog of a token (cache ${kind})`, () => {
    test('a new catalog version replaces the catalog of a user and project; the token still has the new catalog', async () => {
      const server = await startTestServer({ config: cacheConfig(kind) });
      try {
        await assertCacheReady(server.cache);
        const catalogs = (server.providers.token_provider_api as unknown as { catalogs: LRUCache<string, object> }).catalogs;
        const auth = await adminToken(server);
        for (let i = 0; i < 5; i++) {
          await server.providers.catalog_api.createRegion({ id: `soak-region-${i}` });
          const subject = await adminToken(server);
          const r = await validateToken(server, auth, subject);
          assert.equal(r.status, 200);
        }
        assert.equal(catalogs.size, 1, `one catalog for the one user and project: ${[...catalogs.keys()].join(', ')}`);
        await addPublicEndpoint(server, 'image', 'glance', 'http://glance.example:9292');
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

    test("a rescope right after an endpoint or a project's endpoint filter changed renders the new catalog", async () => {
      const server = await startTestServer({ config: cacheConfig(kind) });
      try {
        await assertCacheReady(server.cache);
        const subject = await adminToken(server);
        const auth = await validateToken(server, subject, subject);
        const projectId = (auth.body.token.project as { id: string }).id;
        const before = await rescopedCatalog(server, subject, projectId);
        assert.ok(!before.some((s) => s.type === 'volumev3'), 'no volume service yet');

        const { endpointId } = await addPublicEndpoint(server, 'volumev3', 'cinder', 'http://cinder.example:8776/v3');
        const added = await rescopedCatalog(server, subject, projectId);
        assert.ok(
          added.some((s) => s.type === 'volumev3'),
          'the new endpoint is in the next token',
        );

        // a filter of one endpoint: the project's catalog is that endpoint alone
        await server.providers.catalog_api.addEndpointToProject(endpointId, projectId);
        const filtered = await rescopedCatalog(server, subject, projectId);
        assert.deepEqual(
          filtered.flatMap((s) => s.endpoints.map((e) => e.id)),
          [endpointId],
        );

        await server.providers.catalog_api.deleteEndpoint(endpointId);
        const removed = await rescopedCatalog(server, subject, projectId);
        assert.ok(!removed.some((s) => s.endpoints.some((e) => e.id === endpointId)), 'the deleted endpoint is gone from the next token');
      } finally {
        await server.close();
      }
    });
  });
}
