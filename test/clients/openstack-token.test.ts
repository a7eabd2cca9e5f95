/** python-openstackclient: `openstack token issue`, `token revoke`, `catalog list` against this server. */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestServer, type TestServer } from '../helpers/test-server.js';
import { validateToken, adminToken } from '../helpers/tokens.js';
import { OPENSTACK, adminClientEnv, assertOk, catalogAtServer, run, skipUnlessCi } from './python-clients.js';

const reason = existsSync(OPENSTACK) ? false : `${OPENSTACK} is not installed (apt-get install python3-openstackclient)`;

describe('python-openstackclient: token issue, token revoke, catalog list', { skip: skipUnlessCi(reason) }, () => {
  let server: TestServer;
  let home: string;
  let env: Record<string, string>;
  before(async () => {
    assert.equal(reason, false, `${reason} (required when CI=true)`);
    server = await startTestServer();
    await catalogAtServer(server);
    home = mkdtempSync(join(tmpdir(), 'keystone-osc-token-'));
    env = adminClientEnv(server, home);
  });
  after(async () => {
    await server?.close();
    if (home) rmSync(home, { recursive: true, force: true });
  });

  test('openstack token issue: a token that validates, with the user and project', async () => {
    const issued = JSON.parse(assertOk(await run(OPENSTACK, ['token', 'issue', '-f', 'json'], env), 'openstack token issue'));
    assert.match(issued.id, /^gAAAAA/);
    assert.equal(issued.user_id, server.bootstrap.userId);
    assert.equal(issued.project_id, server.bootstrap.projectId);
    assert.ok(Date.parse(issued.expires) > Date.now());
    const v = await validateToken(server, await adminToken(server), issued.id);
    assert.equal(v.status, 200);
  });

  test('openstack catalog list: the identity service with its three endpoints', async () => {
    const catalog = JSON.parse(assertOk(await run(OPENSTACK, ['catalog', 'list', '-f', 'json'], env), 'openstack catalog list'));
    const identity = catalog.find((s: { Type: string }) => s.Type === 'identity');
    assert.ok(identity, JSON.stringify(catalog));
    assert.equal(identity.Name, 'keystone');
    const text = JSON.stringify(identity.Endpoints);
    for (const iface of ['public', 'internal', 'admin']) assert.ok(text.includes(iface), text);
    assert.ok(text.includes(server.publicUrl), text);
  });

  test('openstack token revoke: the token stops validating', async () => {
    const issued = JSON.parse(assertOk(await run(OPENSTACK, ['token', 'issue', '-f', 'json'], env), 'openstack token issue'));
    assertOk(await run(OPENSTACK, ['token', 'revoke', issued.id], env), 'openstack token revoke');
    const v = await validateToken(server, await adminToken(server), issued.id);
    assert.equal(v.status, 404);
  });

  test('a wrong password: the client reports the 401', async () => {
    const r = await run(OPENSTACK, ['token', 'issue', '-f', 'json'], { ...env, OS_PASSWORD: 'wrong' });
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /requires authentication|HTTP 401/);
  });
});
