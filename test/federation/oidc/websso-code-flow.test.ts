/**
 * WebSSO run by this server itself: the OpenID Connect authorization code flow with PKCE against the
 * real OpenID Provider of test/helpers/oidc-provider.ts, driven by a form-filling HTTP client (the OP's
 * login and consent pages submitted as a user would), ending with the token POSTed to a dashboard the
 * test listens on — through the per-protocol and the per-IdP URLs. Behind a front proxy the same routes
 * take the proxy's assertion instead, as Keystone behind mod_auth_openidc. Hostile: an untrusted or
 * missing origin, a wrong or replayed state, the answer brought to another browser, an ID token for
 * another nonce, an error from the IdP: Keystone's errors, and no federated user created.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestServer, type TestServer } from '../../helpers/test-server.js';
import { adminToken, validateToken } from '../../helpers/tokens.js';
import { startOpenIdProvider, type TestOpenIdProvider } from '../../helpers/oidc-provider.js';
import { FormBrowser, isStop, type BrowserPage } from '../../helpers/form-browser.js';
import { TestDashboard, assertFederatedToken, assertUntrustedOriginsRefused } from '../../helpers/websso-dashboard.js';

const IDP = 'keycloak';
let op: TestOpenIdProvider;
let server: TestServer;
let dashboard: TestDashboard;
let dashboardUrl: string;
let dir: string;
let admin: string;

function callbackUrl(): string {
  return `${server.publicUrl}/v3/auth/OS-FEDERATION/identity_providers/${IDP}/protocols/openid/websso/callback`;
}

async function federatedUsers(): Promise<number> {
  return Number((await server.db.one<{ n: string }>('SELECT count(*) AS n FROM federated_user')).n);
}

before(async () => {
  op = await startOpenIdProvider();
  dashboard = await TestDashboard.start();
  dashboardUrl = dashboard.url;
  dir = mkdtempSync(join(tmpdir(), 'keystone-websso-'));
  const clientsFile = join(dir, 'websso-clients.json');
  writeFileSync(
    clientsFile,
    JSON.stringify({ [IDP]: { client_id: op.clients.keystone.clientId, client_secret: op.clients.keystone.clientSecret } }),
  );
  server = await startTestServer({
    config: {
      // the refusals' details reach the client, so that the test sees which check refused
      DEFAULT: { insecure_debug: true },
      auth: { methods: ['password', 'token', 'openid'] },
      openid: { audience: [op.audience], remote_id_attribute: 'HTTP_OIDC_ISS', websso_clients_file: clientsFile },
      // this process is also the front proxy: requests carrying OIDC-iss are its assertions
      federation: { trusted_dashboard: [dashboardUrl], trusted_proxies: ['127.0.0.1'] },
    },
  });
  admin = await adminToken(server);
  const { providers } = server;
  const group = await providers.identity_api.createGroup({ name: 'sso-users', domainId: 'default' });
  const project = await providers.resource_api.createProject({ name: 'sso-project', domainId: 'default' });
  const member = (await providers.role_api.listRoles({ name: 'member' }))[0];
  await providers.assignment_api.createGrant(member.id, { groupId: group.id }, { projectId: project.id });
  await providers.federation_api.createIdentityProvider(IDP, { remote_ids: [op.issuer], enabled: true });
  await providers.federation_api.createMapping('sso-mapping', {
    rules: [
      {
        local: [{ user: { name: '{0}', email: '{1}' } }, { group: { id: group.id } }],
        remote: [{ type: 'OIDC-preferred_username' }, { type: 'OIDC-email' }],
      },
    ],
  });
  await providers.federation_api.createProtocol(IDP, 'openid', { mapping_id: 'sso-mapping' });
  await op.setKeystoneRedirectUris([callbackUrl()]);
});

after(async () => {
  await server?.close();
  await op?.close();
  await dashboard?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const origin = () => encodeURIComponent(dashboardUrl);
const alice = { login: 'alice', password: 'alice-secret' };

const signInToDashboard = (browser: FormBrowser, start: string) => dashboard.signIn(browser, start, alice);
const assertAliceToken = (tokenId: string) => assertFederatedToken(server, admin, tokenId, { user: 'alice', idp: IDP, protocol: 'openid' });

/** A sign-in begun and its way back from the OP held before it reaches this server. */
async function heldCallback(browser: FormBrowser, rewrite: (authorizationUrl: URL) => URL = (u) => u): Promise<URL> {
  const begun = await browser.request('GET', `${server.publicUrl}/v3/auth/OS-FEDERATION/websso/openid?origin=${origin()}`);
  assert.equal(begun.status, 302);
  const held = await browser.go(rewrite(new URL(begun.headers.get('location') ?? '')).toString(), {
    fill: alice,
    stopAt: (u) => u.toString().startsWith(callbackUrl()),
  });
  assert.ok(isStop(held), 'the OP sent the browser back');
  return new URL(held.stoppedAt);
}

