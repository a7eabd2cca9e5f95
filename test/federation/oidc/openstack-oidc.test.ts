/**
 * End to end: python-openstackclient with keystoneauth1's OpenID Connect plugins, unchanged, against
 * the real OpenID Provider of test/helpers/oidc-provider.ts and this server. keystoneauth1 gets an
 * access token at the OP (client credentials, password grant, an authorization code it exchanges — the
 * code got by a user signing in at the OP's login and consent pages — or one handed to it), posts it as a
 * bearer token to /v3/OS-FEDERATION/identity_providers/{idp}/protocols/openid/auth, and rescopes the
 * unscoped federated token to the project its mapped group has a role on: `openstack token issue`
 * prints the project-scoped token, which validates.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestServer, type TestServer } from '../../helpers/test-server.js';
import { adminToken, validateToken } from '../../helpers/tokens.js';
import { startOpenIdProvider, type TestOpenIdProvider } from '../../helpers/oidc-provider.js';
import { OPENSTACK, assertOk, catalogAtServer, clientEnv, run, skipUnlessCi } from '../../clients/python-clients.js';
import { FormBrowser, isStop } from '../../helpers/form-browser.js';

const reason = existsSync(OPENSTACK) ? false : `${OPENSTACK} is not installed (apt-get install python3-openstackclient)`;
const IDP = 'keycloak';

describe('openstack --os-auth-type v3oidc*: a project-scoped token through a mapping', { skip: skipUnlessCi(reason) }, () => {
  let server: TestServer;
  let op: TestOpenIdProvider;
  let home: string;
  let projectId: string;

  before(async () => {
    assert.equal(reason, false, `${reason} (required when CI=true)`);
    op = await startOpenIdProvider();
    server = await startTestServer({
      config: {
        auth: { methods: ['password', 'token', 'openid', 'application_credential'] },
        openid: { audience: [op.audience] },
      },
    });
    await catalogAtServer(server);
    home = mkdtempSync(join(tmpdir(), 'keystone-osc-oidc-'));
    const { providers } = server;
    const group = await providers.identity_api.createGroup({ name: 'oidc-users', domainId: 'default' });
    projectId = (await providers.resource_api.createProject({ name: 'oidc-project', domainId: 'default' })).id;
    const member = (await providers.role_api.listRoles({ name: 'member' }))[0];
    await providers.assignment_api.createGrant(member.id, { groupId: group.id }, { projectId });
    await providers.federation_api.createIdentityProvider(IDP, { remote_ids: [op.issuer], enabled: true });
    await providers.federation_api.createMapping('keycloak-users', {
      rules: [{ local: [{ user: { name: '{0}' } }, { group: { id: group.id } }], remote: [{ type: 'OIDC-preferred_username' }] }],
    });
    await providers.federation_api.createProtocol(IDP, 'openid', { mapping_id: 'keycloak-users' });
  });
  after(async () => {
    await server?.close();
    await op?.close();
    if (home) rmSync(home, { recursive: true, force: true });
  });

  function env(authType: string, extra: Record<string, string>): Record<string, string> {
    return {
      ...clientEnv(home),
      OS_AUTH_TYPE: authType,
      OS_AUTH_URL: `${server.publicUrl}/v3`,
      OS_IDENTITY_API_VERSION: '3',
      OS_INTERFACE: 'public',
      OS_IDENTITY_PROVIDER: IDP,
      OS_PROTOCOL: 'openid',
      OS_PROJECT_NAME: 'oidc-project',
      OS_PROJECT_DOMAIN_NAME: 'Default',
      ...extra,
    };
  }

  async function issue(authType: string, extra: Record<string, string>): Promise<{ id: string; user_id: string; project_id: string }> {
    const out = assertOk(
      await run(OPENSTACK, ['token', 'issue', '-f', 'json'], env(authType, extra)),
      `openstack (${authType}) token issue`,
    );
    const issued = JSON.parse(out) as { id: string; user_id: string; project_id: string };
    assert.equal(issued.project_id, projectId);
    const v = await validateToken(server, await adminToken(server), issued.id);
    assert.equal(v.status, 200);
    assert.equal(v.body.token.project.id, projectId);
    assert.equal(v.body.token.user['OS-FEDERATION'].identity_provider.id, IDP);
    assert.ok(v.body.token.roles.some((r: { name: string }) => r.name === 'member'));
    return issued;
  }

  test('v3oidcclientcredentials', async () => {
    const issued = await issue('v3oidcclientcredentials', {
      OS_CLIENT_ID: op.clients.cli.clientId,
      OS_CLIENT_SECRET: op.clients.cli.clientSecret,
      OS_DISCOVERY_ENDPOINT: op.discoveryUrl,
    });
    const user = await server.providers.identity_api.getUser(issued.user_id);
    assert.equal(user.name, `service-account-${op.clients.cli.clientId}`);
  });

  test('v3oidcpassword', async () => {
    const issued = await issue('v3oidcpassword', {
      OS_CLIENT_ID: op.clients.cli.clientId,
      OS_CLIENT_SECRET: op.clients.cli.clientSecret,
      OS_DISCOVERY_ENDPOINT: op.discoveryUrl,
      OS_USERNAME: 'alice',
      OS_PASSWORD: 'alice-secret',
    });
    assert.equal((await server.providers.identity_api.getUser(issued.user_id)).name, 'alice');
  });

  test('v3oidcauthcode: the code of a sign-in at the OP, exchanged by keystoneauth1', async () => {
    const redirectUri = 'http://127.0.0.1/cli-callback';
    const { authorization_endpoint: endpoint } = (await (await fetch(op.discoveryUrl)).json()) as { authorization_endpoint: string };
    const authorization = new URL(endpoint);
    const query = {
      client_id: op.clients.cli.clientId,
      response_type: 'code',
      redirect_uri: redirectUri,
      scope: 'openid profile',
      state: 'osc',
    };
    for (const [name, value] of Object.entries(query)) authorization.searchParams.set(name, value);
    const held = await new FormBrowser().go(authorization.toString(), {
      fill: { login: 'bob', password: 'bob-secret' },
      stopAt: (u) => u.toString().startsWith(redirectUri),
    });
    assert.ok(isStop(held), 'the OP sent the browser back with a code');
    const code = new URL(held.stoppedAt).searchParams.get('code') ?? '';
    assert.ok(code);
    const issued = await issue('v3oidcauthcode', {
      OS_CLIENT_ID: op.clients.cli.clientId,
      OS_CLIENT_SECRET: op.clients.cli.clientSecret,
      OS_DISCOVERY_ENDPOINT: op.discoveryUrl,
      OS_REDIRECT_URI: redirectUri,
      OS_CODE: code,
    });
    assert.equal((await server.providers.identity_api.getUser(issued.user_id)).name, 'bob');
  });

  test('v3oidcaccesstoken (ES256)', async () => {
    const issued = await issue('v3oidcaccesstoken', { OS_ACCESS_TOKEN: await op.accessToken(op.clients.es, 'client_credentials') });
    assert.equal((await server.providers.identity_api.getUser(issued.user_id)).name, `service-account-${op.clients.es.clientId}`);
  });

  test('a forged access token: the client reports the 401', async () => {
    const good = await op.accessToken(op.clients.cli, 'client_credentials');
    const [h, p, s] = good.split('.');
    const claims = JSON.parse(Buffer.from(p, 'base64url').toString()) as Record<string, unknown>;
    const forged = `${h}.${Buffer.from(JSON.stringify({ ...claims, preferred_username: 'admin' })).toString('base64url')}.${s}`;
    const r = await run(OPENSTACK, ['token', 'issue', '-f', 'json'], env('v3oidcaccesstoken', { OS_ACCESS_TOKEN: forged }));
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /requires authentication|HTTP 401/);
  });
});
