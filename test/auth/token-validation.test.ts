/**
 * GET / HEAD / DELETE /v3/auth/tokens over HTTP: the body (sample 14),
 * X-Auth-Token refusals (401, samples 16 and 17), subject refusals (404,
 * sample 15), policy (self-validation, 403), ?nocatalog, ?allow_expired
 * within [token] allow_expired_window, revocation (sample 24).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestServer, type TestServer } from '../helpers/test-server.js';
import { databaseKinds } from '../helpers/test-database.js';
import { getToken, issueToken, revokeToken, validateToken } from '../helpers/tokens.js';
import { GENERIC_401, assertError, call, grant, makeProject, makeUser } from './auth-fixtures.js';

for (const kind of databaseKinds()) {
  describe(`token validation (${kind})`, () => {
    let server: TestServer;
    let admin: string;
    before(async () => {
      server = await startTestServer({ database: kind });
      admin = (await getToken(server, { username: 'admin', password: server.adminPassword, project: 'admin' })).id;
    });
    after(async () => {
      await server.close();
    });

    test('GET: 200, X-Subject-Token, the same body as the issue (sample 14)', async () => {
      const issued = await getToken(server, { username: 'admin', password: server.adminPassword, project: 'admin' });
      const res = await validateToken(server, admin, issued.id);
      assert.equal(res.status, 200);
      assert.equal(res.headers.get('x-subject-token'), issued.id);
      assert.equal(res.headers.get('content-type'), 'application/json');
      assert.deepEqual(res.body, issued.body);
    });

    test('HEAD: 200 without a body; ?nocatalog drops the catalog', async () => {
      const head = await validateToken(server, admin, admin, { method: 'HEAD' });
      assert.equal(head.status, 200);
      assert.equal(head.body, undefined);
      const nocat = await validateToken(server, admin, admin, { query: '?nocatalog' });
      assert.equal(nocat.status, 200);
      assert.equal(nocat.body.token.catalog, undefined);
      assert.ok(nocat.body.token.roles.length > 0);
      const withCat = await validateToken(server, admin, admin);
      assert.ok(Array.isArray(withCat.body.token.catalog));
    });

    test('X-Auth-Token missing, garbage, or revoked: 401 (samples 16, 17)', async () => {
      const none = await call(server, 'GET', '/v3/auth/tokens', { subject: admin });
      assertError(none, 401, GENERIC_401);
      assertError(await validateToken(server, 'garbage', admin), 401, GENERIC_401);
      assertError(await validateToken(server, 'gAAAAABnotreallyafernettoken', admin), 401, GENERIC_401);
      const victim = (await getToken(server, { username: 'admin', password: server.adminPassword, project: 'admin' })).id;
      assert.equal(await revokeToken(server, admin, victim), 204);
      assertError(await validateToken(server, victim, admin), 401, GENERIC_401);
      assertError(await call(server, 'GET', '/v3/auth/catalog', { token: victim }), 401, GENERIC_401);
    });

    test('subject garbage, missing, revoked: 404 (sample 15)', async () => {
      assertError(await validateToken(server, admin, 'garbage'), 404, 'Could not recognize Fernet token');
      assertError(await call(server, 'GET', '/v3/auth/tokens', { token: admin }), 404, 'No token in the request');
      const victim = (await getToken(server, { username: 'admin', password: server.adminPassword, project: 'admin' })).id;
      assert.equal(await revokeToken(server, admin, victim), 204);
      assertError(await validateToken(server, admin, victim), 404, 'Failed to validate token');
      assertError(await validateToken(server, admin, victim, { method: 'HEAD' }), 404);
      assertError(await call(server, 'DELETE', '/v3/auth/tokens', { token: admin, subject: victim }), 404, 'Failed to validate token');
    });

    test("a user may validate and revoke its own token; not another user's (403)", async () => {
      const project = await makeProject(server);
      const alice = await makeUser(server);
      const bob = await makeUser(server);
      await grant(server, server.bootstrap.memberRoleId, alice.id, { projectId: project.id });
      await grant(server, server.bootstrap.memberRoleId, bob.id, { projectId: project.id });
      const a = (await getToken(server, { userId: alice.id, password: alice.password, project: { id: project.id } })).id;
      const a2 = (await getToken(server, { userId: alice.id, password: alice.password })).id;
      const b = (await getToken(server, { userId: bob.id, password: bob.password, project: { id: project.id } })).id;
      assert.equal((await validateToken(server, a, a)).status, 200);
      assert.equal((await validateToken(server, a, a2)).status, 200);
      assert.equal((await validateToken(server, a2, a, { method: 'HEAD' })).status, 200);
      assertError(
        await validateToken(server, b, a),
        403,
        'You are not authorized to perform the requested action: identity:validate_token.',
      );
      assertError(
        await validateToken(server, b, a, { method: 'HEAD' }),
        403,
        'You are not authorized to perform the requested action: identity:check_token.',
      );
      assertError(
        await call(server, 'GET', '/v3/auth/tokens', { token: b }),
        403,
        'You are not authorized to perform the requested action: identity:validate_token.',
      );
      assertError(
        await call(server, 'DELETE', '/v3/auth/tokens', { token: b, subject: a }),
        403,
        'You are not authorized to perform the requested action: identity:revoke_token.',
      );
      assert.equal((await validateToken(server, admin, a)).status, 200);
      assert.equal(await revokeToken(server, a, a2), 204);
      assertError(await validateToken(server, admin, a2), 404);
      assert.equal((await validateToken(server, admin, a)).status, 200, 'revoking one token leaves the others');
    });

    test("a service-role token validates others' tokens (keystonemiddleware)", async () => {
      const service = await server.providers.role_api.createRole({ name: 'service' });
      const svc = await makeUser(server);
      await grant(server, service.id, svc.id, { projectId: server.bootstrap.projectId });
      const svcToken = (await getToken(server, { userId: svc.id, password: svc.password, project: { id: server.bootstrap.projectId } })).id;
      assert.equal((await validateToken(server, svcToken, admin)).status, 200);
      assertError(await call(server, 'DELETE', '/v3/auth/tokens', { token: svcToken, subject: admin }), 403);
    });

    test('the admin_token shared secret: no validation of its own, everything allowed', async () => {
      const s2 = await startTestServer({ database: kind, config: { DEFAULT: { admin_token: 'ADMIN-SECRET' } } });
      try {
        const t = (await getToken(s2, { username: 'admin', password: s2.adminPassword, project: 'admin' })).id;
        assert.equal((await validateToken(s2, 'ADMIN-SECRET', t)).status, 200);
        assert.equal((await call(s2, 'GET', '/v3/OS-REVOKE/events', { token: 'ADMIN-SECRET' })).status, 200);
        assertError(await validateToken(s2, 'ADMIN-SECRE', t), 401);
      } finally {
        await s2.close();
      }
    });
  });
}

describe('token expiry and ?allow_expired', () => {
  let server: TestServer;
  // Every token here lives two seconds (expiry truncated to the second): the caller is the admin_token.
  before(async () => {
    server = await startTestServer({ config: { token: { expiration: 2, allow_expired_window: 30 }, DEFAULT: { admin_token: 'ADMIN' } } });
  });
  after(async () => {
    await server.close();
  });

  test('expired: 401 as X-Auth-Token, 404 as subject; ?allow_expired=1 within the window', async () => {
    const user = await makeUser(server);
    await grant(server, server.bootstrap.adminRoleId, user.id, { projectId: server.bootstrap.projectId });
    const expiring = (await getToken(server, { userId: user.id, password: user.password, project: { id: server.bootstrap.projectId } })).id;
    assert.equal((await validateToken(server, expiring, expiring)).status, 200);
    await new Promise((r) => setTimeout(r, 2600));
    const fresh = 'ADMIN';
    assertError(await validateToken(server, expiring, expiring), 401, GENERIC_401);
    assertError(await validateToken(server, fresh, expiring), 404, 'Failed to validate token');
    for (const q of ['?allow_expired=1', '?allow_expired=true', '?allow_expired=True&nocatalog']) {
      const res = await validateToken(server, fresh, expiring, { query: q });
      assert.equal(res.status, 200, q);
      assert.ok(Date.parse(res.body.token.expires_at) < Date.now());
    }
    assertError(await validateToken(server, fresh, expiring, { query: '?allow_expired=0' }), 404);
    // the token method never accepts an expired token
    const rescope = await issueToken(server, { identity: { methods: ['token'], token: { id: expiring } } });
    assertError(rescope, 404, 'Failed to validate token');
  });
});

describe('token expiry beyond the window', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ config: { token: { expiration: 1, allow_expired_window: 1 }, DEFAULT: { admin_token: 'ADMIN' } } });
  });
  after(async () => {
    await server.close();
  });

  test('past expiry + allow_expired_window: 404 even with ?allow_expired=1', async () => {
    const t = (await getToken(server, { username: 'admin', password: server.adminPassword, project: 'admin' })).id;
    assert.equal((await validateToken(server, 'ADMIN', t, { query: '?allow_expired=1' })).status, 200);
    await new Promise((r) => setTimeout(r, 2600));
    assertError(await validateToken(server, 'ADMIN', t, { query: '?allow_expired=1' }), 404, 'Failed to validate token');
  });
});
