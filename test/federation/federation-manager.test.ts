/**
 * federation_api on a real database: identity providers (a domain made for
 * one that names none, remote ids unique across IdPs), protocols tied to
 * existing mappings, mappings checked as Keystone checks them, service
 * providers, the look-ups federated authentication uses, and the cascades
 * (an IdP's protocols and remote ids; a deleted domain's IdPs; the tokens of
 * the users federated through a deleted IdP).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestServer, type TestServer } from '../helpers/test-server.js';
import { getToken, systemAdminToken, validateToken } from '../helpers/tokens.js';
import type { FederationManager } from '../../src/federation/federation-manager.js';

const RULES = [
  {
    local: [{ user: { name: '{0}' } }, { group: { id: 'g1' } }],
    remote: [{ type: 'REMOTE_USER' }, { type: 'orgPersonType', any_one_of: ['Employee'] }],
  },
];

describe('federation_api', () => {
  let server: TestServer;
  let fed: FederationManager;
  before(async () => {
    server = await startTestServer();
    fed = server.providers.federation_api;
  });
  after(async () => {
    await server?.close();
  });

  test('an identity provider without a domain gets one; remote ids are unique across IdPs', async () => {
    const idp = await fed.createIdentityProvider('mgr-idp1', { remote_ids: ['https://b.example', 'https://a.example'], description: 'd' });
    assert.equal(idp.enabled, false);
    assert.deepEqual(idp.remote_ids, ['https://a.example', 'https://b.example']);
    const domain = await server.providers.resource_api.getDomain(idp.domain_id);
    assert.equal(domain.name, idp.domain_id);
    assert.equal(domain.description, 'Auto generated federated domain for Identity Provider: mgr-idp1');
    await assert.rejects(fed.createIdentityProvider('mgr-idp2', { remote_ids: ['https://a.example'] }), {
      message: 'Conflict occurred attempting to store identity_provider - Duplicate remote ID: https://a.example.',
    });
    await assert.rejects(fed.createIdentityProvider('mgr-idp1', {}), {
      message: 'Conflict occurred attempting to store identity_provider - Duplicate entry: mgr-idp1.',
    });
    await assert.rejects(fed.createIdentityProvider('mgr-idp3', { domain_id: 'nope' }), { message: 'Could not find domain: nope.' });
    assert.equal((await fed.findIdentityProviderByRemoteId('https://b.example'))?.id, 'mgr-idp1');
    assert.equal(await fed.findIdentityProviderByRemoteId('https://c.example'), null);
    const updated = await fed.updateIdentityProvider('mgr-idp1', {
      remote_ids: ['https://c.example'],
      enabled: true,
      authorization_ttl: 30,
    });
    assert.deepEqual(
      [updated.remote_ids, updated.enabled, updated.authorization_ttl, updated.description],
      [['https://c.example'], true, 30, 'd'],
    );
    assert.equal(await fed.findIdentityProviderByRemoteId('https://a.example'), null);
  });

  test('protocols need an existing mapping and IdP; the mapping evaluates an assertion', async () => {
    await fed.createIdentityProvider('mgr-p-idp', { domain_id: 'default' });
    await assert.rejects(fed.createProtocol('mgr-p-idp', 'saml2', { mapping_id: 'missing' }), { message: 'Invalid mapping id: missing' });
    await assert.rejects(fed.createMapping('bad', { rules: [] }), (err: Error) => err.message.includes('[] is too short'));
    const mapping = await fed.createMapping('mgr-map', { rules: RULES });
    assert.deepEqual(mapping, { id: 'mgr-map', rules: RULES, schema_version: '1.0' });
    await assert.rejects(fed.createProtocol('nope', 'saml2', { mapping_id: 'mgr-map' }), {
      message: 'Could not find Identity Provider: nope.',
    });
    const protocol = await fed.createProtocol('mgr-p-idp', 'saml2', { mapping_id: 'mgr-map' });
    assert.deepEqual(protocol, { id: 'saml2', idp_id: 'mgr-p-idp', mapping_id: 'mgr-map', remote_id_attribute: null });
    await assert.rejects(fed.createProtocol('mgr-p-idp', 'saml2', { mapping_id: 'mgr-map' }), {
      message: 'Conflict occurred attempting to store federation_protocol - Duplicate entry found with ID saml2.',
    });
    const { mapped, mappingId } = await fed.evaluate('mgr-p-idp', 'saml2', { REMOTE_USER: 'bob', orgPersonType: 'Employee;Contractor' });
    assert.equal(mappingId, 'mgr-map');
    assert.equal(mapped.user.name, 'bob');
    assert.deepEqual(mapped.group_ids, ['g1']);
    await assert.rejects(fed.getProtocol('mgr-p-idp', 'oidc'), {
      message: 'Could not find federated protocol oidc for Identity Provider: mgr-p-idp.',
    });
  });

  test('deleting an IdP deletes its protocols and remote ids and revokes its federated users’ tokens', async () => {
    await fed.createMapping('mgr-del-map', { rules: RULES });
    await fed.createIdentityProvider('mgr-del', { domain_id: 'default', remote_ids: ['https://del.example'], enabled: true });
    await fed.createProtocol('mgr-del', 'oidc', { mapping_id: 'mgr-del-map' });
    const user = await server.providers.identity_api.createUser({ name: 'mgr-fed-user', domainId: 'default', password: 'pw-mgr-fed-1' });
    await server.db.none('INSERT INTO federated_user (user_id, idp_id, protocol_id, unique_id) VALUES ($1, $2, $3, $4)', [
      user.id,
      'mgr-del',
      'oidc',
      'fed-unique',
    ]);
    const token = await getToken(server, { userId: user.id, password: 'pw-mgr-fed-1' });
    const admin = await systemAdminToken(server);
    assert.equal((await validateToken(server, admin, token.id)).status, 200);
    await fed.deleteIdentityProvider('mgr-del');
    assert.equal(await fed.findProtocol('mgr-del', 'oidc'), null);
    assert.equal(await fed.findIdentityProviderByRemoteId('https://del.example'), null);
    assert.equal((await validateToken(server, admin, token.id)).status, 404);
    await assert.rejects(fed.deleteIdentityProvider('mgr-del'), { message: 'Could not find Identity Provider: mgr-del.' });
  });

  test('a deleted domain takes its identity providers with it', async () => {
    const idp = await fed.createIdentityProvider('mgr-dom', {});
    await server.providers.resource_api.updateProjectRef(idp.domain_id, { enabled: false }, ['enabled'], true);
    await server.providers.resource_api.deleteDomain(idp.domain_id);
    assert.equal(await fed.findIdentityProvider('mgr-dom'), null);
  });

  test('service providers: defaults, the enabled ones for the token catalog', async () => {
    const sp = await fed.createServiceProvider('mgr-sp', {
      auth_url: 'https://sp.example/v3/auth',
      sp_url: 'https://sp.example/Shibboleth.sso/SAML2/ECP',
    });
    assert.deepEqual([sp.enabled, sp.relay_state_prefix, sp.description], [false, 'ss:mem:', null]);
    assert.deepEqual(await fed.listEnabledServiceProviders(), []);
    await fed.updateServiceProvider('mgr-sp', { enabled: true });
    assert.deepEqual(await fed.listEnabledServiceProviders(), [
      { auth_url: 'https://sp.example/v3/auth', id: 'mgr-sp', sp_url: 'https://sp.example/Shibboleth.sso/SAML2/ECP' },
    ]);
    await fed.deleteServiceProvider('mgr-sp');
    await assert.rejects(fed.getServiceProvider('mgr-sp'), { message: 'Could not find Service Provider: mgr-sp.' });
  });
});