const AMENDMENT = ' (Disable insecure_debug mode to suppress these details.)';

async function refused(browser: FormBrowser, url: string, why: string): Promise<void> {
  const users = await federatedUsers();
  const page = await browser.request('GET', url);
  assert.equal(page.status, 401, page.text);
  assert.deepEqual(JSON.parse(page.text), { error: { code: 401, title: 'Unauthorized', message: why + AMENDMENT } });
  assert.equal(await federatedUsers(), users, 'nothing created');
}

const SPENT = 'unknown, expired or already used state';

test('the per-protocol URL: redirect to the OP with PKCE S256, sign in, the token posted to the dashboard', async () => {
  const browser = new FormBrowser();
  const start = `${server.publicUrl}/v3/auth/OS-FEDERATION/websso/openid?origin=${origin()}`;
  const first = await browser.request('GET', start);
  assert.equal(first.status, 302);
  const authorization = new URL(first.headers.get('location') ?? '');
  assert.equal(authorization.origin, op.issuer);
  assert.equal(authorization.searchParams.get('code_challenge_method'), 'S256');
  assert.equal(authorization.searchParams.get('client_id'), op.clients.keystone.clientId);
  assert.equal(authorization.searchParams.get('redirect_uri'), callbackUrl());
  assert.match(
    first.headers.get('set-cookie') ?? '',
    /^keystone_websso=[A-Za-z0-9_-]{43}; Path=\/v3\/auth\/OS-FEDERATION\/; HttpOnly; SameSite=Lax$/,
  );
  await assertAliceToken(await signInToDashboard(browser, start));
});

test('the per-IdP URL, and the page is Keystone sso_callback_template', async () => {
  const browser = new FormBrowser();
  const start = `${server.publicUrl}/v3/auth/OS-FEDERATION/identity_providers/${IDP}/protocols/openid/websso?origin=${origin()}`;
  const held = await browser.go(start, { fill: alice, stopAt: (u) => u.toString().startsWith(dashboardUrl) });
  assert.ok(isStop(held));
  assert.equal(held.method, 'POST');
  const token = held.body?.get('token') ?? '';
  assert.deepEqual([...(held.body?.keys() ?? [])], ['token']);
  await assertAliceToken(token);
});

test('behind a front proxy: the proxy assertion through both WebSSO URLs, as Keystone behind mod_auth_openidc', async () => {
  const headers = { 'OIDC-iss': op.issuer, 'OIDC-preferred_username': 'carol', 'OIDC-email': 'carol@example.test' };
  for (const path of [`/v3/auth/OS-FEDERATION/websso/openid`, `/v3/auth/OS-FEDERATION/identity_providers/${IDP}/protocols/openid/websso`]) {
    const res = await fetch(`${server.publicUrl}${path}?origin=${origin()}`, { headers, redirect: 'manual' });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'text/html');
    const page = await res.text();
    assert.ok(page.includes(`action="${dashboardUrl}" method="post"`));
    const token = /name="token" id="token" value="([^"]+)"/.exec(page)?.[1] ?? '';
    const v = await validateToken(server, admin, token);
    assert.equal(v.body.token.user.name, 'carol');
  }
  // an issuer that is no remote id of the IdP: Keystone's 404 for the per-protocol URL
  const other = await fetch(`${server.publicUrl}/v3/auth/OS-FEDERATION/websso/openid?origin=${origin()}`, {
    headers: { ...headers, 'OIDC-iss': 'https://elsewhere.example.test' },
  });
  assert.equal(other.status, 404);
});

