/**
 * WebSSO behind a front proxy side by side with the real Keystone 22 (Debian's python3-keystone on the
 * machine's PostgreSQL, served by test/fixtures/keystone/serve_keystone.py, whose WSGI environment
 * holds the request headers as a front proxy's would): the same requests to both — both WebSSO URLs
 * with and without the proxy's attributes, missing, untrusted, upper-cased and doubly encoded origins,
 * unknown identity providers and remote ids, GET and POST — get the same status, content type and body
 * (the token in the page aside, which must validate on its own server; a JSON error compared as a
 * document, its media type without the charset this server adds to every JSON answer).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestServer, type TestServer } from '../helpers/test-server.js';
import { keystone22Unavailable, prepareKeystone22, type Keystone22 } from '../helpers/keystone-python.js';
import { skipUnlessCi } from '../clients/python-clients.js';
import { createTestDatabase, databaseKinds, type TestDatabase } from '../helpers/test-database.js';
import { KEYSTONE_SSO_CALLBACK_TEMPLATE } from '../../src/federation/sso-callback-template.js';

const ADMIN_PASSWORD = 'websso-admin-secret';
const DASHBOARD = 'https://dashboard.example.test/auth/websso/';
const ISSUER = 'https://sso.example.test/realms/cloud';
const PROXY = { 'OIDC-iss': ISSUER, 'OIDC-preferred_username': 'erin', 'OIDC-email': 'erin@example.test' };
const WEBSSO = '/v3/auth/OS-FEDERATION/websso';
const PER_IDP = '/v3/auth/OS-FEDERATION/identity_providers/proxyidp/protocols/openid/websso';
const q = (origin: string) => `?origin=${encodeURIComponent(origin)}`;

interface Step {
  method: string;
  path: string;
  headers?: Record<string, string>;
}

const STEPS: Step[] = [
  { method: 'GET', path: `${WEBSSO}/openid${q(DASHBOARD)}`, headers: PROXY },
  { method: 'POST', path: `${WEBSSO}/openid${q(DASHBOARD)}`, headers: PROXY },
  { method: 'GET', path: `${PER_IDP}${q(DASHBOARD)}`, headers: PROXY },
  { method: 'POST', path: `${PER_IDP}${q(DASHBOARD)}`, headers: PROXY },
  { method: 'GET', path: `${WEBSSO}/openid`, headers: PROXY },
  { method: 'GET', path: `${WEBSSO}/openid?origin=`, headers: PROXY },
  { method: 'GET', path: PER_IDP, headers: PROXY },
  { method: 'GET', path: `${WEBSSO}/openid${q(DASHBOARD)}` },
  { method: 'GET', path: `${WEBSSO}/saml2${q(DASHBOARD)}`, headers: PROXY },
  { method: 'GET', path: `${WEBSSO}/openid${q('https://evil.example.test/')}`, headers: PROXY },
  { method: 'GET', path: `${PER_IDP}${q('https://evil.example.test/')}`, headers: PROXY },
  { method: 'GET', path: `${PER_IDP}${q(DASHBOARD.replace('dashboard', 'DASHBOARD'))}`, headers: PROXY },
  { method: 'GET', path: `${PER_IDP}${q(encodeURIComponent(DASHBOARD))}`, headers: PROXY },
  { method: 'GET', path: `${PER_IDP}${q(DASHBOARD).replace(/%3A/g, '%3a')}`, headers: PROXY },
  { method: 'GET', path: `${WEBSSO}/openid${q(DASHBOARD)}`, headers: { ...PROXY, 'OIDC-iss': 'https://elsewhere.example.test' } },
  { method: 'GET', path: `${PER_IDP}${q(DASHBOARD)}`, headers: { ...PROXY, 'OIDC-iss': 'https://elsewhere.example.test' } },
  { method: 'GET', path: `/v3/auth/OS-FEDERATION/identity_providers/nope/protocols/openid/websso${q(DASHBOARD)}`, headers: PROXY },
  { method: 'GET', path: `/v3/auth/OS-FEDERATION/identity_providers/proxyidp/protocols/nope/websso${q(DASHBOARD)}`, headers: PROXY },
];

const SETUP: Array<{ path: string; body: unknown }> = [
  { path: '/v3/OS-FEDERATION/identity_providers/proxyidp', body: { identity_provider: { enabled: true, remote_ids: [ISSUER] } } },
  {
    path: '/v3/OS-FEDERATION/mappings/proxy-mapping',
    body: {
      mapping: {
        rules: [
          {
            local: [{ user: { name: '{0}', email: '{1}' } }],
            remote: [{ type: 'HTTP_OIDC_PREFERRED_USERNAME' }, { type: 'HTTP_OIDC_EMAIL' }],
          },
        ],
      },
    },
  },
  { path: '/v3/OS-FEDERATION/identity_providers/proxyidp/protocols/openid', body: { protocol: { mapping_id: 'proxy-mapping' } } },
];

interface Answer {
  status: number;
  type: string | null;
  body: unknown;
}

async function adminToken(url: string): Promise<string> {
  const res = await fetch(`${url}/v3/auth/tokens`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({
      auth: {
        identity: { methods: ['password'], password: { user: { name: 'admin', domain: { id: 'default' }, password: ADMIN_PASSWORD } } },
        scope: { project: { name: 'admin', domain: { id: 'default' } } },
      },
    }),
  });
  await res.arrayBuffer();
  assert.equal(res.status, 201);
  return res.headers.get('x-subject-token') as string;
}

/** Runs the set-up and the steps on one server; a page's token is checked to validate there, then replaced by <token>. */
async function runSteps(url: string): Promise<Answer[]> {
  const admin = await adminToken(url);
  for (const { path, body } of SETUP) {
    const res = await fetch(`${url}${path}`, {
      method: 'PUT',
      headers: { 'X-Auth-Token': admin, 'Content-Type': 'application/json' },
      body: JSON.stringify(body),
    });
    assert.equal(res.status, 201, await res.text());
  }
  const answers: Answer[] = [];
  for (const step of STEPS) {
    const res = await fetch(`${url}${step.path}`, { method: step.method, headers: step.headers, redirect: 'manual' });
    let body = await res.text();
    const token = /name="token" id="token" value="([^"]+)"/.exec(body)?.[1];
    if (token) {
      const v = await fetch(`${url}/v3/auth/tokens`, { headers: { 'X-Auth-Token': admin, 'X-Subject-Token': token } });
      const validated = (await v.json()) as { token: { user: { name: string } } };
      assert.equal(v.status, 200);
      assert.equal(validated.token.user.name, 'erin');
      body = body.split(token).join('<token>');
    }
    // JSON errors: the same document (Keystone ends it with a newline, orders keys its way, and names no charset)
    const type = res.headers.get('content-type');
    const json = type?.startsWith('application/json') ?? false;
    answers.push({
      status: res.status,
      type: json ? 'application/json' : type,
      body: json ? (JSON.parse(body) as unknown) : body.split(url).join('<url>'),
    });
  }
  return answers;
}

