/**
 * Our SAML identity provider for Keystone-to-Keystone over HTTP: POST /v3/auth/OS-FEDERATION/saml2 and
 * /saml2/ecp exchange a project-scoped token for a signed assertion about its user, as Keystone 22 does.
 * Debian's xmlsec1 verifies every signature (the independent check); Keystone 22's own SAMLGenerator and
 * ECPGenerator (test/fixtures/keystone/saml_idp.py) build the documents for the same facts and both are
 * compared element by element. Errors as Keystone's (404 unknown service provider or token, 403 disabled
 * service provider or a token that is not project-scoped, 400 bad body, 500 when the key cannot sign),
 * GET /v3/OS-FEDERATION/saml2/metadata and the JSON-Home entries.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { renameSync, rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { startTestServer, type TestServer } from '../helpers/test-server.js';
import { call, expectStatus, passwordToken, setupPersonas, unique, type Personas } from '../api/identity-resource-fixtures.js';
import {
  ASSERTION_NS,
  ENTITY_ID,
  assertionAttributes,
  firstElement,
  makeSamlIdpFiles,
  parseXml,
  PYTHON,
  runPython,
  samlOptions,
  xmlsec1Verify,
  type SamlIdpFiles,
} from './saml-idp-fixture.js';
import { generateIdpMetadata } from '../../src/federation/saml/idp/idp-metadata.js';

const ORACLE = fileURLToPath(new URL('../../../test/fixtures/keystone/saml_idp.py', import.meta.url));
const keystoneImportable = spawnSync(PYTHON, ['-c', 'import keystone.federation.idp'], { encoding: 'utf8' }).status === 0;
const oracleSkip: string | false =
  keystoneImportable || process.env.CI === 'true' ? false : `${PYTHON} cannot import keystone (set CI=true to make this a failure)`;

const SP_URL = 'https://sp.example.test/Shibboleth.sso/SAML2/ECP';
const SP_AUTH_URL = 'https://sp.example.test/v3/OS-FEDERATION/identity_providers/idp-k2k/protocols/saml2/auth';
const REL = 'https://docs.openstack.org/api/openstack-identity/3/ext/OS-FEDERATION/1.0/rel/';
const EXPIRES_IN = 600;

const body = (token: string, spId: string) => ({
  auth: { identity: { methods: ['token'], token: { id: token } }, scope: { service_provider: { id: spId } } },
});

describe('SAML identity provider (Keystone-to-Keystone)', () => {
  let server: TestServer;
  let p: Personas;
  let files: SamlIdpFiles;
  let token: string;
  const facts = {
    user: unique('alice <&> "ü"'),
    project: unique('project ü&'),
    userDomain: '',
    projectDomain: '',
    roles: [] as string[],
    groups: [] as Array<{ name: string; domain: string }>,
  };

  before(async () => {
    files = makeSamlIdpFiles();
    server = await startTestServer({ config: samlOptions(files, { assertion_expiration_time: EXPIRES_IN }) });
    p = await setupPersonas(server);
    const {
      identity_api: identity,
      resource_api: resource,
      assignment_api: assignment,
      role_api: roles,
      federation_api: fed,
    } = server.providers;
    const domain = await resource.createDomainRef({ name: unique('domain <ü>') });
    const project = await resource.createProjectRef({ name: facts.project, domainId: domain.id, parentId: domain.id });
    const user = await identity.createUser({ name: facts.user, domainId: domain.id, password: 'k2k-secret-1' });
    const role = await roles.createRole({ name: unique('role&') });
    await assignment.createGrant(role.id, { userId: user.id }, { projectId: project.id });
    await assignment.createGrant(server.bootstrap.memberRoleId, { userId: user.id }, { projectId: project.id });
    const groupDomain = await resource.createDomainRef({ name: unique('groups ü') });
    for (const name of [unique('g<1>'), unique('ünï "two"')]) {
      const group = await identity.createGroup({ name, domainId: groupDomain.id });
      await identity.addUserToGroup(user.id, group.id);
      facts.groups.push({ name, domain: groupDomain.name });
    }
    await fed.createServiceProvider('sp-on', { auth_url: SP_AUTH_URL, sp_url: SP_URL, enabled: true, relay_state_prefix: 'rs:' });
    await fed.createServiceProvider('sp-off', { auth_url: SP_AUTH_URL, sp_url: SP_URL, enabled: false });
    token = await passwordToken(server, user.id, 'k2k-secret-1', { projectId: project.id });
    const rendered = expectStatus(
      await call(server, 'GET', '/v3/auth/tokens', { token, headers: { 'X-Subject-Token': token } }),
      200,
    ).token;
    facts.userDomain = rendered.user.domain.name;
    facts.projectDomain = rendered.project.domain.name;
    facts.roles = rendered.roles.map((r: { name: string }) => r.name);
    assert.ok(facts.roles.length >= 2, 'two roles granted (and the ones they imply)');
  });
  after(async () => {
    await server?.close();
    rmSync(files.dir, { recursive: true, force: true });
  });

  const post = (path: string, requestBody: unknown) =>
    fetch(`${server.publicUrl}${path}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(requestBody),
    });

  /** The answer of a route for sp-on: 200, text/xml, the service provider's URLs as headers, a signature xmlsec1 verifies. */
  const signedDocument = async (path: string): Promise<Document> => {
    const res = await post(path, body(token, 'sp-on'));
    const xml = await res.text();
    assert.equal(res.status, 200, xml);
    assert.equal(res.headers.get('content-type'), 'text/xml');
    assert.equal(res.headers.get('x-sp-url'), SP_URL);
    assert.equal(res.headers.get('x-auth-url'), SP_AUTH_URL);
    const verified = xmlsec1Verify(xml, files.certfile, files.dir);
    assert.ok(verified.ok, verified.output);
    return parseXml(xml);
  };

  test('saml2: a signed Response about the token: xmlsec1 verifies it; attributes, recipient and lifetime as Keystone', async () => {
    const doc = await signedDocument('/v3/auth/OS-FEDERATION/saml2');
    // xs:ID values (NCNames): 32 hex digits as Keystone's, but never starting with a digit
    assert.match(doc.documentElement.getAttribute('ID') ?? '', /^[a-f][0-9a-f]{31}$/);
    assert.match(firstElement(doc, ASSERTION_NS, 'Assertion').getAttribute('ID') ?? '', /^[a-f][0-9a-f]{31}$/);
    assert.equal(doc.documentElement.localName, 'Response');
    assert.equal(doc.documentElement.getAttribute('Destination'), SP_URL);
    const { openstack_groups: groups = [], ...attributes } = assertionAttributes(doc);
    // Keystone's text of each group (Python's json.dumps) is compared with Keystone's own below
    assert.deepEqual(
      groups.map((g) => JSON.parse(g.replace(/^JSON:/, '')) as unknown),
      facts.groups.map((g) => ({ name: g.name, domain: { name: g.domain } })),
    );
    assert.deepEqual(attributes, {
      openstack_user: [facts.user],
      openstack_roles: facts.roles,
      openstack_project: [facts.project],
      openstack_project_domain: [facts.projectDomain],
      openstack_user_domain: [facts.userDomain],
    });
    assert.equal(firstElement(doc, ASSERTION_NS, 'NameID').textContent, facts.user);
    assert.equal(firstElement(doc, ASSERTION_NS, 'AuthenticatingAuthority').textContent, ENTITY_ID);
    const confirmation = firstElement(doc, ASSERTION_NS, 'SubjectConfirmationData');
    assert.equal(confirmation.getAttribute('Recipient'), SP_URL);
    const assertion = firstElement(doc, ASSERTION_NS, 'Assertion');
    const issued = Date.parse(assertion.getAttribute('IssueInstant') ?? '');
    const expires = Date.parse(confirmation.getAttribute('NotOnOrAfter') ?? '');
    assert.equal((expires - issued) / 1000, EXPIRES_IN);
    assert.ok(Math.abs(issued - Date.now()) < 60_000);
  });

  test("saml2/ecp: the signed Response in a SOAP envelope with the service provider's RelayState prefix", async () => {
    const doc = await signedDocument('/v3/auth/OS-FEDERATION/saml2/ecp');
    assert.equal(doc.documentElement.localName, 'Envelope');
    const relayState = firstElement(doc, 'urn:oasis:names:tc:SAML:2.0:profiles:SSO:ecp', 'RelayState');
    assert.match(relayState.textContent ?? '', /^rs:[0-9a-f]{32}$/);
    assert.equal(assertionAttributes(doc).openstack_user?.[0], facts.user);
  });

  test('a changed attribute breaks the signature (the check above is not vacuous)', async () => {
    const xml = await (await post('/v3/auth/OS-FEDERATION/saml2', body(token, 'sp-on'))).text();
    const forged = xml.replace(`>${facts.roles[0]?.replaceAll('&', '&amp;') ?? ''}<`, '>admin<');
    assert.notEqual(forged, xml);
    assert.equal(xmlsec1Verify(forged, files.certfile, files.dir).ok, false);
  });

  test("the documents have the structure of Keystone 22's for the same facts", { skip: oracleSkip }, async () => {
    const ours = {
      response: await (await post('/v3/auth/OS-FEDERATION/saml2', body(token, 'sp-on'))).text(),
      ecp: await (await post('/v3/auth/OS-FEDERATION/saml2/ecp', body(token, 'sp-on'))).text(),
    };
    const request = {
      certfile: files.certfile,
      keyfile: files.keyfile,
      issuer: ENTITY_ID,
      recipient: SP_URL,
      user: facts.user,
      user_domain: facts.userDomain,
      roles: facts.roles,
      project: facts.project,
      project_domain: facts.projectDomain,
      groups: facts.groups,
      relay_state_prefix: 'rs:',
      expires_in: EXPIRES_IN,
      ours,
    };
    const run = await runPython([ORACLE], JSON.stringify(request));
    assert.equal(run.status, 0, run.stderr);
    const answer = JSON.parse(run.stdout) as { keystone: unknown; ours: unknown; keystone_xml: { response: string; ecp: string } };
    assert.deepEqual(answer.ours, answer.keystone);
    // Keystone's own documents pass the same independent check as ours
    assert.ok(xmlsec1Verify(answer.keystone_xml.ecp, files.certfile, files.dir).ok);
  });

  test('errors as Keystone: unknown (404) or disabled (403) service provider, token not project-scoped (403), bad token (404)', async () => {
    const answer = async (path: string, requestBody: unknown) => {
      const res = await post(path, requestBody);
      return { status: res.status, headers: res.headers, body: (await res.json()) as unknown };
    };
    for (const path of ['/v3/auth/OS-FEDERATION/saml2', '/v3/auth/OS-FEDERATION/saml2/ecp']) {
      expectStatus(await answer(path, body(token, 'nope')), 404, 'Could not find Service Provider: nope.');
      expectStatus(await answer(path, body(token, 'sp-off')), 403, 'You are not authorized to perform the requested action.');
      const notProject =
        'You are not authorized to perform the requested action: Use a project scoped token when attempting to create a SAML assertion.';
      expectStatus(await answer(path, body(p.noRole.token, 'sp-on')), 403, notProject);
      expectStatus(await answer(path, body(p.domainAAdmin.token, 'sp-on')), 403, notProject);
      expectStatus(await answer(path, body(p.systemAdmin.token, 'sp-on')), 403, notProject);
      expectStatus(await answer(path, body('not-a-token', 'sp-on')), 404, 'Could not recognize Fernet token');
      expectStatus(await answer(path, {}), 400);
      expectStatus(await answer(path, { auth: { identity: { token: { id: token } } } }), 400, "'scope' is a required property");
      expectStatus(await answer(path, { auth: { ...body(token, 'sp-on').auth, extra: 1 } }), 400);
      expectStatus(await call(server, 'GET', path), 405);
    }
  });

  test('a key that cannot be read is a 500 with the generic message, and nothing leaks', async () => {
    renameSync(files.keyfile, `${files.keyfile}.away`);
    try {
      const res = await post('/v3/auth/OS-FEDERATION/saml2', body(token, 'sp-on'));
      const answer = (await res.json()) as { error: { message: string } };
      assert.equal(res.status, 500);
      assert.equal(answer.error.message, 'An unexpected error prevented the server from fulfilling your request.');
    } finally {
      renameSync(`${files.keyfile}.away`, files.keyfile);
    }
    assert.equal((await post('/v3/auth/OS-FEDERATION/saml2', body(token, 'sp-on'))).status, 200);
  });

  test('GET/HEAD /v3/OS-FEDERATION/saml2/metadata serves the metadata file (500 while there is none)', async () => {
    rmSync(files.metadataPath, { force: true });
    expectStatus(await call(server, 'GET', '/v3/OS-FEDERATION/saml2/metadata'), 500);
    const metadata = generateIdpMetadata(server.providers.conf.saml);
    writeFileSync(files.metadataPath, metadata);
    const res = await fetch(`${server.publicUrl}/v3/OS-FEDERATION/saml2/metadata`);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'text/xml');
    assert.equal(await res.text(), metadata);
    const head = await fetch(`${server.publicUrl}/v3/OS-FEDERATION/saml2/metadata`, { method: 'HEAD' });
    assert.equal(head.status, 200);
    assert.equal(head.headers.get('content-length'), String(Buffer.byteLength(metadata)));
  });

  test('JSON-Home lists saml2, ecp and metadata as Keystone 22', async () => {
    const res = await fetch(`${server.publicUrl}/v3`, { headers: { Accept: 'application/json-home' } });
    const { resources } = (await res.json()) as { resources: Record<string, unknown> };
    assert.deepEqual(resources[`${REL}saml2`], { href: '/auth/OS-FEDERATION/saml2' });
    assert.deepEqual(resources[`${REL}ecp`], { href: '/auth/OS-FEDERATION/saml2/ecp' });
    assert.deepEqual(resources[`${REL}metadata`], { href: '/OS-FEDERATION/saml2/metadata' });
  });
});
