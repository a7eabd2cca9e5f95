/**
 * python-openstackclient against trusts, application credentials and access
 * rules: `openstack trust create/list/show/delete`, a trustee's token
 * through the trust (--os-trust-id), `openstack application credential
 * create/list/show/delete`, `openstack access rule list/show/delete`, and
 * a token from an application credential (keystoneauth's
 * v3applicationcredential plugin). With CI=true a missing client fails the
 * test; elsewhere it is skipped with the reason.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestServer, type TestServer } from '../helpers/test-server.js';
import { validateToken, adminToken } from '../helpers/tokens.js';
import { OPENSTACK, assertOk, catalogAtServer, clientEnv, OpenstackRunner, skipUnlessCi } from './python-clients.js';

const reason = existsSync(OPENSTACK) ? false : `${OPENSTACK} is not installed (apt-get install python3-openstackclient)`;
type Row = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

describe('python-openstackclient: trusts, application credentials, access rules', { skip: skipUnlessCi(reason) }, () => {
  let server: TestServer;
  let home: string;
  let base: Record<string, string>;
  let admin: Record<string, string>;
  const trusteePassword = 'trustee-secret-1';

  before(async () => {
    assert.equal(reason, false, `${reason} (required when CI=true)`);
    server = await startTestServer();
    await catalogAtServer(server);
    home = mkdtempSync(join(tmpdir(), 'keystone-osc-trust-'));
    base = {
      ...clientEnv(home),
      OS_AUTH_URL: `${server.publicUrl}/v3`,
      OS_IDENTITY_API_VERSION: '3',
      OS_INTERFACE: 'public',
      OS_REGION_NAME: 'RegionOne',
    };
    admin = {
      ...base,
      OS_USERNAME: 'admin',
      OS_PASSWORD: server.adminPassword,
      OS_PROJECT_NAME: 'admin',
      OS_USER_DOMAIN_NAME: 'Default',
      OS_PROJECT_DOMAIN_NAME: 'Default',
    };
    await server.providers.identity_api.createUser({ name: 'trustee', domainId: server.bootstrap.domainId, password: trusteePassword });
  });
  const runner = new OpenstackRunner();
  after(async () => {
    runner.close();
    await server?.close();
    if (home) rmSync(home, { recursive: true, force: true });
  });

  const osc = async (args: string[], env = admin): Promise<string> => assertOk(await runner.run(args, env), `openstack ${args.join(' ')}`);
  const json = async (args: string[], env = admin): Promise<any> => JSON.parse(await osc([...args, '-f', 'json'], env)); // eslint-disable-line @typescript-eslint/no-explicit-any

  test('openstack trust create/list/show/delete, and a token through the trust', async () => {
    const expiration = new Date(Date.now() + 3600_000).toISOString().slice(0, 19);
    const trust = await json([
      'trust',
      'create',
      '--project',
      'admin',
      '--role',
      'member',
      '--impersonate',
      '--expiration',
      expiration,
      'admin',
      'trustee',
    ]);
    assert.equal(trust.trustor_user_id, server.bootstrap.userId);
    assert.equal(trust.project_id, server.bootstrap.projectId);
    assert.equal(trust.impersonation, true);
    assert.match(String(trust.roles), /member/);

    const listed: Row[] = await json(['trust', 'list']);
    assert.ok(listed.some((t) => t.ID === trust.id));
    const shown = await json(['trust', 'show', trust.id]);
    assert.equal(shown.id, trust.id);
    assert.equal(shown.trustee_user_id, trust.trustee_user_id);

    const trustee = {
      ...base,
      OS_USERNAME: 'trustee',
      OS_PASSWORD: trusteePassword,
      OS_USER_DOMAIN_NAME: 'Default',
      OS_TRUST_ID: trust.id,
    };
    const issued = await json(['token', 'issue'], trustee);
    assert.equal(issued.project_id, server.bootstrap.projectId);
    const checked = await validateToken(server, await adminToken(server), issued.id);
    assert.equal(checked.status, 200);
    assert.equal(checked.body.token['OS-TRUST:trust'].id, trust.id);
    // impersonation: the token speaks for the trustor
    assert.equal(checked.body.token.user.id, server.bootstrap.userId);

    await osc(['trust', 'delete', trust.id]);
    assert.ok(!((await json(['trust', 'list'])) as Row[]).some((t) => t.ID === trust.id));
    assert.equal((await validateToken(server, await adminToken(server), issued.id)).status, 404);
  });

  test('openstack application credential and access rule commands, and a token from the credential', async () => {
    const rules = JSON.stringify([{ service: 'identity', method: 'GET', path: '/v3/projects' }]);
    const cred = await json([
      'application',
      'credential',
      'create',
      'ci',
      '--role',
      'member',
      '--description',
      'for CI',
      '--access-rules',
      rules,
    ]);
    assert.equal(cred.name, 'ci');
    assert.equal(cred.project_id, server.bootstrap.projectId);
    assert.ok(typeof cred.secret === 'string' && cred.secret.length > 20);

    const listed: Row[] = await json(['application', 'credential', 'list']);
    assert.deepEqual(
      listed.map((c) => c.Name),
      ['ci'],
    );
    const shown = await json(['application', 'credential', 'show', 'ci']);
    assert.equal(shown.id, cred.id);
    assert.equal(shown.description, 'for CI');

    const accessRules: Row[] = await json(['access', 'rule', 'list']);
    assert.equal(accessRules.length, 1);
    assert.equal(accessRules[0].Service, 'identity');
    const ruleId = String(accessRules[0].ID);
    const rule = await json(['access', 'rule', 'show', ruleId]);
    assert.equal(rule.path, '/v3/projects');

    const withCred = {
      ...base,
      OS_AUTH_TYPE: 'v3applicationcredential',
      OS_APPLICATION_CREDENTIAL_ID: cred.id,
      OS_APPLICATION_CREDENTIAL_SECRET: cred.secret,
    };
    const issued = await json(['token', 'issue'], withCred);
    assert.equal(issued.project_id, server.bootstrap.projectId);
    assert.equal(issued.user_id, server.bootstrap.userId);

    // in use: the rule stays until its credential goes
    const refused = await runner.run(['access', 'rule', 'delete', ruleId], admin);
    assert.notEqual(refused.code, 0);
    await osc(['application', 'credential', 'delete', 'ci']);
    assert.deepEqual(await json(['application', 'credential', 'list']), []);
    await osc(['access', 'rule', 'delete', ruleId]);
    assert.deepEqual(await json(['access', 'rule', 'list']), []);
  });
});
