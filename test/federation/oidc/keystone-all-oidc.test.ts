/**
 * The operator's path, end to end: keystone-all (workers, embedded database) configured for native
 * OpenID Connect; the identity provider, mapping and protocol made through the OS-FEDERATION API with
 * `openstack` as the admin; then `openstack --os-auth-type v3oidcclientcredentials` and
 * `v3oidcpassword` (keystoneauth1 unchanged) get project-scoped tokens from the test OP's access
 * tokens, and a forged one is refused.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startKeystone, type KeystoneProcess } from '../../helpers/keystone-process.js';
import { startOpenIdProvider, type TestOpenIdProvider } from '../../helpers/oidc-provider.js';
import { OPENSTACK, assertOk, clientEnv, run, skipUnlessCi } from '../../clients/python-clients.js';

const reason = existsSync(OPENSTACK) ? false : `${OPENSTACK} is not installed (apt-get install python3-openstackclient)`;

describe('keystone-all: openstack signs in through an OpenID Provider', { skip: skipUnlessCi(reason) }, () => {
  let keystone: KeystoneProcess;
  let op: TestOpenIdProvider;
  let home: string;

  function adminEnv(): Record<string, string> {
    return {
      ...clientEnv(home),
      OS_AUTH_URL: `${keystone.publicUrl}/v3`,
      OS_IDENTITY_API_VERSION: '3',
      OS_INTERFACE: 'public',
      OS_USERNAME: 'admin',
      OS_PASSWORD: keystone.adminPassword,
      OS_PROJECT_NAME: 'admin',
      OS_USER_DOMAIN_NAME: 'Default',
      OS_PROJECT_DOMAIN_NAME: 'Default',
    };
  }

  async function admin(args: string[]): Promise<string> {
    return assertOk(await run(OPENSTACK, args, adminEnv()), `openstack ${args.join(' ')}`);
  }

  before(async () => {
    assert.equal(reason, false, `${reason} (required when CI=true)`);
    op = await startOpenIdProvider();
    home = mkdtempSync(join(tmpdir(), 'keystone-all-oidc-'));
    keystone = await startKeystone({
      config: {
        auth: { methods: ['password', 'token', 'openid', 'application_credential'] },
        openid: { audience: [op.audience] },
      },
    });
    const rules = join(home, 'rules.json');
    writeFileSync(
      rules,
      JSON.stringify([
        {
          local: [{ user: { name: '{0}' } }, { group: { name: 'oidc-users', domain: { name: 'Default' } } }],
          remote: [{ type: 'OIDC-preferred_username' }],
        },
      ]),
    );
    await admin(['project', 'create', '--domain', 'Default', 'oidc-project']);
    await admin(['group', 'create', '--domain', 'Default', 'oidc-users']);
    await admin(['role', 'add', '--group', 'oidc-users', '--group-domain', 'Default', '--project', 'oidc-project', 'member']);
    await admin(['identity', 'provider', 'create', '--remote-id', op.issuer, 'keycloak']);
    await admin(['mapping', 'create', '--rules', rules, 'keycloak-users']);
    await admin(['federation', 'protocol', 'create', '--identity-provider', 'keycloak', '--mapping', 'keycloak-users', 'openid']);
  });
  after(async () => {
    await keystone?.stop();
    await op?.close();
    if (home) rmSync(home, { recursive: true, force: true });
  });

  function oidcEnv(authType: string, extra: Record<string, string>): Record<string, string> {
    return {
      ...clientEnv(home),
      OS_AUTH_TYPE: authType,
      OS_AUTH_URL: `${keystone.publicUrl}/v3`,
      OS_IDENTITY_API_VERSION: '3',
      OS_INTERFACE: 'public',
      OS_IDENTITY_PROVIDER: 'keycloak',
      OS_PROTOCOL: 'openid',
      OS_DISCOVERY_ENDPOINT: op.discoveryUrl,
      OS_CLIENT_ID: op.clients.cli.clientId,
      OS_CLIENT_SECRET: op.clients.cli.clientSecret,
      OS_PROJECT_NAME: 'oidc-project',
      OS_PROJECT_DOMAIN_NAME: 'Default',
      ...extra,
    };
  }

  test('v3oidcclientcredentials and v3oidcpassword: project-scoped tokens of the mapped users', async () => {
    const projectId = JSON.parse(await admin(['project', 'show', 'oidc-project', '-f', 'json'])).id as string;
    for (const [authType, extra, name] of [
      ['v3oidcclientcredentials', {}, `service-account-${op.clients.cli.clientId}`],
      ['v3oidcpassword', { OS_USERNAME: 'bob', OS_PASSWORD: 'bob-secret' }, 'bob'],
    ] as const) {
      const out = assertOk(await run(OPENSTACK, ['token', 'issue', '-f', 'json'], oidcEnv(authType, extra)), `${authType} token issue`);
      const issued = JSON.parse(out) as { id: string; project_id: string; user_id: string };
      assert.equal(issued.project_id, projectId, authType);
      const user = JSON.parse(await admin(['user', 'show', issued.user_id, '-f', 'json'])) as { name: string };
      assert.equal(user.name, name, authType);
    }
  });

  test('a forged access token: 401', async () => {
    const good = await op.accessToken(op.clients.cli, 'client_credentials');
    const [h, p, s] = good.split('.');
    const claims = JSON.parse(Buffer.from(p, 'base64url').toString()) as Record<string, unknown>;
    const forged = `${h}.${Buffer.from(JSON.stringify({ ...claims, preferred_username: 'admin' })).toString('base64url')}.${s}`;
    const r = await run(OPENSTACK, ['token', 'issue', '-f', 'json'], oidcEnv('v3oidcaccesstoken', { OS_ACCESS_TOKEN: forged }));
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /requires authentication|HTTP 401/);
  });
});
