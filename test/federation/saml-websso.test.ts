/**
 * SAML WebSSO run by this server as the service provider (no mod_shib): the dashboard sends the browser to
 * the WebSSO URL, which sends it on to the identity provider's HTTP-Redirect SingleSignOnService with a
 * signed AuthnRequest; the test IdP (samlify, test/fixtures/saml-ecp-idp.ts) reads it, verifying its
 * signature against our metadata (it wants signed requests), signs the user in through its login form and
 * posts the signed Response with the RelayState to our consumer (HTTP-POST binding), whose page posts the
 * token to the dashboard the test listens on. A form-filling HTTP client plays the browser. Hostile:
 * unsigned, forged, wrapped, replayed or expired Responses, an unknown RelayState, the Response brought to
 * another browser, an untrusted origin: Keystone's 401, and no federated user created.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { X509Certificate } from 'node:crypto';
import { DOMParser, XMLSerializer } from '@xmldom/xmldom';
import { startTestServer, type TestServer } from '../helpers/test-server.js';
import { adminToken } from '../helpers/tokens.js';
import { TestDashboard, assertFederatedToken, assertUntrustedOriginsRefused } from '../helpers/websso-dashboard.js';
import { FormBrowser, firstForm, isStop, type BrowserPage } from '../helpers/form-browser.js';
import { TestEcpIdp, makeSigningPair } from '../fixtures/saml-ecp-idp.js';

const IDP = 'samlidp';
const ENTITY_ID = 'https://idp.example.test/idp/shibboleth';
const NS = {
  md: 'urn:oasis:names:tc:SAML:2.0:metadata',
  assertion: 'urn:oasis:names:tc:SAML:2.0:assertion',
  dsig: 'http://www.w3.org/2000/09/xmldsig#',
};
const AMENDMENT = ' (Disable insecure_debug mode to suppress these details.)';

let idp: TestEcpIdp;
let server: TestServer;
let dashboard: TestDashboard;
let dashboardUrl: string;
let dir: string;
let admin: string;
const spSigning = makeSigningPair('keystone sp');

const callbackUrl = () => `${server.publicUrl}/v3/auth/OS-FEDERATION/identity_providers/${IDP}/protocols/saml2/websso/callback`;
const origin = () => encodeURIComponent(dashboardUrl);
const perIdpUrl = () => `${server.publicUrl}/v3/auth/OS-FEDERATION/identity_providers/${IDP}/protocols/saml2/websso?origin=${origin()}`;
const alice = { login: 'alice', password: 'alice-secret' };

async function federatedUsers(): Promise<number> {
  return Number((await server.db.one<{ n: string }>('SELECT count(*) AS n FROM federated_user')).n);
}

before(async () => {
  idp = new TestEcpIdp(
    ENTITY_ID,
    { alice: { password: 'alice-secret', attributes: { uid: ['alice'], eduPersonAffiliation: ['staff'] } } },
    { wantAuthnRequestsSigned: true },
  );
  await idp.start();
  dashboard = await TestDashboard.start();
  dashboardUrl = dashboard.url;
  dir = mkdtempSync(join(tmpdir(), 'keystone-saml-websso-'));
  writeFileSync(join(dir, `${IDP}.xml`), idp.metadata());
  writeFileSync(join(dir, 'sp-cert.pem'), spSigning.certificatePem);
  writeFileSync(join(dir, 'sp-key.pem'), spSigning.privateKeyPem);
  server = await startTestServer({
    config: {
      // the refusals' details reach the client, so that the test sees which check refused
      DEFAULT: { insecure_debug: true },
      auth: { methods: ['password', 'token', 'saml2'] },
      saml2: {
        idp_metadata_dir: dir,
        remote_id_attribute: 'Shib-Identity-Provider',
        certfile: join(dir, 'sp-cert.pem'),
        keyfile: join(dir, 'sp-key.pem'),
      },
      federation: { trusted_dashboard: [dashboardUrl] },
    },
  });
  admin = await adminToken(server);
  const { providers } = server;
  const group = await providers.identity_api.createGroup({ name: 'saml-sso-users', domainId: 'default' });
  const project = await providers.resource_api.createProject({ name: 'saml-sso-project', domainId: 'default' });
  const member = (await providers.role_api.listRoles({ name: 'member' }))[0];
  await providers.assignment_api.createGrant(member.id, { groupId: group.id }, { projectId: project.id });
  await providers.federation_api.createIdentityProvider(IDP, { remote_ids: [ENTITY_ID], enabled: true });
  await providers.federation_api.createMapping('saml-sso-users', {
    rules: [
      {
        local: [{ user: { name: '{0}' } }, { group: { id: group.id } }],
        remote: [{ type: 'uid' }, { type: 'eduPersonAffiliation', any_one_of: ['staff'] }],
      },
    ],
  });
  await providers.federation_api.createProtocol(IDP, 'saml2', { mapping_id: 'saml-sso-users' });
  // the IdP's operator imports our metadata
  const metadata = await fetch(`${server.publicUrl}/v3/OS-FEDERATION/identity_providers/${IDP}/protocols/saml2/saml2/metadata`);
  idp.spMetadata = await metadata.text();
});

after(async () => {
  await server?.close();
  await idp?.close();
  await dashboard?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const signInToDashboard = (browser: FormBrowser, start: string) => dashboard.signIn(browser, start, alice);
const assertAliceToken = (tokenId: string) => assertFederatedToken(server, admin, tokenId, { user: 'alice', idp: IDP, protocol: 'saml2' });

/** A sign-in begun and the IdP's post to our consumer held before it is sent: its form (SAMLResponse, RelayState). */
async function heldPost(browser: FormBrowser): Promise<URLSearchParams> {
  const held = await browser.go(perIdpUrl(), { fill: alice, stopAt: (u) => u.toString() === callbackUrl() });
  assert.ok(isStop(held), 'the IdP posted back');
  assert.equal(held.method, 'POST');
  return held.body ?? new URLSearchParams();
}

