/**
 * /v3/OS-FEDERATION over HTTP, answer for answer as Keystone 22 gives them
 * (recorded from a real Keystone 22 started with
 * /work/shared/anchors/keystone/start.sh): identity providers, their
 * protocols (with Keystone 22's own protocol links), mappings, service
 * providers; every operation, the validation errors, 404 and 409, the
 * cascades of an IdP's deletion, the policy rules and the JSON-Home entries.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestServer, type TestServer } from '../../helpers/test-server.js';
import { call, expectStatus, setupPersonas, type Personas } from '../../api/identity-resource-fixtures.js';

const FED = '/v3/OS-FEDERATION';
const RULES = [{ local: [{ user: { name: '{0}' } }], remote: [{ type: 'REMOTE_USER' }] }];
const REL = 'https://docs.openstack.org/api/openstack-identity/3/ext/OS-FEDERATION/1.0/rel/';
const PARAM = 'https://docs.openstack.org/api/openstack-identity/3/ext/OS-FEDERATION/1.0/param/';

describe('/v3/OS-FEDERATION over HTTP', () => {
  let server: TestServer;
  let p: Personas;
  before(async () => {
    server = await startTestServer();
    p = await setupPersonas(server);
  });
  after(async () => {
    await server?.close();
  });
  const admin = () => p.systemAdmin.token;
  const api = (method: string, path: string, body?: unknown, token = admin()) => call(server, method, path, { token, body });

  test('identity providers: create (a domain made for it), show, list with filters, update, delete', async () => {
    const created = expectStatus(
      await api('PUT', `${FED}/identity_providers/idp-a`, { identity_provider: { remote_ids: ['r2', 'r1'], description: 'd' } }),
      201,
    ).identity_provider;
    const self = `${server.publicUrl}${FED}/identity_providers/idp-a`;
    assert.deepEqual(Object.keys(created), ['id', 'domain_id', 'enabled', 'description', 'remote_ids', 'authorization_ttl', 'links']);
    assert.match(created.domain_id, /^[0-9a-f]{32}$/);
    assert.deepEqual(
      { ...created, domain_id: 'x' },
      {
        id: 'idp-a',
        domain_id: 'x',
        enabled: false,
        description: 'd',
        remote_ids: ['r1', 'r2'],
        authorization_ttl: null,
        links: { self, protocols: `${self}/protocols` },
      },
    );
    const domain = expectStatus(await api('GET', `/v3/domains/${created.domain_id}`), 200).domain;
    assert.equal(domain.description, 'Auto generated federated domain for Identity Provider: idp-a');
    assert.deepEqual(expectStatus(await api('GET', `${FED}/identity_providers/idp-a`), 200).identity_provider, created);
    assert.equal((await api('HEAD', `${FED}/identity_providers/idp-a`)).status, 200);

    const second = expectStatus(
      await api('PUT', `${FED}/identity_providers/idp-b`, {
        identity_provider: { domain_id: 'default', enabled: true, authorization_ttl: 5 },
      }),
      201,
    ).identity_provider;
    assert.deepEqual([second.domain_id, second.enabled, second.authorization_ttl, second.remote_ids], ['default', true, 5, []]);

    const enabled = expectStatus(await api('GET', `${FED}/identity_providers?enabled=true`), 200);
    assert.deepEqual(
      enabled.identity_providers.map((i: { id: string }) => i.id),
      ['idp-b'],
    );
    assert.deepEqual(enabled.links, { next: null, self: `${server.publicUrl}${FED}/identity_providers?enabled=true`, previous: null });
    const byId = expectStatus(await api('GET', `${FED}/identity_providers?id=idp-a`), 200);
    assert.deepEqual(byId.identity_providers, [created]);

    const updated = expectStatus(
      await api('PATCH', `${FED}/identity_providers/idp-b`, {
        identity_provider: { remote_ids: ['r3'], description: null, enabled: false },
      }),
      200,
    ).identity_provider;
    assert.deepEqual([updated.remote_ids, updated.description, updated.enabled, updated.authorization_ttl], [['r3'], null, false, 5]);
    expectStatus(await api('DELETE', `${FED}/identity_providers/idp-b`), 204);
    expectStatus(await api('GET', `${FED}/identity_providers/idp-b`), 404, 'Could not find Identity Provider: idp-b.');
    expectStatus(await api('DELETE', `${FED}/identity_providers/idp-b`), 404, 'Could not find Identity Provider: idp-b.');
    expectStatus(
      await api('PATCH', `${FED}/identity_providers/idp-b`, { identity_provider: { enabled: true } }),
      404,
      'Could not find Identity Provider: idp-b.',
    );
  });

  test('identity providers: conflicts and validation errors as Keystone words them', async () => {
    expectStatus(await api('PUT', `${FED}/identity_providers/idp-c`, { identity_provider: { remote_ids: ['rc1'] } }), 201);
    expectStatus(
      await api('PUT', `${FED}/identity_providers/idp-d`, { identity_provider: { remote_ids: ['rc1'] } }),
      409,
      'Conflict occurred attempting to store identity_provider - Duplicate remote ID: rc1.',
    );
    expectStatus(
      await api('PUT', `${FED}/identity_providers/idp-c`, { identity_provider: {} }),
      409,
      'Conflict occurred attempting to store identity_provider - Duplicate entry: idp-c.',
    );
    expectStatus(await api('PUT', `${FED}/identity_providers/idp-e`, { identity_provider: { remote_ids: ['rx'] } }), 201);
    expectStatus(
      await api('PATCH', `${FED}/identity_providers/idp-e`, { identity_provider: { remote_ids: ['rc1'] } }),
      409,
      'Conflict occurred attempting to store identity_provider - Duplicate remote ID: rc1.',
    );
    expectStatus(
      await api('PUT', `${FED}/identity_providers/idp-f`, { identity_provider: { domain_id: 'nope' } }),
      404,
      'Could not find domain: nope.',
    );
    expectStatus(await api('PUT', `${FED}/identity_providers/idp-f`, { identity_provider: { remote_ids: ['a', 'a'] } }), 400, /remote_ids/);
    expectStatus(await api('PUT', `${FED}/identity_providers/idp-f`, { identity_provider: { enabled: 'yes' } }), 400, /enabled/);
    expectStatus(
      await api('PUT', `${FED}/identity_providers/idp-f`, { identity_provider: { authorization_ttl: -1 } }),
      400,
      /authorization_ttl/,
    );
    expectStatus(
      await api('PUT', `${FED}/identity_providers/idp-f`, { identity_provider: { bogus: 1 } }),
      400,
      "Additional properties are not allowed ('bogus' was unexpected)",
    );
    expectStatus(
      await api('PATCH', `${FED}/identity_providers/idp-e`, { identity_provider: { domain_id: 'default' } }),
      400,
      "Additional properties are not allowed ('domain_id' was unexpected)",
    );
    expectStatus(await api('PATCH', `${FED}/identity_providers/idp-e`, { identity_provider: {} }), 400);
    expectStatus(await api('PUT', `${FED}/identity_providers/${'x'.repeat(65)}`, { identity_provider: {} }), 400);
    expectStatus(await api('GET', `${FED}/identity_providers/idp-f`), 404);
  });

  test('protocols: need a mapping; Keystone 22 bodies and links; list; update; delete', async () => {
    expectStatus(await api('PUT', `${FED}/identity_providers/idp-p`, { identity_provider: { domain_id: 'default' } }), 201);
    expectStatus(await api('PUT', `${FED}/mappings/map-p`, { mapping: { rules: RULES } }), 201);
    expectStatus(
      await api('PUT', `${FED}/identity_providers/idp-p/protocols/oidc`, { protocol: { mapping_id: 'missing' } }),
      400,
      'Invalid mapping id: missing',
    );
    expectStatus(
      await api('PUT', `${FED}/identity_providers/nope/protocols/oidc`, { protocol: { mapping_id: 'map-p' } }),
      404,
      'Could not find Identity Provider: nope.',
    );
    expectStatus(
      await api('PUT', `${FED}/identity_providers/idp-p/protocols/oidc`, { protocol: {} }),
      400,
      "'mapping_id' is a required property",
    );
    const created = expectStatus(
      await api('PUT', `${FED}/identity_providers/idp-p/protocols/oidc`, { protocol: { mapping_id: 'map-p', remote_id_attribute: 'iss' } }),
      201,
    ).protocol;
    // Keystone 22 shows id and mapping_id only, with links built from its base URL without the resource prefix
    assert.deepEqual(created, {
      id: 'oidc',
      mapping_id: 'map-p',
      links: { self: `${server.publicUrl}/v3/protocols/oidc`, identity_provider: `${server.publicUrl}/v3/idp-p` },
    });
    expectStatus(
      await api('PUT', `${FED}/identity_providers/idp-p/protocols/oidc`, { protocol: { mapping_id: 'map-p' } }),
      409,
      'Conflict occurred attempting to store federation_protocol - Duplicate entry found with ID oidc.',
    );
    assert.deepEqual(expectStatus(await api('GET', `${FED}/identity_providers/idp-p/protocols/oidc`), 200).protocol, created);
    const list = expectStatus(await api('GET', `${FED}/identity_providers/idp-p/protocols`), 200);
    assert.deepEqual(list.protocols, [
      { id: 'oidc', idp_id: 'idp-p', mapping_id: 'map-p', remote_id_attribute: 'iss', links: created.links },
    ]);
    assert.deepEqual(expectStatus(await api('GET', `${FED}/identity_providers/nope/protocols`), 200).protocols, []);
    expectStatus(
      await api('PATCH', `${FED}/identity_providers/idp-p/protocols/oidc`, { protocol: { remote_id_attribute: 'HTTP_X' } }),
      200,
    );
    const after = expectStatus(await api('GET', `${FED}/identity_providers/idp-p/protocols`), 200).protocols[0];
    assert.equal(after.remote_id_attribute, 'HTTP_X');
    expectStatus(
      await api('PATCH', `${FED}/identity_providers/idp-p/protocols/nope`, { protocol: { mapping_id: 'map-p' } }),
      404,
      'Could not find federated protocol nope for Identity Provider: idp-p.',
    );
    expectStatus(await api('DELETE', `${FED}/identity_providers/idp-p/protocols/oidc`), 204);
    expectStatus(
      await api('DELETE', `${FED}/identity_providers/idp-p/protocols/oidc`),
      404,
      'Could not find federated protocol oidc for Identity Provider: idp-p.',
    );
  });

  test('mappings: the rule schema as Keystone checks it, show, list, update, delete', async () => {
    const created = expectStatus(await api('PUT', `${FED}/mappings/map-a`, { mapping: { rules: RULES } }), 201).mapping;
    assert.deepEqual(created, {
      id: 'map-a',
      rules: RULES,
      schema_version: '1.0',
      links: { self: `${server.publicUrl}${FED}/mappings/map-a` },
    });
    expectStatus(
      await api('PUT', `${FED}/mappings/map-a`, { mapping: { rules: RULES } }),
      409,
      'Conflict occurred attempting to store mapping - Duplicate entry.',
    );
    expectStatus(await api('PUT', `${FED}/mappings/map-b`, { mapping: {} }), 400, "'rules' is a required property\n");
    expectStatus(await api('PATCH', `${FED}/mappings/map-a`, { mapping: { rules: [] } }), 400, '[] is too short\n');
    expectStatus(await api('PATCH', `${FED}/mappings/nope`, { mapping: { rules: RULES } }), 404, 'Could not find mapping: nope.');
    const v2 = expectStatus(await api('PUT', `${FED}/mappings/map-v2`, { mapping: { rules: RULES, schema_version: '2.0' } }), 201).mapping;
    assert.equal(v2.schema_version, '2.0');
    expectStatus(await api('PUT', `${FED}/mappings/map-v3`, { mapping: { rules: RULES, schema_version: '3.0' } }), 400, /schema_version/);
    const rules2 = [{ local: [{ group: { id: 'g1' } }], remote: [{ type: 'X', any_one_of: ['a'] }] }];
    const updated = expectStatus(await api('PATCH', `${FED}/mappings/map-a`, { mapping: { rules: rules2 } }), 200).mapping;
    assert.deepEqual(updated.rules, rules2);
    const ids = expectStatus(await api('GET', `${FED}/mappings`), 200).mappings.map((m: { id: string }) => m.id);
    assert.ok(ids.includes('map-a') && ids.includes('map-v2'));
    assert.deepEqual(expectStatus(await api('GET', `${FED}/mappings/map-a`), 200).mapping, updated);
    expectStatus(await api('DELETE', `${FED}/mappings/map-a`), 204);
    expectStatus(await api('DELETE', `${FED}/mappings/map-a`), 404, 'Could not find mapping: map-a.');
  });

  test('service providers: defaults, validation, filters, update, delete', async () => {
    const created = expectStatus(
      await api('PUT', `${FED}/service_providers/sp-a`, { service_provider: { auth_url: 'https://a/v3', sp_url: 'https://b/x' } }),
      201,
    ).service_provider;
    assert.deepEqual(created, {
      auth_url: 'https://a/v3',
      id: 'sp-a',
      enabled: false,
      description: null,
      relay_state_prefix: 'ss:mem:',
      sp_url: 'https://b/x',
      links: { self: `${server.publicUrl}${FED}/service_providers/sp-a` },
    });
    expectStatus(
      await api('PUT', `${FED}/service_providers/sp-a`, { service_provider: { auth_url: 'https://a/v3', sp_url: 'https://b/x' } }),
      409,
      'Conflict occurred attempting to store service_provider - Duplicate entry found with ID sp-a.',
    );
    expectStatus(
      await api('PUT', `${FED}/service_providers/sp-b`, { service_provider: { auth_url: 'nope', sp_url: 'https://b/x' } }),
      400,
      /auth_url/,
    );
    expectStatus(await api('PUT', `${FED}/service_providers/sp-b`, { service_provider: { auth_url: 'https://a/v3' } }), 400, /sp_url/);
    const updated = expectStatus(
      await api('PATCH', `${FED}/service_providers/sp-a`, { service_provider: { enabled: true, relay_state_prefix: 'x:' } }),
      200,
    ).service_provider;
    assert.deepEqual([updated.enabled, updated.relay_state_prefix], [true, 'x:']);
    assert.deepEqual(
      expectStatus(await api('GET', `${FED}/service_providers?enabled=false`), 200).service_providers.filter(
        (s: { id: string }) => s.id === 'sp-a',
      ),
      [],
    );
    assert.deepEqual(expectStatus(await api('GET', `${FED}/service_providers?id=sp-a`), 200).service_providers, [updated]);
    expectStatus(await api('DELETE', `${FED}/service_providers/sp-a`), 204);
    expectStatus(await api('GET', `${FED}/service_providers/sp-a`), 404, 'Could not find Service Provider: sp-a.');
  });

  test('deleting an identity provider deletes its protocols and frees its remote ids', async () => {
    expectStatus(await api('PUT', `${FED}/mappings/map-del`, { mapping: { rules: RULES } }), 201);
    expectStatus(await api('PUT', `${FED}/identity_providers/idp-del`, { identity_provider: { remote_ids: ['r-del'] } }), 201);
    expectStatus(await api('PUT', `${FED}/identity_providers/idp-del/protocols/saml2`, { protocol: { mapping_id: 'map-del' } }), 201);
    expectStatus(await api('DELETE', `${FED}/identity_providers/idp-del`), 204);
    expectStatus(await api('PUT', `${FED}/identity_providers/idp-del`, { identity_provider: { remote_ids: ['r-del'] } }), 201);
    assert.deepEqual(expectStatus(await api('GET', `${FED}/identity_providers/idp-del/protocols`), 200).protocols, []);
  });

  test('policy: readers of the system may read, others may not; only admins write', async () => {
    expectStatus(await api('GET', `${FED}/identity_providers`, undefined, p.systemReader.token), 200);
    expectStatus(await api('GET', `${FED}/mappings`, undefined, p.systemReader.token), 200);
    expectStatus(await api('GET', `${FED}/identity_providers`, undefined, p.projectAMember.token), 403);
    expectStatus(await api('PUT', `${FED}/identity_providers/idp-x`, { identity_provider: {} }, p.systemReader.token), 403);
    expectStatus(
      await api(
        'PUT',
        `${FED}/service_providers/sp-x`,
        { service_provider: { auth_url: 'https://a', sp_url: 'https://b' } },
        p.projectAMember.token,
      ),
      403,
    );
    expectStatus(await call(server, 'GET', `${FED}/identity_providers`), 401);
  });

  test("tokens list the enabled service providers, as Keystone's render_token does", async () => {
    const tokenBody = async (token: string) => {
      const res = await fetch(`${server.publicUrl}/v3/auth/tokens`, { headers: { 'X-Auth-Token': admin(), 'X-Subject-Token': token } });
      assert.equal(res.status, 200);
      return ((await res.json()) as { token: Record<string, unknown> }).token;
    };
    expectStatus(
      await api('PUT', `${FED}/service_providers/sp-tok`, {
        service_provider: {
          auth_url: 'https://sp.example/v3/OS-FEDERATION/identity_providers/kk/protocols/saml2/auth',
          sp_url: 'https://sp.example/ecp',
          enabled: true,
        },
      }),
      201,
    );
    const expected = [
      {
        auth_url: 'https://sp.example/v3/OS-FEDERATION/identity_providers/kk/protocols/saml2/auth',
        id: 'sp-tok',
        sp_url: 'https://sp.example/ecp',
      },
    ];
    assert.deepEqual((await tokenBody(p.projectAMember.token)).service_providers, expected);
    assert.deepEqual((await tokenBody(p.noRole.token)).service_providers, expected);
    expectStatus(await api('PATCH', `${FED}/service_providers/sp-tok`, { service_provider: { enabled: false } }), 200);
    assert.equal((await tokenBody(p.projectAMember.token)).service_providers, undefined);
  });

  test('JSON-Home names the OS-FEDERATION resources with their extension parameters', async () => {
    const res = await fetch(`${server.publicUrl}/v3`, { headers: { Accept: 'application/json-home' } });
    const { resources } = (await res.json()) as { resources: Record<string, unknown> };
    assert.deepEqual(resources[`${REL}identity_providers`], { href: '/OS-FEDERATION/identity_providers' });
    assert.deepEqual(resources[`${REL}identity_provider`], {
      'href-template': '/OS-FEDERATION/identity_providers/{idp_id}',
      'href-vars': { idp_id: `${PARAM}idp_id` },
    });
    assert.deepEqual(resources[`${REL}identity_provider_protocol`], {
      'href-template': '/OS-FEDERATION/identity_providers/{idp_id}/protocols/{protocol_id}',
      'href-vars': { idp_id: `${PARAM}idp_id`, protocol_id: `${PARAM}protocol_id` },
    });
    assert.deepEqual(resources[`${REL}identity_provider_protocols`], {
      'href-template': '/OS-FEDERATION/identity_providers/{idp_id}/protocols',
      'href-vars': { idp_id: `${PARAM}idp_id` },
    });
    assert.deepEqual(resources[`${REL}mappings`], { href: '/OS-FEDERATION/mappings' });
    assert.deepEqual(resources[`${REL}mapping`], {
      'href-template': '/OS-FEDERATION/mappings/{mapping_id}',
      'href-vars': { mapping_id: `${PARAM}mapping_id` },
    });
    assert.deepEqual(resources[`${REL}service_providers`], { href: '/OS-FEDERATION/service_providers' });
    assert.deepEqual(resources[`${REL}service_provider`], {
      'href-template': '/OS-FEDERATION/service_providers/{sp_id}',
      'href-vars': { sp_id: `${PARAM}sp_id` },
    });
  });
});