test('origin: missing is 400, untrusted is 401, nothing sent to the OP', async () => {
  const browser = new FormBrowser();
  const base = `${server.publicUrl}/v3/auth/OS-FEDERATION/identity_providers/${IDP}/protocols/openid/websso`;
  await assertUntrustedOriginsRefused(browser, base, dashboardUrl, AMENDMENT);
  // the origin is unquoted once more, as Keystone does: a doubly encoded trusted origin is trusted
  const twice = await browser.request('GET', `${base}?origin=${encodeURIComponent(encodeURIComponent(dashboardUrl))}`);
  assert.equal(twice.status, 302);
  const perProtocol = await browser.request(
    'GET',
    `${server.publicUrl}/v3/auth/OS-FEDERATION/websso/openid?origin=https%3A%2F%2Fevil.example.test%2F`,
  );
  assert.equal(perProtocol.status, 401);
});

test('a wrong state, a replayed answer, an answer brought to another browser: 401, nothing created', async () => {
  const browser = new FormBrowser();
  const answer = await heldCallback(browser);
  const wrong = new URL(answer);
  wrong.searchParams.set('state', 'x'.repeat(43));
  await refused(browser, wrong.toString(), SPENT);
  // the answer taken to a browser that did not begin the sign-in: refused, and the state is spent
  await refused(new FormBrowser(), answer.toString(), 'the answer came back to another browser than the one that began the sign-in');
  await refused(browser, answer.toString(), SPENT);

  const second = await heldCallback(browser);
  const page = (await browser.go(second.toString())) as BrowserPage;
  assert.equal(page.url, dashboardUrl);
  // the same answer (state and code) again
  await refused(browser, second.toString(), SPENT);
});

test('an ID token for another nonce, and an error from the IdP: 401, nothing created', async () => {
  const browser = new FormBrowser();
  const answer = await heldCallback(browser, (u) => {
    u.searchParams.set('nonce', 'a-nonce-this-server-never-sent');
    return u;
  });
  await refused(browser, answer.toString(), 'ID token nonce mismatch');

  const denied = await heldCallback(browser);
  denied.searchParams.delete('code');
  denied.searchParams.set('error', 'access_denied');
  await refused(browser, denied.toString(), 'the identity provider answered access_denied');
});

test('without a code-flow client or a proxy assertion: Keystone 401 Missing entity ID', async () => {
  const res = await fetch(`${server.publicUrl}/v3/auth/OS-FEDERATION/websso/saml2?origin=${origin()}`);
  assert.equal(res.status, 401);
  assert.equal(((await res.json()) as { error: { message: string } }).error.message, `Missing entity ID from environment${AMENDMENT}`);
});

test('JSON-Home: the two WebSSO resources as Keystone 22 lists them (the callback is not one of them)', async () => {
  const res = await fetch(`${server.publicUrl}/v3`, { headers: { Accept: 'application/json-home' } });
  const { resources } = (await res.json()) as { resources: Record<string, unknown> };
  const rel = 'https://docs.openstack.org/api/openstack-identity/3/ext/OS-FEDERATION/1.0/rel/';
  const param = 'https://docs.openstack.org/api/openstack-identity/3/ext/OS-FEDERATION/1.0/param/';
  assert.deepEqual(resources[`${rel}websso`], {
    'href-template': '/auth/OS-FEDERATION/websso/{protocol_id}',
    'href-vars': { protocol_id: `${param}protocol_id` },
  });
  assert.deepEqual(resources[`${rel}identity_providers_websso`], {
    'href-template': '/auth/OS-FEDERATION/identity_providers/{idp_id}/protocols/{protocol_id}/websso',
    'href-vars': { idp_id: `${param}idp_id`, protocol_id: `${param}protocol_id` },
  });
  assert.equal(Object.keys(resources).filter((r) => r.includes('callback')).length, 0);
});
