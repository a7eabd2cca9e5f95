/**
 * The v2.0 API's tokens and tenants over HTTP: the quick-start curl flow,
 * token bodies, validation / belongsTo / revocation on the admin port, the
 * v2/v3 token crossover both ways, the default domain as v2.0's only one,
 * and tenant listings on either port.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestServer, type TestServer } from '../../helpers/test-server.js';
import { databaseKinds } from '../../helpers/test-database.js';
import { expect, v2call, v2Token } from './v2-helpers.js';

for (const kind of databaseKinds()) {
  describe(`v2.0 tokens and tenants (${kind})`, () => {
    let server: TestServer;
    let adminToken: string;
    let otherDomainUserId: string;
    let otherProjectId: string;
    let memberProjectId: string;
    before(async () => {
      server = await startTestServer({ database: kind });
      adminToken = (await v2Token(server, 'admin', server.adminPassword, 'admin')).token.id;
      const s = server.providers;
      const domain = await s.resource_api.createDomain({ name: 'elsewhere' });
      const other = await s.identity_api.createUser({ name: 'outsider', domainId: domain.id, password: 'outsider-pass' });
      otherDomainUserId = other.id;
      const otherProject = await s.resource_api.createProject({ name: 'far', domainId: domain.id });
      otherProjectId = otherProject.id;
      await s.assignment_api.addGrant(server.bootstrap.memberRoleId, { userId: other.id }, { projectId: otherProject.id });
      const alice = await s.identity_api.createUser({ name: 'alice', domainId: 'default', password: 'alice-pass' });
      const project = await s.resource_api.createProject({ name: 'alices', domainId: 'default' });
      memberProjectId = project.id;
      await s.assignment_api.addGrant(server.bootstrap.memberRoleId, { userId: alice.id }, { projectId: project.id });
    });
    after(async () => {
      await server?.close();
    });

    test('the quick-start flow: a token for tenantName + passwordCredentials, the tenants, the token on v3', async () => {
      const access = await v2Token(server, 'admin', server.adminPassword, 'admin');
      assert.match(access.token.id, /\S{20,}/);
      assert.equal(access.token.tenant.id, server.bootstrap.projectId);
      assert.equal(access.token.tenant.name, 'admin');
      assert.equal(access.token.tenant.enabled, true);
      assert.ok(access.token.issued_at && access.token.expires);
      assert.equal(access.token.audit_ids.length, 1);
      assert.equal(access.user.id, server.bootstrap.userId);
      assert.equal(access.user.username, 'admin');
      assert.deepEqual(access.user.roles_links, []);
      assert.ok(access.user.roles.some((r: { name: string }) => r.name === 'admin'));
      assert.equal(access.metadata.is_admin, 0);
      assert.ok(access.metadata.roles.includes(server.bootstrap.adminRoleId));
      const identity = access.serviceCatalog.find((s: { type: string }) => s.type === 'identity');
      assert.ok(identity, 'the identity service is in the catalog');
      assert.deepEqual(identity.endpoints_links, []);
      assert.equal(identity.endpoints.length, 1);
      const ep = identity.endpoints[0];
      assert.equal(ep.region, 'RegionOne');
      assert.equal(ep.publicURL, 'http://127.0.0.1:5000/v3');
      assert.equal(ep.adminURL, 'http://127.0.0.1:35357/v3');
      assert.equal(ep.internalURL, 'http://127.0.0.1:5000/v3');
      assert.ok(ep.id);
      const tenants = expect(await v2call(server, 'GET', '/v2.0/tenants', { token: access.token.id }), 200).json;
      assert.deepEqual(
        tenants.tenants.map((t: { name: string }) => t.name),
        ['admin'],
      );
      assert.deepEqual(tenants.tenants_links, []);
      const projects = expect(await v2call(server, 'GET', '/v3/auth/projects', { token: access.token.id }), 200).json;
      assert.ok(projects.projects.some((p: { id: string }) => p.id === server.bootstrap.projectId));
      const v3 = await fetch(`${server.publicUrl}/v3/auth/tokens`, {
        headers: { 'X-Auth-Token': access.token.id, 'X-Subject-Token': access.token.id },
      });
      assert.equal(v3.status, 200);
      const body = (await v3.json()) as { token: { project: { id: string }; audit_ids: string[] } };
      assert.equal(body.token.project.id, server.bootstrap.projectId);
      assert.deepEqual(body.token.audit_ids, access.token.audit_ids);
    });

    test('by userId and tenantId; both ports issue', async () => {
      const res = expect(
        await v2call(server, 'POST', '/v2.0/tokens', {
          admin: true,
          body: {
            auth: {
              tenantId: server.bootstrap.projectId,
              passwordCredentials: { userId: server.bootstrap.userId, password: server.adminPassword },
            },
          },
        }),
        200,
      );
      assert.equal(res.json.access.token.tenant.id, server.bootstrap.projectId);
    });

    test('without a tenant the token is unscoped, without a catalog; token.id rescopes it', async () => {
      const unscoped = await v2Token(server, 'alice', 'alice-pass');
      assert.equal(unscoped.token.tenant, undefined);
      assert.equal(unscoped.serviceCatalog, undefined);
      assert.deepEqual(unscoped.user.roles, []);
      assert.deepEqual(unscoped.metadata.roles, []);
      const mine = expect(await v2call(server, 'GET', '/v2.0/tenants', { token: unscoped.token.id }), 200).json.tenants;
      assert.deepEqual(
        mine.map((t: { id: string }) => t.id),
        [memberProjectId],
      );
      const scoped = expect(
        await v2call(server, 'POST', '/v2.0/tokens', { body: { auth: { token: { id: unscoped.token.id }, tenantId: memberProjectId } } }),
        200,
      ).json.access;
      assert.equal(scoped.token.tenant.id, memberProjectId);
      assert.equal(scoped.token.expires, unscoped.token.expires);
      assert.deepEqual(scoped.token.audit_ids.slice(1), [unscoped.token.audit_ids[0]]);
      assert.ok(scoped.serviceCatalog.length > 0);
      // member implies reader (bootstrap's implied role), as on v3
      assert.deepEqual(scoped.user.roles, [{ name: 'member' }, { name: 'reader' }]);
    });

    test('refusals: bad password, unknown tenant, no role on the tenant, malformed bodies', async () => {
      const post = (body: unknown) => v2call(server, 'POST', '/v2.0/tokens', { body });
      expect(await post({ auth: { passwordCredentials: { username: 'alice', password: 'wrong' } } }), 401);
      expect(await post({ auth: { passwordCredentials: { username: 'nobody', password: 'x' } } }), 401);
      expect(await post({ auth: { tenantName: 'nope', passwordCredentials: { username: 'alice', password: 'alice-pass' } } }), 401);
      expect(await post({ auth: { tenantName: 'admin', passwordCredentials: { username: 'alice', password: 'alice-pass' } } }), 401);
      expect(await post({ auth: { token: { id: 'not-a-token' } } }), 401);
      expect(await post({}), 400);
      expect(await post({ auth: { passwordCredentials: { username: 'alice' } } }), 400);
      expect(await post({ auth: { passwordCredentials: { password: 'x' } } }), 400);
      const malformed = await fetch(`${server.publicUrl}/v2.0/tokens`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: '{"auth": ',
      });
      assert.equal(malformed.status, 400);
    });

    test('the default domain only: other domains are invisible, their tokens fail v2 validation', async () => {
      expect(
        await v2call(server, 'POST', '/v2.0/tokens', {
          body: { auth: { passwordCredentials: { userId: otherDomainUserId, password: 'outsider-pass' } } },
        }),
        401,
      );
      expect(
        await v2call(server, 'POST', '/v2.0/tokens', {
          body: { auth: { tenantId: otherProjectId, passwordCredentials: { username: 'admin', password: server.adminPassword } } },
        }),
        401,
      );
      const v3 = await fetch(`${server.publicUrl}/v3/auth/tokens`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({
          auth: {
            identity: { methods: ['password'], password: { user: { id: otherDomainUserId, password: 'outsider-pass' } } },
            scope: { project: { id: otherProjectId } },
          },
        }),
      });
      assert.equal(v3.status, 201);
      const outsiderToken = v3.headers.get('x-subject-token') as string;
      expect(await v2call(server, 'GET', `/v2.0/tokens/${outsiderToken}`, { admin: true, token: adminToken }), 404);
      expect(await v2call(server, 'GET', `/v2.0/tenants/${otherProjectId}`, { admin: true, token: adminToken }), 404);
      expect(await v2call(server, 'GET', `/v2.0/users/${otherDomainUserId}`, { admin: true, token: adminToken }), 404);
      const all = expect(await v2call(server, 'GET', '/v2.0/tenants', { admin: true, token: adminToken }), 200).json.tenants;
      assert.ok(!all.some((t: { id: string }) => t.id === otherProjectId));
    });

    test('admin port: validate, HEAD, belongsTo, endpoints, revoke (on v3 too)', async () => {
      const alice = await v2Token(server, 'alice', 'alice-pass', 'alices');
      const id = alice.token.id;
      const shown = expect(await v2call(server, 'GET', `/v2.0/tokens/${id}`, { admin: true, token: adminToken }), 200).json.access;
      assert.equal(shown.token.id, id);
      assert.equal(shown.user.id, alice.user.id);
      assert.equal(shown.token.tenant.id, memberProjectId);
      expect(await v2call(server, 'HEAD', `/v2.0/tokens/${id}`, { admin: true, token: adminToken }), 200);
      expect(await v2call(server, 'GET', `/v2.0/tokens/${id}?belongsTo=${memberProjectId}`, { admin: true, token: adminToken }), 200);
      // another tenant's: 401, as Keystone's v2 (and Tempest's v2 tests)
      expect(
        await v2call(server, 'GET', `/v2.0/tokens/${id}?belongsTo=${server.bootstrap.projectId}`, { admin: true, token: adminToken }),
        401,
      );
      expect(
        await v2call(server, 'HEAD', `/v2.0/tokens/${id}?belongsTo=${server.bootstrap.projectId}`, { admin: true, token: adminToken }),
        401,
      );
      const endpoints = expect(await v2call(server, 'GET', `/v2.0/tokens/${id}/endpoints`, { admin: true, token: adminToken }), 200).json;
      assert.ok(endpoints.endpoints.some((e: { type: string; publicURL: string }) => e.type === 'identity' && e.publicURL));
      // as on v3 (identity:validate_token): a user may validate their own token, not another's (403);
      // no token: 401; the public port answers the same, under the same rules (Keystone Pike's token router is on both)
      expect(await v2call(server, 'GET', `/v2.0/tokens/${id}`, { admin: true, token: id }), 200);
      expect(await v2call(server, 'GET', `/v2.0/tokens/${adminToken}`, { admin: true, token: id }), 403);
      expect(await v2call(server, 'GET', `/v2.0/tokens/${id}`, { admin: true }), 401);
      expect(await v2call(server, 'GET', `/v2.0/tokens/${id}`, { token: adminToken }), 200);
      expect(await v2call(server, 'GET', `/v2.0/tokens/${adminToken}`, { token: id }), 403);
      expect(await v2call(server, 'GET', `/v2.0/tokens/${id}`), 401);
      expect(await v2call(server, 'DELETE', `/v2.0/tokens/${id}`, { admin: true, token: adminToken }), 204);
      expect(await v2call(server, 'GET', `/v2.0/tokens/${id}`, { admin: true, token: adminToken }), 404);
      const v3 = await fetch(`${server.publicUrl}/v3/auth/tokens`, { headers: { 'X-Auth-Token': adminToken, 'X-Subject-Token': id } });
      assert.equal(v3.status, 404);
    });

    test('a v3 token validates on v2; revoked on v3, it is gone on v2', async () => {
      const v3 = await fetch(`${server.publicUrl}/v3/auth/tokens`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({
          auth: {
            identity: { methods: ['password'], password: { user: { name: 'alice', domain: { id: 'default' }, password: 'alice-pass' } } },
            scope: { project: { id: memberProjectId } },
          },
        }),
      });
      assert.equal(v3.status, 201);
      const id = v3.headers.get('x-subject-token') as string;
      const shown = expect(await v2call(server, 'GET', `/v2.0/tokens/${id}`, { admin: true, token: adminToken }), 200).json.access;
      assert.equal(shown.token.tenant.id, memberProjectId);
      assert.equal(shown.user.name, 'alice');
      const revoked = await fetch(`${server.publicUrl}/v3/auth/tokens`, {
        method: 'DELETE',
        headers: { 'X-Auth-Token': adminToken, 'X-Subject-Token': id },
      });
      assert.equal(revoked.status, 204);
      expect(await v2call(server, 'GET', `/v2.0/tokens/${id}`, { admin: true, token: adminToken }), 404);
    });

    test('extensions on each port; OS-KSCRUD: a user changes their own password', async () => {
      // as a Keystone Pike process listed them (Python 2.7's order of its registry), with Pike's text
      const pub = expect(await v2call(server, 'GET', '/v2.0/extensions'), 200).json.extensions.values;
      assert.deepEqual(
        pub.map((e: { alias: string }) => e.alias),
        ['OS-REVOKE', 'OS-FEDERATION', 'OS-KSCRUD', 'OS-SIMPLE-CERT', 'OS-OAUTH1', 'OS-EC2'],
      );
      for (const e of pub) assert.deepEqual(Object.keys(e), ['updated', 'name', 'links', 'namespace', 'alias', 'description']);
      const adm = expect(await v2call(server, 'GET', '/v2.0/extensions', { admin: true }), 200).json.extensions.values;
      assert.deepEqual(
        adm.map((e: { alias: string }) => e.alias),
        ['s3tokens', 'OS-REVOKE', 'OS-FEDERATION', 'OS-KSADM', 'OS-SIMPLE-CERT', 'OS-OAUTH1', 'OS-EC2'],
      );
      // keystone/token/_simple_cert.py's EXTENSION_DATA at Pike, on both ports, and by alias
      const simpleCert = {
        updated: '2014-01-20T12:00:0-00:00',
        name: 'OpenStack Simple Certificate API',
        links: [{ href: 'https://developer.openstack.org/api-ref-identity-v2-ext.html', type: 'text/html', rel: 'describedby' }],
        namespace: 'https://docs.openstack.org/identity/api/ext/OS-SIMPLE-CERT/v1.0',
        alias: 'OS-SIMPLE-CERT',
        description: 'OpenStack simple certificate retrieval extension',
      };
      for (const admin of [false, true]) {
        const values = admin ? adm : pub;
        assert.deepEqual(
          values.find((e: { alias: string }) => e.alias === 'OS-SIMPLE-CERT'),
          simpleCert,
        );
        const one = expect(await v2call(server, 'GET', '/v2.0/extensions/OS-SIMPLE-CERT', { admin }), 200).json;
        assert.deepEqual(one, { extension: simpleCert });
        // the certificates it names are gone with PKI, as Keystone 22 answers OS-SIMPLE-CERT
        expect(await v2call(server, 'GET', '/v2.0/certificates/signing', { admin }), 410);
      }
      assert.equal(expect(await v2call(server, 'GET', '/v2.0/extensions/OS-KSADM', { admin: true }), 200).json.extension.alias, 'OS-KSADM');
      expect(await v2call(server, 'GET', '/v2.0/extensions/OS-KSADM'), 404);

      const s = server.providers;
      const dave = await s.identity_api.createUser({ name: 'dave', domainId: 'default', password: 'dave-pass-1' });
      await s.assignment_api.addGrant(server.bootstrap.memberRoleId, { userId: dave.id }, { projectId: memberProjectId });
      const access = await v2Token(server, 'dave', 'dave-pass-1', 'alices');
      const path = `/v2.0/OS-KSCRUD/users/${dave.id}`;
      expect(
        await v2call(server, 'PATCH', path, {
          token: access.token.id,
          body: { user: { password: 'dave-pass-2', original_password: 'wrong' } },
        }),
        401,
      );
      expect(
        await v2call(server, 'PATCH', `/v2.0/OS-KSCRUD/users/${server.bootstrap.userId}`, {
          token: access.token.id,
          body: { user: { password: 'x-pass-2', original_password: 'dave-pass-1' } },
        }),
        403,
      );
      const changed = expect(
        await v2call(server, 'PATCH', path, {
          token: access.token.id,
          body: { user: { password: 'dave-pass-2', original_password: 'dave-pass-1' } },
        }),
        200,
      ).json.access;
      assert.equal(changed.user.id, dave.id);
      assert.equal(changed.token.tenant.id, memberProjectId);
      expect(
        await v2call(server, 'POST', '/v2.0/tokens', {
          body: { auth: { passwordCredentials: { username: 'dave', password: 'dave-pass-1' } } },
        }),
        401,
      );
      await v2Token(server, 'dave', 'dave-pass-2');
      // the old token went with the old password
      expect(await v2call(server, 'GET', `/v2.0/tokens/${access.token.id}`, { admin: true, token: adminToken }), 404);
    });

    test("tenants: the admin listing, one tenant, by name, a user's roles on a tenant", async () => {
      const all = expect(await v2call(server, 'GET', '/v2.0/tenants', { admin: true, token: adminToken }), 200).json.tenants;
      assert.deepEqual(all.map((t: { name: string }) => t.name).sort(), ['admin', 'alices']);
      const alice = await v2Token(server, 'alice', 'alice-pass', 'alices');
      expect(await v2call(server, 'GET', '/v2.0/tenants', { admin: true, token: alice.token.id }), 403);
      expect(await v2call(server, 'GET', '/v2.0/tenants', {}), 401);
      const one = expect(await v2call(server, 'GET', `/v2.0/tenants/${memberProjectId}`, { admin: true, token: adminToken }), 200).json
        .tenant;
      assert.deepEqual(one, { id: memberProjectId, name: 'alices', description: '', enabled: true });
      assert.equal(
        expect(await v2call(server, 'GET', '/v2.0/tenants?name=alices', { admin: true, token: adminToken }), 200).json.tenant.id,
        memberProjectId,
      );
      const roles = expect(
        await v2call(server, 'GET', `/v2.0/tenants/${memberProjectId}/users/${alice.user.id}/roles`, { admin: true, token: adminToken }),
        200,
      ).json.roles;
      assert.deepEqual(
        roles.map((r: { name: string }) => r.name),
        ['member', 'reader'],
      );
    });
  });
}