function responseXml(form: URLSearchParams): Document {
  return new DOMParser().parseFromString(Buffer.from(form.get('SAMLResponse') ?? '', 'base64').toString('utf8'), 'text/xml');
}

function withResponse(form: URLSearchParams, doc: Document): URLSearchParams {
  const changed = new URLSearchParams(form);
  changed.set('SAMLResponse', Buffer.from(new XMLSerializer().serializeToString(doc), 'utf8').toString('base64'));
  return changed;
}

/** The form posted to our consumer by `browser`: Keystone's 401 with this reason, no federated user created. */
async function refused(browser: FormBrowser, form: URLSearchParams, why: string | RegExp): Promise<void> {
  const users = await federatedUsers();
  const before = dashboard.posted.length;
  const page = (await browser.go(callbackUrl(), {}, 'POST', form)) as BrowserPage;
  assert.equal(page.status, 401, page.text);
  const body = JSON.parse(page.text) as { error: { code: number; title: string; message: string } };
  assert.equal(body.error.code, 401);
  assert.equal(body.error.title, 'Unauthorized');
  if (typeof why === 'string') assert.equal(body.error.message, why + AMENDMENT);
  else assert.match(body.error.message, why);
  assert.match(page.headers.get('www-authenticate') ?? '', /^Keystone uri=/);
  assert.equal(await federatedUsers(), users, 'nothing created');
  assert.equal(dashboard.posted.length, before, 'nothing posted to the dashboard');
}

const SPENT = 'unknown, expired or already used RelayState';

