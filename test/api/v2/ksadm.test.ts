/**
 * The v2.0 admin API (OS-KSADM) over HTTP: tenants, users (password,
 * enabled, default tenant), roles, grants on tenants, services and
 * endpoints, each visible to v3 as the same data; admin role required.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestServer, type TestServer } from '../../helpers/test-server.js';
import { databaseKinds } from '../../helpers/test-database.js';
import { expect, v2call, v2Token } from './v2-helpers.js';

for (const kind of databaseKinds()) {
  describe(`v2.0 OS-KSADM (${kind})`, () => {
    let server: TestServer;
    let token: string;
    before(async () => {
      server = await startTestServer({ database: kind });
      token = (await v2Token(server, 'admin', server.adminPassword, 'admin')).token.id;
    });
    after(async () => {
      await server?.close();
    });
    const admin = (method: string, path: string, body?: unknown) => v2call(server, method, path, { admin: true, token, body });

    test('tenants, users, roles and grants: the v2 life cycle of a user', async () => {
      const tenant = expect(await admin('POST', '/v2.0/tenants', { tenant: { name: 'proj', description: 'a tenant', enabled: true } }), 200)
        .json.tenant;
      assert.equal(tenant.name, 'proj');
      assert.equal(tenant.description, 'a tenant');
      const updated = expect(await admin('POST', `/v2.0/tenants/${tenant.id}`, { tenant: { description: 'renamed' } }), 200).json.tenant;
      assert.equal(updated.description, 'renamed');
      const v3project = await server.providers.resource_api.getProject(tenant.id);
      assert.equal(v3project.domainId, 'default');

      const user = expect(
        await admin('POST', '/v2.0/users', {
          user: { name: 'bob', password: 'bob-pass-1', email: 'bob@example.org', enabled: true, tenantId: tenant.id },
        }),
        200,
      ).json.user;
      assert.equal(user.name, 'bob');
      assert.equal(user.username, 'bob');
      assert.equal(user.email, 'bob@example.org');
      assert.equal(user.tenantId, tenant.id);
      assert.equal(user.enabled, true);
      assert.equal(user.password, undefined);
      assert.equal(expect(await admin('GET', `/v2.0/users/${user.id}`), 200).json.user.id, user.id);
      assert.equal(expect(await admin('GET', '/v2.0/users?name=bob'), 200).json.user.id, user.id);
      assert.ok(expect(await admin('GET', '/v2.0/users'), 200).json.users.some((u: { id: string }) => u.id === user.id));
      // a member of the default tenant: it can get a token for it
      const bob = await v2Token(server, 'bob', 'bob-pass-1', 'proj');
      assert.equal(bob.token.tenant.id, tenant.id);
      const listed = expect(await admin('GET', `/v2.0/tenants/${tenant.id}/users`), 200).json.users;
      assert.deepEqual(
        listed.map((u: { id: string }) => u.id),
        [user.id],
      );

      const role = expect(await admin('POST', '/v2.0/OS-KSADM/roles', { role: { name: 'auditor', description: 'reads' } }), 200).json.role;
      assert.equal(role.name, 'auditor');
      assert.ok(expect(await admin('GET', '/v2.0/OS-KSADM/roles'), 200).json.roles.some((r: { id: string }) => r.id === role.id));
      assert.equal(expect(await admin('GET', `/v2.0/OS-KSADM/roles/${role.id}`), 200).json.role.name, 'auditor');
      expect(await admin('PUT', `/v2.0/tenants/${tenant.id}/users/${user.id}/roles/OS-KSADM/${role.id}`), 200);
      expect(await admin('PUT', `/v2.0/tenants/${tenant.id}/users/${user.id}/roles/OS-KSADM/${role.id}`), 409);
      let roles = expect(await admin('GET', `/v2.0/tenants/${tenant.id}/users/${user.id}/roles`), 200).json.roles;
      assert.ok(roles.some((r: { id: string }) => r.id === role.id));
      expect(await admin('DELETE', `/v2.0/tenants/${tenant.id}/users/${user.id}/roles/OS-KSADM/${role.id}`), 204);
      roles = expect(await admin('GET', `/v2.0/tenants/${tenant.id}/users/${user.id}/roles`), 200).json.roles;
      assert.ok(!roles.some((r: { id: string }) => r.id === role.id));

      expect(await admin('PUT', `/v2.0/users/${user.id}/OS-KSADM/password`, { user: { password: 'bob-pass-2' } }), 200);
      expect(
        await v2call(server, 'POST', '/v2.0/tokens', {
          body: { auth: { passwordCredentials: { username: 'bob', password: 'bob-pass-1' } } },
        }),
        401,
      );
      await v2Token(server, 'bob', 'bob-pass-2');
      const disabled = expect(await admin('PUT', `/v2.0/users/${user.id}/OS-KSADM/enabled`, { user: { enabled: false } }), 200).json.user;
      assert.equal(disabled.enabled, false);
      expect(
        await v2call(server, 'POST', '/v2.0/tokens', {
          body: { auth: { passwordCredentials: { username: 'bob', password: 'bob-pass-2' } } },
        }),
        401,
      );
      // the older path without OS-KSADM (Tempest's v2 client uses it)
      expect(await admin('PUT', `/v2.0/users/${user.id}/enabled`, { user: { enabled: true } }), 200);
      expect(await admin('PUT', `/v2.0/users/${user.id}/enabled`, { user: { enabled: false } }), 200);
      const renamed = expect(await admin('PUT', `/v2.0/users/${user.id}`, { user: { name: 'robert', enabled: true } }), 200).json.user;
      assert.equal(renamed.name, 'robert');

      // not an admin: 403
      const other = await v2Token(server, 'robert', 'bob-pass-2', 'proj');
      expect(await v2call(server, 'POST', '/v2.0/tenants', { admin: true, token: other.token.id, body: { tenant: { name: 'x' } } }), 403);
      expect(await v2call(server, 'GET', '/v2.0/users', { admin: true, token: other.token.id }), 403);
      expect(await v2call(server, 'GET', '/v2.0/users', { admin: true }), 401);
      // bad bodies: 400
      expect(await admin('POST', '/v2.0/tenants', { tenant: {} }), 400);
      expect(await admin('POST', '/v2.0/users', { nope: {} }), 400);

      expect(await admin('DELETE', `/v2.0/users/${user.id}`), 204);
      expect(await admin('GET', `/v2.0/users/${user.id}`), 404);
      expect(await admin('DELETE', `/v2.0/OS-KSADM/roles/${role.id}`), 204);
      expect(await admin('DELETE', `/v2.0/tenants/${tenant.id}`), 204);
      expect(await admin('GET', `/v2.0/tenants/${tenant.id}`), 404);
    });

    test('services and endpoints: one v2 endpoint is three v3 endpoints, listed merged', async () => {
      const svc = expect(
        await admin('POST', '/v2.0/OS-KSADM/services', { 'OS-KSADM:service': { type: 'compute', name: 'nova', description: 'Compute' } }),
        200,
      ).json['OS-KSADM:service'];
      assert.equal(svc.type, 'compute');
      assert.equal(svc.name, 'nova');
      assert.equal(svc.description, 'Compute');
      assert.ok(
        expect(await admin('GET', '/v2.0/OS-KSADM/services'), 200).json['OS-KSADM:services'].some((s: { id: string }) => s.id === svc.id),
      );
      assert.equal(expect(await admin('GET', `/v2.0/OS-KSADM/services/${svc.id}`), 200).json['OS-KSADM:service'].id, svc.id);
      const ep = expect(
        await admin('POST', '/v2.0/endpoints', {
          endpoint: {
            region: 'RegionTwo',
            service_id: svc.id,
            publicurl: 'http://nova:8774/v2.1',
            adminurl: 'http://nova-admin:8774/v2.1',
            internalurl: 'http://nova-int:8774/v2.1',
          },
        }),
        200,
      ).json.endpoint;
      assert.equal(ep.region, 'RegionTwo');
      assert.equal(ep.service_id, svc.id);
      assert.equal(ep.publicurl, 'http://nova:8774/v2.1');
      assert.equal(ep.adminurl, 'http://nova-admin:8774/v2.1');
      assert.equal(ep.internalurl, 'http://nova-int:8774/v2.1');
      const v3 = (await server.providers.catalog_api.listEndpoints()).filter((e) => e.serviceId === svc.id);
      assert.deepEqual(v3.map((e) => e.interface).sort(), ['admin', 'internal', 'public']);
      assert.deepEqual(
        v3.map((e) => e.legacyEndpointId),
        [ep.id, ep.id, ep.id],
      );
      // v3 shows them as Keystone does: no legacy_endpoint_id attribute
      for (const e of v3) {
        const shown = expect(await admin('GET', `/v3/endpoints/${e.id}`), 200).json.endpoint;
        assert.equal('legacy_endpoint_id' in shown, false);
      }
      const listed = expect(await admin('GET', '/v2.0/endpoints'), 200).json.endpoints;
      assert.deepEqual(
        listed.find((e: { id: string }) => e.id === ep.id),
        ep,
      );
      // the new endpoints show in a v2 token's catalog
      const access = await v2Token(server, 'admin', server.adminPassword, 'admin');
      const compute = access.serviceCatalog.find((s: { type: string }) => s.type === 'compute');
      assert.deepEqual(
        compute.endpoints.map((e: { publicURL: string; region: string }) => [e.region, e.publicURL]),
        [['RegionTwo', 'http://nova:8774/v2.1']],
      );
      expect(await admin('POST', '/v2.0/endpoints', { endpoint: { region: 'RegionTwo' } }), 400);
      expect(await admin('DELETE', `/v2.0/endpoints/${ep.id}`), 204);
      expect(await admin('DELETE', `/v2.0/endpoints/${ep.id}`), 404);
      assert.equal((await server.providers.catalog_api.listEndpoints()).filter((e) => e.serviceId === svc.id).length, 0);
      expect(await admin('DELETE', `/v2.0/OS-KSADM/services/${svc.id}`), 204);
      expect(await admin('GET', `/v2.0/OS-KSADM/services/${svc.id}`), 404);
    });
  });
}
