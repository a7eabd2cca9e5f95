/**
 * No body makes the assignment, catalog, policy or limit routes answer
 * 500: every malformed or hostile body sent to every write route is a
 * Keystone-style 4xx (400 for what the schemas refuse), and nothing is
 * created by it.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestServer, type TestServer } from '../helpers/test-server.js';
import { databaseKinds } from '../helpers/test-database.js';
import { call, setupPersonas, unique, type Personas } from './identity-resource-fixtures.js';

const HOSTILE: unknown[] = [
  null,
  [],
  'text',
  42,
  true,
  {},
  { x: 1 },
  { role: null },
  { role: [] },
  { role: 'x' },
  { role: { name: null } },
  { role: { name: { nested: true } } },
  { region: null },
  { region: { id: ['a'] } },
  { region: { id: 'x'.repeat(300) } },
  { region: { parent_region_id: {} } },
  { service: { type: null } },
  { service: { type: 'x'.repeat(300) } },
  { service: { type: 't', enabled: 'no' } },
  { endpoint: { url: 7, interface: 'public', service_id: 's' } },
  { endpoint: { url: 'http://x/%(', interface: 'public', service_id: 's' } },
  { endpoint: { url: 'http://x/', interface: 'public', service_id: ['s'] } },
  { endpoint: { url: 'http://x/', interface: 'public', service_id: 's', region: 5 } },
  { policy: { blob: null, type: 't' } },
  { policy: { blob: 'b', type: ['t'] } },
  { limits: [{}] },
  { limits: [null] },
  { limits: 'x' },
  { limits: [{ project_id: 'p', service_id: 's', resource_name: 'r', resource_limit: '1' }] },
  { registered_limits: [{ service_id: 's', resource_name: 'r', default_limit: 1e30 }] },
  { registered_limits: [[]] },
  { limit: { resource_limit: null } },
  { registered_limit: { service_id: 'a/b' } },
  { endpoint_group: { name: 'n', filters: 'x' } },
  { endpoint_group: { name: 'n', filters: { service_id: 's', bogus: 1 } } },
  { endpoint_group: null },
  { role: { name: 'nul\u0000' } },
  { region: { description: 'nul\u0000' } },
  { service: { type: 'nul\u0000' } },
  { policy: { blob: 'nul\u0000', type: 't' } },
  { endpoint: { url: 'http://nul\u0000', interface: 'public', service_id: 's' } },
  { role: { name: 'ok', options: [] } },
  { role: { name: 'ok', options: { immutable: 1 } } },
  { role: { name: 'ok', domain_id: 5 } },
];

for (const kind of databaseKinds()) {
  describe(`hostile bodies on the assignment and catalog routes (${kind})`, () => {
    let server: TestServer;
    let p: Personas;
    let ids: { role: string; service: string; endpoint: string; policy: string; limit: string; registered: string; group: string };
    before(async () => {
      server = await startTestServer({ database: kind });
      p = await setupPersonas(server);
      const token = p.systemAdmin.token;
      const post = async (path: string, body: unknown) => (await call(server, 'POST', path, { token, body })).body;
      const role = (await post('/v3/roles', { role: { name: unique('b') } })).role.id;
      const service = (await post('/v3/services', { service: { type: 'bodies' } })).service.id;
      const endpoint = (
        await post('/v3/endpoints', { endpoint: { service_id: service, interface: 'public', url: 'http://x.example.com/' } })
      ).endpoint.id;
      const policy = (await post('/v3/policies', { policy: { type: 't', blob: 'b' } })).policy.id;
      const registered = (
        await post('/v3/registered_limits', { registered_limits: [{ service_id: service, resource_name: 'r', default_limit: 1 }] })
      ).registered_limits[0].id;
      const limit = (
        await post('/v3/limits', { limits: [{ project_id: p.projectA, service_id: service, resource_name: 'r', resource_limit: 1 }] })
      ).limits[0].id;
      const group = (await post('/v3/OS-EP-FILTER/endpoint_groups', { endpoint_group: { name: 'g', filters: { interface: 'public' } } }))
        .endpoint_group.id;
      ids = { role, service, endpoint, policy, limit, registered, group };
    });
    after(async () => {
      await server?.close();
    });

    test('every write route answers 4xx to every hostile body, and creates nothing', async () => {
      const token = p.systemAdmin.token;
      const counts = async () => {
        const out: Record<string, number> = {};
        for (const [path, key] of [
          ['/v3/roles', 'roles'],
          ['/v3/regions', 'regions'],
          ['/v3/services', 'services'],
          ['/v3/endpoints', 'endpoints'],
          ['/v3/policies', 'policies'],
          ['/v3/limits', 'limits'],
          ['/v3/registered_limits', 'registered_limits'],
          ['/v3/OS-EP-FILTER/endpoint_groups', 'endpoint_groups'],
        ]) {
          out[key] = (await call(server, 'GET', path, { token })).body[key].length;
        }
        return out;
      };
      const before = await counts();
      const routes: [string, string][] = [
        ['POST', '/v3/roles'],
        ['PATCH', `/v3/roles/${ids.role}`],
        ['POST', '/v3/regions'],
        ['PUT', `/v3/regions/${unique('R')}`],
        ['PATCH', '/v3/regions/RegionOne'],
        ['POST', '/v3/services'],
        ['PATCH', `/v3/services/${ids.service}`],
        ['POST', '/v3/endpoints'],
        ['PATCH', `/v3/endpoints/${ids.endpoint}`],
        ['POST', '/v3/policies'],
        ['PATCH', `/v3/policies/${ids.policy}`],
        ['POST', '/v3/limits'],
        ['PATCH', `/v3/limits/${ids.limit}`],
        ['POST', '/v3/registered_limits'],
        ['PATCH', `/v3/registered_limits/${ids.registered}`],
        ['POST', '/v3/OS-EP-FILTER/endpoint_groups'],
        ['PATCH', `/v3/OS-EP-FILTER/endpoint_groups/${ids.group}`],
      ];
      let checked = 0;
      for (const [method, path] of routes) {
        for (const body of HOSTILE) {
          const res = await call(server, method, path, { token, body });
          // A body that happens to be valid for this route is fine; a 5xx never is.
          assert.ok(res.status < 500, `${method} ${path} ${JSON.stringify(body)} → ${res.status} ${JSON.stringify(res.body)}`);
          if (res.status >= 400) {
            assert.equal(res.body.error.code, res.status);
            assert.equal(typeof res.body.error.message, 'string');
          }
          checked++;
        }
        const raw = await call(server, method, path, { token, rawBody: '{"broken": ', headers: { 'Content-Type': 'application/json' } });
        assert.equal(raw.status, 400, `${method} ${path} with broken JSON`);
      }
      assert.equal(checked, routes.length * HOSTILE.length);
      const afterCounts = await counts();
      // PUT /v3/regions/{id} with {} (or with only unknown attributes) legitimately creates that region once.
      assert.ok(afterCounts.regions - before.regions <= 1, `regions: ${before.regions} → ${afterCounts.regions}`);
      assert.deepEqual({ ...afterCounts, regions: 0 }, { ...before, regions: 0 });
    });
  });
}
