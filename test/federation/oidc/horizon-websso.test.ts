/**
 * Horizon's WebSSO login end to end in a real headless browser: Debian's openstack-dashboard
 * (WEBSSO_ENABLED, the openid and saml2 choices, Django's development server on port 0's neighbour) against
 * this server, the test OP of test/helpers/oidc-provider.ts and the test SAML IdP of
 * test/fixtures/saml-ecp-idp.ts; Debian's chromium driven by puppeteer-core picks "OpenID Connect" (or
 * "SAML") on Horizon's login page, signs in at the IdP's pages, comes back through this server's callback
 * (the code flow's redirect; SAML's HTTP-POST, cross-site: the IdP is another site to the browser, so its
 * post carries no SameSite=Lax cookie and is posted again from this server's origin), whose page posts
 * the token to Horizon's /auth/websso/, and ends on Horizon's project page, signed in as the mapped user
 * with the mapped group's project.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import puppeteer, { type Page } from 'puppeteer-core';
import { startTestServer, type TestServer } from '../../helpers/test-server.js';
import { adminToken } from '../../helpers/tokens.js';
import { startOpenIdProvider, type TestOpenIdProvider } from '../../helpers/oidc-provider.js';
import { skipUnlessCi } from '../../clients/python-clients.js';
import { TestEcpIdp } from '../../fixtures/saml-ecp-idp.js';

const CHROMIUM = '/usr/bin/chromium';
const HORIZON = '/usr/share/openstack-dashboard/manage.py';
const SAML_ENTITY_ID = 'https://saml-idp.test/idp/shibboleth';
const reason = !existsSync(CHROMIUM)
  ? `${CHROMIUM} is not installed (apt-get install chromium)`
  : !existsSync(HORIZON)
    ? `${HORIZON} is not installed (apt-get install openstack-dashboard)`
    : false;

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => {
        resolve(port);
      });
    });
  });
}

describe("Horizon's WebSSO login in headless chromium", { skip: skipUnlessCi(reason) }, () => {
  let op: TestOpenIdProvider;
  let samlIdp: TestEcpIdp;
  let server: TestServer;
  let horizon: ChildProcess | undefined;
  let horizonUrl: string;
  let dir: string;

  before(async () => {
    assert.equal(reason, false, `${reason} (required when CI=true)`);
    op = await startOpenIdProvider();
    dir = mkdtempSync(join(tmpdir(), 'keystone-horizon-'));
    const port = await freePort();
    horizonUrl = `http://127.0.0.1:${port}`;
    // the SAML IdP is another site to the browser (chromium resolves saml-idp.test to loopback)
    samlIdp = new TestEcpIdp(SAML_ENTITY_ID, { bob: { password: 'bob-secret', attributes: { uid: ['bob'] } } }, { host: 'saml-idp.test' });
    await samlIdp.start();
    writeFileSync(join(dir, 'samlidp.xml'), samlIdp.metadata());
    const clients = join(dir, 'websso-clients.json');
    writeFileSync(
      clients,
      JSON.stringify({ keycloak: { client_id: op.clients.keystone.clientId, client_secret: op.clients.keystone.clientSecret } }),
    );
    server = await startTestServer({
      config: {
        auth: { methods: ['password', 'token', 'openid', 'saml2'] },
        openid: { audience: [op.audience], websso_clients_file: clients },
        saml2: { idp_metadata_dir: dir, remote_id_attribute: 'Shib-Identity-Provider' },
        federation: { trusted_dashboard: [`${horizonUrl}/auth/websso/`] },
      },
    });
    const p = server.providers;
    const group = await p.identity_api.createGroup({ name: 'horizon-users', domainId: 'default' });
    const project = await p.resource_api.createProject({ name: 'horizon-project', domainId: 'default' });
    const member = (await p.role_api.listRoles({ name: 'member' }))[0];
    await p.assignment_api.createGrant(member.id, { groupId: group.id }, { projectId: project.id });
    await p.federation_api.createIdentityProvider('keycloak', { remote_ids: [op.issuer], enabled: true });
    await p.federation_api.createMapping('horizon-mapping', {
      rules: [{ local: [{ user: { name: '{0}' } }, { group: { id: group.id } }], remote: [{ type: 'OIDC-preferred_username' }] }],
    });
    await p.federation_api.createProtocol('keycloak', 'openid', { mapping_id: 'horizon-mapping' });
    await p.federation_api.createIdentityProvider('samlidp', { remote_ids: [SAML_ENTITY_ID], enabled: true });
    await p.federation_api.createMapping('horizon-saml-mapping', {
      rules: [{ local: [{ user: { name: '{0}' } }, { group: { id: group.id } }], remote: [{ type: 'uid' }] }],
    });
    await p.federation_api.createProtocol('samlidp', 'saml2', { mapping_id: 'horizon-saml-mapping' });
    samlIdp.spMetadata = await (
      await fetch(`${server.publicUrl}/v3/OS-FEDERATION/identity_providers/samlidp/protocols/saml2/saml2/metadata`)
    ).text();
    await op.setKeystoneRedirectUris([
      `${server.publicUrl}/v3/auth/OS-FEDERATION/identity_providers/keycloak/protocols/openid/websso/callback`,
    ]);
    // the catalog's identity endpoints are this server (Horizon's keystoneauth1 discovers through them)
    const admin = await adminToken(server);
    const endpoints = (await (await fetch(`${server.publicUrl}/v3/endpoints`, { headers: { 'X-Auth-Token': admin } })).json()) as {
      endpoints: Array<{ id: string }>;
    };
    for (const { id } of endpoints.endpoints) {
      const res = await fetch(`${server.publicUrl}/v3/endpoints/${id}`, {
        method: 'PATCH',
        headers: { 'X-Auth-Token': admin, 'Content-Type': 'application/json' },
        body: JSON.stringify({ endpoint: { url: `${server.publicUrl}/v3` } }),
      });
      assert.equal(res.status, 200);
    }
    // Horizon's settings, then ours for this run (a settings module of the test's own, nothing written under /etc)
    writeFileSync(
      join(dir, 'websso_test_settings.py'),
      [
        'from openstack_dashboard.settings import *  # noqa',
        `OPENSTACK_KEYSTONE_URL = "${server.publicUrl}/v3"`,
        'WEBSSO_ENABLED = True',
        'WEBSSO_CHOICES = (("credentials", "Keystone Credentials"), ("openid", "OpenID Connect"), ("saml2", "SAML"))',
        'WEBSSO_INITIAL_CHOICE = "openid"',
        'ALLOWED_HOSTS = ["127.0.0.1"]',
        'SESSION_ENGINE = "django.contrib.sessions.backends.signed_cookies"',
        'DEBUG = True',
        'COMPRESS_OFFLINE = False',
        'COMPRESS_ENABLED = False',
        '',
      ].join('\n'),
    );
    horizon = spawn('/usr/bin/python3', [HORIZON, 'runserver', '--noreload', '--insecure', `127.0.0.1:${port}`], {
      cwd: '/usr/share/openstack-dashboard',
      env: { ...process.env, PYTHONPATH: dir, DJANGO_SETTINGS_MODULE: 'websso_test_settings' },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let output = '';
    horizon.stderr?.on('data', (d: Buffer) => (output += d.toString()));
    for (let i = 0; ; i++) {
      const up = await fetch(`${horizonUrl}/auth/login/`).then(
        (r) => r.status === 200,
        () => false,
      );
      if (up) break;
      if (i > 120 || horizon.exitCode !== null) throw new Error(`Horizon did not start:\n${output.slice(-2000)}`);
      await new Promise((r) => setTimeout(r, 500));
    }
  });

  after(async () => {
    horizon?.kill('SIGTERM');
    await server?.close();
    await op?.close();
    await samlIdp?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /**
   * The IdP's login form filled and submitted (with `mayAskConsent`, the OP's consent page too if it comes; the SAML IdP's
   * pages post on by themselves, nothing to look at in between), then Horizon's project page: its text.
   */
  async function signInAtIdp(page: Page, login: string, password: string, mayAskConsent: boolean): Promise<string> {
    await page.type('input[name=login]', login);
    await page.type('input[name=password]', password);
    await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), page.click('button[type=submit]')]);
    if (mayAskConsent && (await page.$('input[name=prompt][value=consent]')))
      await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), page.click('button[type=submit]')]);
    // The project page's text, read in the same evaluation that sees it loaded: between a navigation's commit
    // and its parse the document has no body yet (CI once read `null.innerText` there).
    const text = await page.waitForFunction(
      (origin: string) =>
        location.origin === origin &&
        location.pathname.startsWith('/project') &&
        document.readyState === 'complete' &&
        document.body !== null &&
        document.body.innerText,
      { timeout: 60_000 },
      horizonUrl,
    );
    return String(await text.jsonValue());
  }

  test('OpenID Connect on the login page ends signed in on the project page', async () => {
    const browser = await puppeteer.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-gpu'] });
    try {
      const page = await browser.newPage();
      const visited: string[] = [];
      page.on('framenavigated', (frame) => {
        if (frame === page.mainFrame()) visited.push(frame.url());
      });
      await page.goto(`${horizonUrl}/auth/login/`, { waitUntil: 'load' });
      assert.equal(await page.$eval('#id_auth_type', (e) => (e as HTMLSelectElement).value), 'openid');
      await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), page.click('#loginBtn')]);
      await page.waitForSelector('input[name=login]', { timeout: 30_000 });
      const text = await signInAtIdp(page, 'alice', 'alice-secret', true);
      assert.match(text, /\balice\b/);
      assert.match(text, /horizon-project/);
      assert.ok(
        visited.some((u) =>
          u.startsWith(`${server.publicUrl}/v3/auth/OS-FEDERATION/identity_providers/keycloak/protocols/openid/websso/callback?`),
        ),
      );
      assert.ok(visited.some((u) => u.startsWith(op.issuer)));
    } finally {
      await browser.close();
    }
  });

  test('SAML on the login page ends signed in on the project page, through the cross-site POST posted again', async () => {
    const browser = await puppeteer.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--host-resolver-rules=MAP saml-idp.test 127.0.0.1'],
    });
    try {
      const page = await browser.newPage();
      const visited: string[] = [];
      const posts: string[] = [];
      page.on('framenavigated', (frame) => {
        if (frame === page.mainFrame()) visited.push(frame.url());
      });
      page.on('request', (request) => {
        if (request.isNavigationRequest() && request.method() === 'POST') posts.push(request.url());
      });
      await page.goto(`${horizonUrl}/auth/login/`, { waitUntil: 'load' });
      await page.select('#id_auth_type', 'saml2');
      await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), page.click('#loginBtn')]);
      await page.waitForSelector('input[name=login]', { timeout: 30_000 });
      assert.ok(page.url().startsWith(samlIdp.ssoUrl), page.url());
      const text = await signInAtIdp(page, 'bob', 'bob-secret', false);
      assert.match(text, /\bbob\b/);
      assert.match(text, /horizon-project/);
      // the IdP's post and this server's own post of the same form (the first carried no cookie: another site)
      const callback = `${server.publicUrl}/v3/auth/OS-FEDERATION/identity_providers/samlidp/protocols/saml2/websso/callback`;
      assert.equal(posts.filter((u) => u === callback).length, 2, posts.join('\n'));
      assert.ok(visited.some((u) => u.startsWith(samlIdp.ssoUrl)));
    } finally {
      await browser.close();
    }
  });
});