const reason =
  keystone22Unavailable() ??
  (databaseKinds().includes('postgres') ? false : 'Keystone 22 runs on PostgreSQL here: CI=true or KEYSTONE_TEST_POSTGRES=1');

describe('WebSSO behind a front proxy side by side with Keystone 22', { skip: skipUnlessCi(reason) }, () => {
  let server: TestServer;
  let keystone: Keystone22;
  let database: TestDatabase | undefined;
  let keystoneApi: { url: string; stop(): Promise<void> } | undefined;
  let dir: string;

  before(async () => {
    assert.equal(reason, false, `${reason} (required when CI=true)`);
    dir = mkdtempSync(join(tmpdir(), 'keystone-websso22-'));
    const template = join(dir, 'sso_callback_template.html');
    writeFileSync(template, KEYSTONE_SSO_CALLBACK_TEMPLATE);
    server = await startTestServer({
      adminPassword: ADMIN_PASSWORD,
      config: {
        auth: { methods: ['password', 'token', 'openid', 'mapped'] },
        openid: { remote_id_attribute: 'HTTP_OIDC_ISS' },
        federation: { trusted_dashboard: [DASHBOARD], sso_callback_template: template, trusted_proxies: ['127.0.0.1'] },
      },
    });
    database = await createTestDatabase('postgres');
    const url = new URL(database.connection);
    keystone = await prepareKeystone22(`postgresql+psycopg2://${url.username}@${url.host}${url.pathname}`, {
      adminPassword: ADMIN_PASSWORD,
    });
    appendFileSync(
      keystone.configFile,
      [
        '[auth]',
        'methods = password,token,openid,mapped',
        '[openid]',
        'remote_id_attribute = HTTP_OIDC_ISS',
        '[federation]',
        `trusted_dashboard = ${DASHBOARD}`,
        `sso_callback_template = ${template}`,
        '',
      ].join('\n'),
    );
    keystoneApi = await keystone.serve();
  });
  after(async () => {
    await keystoneApi?.stop();
    keystone?.remove();
    await database?.close();
    await server?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('the same status, content type and body for every request', async () => {
    const ours = await runSteps(server.publicUrl);
    const theirs = await runSteps((keystoneApi as { url: string }).url);
    const differences: string[] = [];
    STEPS.forEach((step, i) => {
      try {
        assert.deepEqual(ours[i], theirs[i]);
      } catch {
        differences.push(`${step.method} ${step.path}: ours ${JSON.stringify(ours[i])}, Keystone 22 ${JSON.stringify(theirs[i])}`);
      }
    });
    assert.deepEqual(differences, []);
  });
});
