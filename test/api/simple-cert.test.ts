/**
 * OS-SIMPLE-CERT as Keystone 22 answers it (captured from a real Keystone 22):
 * /v3/OS-SIMPLE-CERT/ca and /certificates are 410 Gone to anyone, GET and
 * HEAD; other methods 405; both listed in JSON-Home.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestServer, type TestServer } from '../helpers/test-server.js';
import { call, setupPersonas, type Personas } from './identity-resource-fixtures.js';

const REL = 'https://docs.openstack.org/api/openstack-identity/3/ext/OS-SIMPLE-CERT/1.0/rel/';
const GONE = {
  error: { code: 410, message: 'This API is no longer available due to the removal of support for PKI tokens.', title: 'Gone' },
};

describe('OS-SIMPLE-CERT', () => {
  let server: TestServer;
  let p: Personas;
  before(async () => {
    server = await startTestServer();
    p = await setupPersonas(server);
  });
  after(async () => {
    await server?.close();
  });

  test('ca and certificates: 410 Gone with Keystone 22 body, with or without a token', async () => {
    for (const path of ['/v3/OS-SIMPLE-CERT/ca', '/v3/OS-SIMPLE-CERT/certificates']) {
      for (const token of [undefined, p.systemAdmin.token, p.projectAMember.token]) {
        const res = await call(server, 'GET', path, { token });
        assert.equal(res.status, 410);
        assert.deepEqual(res.body, GONE);
        assert.match(res.headers.get('content-type') ?? '', /application\/json/);
        const head = await call(server, 'HEAD', path, { token });
        assert.equal(head.status, 410);
        assert.equal(head.body, '');
      }
      const post = await call(server, 'POST', path, { token: p.systemAdmin.token });
      assert.equal(post.status, 405);
    }
  });

  test('JSON-Home lists both, as Keystone 22', async () => {
    const res = await fetch(`${server.publicUrl}/`, { headers: { Accept: 'application/json-home' } });
    const resources = ((await res.json()) as { resources: Record<string, unknown> }).resources;
    assert.deepEqual(resources[`${REL}ca_certificate`], { href: '/v3/OS-SIMPLE-CERT/ca' });
    assert.deepEqual(resources[`${REL}certificates`], { href: '/v3/OS-SIMPLE-CERT/certificates' });
  });
});
