/**
 * python-openstackclient against credentials: `openstack credential
 * create/list/show/set/delete` and `openstack ec2 credentials
 * create/list/show/delete`, as a new user would type them, and the EC2
 * credential made by the CLI exchanged for a token. With CI=true a missing
 * client fails the test; elsewhere it is skipped with the reason.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestServer, type TestServer } from '../helpers/test-server.js';
import { call, expectStatus, passwordToken } from '../api/identity-resource-fixtures.js';
import { generateEc2Signature } from '../../src/credential/ec2-signature.js';
import { OPENSTACK, adminClientEnv, assertOk, catalogAtServer, OpenstackRunner, skipUnlessCi } from './python-clients.js';

const reason = existsSync(OPENSTACK) ? false : `${OPENSTACK} is not installed (apt-get install python3-openstackclient)`;
type Row = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

describe('python-openstackclient: credentials and ec2 credentials', { skip: skipUnlessCi(reason) }, () => {
  let server: TestServer;
  let home: string;
  let admin: Record<string, string>;

  before(async () => {
    assert.equal(reason, false, `${reason} (required when CI=true)`);
    server = await startTestServer();
    await catalogAtServer(server);
    home = mkdtempSync(join(tmpdir(), 'keystone-osc-cred-'));
    admin = adminClientEnv(server, home);
  });
  const runner = new OpenstackRunner();
  after(async () => {
    runner.close();
    await server?.close();
    if (home) rmSync(home, { recursive: true, force: true });
  });

  const osc = async (args: string[]): Promise<string> => assertOk(await runner.run(args, admin), `openstack ${args.join(' ')}`);
  const json = async (args: string[]): Promise<any> => JSON.parse(await osc([...args, '-f', 'json'])); // eslint-disable-line @typescript-eslint/no-explicit-any

  test('openstack credential create/list/show/set/delete', async () => {
    const created = await json(['credential', 'create', '--type', 'cert', 'admin', 'my-certificate-data']);
    assert.equal(created.type, 'cert');
    assert.equal(created.blob, 'my-certificate-data');
    assert.equal(created.user_id, server.bootstrap.userId);
    const row = await server.db.one('SELECT encrypted_blob FROM credential WHERE id = $1', [created.id]);
    assert.ok(!row.encrypted_blob.includes('my-certificate-data'));

    const listed: Row[] = await json(['credential', 'list', '--user', 'admin', '--type', 'cert']);
    assert.deepEqual(
      listed.map((c) => c.ID),
      [created.id],
    );
    const shown = await json(['credential', 'show', created.id]);
    assert.equal(shown.blob, 'my-certificate-data');

    await osc(['credential', 'set', '--user', 'admin', '--type', 'cert', '--data', 'renewed-data', created.id]);
    assert.equal((await json(['credential', 'show', created.id])).blob, 'renewed-data');

    const ec2 = await json([
      'credential',
      'create',
      '--type',
      'ec2',
      '--project',
      'admin',
      'admin',
      JSON.stringify({ access: 'cli-access', secret: 'cli-secret' }),
    ]);
    assert.match(ec2.id, /^[0-9a-f]{64}$/);
    assert.equal(ec2.project_id, server.bootstrap.projectId);

    await osc(['credential', 'delete', created.id, ec2.id]);
    assert.deepEqual(await json(['credential', 'list']), []);
    const missing = await runner.run(['credential', 'show', created.id], admin);
    assert.notEqual(missing.code, 0);
    assert.match(missing.stderr, /Could not find credential|No credential/);
  });

  test('openstack ec2 credentials create/list/show/delete, and a token from the new key', async () => {
    const made = await json(['ec2', 'credentials', 'create', '--project', 'admin']);
    assert.match(made.access, /^[0-9a-f]{32}$/);
    assert.match(made.secret, /^[0-9a-f]{32}$/);
    assert.equal(made.project_id, server.bootstrap.projectId);
    assert.equal(made.user_id, server.bootstrap.userId);

    const listed: Row[] = await json(['ec2', 'credentials', 'list']);
    assert.deepEqual(
      listed.map((c) => c.Access),
      [made.access],
    );
    const shown = await json(['ec2', 'credentials', 'show', made.access]);
    assert.equal(shown.secret, made.secret);

    const credentials: Row = {
      access: made.access,
      host: 'localhost',
      verb: 'GET',
      path: '/',
      params: {
        SignatureVersion: '2',
        SignatureMethod: 'HmacSHA256',
        Action: 'DescribeRegions',
        AWSAccessKeyId: made.access,
        // signers always sign the time (a request without one is refused)
        Timestamp: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
      },
    };
    credentials.signature = generateEc2Signature(credentials, made.secret);
    const systemAdmin = await passwordToken(server, server.bootstrap.userId, server.adminPassword, { system: true });
    const res = await call(server, 'POST', '/v3/ec2tokens', { token: systemAdmin, body: { credentials } });
    assert.equal(expectStatus(res, 200).token.project.id, server.bootstrap.projectId);

    await osc(['ec2', 'credentials', 'delete', made.access]);
    assert.deepEqual(await json(['ec2', 'credentials', 'list']), []);
    expectStatus(
      await call(server, 'POST', '/v3/ec2tokens', { token: systemAdmin, body: { credentials } }),
      401,
      'EC2 access key not found.',
    );
  });
});