test('SP metadata: our signing certificate, AuthnRequestsSigned, and WebSSO callback as the HTTP-POST consumer', () => {
  const doc = new DOMParser().parseFromString(idp.spMetadata, 'text/xml');
  const descriptor = doc.getElementsByTagNameNS(NS.md, 'SPSSODescriptor')[0];
  assert.equal(descriptor.getAttribute('AuthnRequestsSigned'), 'true');
  const key = doc.getElementsByTagNameNS(NS.md, 'KeyDescriptor')[0];
  assert.equal(key.getAttribute('use'), 'signing');
  const certificate = doc.getElementsByTagNameNS(NS.dsig, 'X509Certificate')[0].textContent ?? '';
  assert.ok(new X509Certificate(Buffer.from(certificate, 'base64')).raw.equals(new X509Certificate(spSigning.certificatePem).raw));
  const services = Array.from(doc.getElementsByTagNameNS(NS.md, 'AssertionConsumerService')).map((s) => [
    s.getAttribute('Binding'),
    s.getAttribute('Location'),
  ]);
  assert.deepEqual(services, [
    ['urn:oasis:names:tc:SAML:2.0:bindings:PAOS', `${server.publicUrl}/v3/OS-FEDERATION/identity_providers/${IDP}/protocols/saml2/auth`],
    ['urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST', callbackUrl()],
  ]);
});

