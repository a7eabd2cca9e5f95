/**
 * The legacy /v3/policies blob API over HTTP: create, list (type filter),
 * show, update, delete, Keystone's messages and bodies.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestServer, type TestServer } from '../helpers/test-server.js';
import { databaseKinds } from '../helpers/test-database.js';
import { call, expectStatus, setupPersonas, unique, type Personas } from './identity-resource-fixtures.js';

for (const kind of databaseKinds()) {
  describe(`/v3/policies over HTTP (${kind})`, () => {
    let server: TestServer;
    let p: Personas;
    before(async () => {
      server = await startTestServer({ database: kind });
      p = await setupPersonas(server);
    });
    after(async () => {
      await server?.close();
    });

    const admin = () => p.systemAdmin.token;

    test('create, show, list by type, update, delete', async () => {
      const type = unique('application/json');
      const blob = JSON.stringify({ 'identity:get_user': 'rule:admin_required' });
      const created = expectStatus(
        await call(server, 'POST', '/v3/policies', { token: admin(), body: { policy: { type, blob, 'owner-team': 'ops' } } }),
        201,
      ).policy;
      assert.match(created.id, /^[0-9a-f]{32}$/);
      assert.equal(created.type, type);
      assert.equal(created.blob, blob);
      assert.equal(created.owner_team, 'ops');
      assert.equal(created.links.self, `${server.publicUrl}/v3/policies/${created.id}`);
      assert.deepEqual(expectStatus(await call(server, 'GET', `/v3/policies/${created.id}`, { token: admin() }), 200).policy, created);
      const other = expectStatus(
        await call(server, 'POST', '/v3/policies', { token: admin(), body: { policy: { type: 'text/plain', blob: 'x' } } }),
        201,
      ).policy;
      const byType = expectStatus(await call(server, 'GET', `/v3/policies?type=${encodeURIComponent(type)}`, { token: admin() }), 200);
      assert.deepEqual(
        byType.policies.map((x: { id: string }) => x.id),
        [created.id],
      );
      const all = expectStatus(await call(server, 'GET', '/v3/policies', { token: admin() }), 200).policies.map(
        (x: { id: string }) => x.id,
      );
      assert.ok(all.includes(other.id) && all.includes(created.id));
      const updated = expectStatus(
        await call(server, 'PATCH', `/v3/policies/${created.id}`, { token: admin(), body: { policy: { blob: '{}', note: 'n' } } }),
        200,
      ).policy;
      assert.equal(updated.blob, '{}');
      assert.equal(updated.type, type);
      assert.equal(updated.note, 'n');
      assert.equal(updated.owner_team, 'ops');
      expectStatus(
        await call(server, 'PATCH', `/v3/policies/${created.id}`, { token: admin(), body: { policy: { id: 'other' } } }),
        400,
        'Cannot change policy ID',
      );
      expectStatus(await call(server, 'DELETE', `/v3/policies/${created.id}`, { token: admin() }), 204);
      expectStatus(
        await call(server, 'GET', `/v3/policies/${created.id}`, { token: admin() }),
        404,
        `Could not find policy: ${created.id}.`,
      );
      expectStatus(
        await call(server, 'DELETE', `/v3/policies/${created.id}`, { token: admin() }),
        404,
        `Could not find policy: ${created.id}.`,
      );
      expectStatus(
        await call(server, 'PATCH', `/v3/policies/${created.id}`, { token: admin(), body: { policy: { blob: 'x' } } }),
        404,
        `Could not find policy: ${created.id}.`,
      );
    });

    test('bodies Keystone refuses', async () => {
      const bad = async (method: string, path: string, body: unknown, message?: string | RegExp) =>
        expectStatus(await call(server, method, path, { token: admin(), body }), 400, message);
      await bad('POST', '/v3/policies', { policy: { type: 'a' } }, "'blob' is a required property");
      await bad('POST', '/v3/policies', { policy: { blob: 'a' } }, "'type' is a required property");
      await bad('POST', '/v3/policies', { policy: { blob: {}, type: 'a' } }, /blob/);
      await bad('POST', '/v3/policies', { policy: { blob: 'a', type: 't'.repeat(256) } }, /type/);
      await bad('POST', '/v3/policies', {});
      const created = expectStatus(
        await call(server, 'POST', '/v3/policies', { token: admin(), body: { policy: { type: 't', blob: 'b' } } }),
        201,
      ).policy;
      await bad('PATCH', `/v3/policies/${created.id}`, { policy: {} });
      await bad('PATCH', `/v3/policies/${created.id}`, { policy: { blob: 5 } }, /blob/);
    });

    test('without a token: 401; a project member: 403', async () => {
      expectStatus(await call(server, 'GET', '/v3/policies'), 401);
      expectStatus(await call(server, 'POST', '/v3/policies', { body: { policy: { type: 't', blob: 'b' } } }), 401);
      const t = p.projectAMember.token;
      expectStatus(
        await call(server, 'GET', '/v3/policies', { token: t }),
        403,
        'You are not authorized to perform the requested action: identity:list_policies.',
      );
      expectStatus(
        await call(server, 'POST', '/v3/policies', { token: t, body: { policy: { type: 't', blob: 'b' } } }),
        403,
        'You are not authorized to perform the requested action: identity:create_policy.',
      );
      expectStatus(
        await call(server, 'GET', '/v3/policies/anything', { token: t }),
        403,
        'You are not authorized to perform the requested action: identity:get_policy.',
      );
    });
  });
}
