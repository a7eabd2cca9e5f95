/**
 * Version discovery with v2.0 served: GET / lists v2.0 as deprecated beside
 * v3, GET /v2.0 (and /v2.0/) describes it, and keystoneauth's discovery
 * still picks v3.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestServer, type TestServer } from '../../helpers/test-server.js';
import { PYTHON, assertOk, clientEnv, pythonModulesMissing, run } from '../../clients/python-clients.js';

describe('discovery with v2.0', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer();
  });
  after(async () => {
    await server?.close();
  });

  test('GET / lists v2.0 (deprecated) beside v3; GET /v2.0 describes it on both ports', async () => {
    const root = await fetch(`${server.publicUrl}/`);
    assert.equal(root.status, 300);
    const values = ((await root.json()) as { versions: { values: { id: string; status: string }[] } }).versions.values;
    assert.deepEqual(
      values.map((v) => [v.id, v.status]),
      [
        ['v3.14', 'stable'],
        ['v2.0', 'deprecated'],
      ],
    );
    for (const base of [server.publicUrl, server.adminUrl]) {
      for (const path of ['/v2.0', '/v2.0/']) {
        const res = await fetch(base + path);
        assert.equal(res.status, 200);
        const version = ((await res.json()) as { version: { id: string; status: string; links: { href: string; rel: string }[] } }).version;
        assert.equal(version.id, 'v2.0');
        assert.equal(version.status, 'deprecated');
        assert.equal(version.links[0].href, `${base}/v2.0/`);
      }
    }
  });

  test(
    'keystoneauth still chooses v3 at the root',
    { skip: process.env.CI === 'true' ? false : pythonModulesMissing(['keystoneauth1']) },
    async () => {
      const script = `
import sys
from keystoneauth1 import session, discover
d = discover.Discover(session.Session(), sys.argv[1])
print(d.url_for((3, 0)), d.url_for((2, 0)), d.url_for('latest'))
`;
      const out = assertOk(await run(PYTHON, ['-c', script, `${server.publicUrl}/`], clientEnv('/tmp')), 'keystoneauth discovery')
        .trim()
        .split(' ');
      assert.deepEqual(out, [`${server.publicUrl}/v3/`, `${server.publicUrl}/v2.0/`, `${server.publicUrl}/v3/`]);
    },
  );
});