test('the per-protocol URL: a signed AuthnRequest to the IdP (HTTP-Redirect), sign in, the token posted to the dashboard', async () => {
  const browser = new FormBrowser();
  const start = `${server.publicUrl}/v3/auth/OS-FEDERATION/websso/saml2?origin=${origin()}`;
  const first = await browser.request('GET', start);
  assert.equal(first.status, 302);
  assert.equal(first.headers.get('cache-control'), 'no-store');
  const location = new URL(first.headers.get('location') ?? '');
  assert.equal(`${location.origin}${location.pathname}`, idp.ssoUrl);
  assert.deepEqual([...location.searchParams.keys()], ['SAMLRequest', 'RelayState', 'SigAlg', 'Signature']);
  assert.equal(location.searchParams.get('SigAlg'), 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256');
  assert.ok((location.searchParams.get('RelayState') ?? '').length <= 80, 'RelayState within the 80 bytes of bindings §3.4.3');
  assert.match(
    first.headers.get('set-cookie') ?? '',
    /^keystone_websso=[A-Za-z0-9_-]{43}; Path=\/v3\/auth\/OS-FEDERATION\/; HttpOnly; SameSite=Lax$/,
  );
  // the IdP checks the signature: tampered with or left out, the request is refused there
  const tampered = new URL(location);
  tampered.searchParams.set('RelayState', 'x'.repeat(43));
  assert.equal((await fetch(tampered)).status, 400);
  const unsigned = new URL(location);
  unsigned.searchParams.delete('Signature');
  unsigned.searchParams.delete('SigAlg');
  assert.equal((await fetch(unsigned)).status, 400);
  await assertAliceToken(await signInToDashboard(browser, start));
  // what samlify read from our AuthnRequest (after verifying its signature with our metadata's certificate)
  const request = idp.requests[idp.requests.length - 1];
  assert.equal(request.consumerUrl, callbackUrl());
  assert.equal(request.destination, idp.ssoUrl);
  assert.equal(request.issuer, `${server.publicUrl}/shibboleth`);
});

test("the per-IdP URL; the page is Keystone's sso_callback_template", async () => {
  const browser = new FormBrowser();
  const held = await browser.go(perIdpUrl(), { fill: alice, stopAt: (u) => u.toString().startsWith(dashboardUrl) });
  assert.ok(isStop(held));
  assert.equal(held.method, 'POST');
  assert.deepEqual([...(held.body?.keys() ?? [])], ['token']);
  await assertAliceToken(held.body?.get('token') ?? '');
});

test("the IdP's cross-site POST (no SameSite=Lax cookie): a page posting it again from this origin, which then signs in", async () => {
  const browser = new FormBrowser();
  const form = await heldPost(browser);
  const crossSite = await fetch(callbackUrl(), { method: 'POST', body: form, headers: { accept: 'text/html' } });
  assert.equal(crossSite.status, 200);
  assert.equal(crossSite.headers.get('content-type'), 'text/html');
  const repost = firstForm(await crossSite.text());
  assert.ok(repost);
  assert.equal(repost.action, callbackUrl());
  assert.equal(repost.method, 'POST');
  const fields = new URLSearchParams(repost.fields.map((f) => [f.name, f.value]));
  assert.equal(fields.get('SAMLResponse'), form.get('SAMLResponse'));
  assert.equal(fields.get('RelayState'), form.get('RelayState'));
  const before = dashboard.posted.length;
  const page = (await browser.go(repost.action, {}, 'POST', fields)) as BrowserPage;
  assert.equal(page.url, dashboardUrl, page.text);
  await assertAliceToken(dashboard.posted[before]);
});

test('origin: missing is 400, untrusted is 401, nothing sent to the IdP', async () => {
  const browser = new FormBrowser();
  const base = `${server.publicUrl}/v3/auth/OS-FEDERATION/identity_providers/${IDP}/protocols/saml2/websso`;
  const requests = idp.requests.length;
  await assertUntrustedOriginsRefused(browser, base, dashboardUrl, AMENDMENT);
  const perProtocol = await browser.request(
    'GET',
    `${server.publicUrl}/v3/auth/OS-FEDERATION/websso/saml2?origin=https%3A%2F%2Fevil.example.test%2F`,
  );
  assert.equal(perProtocol.status, 401);
  assert.equal(idp.requests.length, requests);
});

test('hostile: unsigned, forged (another key), and wrapped Responses', async () => {
  const browser = new FormBrowser();
  let form = await heldPost(browser);
  const unsigned = responseXml(form);
  for (const s of Array.from(unsigned.getElementsByTagNameNS(NS.dsig, 'Signature'))) s.parentNode?.removeChild(s);
  await refused(browser, withResponse(form, unsigned), 'neither the Response nor its Assertion is signed');

  idp.nextResponse = { signWith: makeSigningPair('forger') };
  form = await heldPost(browser);
  await refused(browser, form, /does not verify with the identity provider's certificates/);

  // the signed assertion moved into an Extensions element, an evil copy (another user) in its place
  form = await heldPost(browser);
  const wrapped = responseXml(form);
  const response = wrapped.documentElement as Element;
  const signed = wrapped.getElementsByTagNameNS(NS.assertion, 'Assertion')[0];
  const evil = signed.cloneNode(true) as Element;
  for (const v of Array.from(evil.getElementsByTagNameNS(NS.assertion, 'AttributeValue')))
    if (v.textContent === 'alice') v.textContent = 'admin-evil';
  response.replaceChild(evil, signed);
  const extensions = wrapped.createElementNS('urn:oasis:names:tc:SAML:2.0:protocol', 'samlp:Extensions');
  extensions.appendChild(signed);
  response.insertBefore(extensions, evil);
  await refused(browser, withResponse(form, wrapped), /is not unique in the document/);
});

test('hostile: expired', async () => {
  const browser = new FormBrowser();
  idp.nextResponse = { validMinutes: -10 };
  await refused(browser, await heldPost(browser), 'the Assertion has expired');
});

test('hostile: replayed — the same post again, and the Response with the RelayState of a new sign-in', async () => {
  const browser = new FormBrowser();
  const form = await heldPost(browser);
  const page = (await browser.go(callbackUrl(), {}, 'POST', form)) as BrowserPage;
  assert.equal(page.url, dashboardUrl, page.text);
  await refused(browser, form, SPENT);
  const next = await heldPost(browser);
  const replayed = new URLSearchParams(form);
  replayed.set('RelayState', next.get('RelayState') ?? '');
  await refused(browser, replayed, /^the Response answers _[0-9a-f]{40}, not the sign-in's _[0-9a-f]{40}/);
});

test('hostile: an unknown RelayState, and the Response brought to another browser', async () => {
  const browser = new FormBrowser();
  const form = await heldPost(browser);
  const unknown = new URLSearchParams(form);
  unknown.set('RelayState', 'x'.repeat(43));
  await refused(browser, unknown, SPENT);
  // another browser has no binding cookie: the page posting again from our origin, then the refusal; the sign-in is spent
  await refused(new FormBrowser(), form, 'the Response came back to another browser than the one that began the sign-in');
  await refused(browser, form, SPENT);
  const none = new URLSearchParams(form);
  none.delete('RelayState');
  await refused(browser, none, 'no RelayState');
});
