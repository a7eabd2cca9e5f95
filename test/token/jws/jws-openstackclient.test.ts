/** python-openstackclient (keystoneauth1) with JWS tokens: token issue, a call made with the token, token revoke. */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestServer, type TestServer } from '../../helpers/test-server.js';
import { adminToken, validateToken } from '../../helpers/tokens.js';
import { OPENSTACK, adminClientEnv, assertOk, catalogAtServer, run, skipUnlessCi } from '../../clients/python-clients.js';
import { createJwsKeypair } from '../../../src/token/jws/jws-keypair.js';

const reason = existsSync(OPENSTACK) ? false : `${OPENSTACK} is not installed (apt-get install python3-openstackclient)`;

describe('python-openstackclient with [token] provider = jws', { skip: skipUnlessCi(reason) }, () => {
  let server: TestServer;
  let dir: string;
  let env: Record<string, string>;
  before(async () => {
    assert.equal(reason, false, `${reason} (required when CI=true)`);
    dir = mkdtempSync(join(tmpdir(), 'jws-osc-'));
    mkdirSync(join(dir, 'public'));
    mkdirSync(join(dir, 'home'));
    createJwsKeypair(join(dir, 'private.pem'), join(dir, 'public', 'public.pem'));
    server = await startTestServer({
      config: {
        token: { provider: 'jws' },
        jwt_tokens: { jws_public_key_repository: join(dir, 'public'), jws_private_key_repository: dir },
      },
    });
    await catalogAtServer(server);
    env = adminClientEnv(server, join(dir, 'home'));
  });
  after(async () => {
    await server?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('token issue gives an ES256 JWT that validates; a call with it works; token revoke ends it', async () => {
    const issued = JSON.parse(assertOk(await run(OPENSTACK, ['token', 'issue', '-f', 'json'], env), 'openstack token issue')) as {
      id: string;
      user_id: string;
      project_id: string;
    };
    assert.equal(issued.id.split('.')[0], 'eyJhbGciOiJFUzI1NiIsInR5cCI6IkpXVCJ9');
    assert.equal(issued.user_id, server.bootstrap.userId);
    assert.equal(issued.project_id, server.bootstrap.projectId);
    const admin = await adminToken(server);
    assert.equal((await validateToken(server, admin, issued.id)).status, 200);
    const tokenEnv = {
      ...env,
      OS_AUTH_TYPE: 'token',
      OS_TOKEN: issued.id,
      OS_USERNAME: '',
      OS_PASSWORD: '',
      OS_USER_DOMAIN_NAME: '',
    };
    const projects = JSON.parse(assertOk(await run(OPENSTACK, ['project', 'list', '-f', 'json'], tokenEnv), 'openstack project list')) as {
      Name: string;
    }[];
    assert.ok(
      projects.some((p) => p.Name === 'admin'),
      JSON.stringify(projects),
    );
    assertOk(await run(OPENSTACK, ['token', 'revoke', issued.id], env), 'openstack token revoke');
    assert.equal((await validateToken(server, admin, issued.id)).status, 404);
  });
});
