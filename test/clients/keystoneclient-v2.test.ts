/**
 * python3-keystoneclient's v2_0 client (Debian package) against this
 * server: authenticate with username, password and tenant name on the
 * public v2.0 URL, list the caller's tenants there and every tenant on the
 * admin URL, create and delete a tenant and a user; an EC2 credential made by
 * the client and a request signed by its Ec2Signer get a token (exchanged
 * with the admin's token, as an EC2 API server exchanges with its own).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestServer, type TestServer } from '../helpers/test-server.js';
import { PYTHON, assertOk, clientEnv, pythonModulesMissing, run, skipUnlessCi } from './python-clients.js';

const reason = pythonModulesMissing(['keystoneclient.v2_0.client']);

const SCRIPT = `
import json, sys
from keystoneclient.v2_0 import client
public_url, password = sys.argv[1], sys.argv[2]
c = client.Client(username='admin', password=password, tenant_name='admin', auth_url=public_url, interface='public')
out = {'token': c.auth_token, 'tenant_id': c.tenant_id, 'user_id': c.user_id,
       'mine': sorted(t.name for t in c.tenants.list())}
a = client.Client(username='admin', password=password, tenant_name='admin', auth_url=public_url)
t = a.tenants.create('from-v2-client', description='made by keystoneclient', enabled=True)
u = a.users.create('v2-user', 'v2-user-pass', email='v2@example.org', tenant_id=t.id)
out['all'] = sorted(x.name for x in a.tenants.list())
out['user'] = {'id': u.id, 'name': u.name, 'email': u.email}
out['roles'] = sorted(r.name for r in a.roles.roles_for_user(u.id, t.id))
v = client.Client(username='v2-user', password='v2-user-pass', tenant_name='from-v2-client', auth_url=public_url, interface='public')
out['user_tenants'] = [x.name for x in v.tenants.list()]
# EC2: a credential made by the v2 client, a request signed by keystoneclient's Ec2Signer, a token for it
import datetime, urllib.request
from keystoneclient.contrib.ec2.utils import Ec2Signer
cred = v.ec2.create(u.id, t.id)
out['ec2_listed'] = [x.access for x in v.ec2.list(u.id)] == [cred.access] and v.ec2.get(u.id, cred.access).secret == cred.secret
params = {'SignatureVersion': '2', 'SignatureMethod': 'HmacSHA256', 'Action': 'DescribeInstances', 'AWSAccessKeyId': cred.access,
          'Timestamp': datetime.datetime.utcnow().strftime('%Y-%m-%dT%H:%M:%SZ')}
signed = {'access': cred.access, 'host': 'localhost:8773', 'verb': 'GET', 'path': '/services/Cloud', 'params': params}
signed['signature'] = Ec2Signer(cred.secret).generate(signed)
# as an EC2 API server does: the exchange is made with its own (service or admin) token
req = urllib.request.Request(public_url + '/ec2tokens', data=json.dumps({'credentials': signed}).encode(), headers={'Content-Type': 'application/json', 'X-Auth-Token': a.auth_token})
ec2_access = json.loads(urllib.request.urlopen(req).read())['access']
out['ec2_token'] = {'user': ec2_access['user']['id'] == u.id, 'tenant': ec2_access['token']['tenant']['id'] == t.id}
v.ec2.delete(u.id, cred.access)
out['ec2_after'] = len(v.ec2.list(u.id))
a.users.delete(u.id)
a.tenants.delete(t.id)
out['after'] = sorted(x.name for x in a.tenants.list())
print(json.dumps(out))
`;

describe('python3-keystoneclient v2_0 client', { skip: skipUnlessCi(reason) }, () => {
  let server: TestServer;
  let home: string;
  before(async () => {
    assert.equal(reason, false, `${reason} (required when CI=true)`);
    server = await startTestServer();
    await server.providers.resource_api.createProject({ name: 'other', domainId: 'default' });
    // the identity endpoints of the catalog at this server's v2.0 URLs (the client follows the catalog)
    const {
      db,
      providers: { catalog_api: catalog },
    } = server;
    await db.none("UPDATE endpoint SET url = $1 WHERE service_id = $2 AND interface IN ('public', 'internal')", [
      `${server.publicUrl}/v2.0`,
      server.bootstrap.serviceId,
    ]);
    await db.none("UPDATE endpoint SET url = $1 WHERE service_id = $2 AND interface = 'admin'", [
      `${server.adminUrl}/v2.0`,
      server.bootstrap.serviceId,
    ]);
    await catalog.invalidate();
    home = mkdtempSync(join(tmpdir(), 'keystone-v2client-'));
  });
  after(async () => {
    await server?.close();
    if (home) rmSync(home, { recursive: true, force: true });
  });

  test('authenticates, lists tenants on both URLs, manages a tenant and a user', async () => {
    const out = JSON.parse(
      assertOk(await run(PYTHON, ['-c', SCRIPT, `${server.publicUrl}/v2.0`, server.adminPassword], clientEnv(home)), 'keystoneclient v2_0'),
    );
    assert.equal(out.tenant_id, server.bootstrap.projectId);
    assert.equal(out.user_id, server.bootstrap.userId);
    assert.deepEqual(out.mine, ['admin']);
    assert.deepEqual(out.all, ['admin', 'from-v2-client', 'other']);
    assert.deepEqual(out.user.name, 'v2-user');
    assert.deepEqual(out.user.email, 'v2@example.org');
    // Keystone Pike: a user created with a tenantId gets the implicit member role ([DEFAULT] member_role_name, _member_)
    assert.ok(out.roles.includes('_member_'), JSON.stringify(out.roles));
    assert.deepEqual(out.user_tenants, ['from-v2-client']);
    assert.deepEqual(out.after, ['admin', 'other']);
    assert.equal(out.ec2_listed, true);
    assert.deepEqual(out.ec2_token, { user: true, tenant: true });
    assert.equal(out.ec2_after, 0);
    const v3 = await fetch(`${server.publicUrl}/v3/auth/tokens`, { headers: { 'X-Auth-Token': out.token, 'X-Subject-Token': out.token } });
    assert.equal(v3.status, 200);
  });
});
