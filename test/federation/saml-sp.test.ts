/**
 * This server as a SAML 2.0 service provider (no mod_shib), against a real identity provider: samlify
 * signs every Response (test/fixtures/saml-ecp-idp.ts), its metadata is the operator's file in
 * [saml2] idp_metadata_dir. python-openstackclient with keystoneauth1's v3samlpassword, unchanged, walks
 * the ECP profile (PAOS AuthnRequest from the protocol auth endpoint, basic auth at the IdP's ECP
 * endpoint, the Response posted back) and ends with a project-scoped token. Hostile responses are each a
 * 401 with nothing created.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DOMParser, XMLSerializer } from '@xmldom/xmldom';
import { startTestServer, type TestServer } from '../helpers/test-server.js';
import { adminToken, validateToken } from '../helpers/tokens.js';
import { OPENSTACK, assertOk, catalogAtServer, clientEnv, run, skipUnlessCi } from '../clients/python-clients.js';
import { TestEcpIdp, makeSigningPair } from '../fixtures/saml-ecp-idp.js';

const IDP = 'samlidp';
const ENTITY_ID = 'https://idp.example.test/idp/shibboleth';
const PAOS = 'application/vnd.paos+xml';
const DASHBOARD = 'https://dashboard.example.test/auth/websso/';
const PAOS_HEADER = 'ver="urn:liberty:paos:2003-08";"urn:oasis:names:tc:SAML:2.0:profiles:SSO:ecp"';
const NS = {
  protocol: 'urn:oasis:names:tc:SAML:2.0:protocol',
  assertion: 'urn:oasis:names:tc:SAML:2.0:assertion',
  paos: 'urn:liberty:paos:2003-08',
  dsig: 'http://www.w3.org/2000/09/xmldsig#',
  md: 'urn:oasis:names:tc:SAML:2.0:metadata',
};
const osc = existsSync(OPENSTACK) ? false : `${OPENSTACK} is not installed (apt-get install python3-openstackclient)`;

function parse(xml: string): Document {
  return new DOMParser().parseFromString(xml, 'text/xml');
}
function write(node: Node): string {
  return new XMLSerializer().serializeToString(node);
}

describe('the native SAML 2.0 service provider (ECP)', () => {
  let server: TestServer;
  let idp: TestEcpIdp;
  let dir: string;
  let projectId: string;
  let authUrl: string;

  before(async () => {
    idp = new TestEcpIdp(ENTITY_ID, {
      alice: { password: 'alice-secret', attributes: { uid: ['alice'], eduPersonAffiliation: ['staff', 'member'] } },
    });
    await idp.start();
    dir = mkdtempSync(join(tmpdir(), 'saml-sp-'));
    writeFileSync(join(dir, `${IDP}.xml`), idp.metadata());
    server = await startTestServer({
      config: {
        auth: { methods: ['password', 'token', 'saml2', 'application_credential'] },
        saml2: { idp_metadata_dir: dir, remote_id_attribute: 'Shib-Identity-Provider' },
        federation: { trusted_dashboard: [DASHBOARD] },
      },
    });
    await catalogAtServer(server);
    const { providers } = server;
    const group = await providers.identity_api.createGroup({ name: 'saml-staff', domainId: 'default' });
    projectId = (await providers.resource_api.createProject({ name: 'saml-project', domainId: 'default' })).id;
    const member = (await providers.role_api.listRoles({ name: 'member' }))[0];
    await providers.assignment_api.createGrant(member.id, { groupId: group.id }, { projectId });
    await providers.federation_api.createIdentityProvider(IDP, { remote_ids: [ENTITY_ID], enabled: true });
    await providers.federation_api.createMapping('saml-users', {
      rules: [
        {
          local: [{ user: { name: '{0}' } }, { group: { id: group.id } }],
          remote: [{ type: 'uid' }, { type: 'eduPersonAffiliation', any_one_of: ['staff'] }],
        },
      ],
    });
    await providers.federation_api.createProtocol(IDP, 'saml2', { mapping_id: 'saml-users' });
    authUrl = `${server.publicUrl}/v3/OS-FEDERATION/identity_providers/${IDP}/protocols/saml2/auth`;
  });
  after(async () => {
    await server?.close();
    await idp?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** The SP's AuthnRequest to an ECP client: its ID and consumer URL. */
  async function authnRequest(): Promise<{ requestId: string; consumerUrl: string; spEntityId: string }> {
    const r = await fetch(authUrl, { headers: { Accept: `text/html, ${PAOS}`, PAOS: PAOS_HEADER } });
    assert.equal(r.status, 200);
    assert.equal(r.headers.get('content-type'), PAOS);
    const doc = parse(await r.text());
    const request = doc.getElementsByTagNameNS(NS.protocol, 'AuthnRequest')[0];
    const paos = doc.getElementsByTagNameNS(NS.paos, 'Request')[0];
    const consumerUrl = paos.getAttribute('responseConsumerURL') ?? '';
    assert.equal(request.getAttribute('AssertionConsumerServiceURL'), consumerUrl);
    return {
      requestId: request.getAttribute('ID') ?? '',
      consumerUrl,
      spEntityId: doc.getElementsByTagNameNS(NS.assertion, 'Issuer')[0].textContent ?? '',
    };
  }

  async function post(envelope: string): Promise<Response> {
    return fetch(authUrl, { method: 'POST', headers: { 'Content-Type': PAOS }, body: envelope });
  }

  async function aliceResponse(
    overrides: Partial<Parameters<TestEcpIdp['response']>[0]> = {},
  ): Promise<{ xml: string; consumerUrl: string }> {
    const request = await authnRequest();
    const xml = await idp.response({ ...request, attributes: { uid: ['alice'], eduPersonAffiliation: ['staff'] }, ...overrides });
    return { xml, consumerUrl: request.consumerUrl };
  }

  async function federatedUsers(): Promise<number> {
    return (await server.providers.identity_api.listUsers({})).filter((u) => u.name === 'alice' || u.name === 'admin-evil').length;
  }

  async function refused(envelope: string): Promise<void> {
    const before = await federatedUsers();
    const r = await post(envelope);
    const body = (await r.json()) as { error: { code: number; title: string } };
    assert.equal(r.status, 401);
    assert.equal(body.error.title, 'Unauthorized');
    assert.match(r.headers.get('www-authenticate') ?? '', /^Keystone uri=/);
    assert.equal(await federatedUsers(), before, 'nothing created');
  }

  test('SP metadata: our entity id and the protocol auth endpoint as the PAOS consumer', async () => {
    const r = await fetch(`${server.publicUrl}/v3/OS-FEDERATION/identity_providers/${IDP}/protocols/saml2/saml2/metadata`);
    assert.equal(r.status, 200);
    const doc = parse(await r.text());
    assert.equal(doc.documentElement?.getAttribute('entityID'), `${server.publicUrl}/shibboleth`);
    const acs = doc.getElementsByTagNameNS(NS.md, 'AssertionConsumerService')[0];
    assert.equal(acs.getAttribute('Location'), authUrl);
    assert.equal(acs.getAttribute('Binding'), 'urn:oasis:names:tc:SAML:2.0:bindings:PAOS');
    // without [saml2] certfile/keyfile: no key published, AuthnRequests unsigned
    assert.equal(doc.getElementsByTagNameNS(NS.md, 'SPSSODescriptor')[0].getAttribute('AuthnRequestsSigned'), 'false');
    assert.equal(doc.getElementsByTagNameNS(NS.md, 'KeyDescriptor').length, 0);
    const none = await fetch(`${server.publicUrl}/v3/OS-FEDERATION/identity_providers/nosuch/protocols/saml2/saml2/metadata`);
    assert.equal(none.status, 404);
  });

  test('WebSSO without a key pair: an unsigned AuthnRequest, which the IdP takes; an IdP that wants signed ones is refused before the browser leaves', async () => {
    const websso = (idpId: string) =>
      `${server.publicUrl}/v3/auth/OS-FEDERATION/identity_providers/${idpId}/protocols/saml2/websso?origin=${encodeURIComponent(DASHBOARD)}`;
    idp.spMetadata = await (
      await fetch(`${server.publicUrl}/v3/OS-FEDERATION/identity_providers/${IDP}/protocols/saml2/saml2/metadata`)
    ).text();
    const begun = await fetch(websso(IDP), { redirect: 'manual' });
    assert.equal(begun.status, 302);
    const location = new URL(begun.headers.get('location') ?? '');
    assert.deepEqual([...location.searchParams.keys()], ['SAMLRequest', 'RelayState']);
    const login = await fetch(location);
    assert.equal(login.status, 200, await login.clone().text());
    assert.match(await login.text(), /name="password"/);

    const strict = new TestEcpIdp('https://strict-idp.example.test/idp/shibboleth', {}, { wantAuthnRequestsSigned: true });
    writeFileSync(join(dir, 'strictidp.xml'), strict.metadata());
    await server.providers.federation_api.createIdentityProvider('strictidp', { remote_ids: [strict.entityId], enabled: true });
    await server.providers.federation_api.createProtocol('strictidp', 'saml2', { mapping_id: 'saml-users' });
    const count = async () => Number((await server.db.one<{ n: string }>('SELECT count(*) AS n FROM saml2_authn_request')).n);
    const requests = await count();
    const refused = await fetch(websso('strictidp'), { redirect: 'manual' });
    assert.equal(refused.status, 401);
    assert.equal(refused.headers.get('location'), null);
    assert.equal(await count(), requests, 'no request remembered');
  });

  test('a signed response through the mapping: the unscoped federated token; the same response again is refused (its AuthnRequest is answered)', async () => {
    const { xml, consumerUrl } = await aliceResponse();
    const envelope = TestEcpIdp.envelope(xml, consumerUrl);
    const r = await post(envelope);
    assert.equal(r.status, 201, await r.clone().text());
    const token = r.headers.get('x-subject-token') ?? '';
    const body = (await r.json()) as { token: { user: { name: string; 'OS-FEDERATION': { identity_provider: { id: string } } } } };
    assert.equal(body.token.user.name, 'alice');
    assert.equal(body.token.user['OS-FEDERATION'].identity_provider.id, IDP);
    assert.equal((await validateToken(server, await adminToken(server), token)).status, 200);
    await refused(envelope);
  });

  test('an unsolicited response (IdP-initiated, as Keystone-to-Keystone posts): accepted once, its replay refused', async () => {
    const xml = await idp.response({
      consumerUrl: authUrl,
      spEntityId: `${server.publicUrl}/shibboleth`,
      attributes: { uid: ['alice'], eduPersonAffiliation: ['staff'] },
    });
    assert.doesNotMatch(xml, /InResponseTo/);
    const envelope = TestEcpIdp.envelope(xml, authUrl);
    const r = await post(envelope);
    assert.equal(r.status, 201, await r.text());
    await refused(envelope);
  });

  test('hostile: unsigned', async () => {
    const { xml, consumerUrl } = await aliceResponse();
    const doc = parse(xml);
    for (const s of Array.from(doc.getElementsByTagNameNS(NS.dsig, 'Signature'))) s.parentNode?.removeChild(s);
    await refused(TestEcpIdp.envelope(write(doc), consumerUrl));
  });

  test("hostile: signed with another key than the metadata's", async () => {
    const { xml, consumerUrl } = await aliceResponse({ signWith: makeSigningPair('forger') });
    await refused(TestEcpIdp.envelope(xml, consumerUrl));
  });

  test('hostile: signature wrapping (an evil assertion beside or around the signed one)', async () => {
    for (const variant of ['same-id', 'new-id', 'signed-inside-evil'] as const) {
      const { xml, consumerUrl } = await aliceResponse();
      const doc = parse(xml);
      const response = doc.documentElement as Element;
      const signed = doc.getElementsByTagNameNS(NS.assertion, 'Assertion')[0];
      const evil = signed.cloneNode(true) as Element;
      for (const v of Array.from(evil.getElementsByTagNameNS(NS.assertion, 'AttributeValue')))
        if (v.textContent === 'alice') v.textContent = 'admin-evil';
      if (variant === 'new-id') evil.setAttribute('ID', '_evil');
      if (variant === 'signed-inside-evil') {
        // the evil assertion (unsigned) in the Response, the genuine signed one hidden inside it
        const sig = evil.getElementsByTagNameNS(NS.dsig, 'Signature')[0];
        evil.removeChild(sig);
        evil.setAttribute('ID', '_evil');
        response.replaceChild(evil, signed);
        evil.appendChild(signed);
      } else {
        // the evil copy first, the signed original moved into an Extensions element
        response.replaceChild(evil, signed);
        const extensions = doc.createElementNS(NS.protocol, 'samlp:Extensions');
        extensions.appendChild(signed);
        response.insertBefore(extensions, evil);
      }
      await refused(TestEcpIdp.envelope(write(doc), consumerUrl));
    }
  });

  test('hostile: a DOCTYPE with entities (expansion, external)', async () => {
    const { xml, consumerUrl } = await aliceResponse();
    const envelope = TestEcpIdp.envelope(xml, consumerUrl);
    await refused(`<!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>${envelope}`);
    await refused(`<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>${envelope.replace('>alice<', '>&e;<')}`);
  });

  test('hostile: expired', async () => {
    const { xml, consumerUrl } = await aliceResponse({ validMinutes: -10 });
    await refused(TestEcpIdp.envelope(xml, consumerUrl));
  });

  test('hostile: for another audience, another recipient, an AuthnRequest never sent', async () => {
    let r = await aliceResponse({ spEntityId: 'https://other-sp.example.test/shibboleth' });
    await refused(TestEcpIdp.envelope(r.xml, r.consumerUrl));
    r = await aliceResponse({ consumerUrl: `${server.publicUrl}/v3/OS-FEDERATION/identity_providers/${IDP}/protocols/other/auth` });
    await refused(TestEcpIdp.envelope(r.xml, r.consumerUrl));
    r = await aliceResponse({ requestId: '_never-sent' });
    await refused(TestEcpIdp.envelope(r.xml, r.consumerUrl));
  });

  test('openstack --os-auth-type v3samlpassword: a project-scoped token', { skip: skipUnlessCi(osc) }, async () => {
    const home = mkdtempSync(join(tmpdir(), 'keystone-osc-saml-'));
    try {
      const env = {
        ...clientEnv(home),
        OS_AUTH_TYPE: 'v3samlpassword',
        OS_AUTH_URL: `${server.publicUrl}/v3`,
        OS_IDENTITY_API_VERSION: '3',
        OS_INTERFACE: 'public',
        OS_IDENTITY_PROVIDER: IDP,
        OS_PROTOCOL: 'saml2',
        OS_IDENTITY_PROVIDER_URL: idp.ecpUrl,
        OS_USERNAME: 'alice',
        OS_PASSWORD: 'alice-secret',
        OS_PROJECT_NAME: 'saml-project',
        OS_PROJECT_DOMAIN_NAME: 'Default',
      };
      const issued = JSON.parse(assertOk(await run(OPENSTACK, ['token', 'issue', '-f', 'json'], env), 'openstack token issue')) as {
        id: string;
        project_id: string;
      };
      assert.equal(issued.project_id, projectId);
      const v = await validateToken(server, await adminToken(server), issued.id);
      assert.equal(v.status, 200);
      assert.equal(v.body.token.user['OS-FEDERATION'].identity_provider.id, IDP);
      assert.ok(v.body.token.roles.some((role: { name: string }) => role.name === 'member'));
      const wrong = await run(OPENSTACK, ['token', 'issue', '-f', 'json'], { ...env, OS_PASSWORD: 'wrong' });
      assert.notEqual(wrong.code, 0);
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });
});
