/**
 * OS-OAUTH1 delegation end to end, every OAuth request signed by python's
 * oauthlib (the library of keystoneclient and keystoneauth1): request
 * tokens, authorization with roles, access tokens, the oauth1 auth method
 * through keystoneauth1's v3 OAuth1 plugin, the user's access tokens and
 * their roles, the limits of an OAuth-scoped token, revocation, and the
 * hostile inputs (bad signatures, replays, stale timestamps, expired, used
 * or unauthorized request tokens, deleted access tokens). The Fernet token
 * of the oauth1 method is checked both ways with Keystone 22's formatter.
 * With CI=true a missing client fails the suite; elsewhere it is skipped.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { startTestServer, type TestServer } from '../helpers/test-server.js';
import { adminToken } from '../helpers/tokens.js';
import { assertError, call, GENERIC_401, grant, makeUser } from '../auth/auth-fixtures.js';
import { PYTHON, catalogAtServer, skipUnlessCi } from '../clients/python-clients.js';
import { formFields, oauthClient, oauthClientsMissing, type Answer } from './oauth1-helpers.js';

const reason = oauthClientsMissing();
const FERNET_TOOL = fileURLToPath(new URL('../../../test/fixtures/keystone/fernet_tool.py', import.meta.url));
const OAUTH1_AUTH = { auth: { identity: { methods: ['oauth1'], oauth1: {} } } };

interface Consumer {
  id: string;
  secret: string;
}
interface Pair {
  key: string;
  secret: string;
}

describe('OS-OAUTH1: the delegation dance, signed by oauthlib', { skip: skipUnlessCi(reason) }, () => {
  let server: TestServer;
  let admin: string;
  let v3: string;

  before(async () => {
    assert.equal(reason, false, `${reason} (required when CI=true)`);
    server = await startTestServer();
    await catalogAtServer(server);
    admin = await adminToken(server);
    v3 = `${server.publicUrl}/v3`;
  });
  after(async () => {
    await server?.close();
  });

  const newConsumer = async (): Promise<Consumer> => {
    const res = await call(server, 'POST', '/v3/OS-OAUTH1/consumers', { token: admin, body: { consumer: { description: 'test' } } });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    return { id: res.body.consumer.id, secret: res.body.consumer.secret };
  };
  /** POST request_token signed by oauthlib (overrides: nonce, timestamp, signature_method, …) */
  const requestToken = (consumer: Consumer, overrides: Record<string, unknown> = {}, projectId = server.bootstrap.projectId) =>
    oauthClient({
      op: 'signed',
      url: `${v3}/OS-OAUTH1/request_token`,
      client_key: consumer.id,
      client_secret: consumer.secret,
      callback_uri: 'oob',
      headers: { 'Requested-Project-Id': projectId },
      ...overrides,
    });
  const authorizeToken = async (requestKey: string, roles: { id?: string; name?: string }[], token = admin): Promise<string> => {
    const res = await call(server, 'PUT', `/v3/OS-OAUTH1/authorize/${requestKey}`, { token, body: { roles } });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    return res.body.token.oauth_verifier as string;
  };
  const accessToken = (consumer: Consumer, request: Pair, verifier: string, overrides: Record<string, unknown> = {}) =>
    oauthClient({
      op: 'signed',
      url: `${v3}/OS-OAUTH1/access_token`,
      client_key: consumer.id,
      client_secret: consumer.secret,
      resource_owner_key: request.key,
      resource_owner_secret: request.secret,
      verifier,
      ...overrides,
    });
  const pairOf = (answer: Answer): Pair => {
    assert.equal(answer.status, 201, JSON.stringify(answer));
    const f = formFields(answer.body as string);
    return { key: f.oauth_token, secret: f.oauth_token_secret };
  };
  /** the whole dance with raw signed requests: an access token delegating `roles` on the admin project */
  const dance = async (roles: { id?: string; name?: string }[] = [{ name: 'member' }], consumer?: Consumer) => {
    const c = consumer ?? (await newConsumer());
    const request = pairOf(await requestToken(c));
    const verifier = await authorizeToken(request.key, roles);
    return { consumer: c, access: pairOf(await accessToken(c, request, verifier)) };
  };
  /** POST /v3/auth/tokens with the oauth1 method, signed with the access token */
  const oauthAuth = (consumer: Consumer, access: Pair, overrides: Record<string, unknown> = {}) =>
    oauthClient({
      op: 'signed',
      url: `${v3}/auth/tokens`,
      client_key: consumer.id,
      client_secret: consumer.secret,
      resource_owner_key: access.key,
      resource_owner_secret: access.secret,
      json: OAUTH1_AUTH,
      ...overrides,
    });
  const tokenOf = (answer: Answer): string => {
    assert.equal(answer.status, 201, JSON.stringify(answer));
    return (answer.headers as Record<string, string>)['x-subject-token'] ?? (answer.headers as Record<string, string>)['X-Subject-Token'];
  };
  const errorOf = (answer: Answer): { code: number; message: string } =>
    (JSON.parse(answer.body as string) as { error: { code: number; message: string } }).error;

  test('keystoneclient and keystoneauth1 (v3 OAuth1): a token scoped to the project with the delegated roles and OS-OAUTH1', async () => {
    const consumer = await newConsumer();
    const common = { auth_url: v3, username: 'admin', password: server.adminPassword, project_id: server.bootstrap.projectId };
    const request = await oauthClient({
      op: 'keystoneclient',
      what: 'request_token',
      ...common,
      consumer_key: consumer.id,
      consumer_secret: consumer.secret,
    });
    assert.match(String(request.key), /^[0-9a-f]{32}$/, JSON.stringify(request));
    assert.match(String(request.expires), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.000000Z$/);
    const authorized = await oauthClient({
      op: 'keystoneclient',
      what: 'authorize',
      ...common,
      request_key: request.key,
      roles: [server.bootstrap.memberRoleId],
    });
    assert.match(String(authorized.oauth_verifier), /^[a-zA-Z2-9]{8}$/, JSON.stringify(authorized));
    const access = await oauthClient({
      op: 'keystoneclient',
      what: 'access_token',
      ...common,
      consumer_key: consumer.id,
      consumer_secret: consumer.secret,
      request_key: request.key,
      request_secret: request.secret,
      verifier: authorized.oauth_verifier,
    });
    assert.match(String(access.key), /^[0-9a-f]{32}$/, JSON.stringify(access));
    const ksa = await oauthClient({
      op: 'keystoneauth',
      auth_url: v3,
      consumer_key: consumer.id,
      consumer_secret: consumer.secret,
      access_key: access.key,
      access_secret: access.secret,
    });
    const body = ksa.body?.token as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
    assert.ok(body, JSON.stringify(ksa));
    assert.deepEqual(body.methods, ['oauth1']);
    assert.equal(body.user.id, server.bootstrap.userId);
    assert.equal(body.project.id, server.bootstrap.projectId);
    assert.deepEqual(body['OS-OAUTH1'], { access_token_id: access.key, consumer_id: consumer.id });
    // member and the reader role it implies; not the admin role the user also holds
    assert.deepEqual((body.roles as { name: string }[]).map((r) => r.name).sort(), ['member', 'reader']);
    assert.ok(Array.isArray(body.catalog));
    const validated = await call(server, 'GET', '/v3/auth/tokens', { token: admin, subject: ksa.token as string });
    assert.equal(validated.status, 200);
    assert.deepEqual(validated.body.token['OS-OAUTH1'], body['OS-OAUTH1']);
    assert.deepEqual(validated.body.token.roles, body.roles);
  });

  test('the request token answer is form-encoded; authorize answers the verifier; GET is not allowed', async () => {
    const consumer = await newConsumer();
    const answer = await requestToken(consumer);
    assert.equal(answer.status, 201);
    assert.equal((answer.headers as Record<string, string>)['Content-Type'], 'application/x-www-form-urlencoded');
    assert.deepEqual(Object.keys(formFields(answer.body as string)), ['oauth_token', 'oauth_token_secret', 'oauth_expires_at']);
    const get = await call(server, 'GET', '/v3/OS-OAUTH1/request_token');
    assert.equal(get.status, 405);
  });

  test("JSON-Home lists OS-OAUTH1's resources with the extension's parameter relations, as Keystone's", async () => {
    const res = await fetch(v3, { headers: { Accept: 'application/json-home' } });
    const resources = ((await res.json()) as { resources: Record<string, Record<string, unknown>> }).resources;
    const rel = (name: string) => resources[`https://docs.openstack.org/api/openstack-identity/3/ext/OS-OAUTH1/1.0/rel/${name}`];
    const param = (name: string) => `https://docs.openstack.org/api/openstack-identity/3/ext/OS-OAUTH1/1.0/param/${name}`;
    assert.deepEqual(rel('request_tokens'), { href: '/OS-OAUTH1/request_token' });
    assert.deepEqual(rel('access_tokens'), { href: '/OS-OAUTH1/access_token' });
    assert.deepEqual(rel('authorize_request_token'), {
      'href-template': '/OS-OAUTH1/authorize/{request_token_id}',
      'href-vars': { request_token_id: param('request_token_id') },
    });
    assert.deepEqual(rel('consumer'), {
      'href-template': '/OS-OAUTH1/consumers/{consumer_id}',
      'href-vars': { consumer_id: param('consumer_id') },
    });
    assert.deepEqual(rel('user_access_token_role'), {
      'href-template': '/users/{user_id}/OS-OAUTH1/access_tokens/{access_token_id}/roles/{role_id}',
      'href-vars': {
        user_id: 'https://docs.openstack.org/api/openstack-identity/3/param/user_id',
        access_token_id: param('access_token_id'),
        role_id: 'https://docs.openstack.org/api/openstack-identity/3/param/role_id',
      },
    });
    for (const name of ['user_access_tokens', 'user_access_token', 'user_access_token_roles']) assert.ok(rel(name), name);
  });

  test("the user's access tokens: list, show, their roles, one role; another user's path is refused", async () => {
    const { consumer, access } = await dance([{ name: 'member' }]);
    const base = `/v3/users/${server.bootstrap.userId}/OS-OAUTH1/access_tokens`;
    const list = await call(server, 'GET', base, { token: admin });
    assert.equal(list.status, 200);
    const mine = (list.body.access_tokens as { id: string }[]).find((t) => t.id === access.key);
    assert.deepEqual(mine, {
      id: access.key,
      authorizing_user_id: server.bootstrap.userId,
      project_id: server.bootstrap.projectId,
      consumer_id: consumer.id,
      expires_at: (mine as { expires_at: string } | undefined)?.expires_at,
      links: { roles: `${server.publicUrl}${base}/${access.key}/roles`, self: `${server.publicUrl}${base}/${access.key}` },
    });
    assert.match((mine as unknown as { expires_at: string }).expires_at, /\.000000Z$/);
    const shown = await call(server, 'GET', `${base}/${access.key}`, { token: admin });
    assert.deepEqual(shown.body.access_token, mine);
    const roles = await call(server, 'GET', `${base}/${access.key}/roles`, { token: admin });
    assert.deepEqual(
      (roles.body.roles as { id: string; name: string; description?: unknown }[]).map((r) => [r.id, r.name, 'description' in r]),
      [[server.bootstrap.memberRoleId, 'member', false]],
    );
    const role = await call(server, 'GET', `${base}/${access.key}/roles/${server.bootstrap.memberRoleId}`, { token: admin });
    assert.equal(role.body.role.id, server.bootstrap.memberRoleId);
    assertError(await call(server, 'GET', `${base}/${access.key}/roles/${server.bootstrap.adminRoleId}`, { token: admin }), 404);
    const other = `/v3/users/${'e'.repeat(32)}/OS-OAUTH1/access_tokens/${access.key}`;
    assertError(await call(server, 'GET', other, { token: admin }), 404);
    assertError(await call(server, 'GET', `${other}/roles`, { token: admin }), 404);
    assertError(await call(server, 'GET', `${other}/roles/${server.bootstrap.memberRoleId}`, { token: admin }), 401);
    assertError(await call(server, 'DELETE', other, { token: admin }), 401);
    assertError(await call(server, 'GET', `${base}/${'f'.repeat(32)}`, { token: admin }), 404, 'Access token not found');
  });

  test('an OAuth-scoped token cannot be rescoped, create trusts or application credentials, authorize or manage OAuth', async () => {
    const { consumer, access } = await dance([{ name: 'admin' }]);
    const token = tokenOf(await oauthAuth(consumer, access));
    assertError(
      await call(server, 'POST', '/v3/auth/tokens', { body: { auth: { identity: { methods: ['token'], token: { id: token } } } } }),
      403,
      'You are not authorized to perform the requested action: Using OAuth-scoped token to create another token. Create a new OAuth-scoped token instead.',
    );
    const trust = await call(server, 'POST', '/v3/OS-TRUST/trusts', {
      token,
      body: {
        trust: {
          trustor_user_id: server.bootstrap.userId,
          trustee_user_id: server.bootstrap.userId,
          impersonation: false,
          project_id: server.bootstrap.projectId,
          roles: [{ name: 'member' }],
        },
      },
    });
    assertError(trust, 403);
    const appCred = await call(server, 'POST', `/v3/users/${server.bootstrap.userId}/application_credentials`, {
      token,
      body: { application_credential: { name: 'from-oauth' } },
    });
    assertError(appCred, 403);
    const other = await newConsumer();
    const request = pairOf(await requestToken(other));
    assertError(await call(server, 'PUT', `/v3/OS-OAUTH1/authorize/${request.key}`, { token, body: { roles: [{ name: 'member' }] } }), 403);
    assertError(await call(server, 'GET', `/v3/users/${server.bootstrap.userId}/OS-OAUTH1/access_tokens`, { token }), 403);
    // the scope asked for is ignored: the access token's project
    const scoped = await oauthAuth(consumer, access, {
      json: { auth: { ...OAUTH1_AUTH.auth, scope: { domain: { id: 'default' } } } },
    });
    assert.equal(JSON.parse(scoped.body as string).token.project.id, server.bootstrap.projectId);
  });

  test('signatures: HMAC-SHA1, HMAC-SHA256, HMAC-SHA512 and PLAINTEXT pass; a wrong secret, RSA-SHA1 or another URL is a 401', async () => {
    const consumer = await newConsumer();
    for (const method of ['HMAC-SHA1', 'HMAC-SHA256', 'HMAC-SHA512', 'PLAINTEXT']) {
      assert.equal((await requestToken(consumer, { signature_method: method })).status, 201, method);
    }
    const wrongSecret = await requestToken({ id: consumer.id, secret: 'f'.repeat(32) });
    assert.equal(wrongSecret.status, 401);
    assert.equal(errorOf(wrongSecret).message, GENERIC_401);
    assert.equal((await requestToken({ id: consumer.id, secret: 'x' }, { signature_method: 'PLAINTEXT' })).status, 401);
    // RSA-SHA1 is a method oauthlib knows, but no consumer has an RSA key: never valid
    const rsa = await requestToken(consumer, { header_replace: ['HMAC-SHA1', 'RSA-SHA1'] });
    assert.equal(rsa.status, 401, JSON.stringify(rsa));
    const unknown = await requestToken(consumer, { header_replace: ['HMAC-SHA1', 'HMAC-MD5'] });
    assert.equal(unknown.status, 400, JSON.stringify(unknown));
    assert.match(
      errorOf(unknown).message,
      /^Validation failed with errors: invalid_signature_method, detail message is: Invalid signature, HMAC-MD5 not in/,
    );
    // signed for one URL, sent to another (same path, a query the signature did not cover)
    const moved = await requestToken(consumer, { tamper_url: `${v3}/OS-OAUTH1/request_token?extra=1` });
    assert.equal(moved.status, 401);
    // an access token signed with the wrong access secret
    const { access } = await dance([{ name: 'member' }], consumer);
    const bad = await oauthAuth(consumer, { key: access.key, secret: 'f'.repeat(32) });
    assert.equal(bad.status, 401);
    // another consumer's key with the right access token
    const stranger = await newConsumer();
    assert.equal((await oauthAuth(stranger, access)).status, 401);
    assert.equal((await oauthAuth(consumer, access)).status, 201);
  });

  test("oauthlib's refusals are 400s: a stale timestamp, no callback, an unknown method, a malformed nonce", async () => {
    const consumer = await newConsumer();
    const stale = await requestToken(consumer, { timestamp: String(Math.floor(Date.now() / 1000) - 3600) });
    assert.equal(stale.status, 400);
    assert.equal(
      errorOf(stale).message,
      'Validation failed with errors: invalid_request, detail message is: Timestamp given is invalid, differ from allowed by over 600 seconds..',
    );
    const noCallback = await requestToken(consumer, { callback_uri: null });
    assert.equal(noCallback.status, 400);
    assert.equal(errorOf(noCallback).message, 'Validation failed with errors: invalid_request, detail message is: Missing callback URI..');
    const nonce = await requestToken(consumer, { nonce: 'not-hex!' });
    assert.equal(nonce.status, 400);
    assert.match(errorOf(nonce).message, /Invalid nonce format/);
    // the stale timestamp on the oauth1 method: a 401 (Keystone's ResourceEndpoint answers no more)
    const { access } = await dance([{ name: 'member' }], consumer);
    const staleAuth = await oauthAuth(consumer, access, { timestamp: String(Math.floor(Date.now() / 1000) - 3600) });
    assert.equal(staleAuth.status, 401);
    // missing pieces
    const noProject = await call(server, 'POST', '/v3/OS-OAUTH1/request_token', {
      headers: { Authorization: `OAuth oauth_consumer_key="${consumer.id}"` },
    });
    assertError(noProject, 400, /Expecting to find Requested-Project-Id in request/);
    assertError(await call(server, 'POST', '/v3/OS-OAUTH1/request_token'), 400, /Expecting to find oauth_consumer_key in request/);
    assertError(await call(server, 'POST', '/v3/OS-OAUTH1/access_token'), 400, /Expecting to find oauth_consumer_key in request/);
    assertError(await call(server, 'POST', '/v3/auth/tokens', { body: OAUTH1_AUTH }), 400, /Expecting to find oauth_token in request/);
    const missingProject = await requestToken(consumer, {}, 'f'.repeat(32));
    assert.equal(missingProject.status, 404);
    const missingConsumer = await requestToken({ id: 'e'.repeat(32), secret: consumer.secret });
    assert.equal(missingConsumer.status, 404);
  });

  test('replay: the same signed request (nonce and timestamp) is refused the second time', async () => {
    const consumer = await newConsumer();
    const fixed = { nonce: `${Date.now()}1234567890`, timestamp: String(Math.floor(Date.now() / 1000)) };
    assert.equal((await requestToken(consumer, fixed)).status, 201);
    const replayed = await requestToken(consumer, fixed);
    assert.equal(replayed.status, 401);
    assert.equal(errorOf(replayed).message, GENERIC_401);
    // the same nonce with another timestamp is another request
    assert.equal((await requestToken(consumer, { ...fixed, timestamp: String(Number(fixed.timestamp) - 1) })).status, 201);

    const request = pairOf(await requestToken(consumer));
    const verifier = await authorizeToken(request.key, [{ name: 'member' }]);
    const atFixed = { nonce: `${Date.now()}2234567890`, timestamp: String(Math.floor(Date.now() / 1000)) };
    // a refused replay does not consume the request token: the request token is exchanged once
    const access = pairOf(await accessToken(consumer, request, verifier, atFixed));
    assert.equal((await accessToken(consumer, request, verifier, atFixed)).status, 404);

    const authFixed = { nonce: `${Date.now()}3234567890`, timestamp: String(Math.floor(Date.now() / 1000)) };
    tokenOf(await oauthAuth(consumer, access, authFixed));
    const again = await oauthAuth(consumer, access, authFixed);
    assert.equal(again.status, 401);
    assert.equal(errorOf(again).message, GENERIC_401);
  });

  test('request tokens: unauthorized, expired, used, or exchanged by another consumer are refused', async () => {
    const consumer = await newConsumer();
    const unauthorized = pairOf(await requestToken(consumer));
    const notYet = await accessToken(consumer, unauthorized, 'abcdefgh');
    assert.equal(notYet.status, 401);
    // authorized, then exchanged with a wrong verifier, by another consumer, and twice
    const verifier = await authorizeToken(unauthorized.key, [{ name: 'member' }]);
    assert.equal((await accessToken(consumer, unauthorized, verifier === 'abcdefgh' ? 'bcdefghk' : 'abcdefgh')).status, 401);
    const other = await newConsumer();
    assert.equal((await accessToken(other, unauthorized, verifier)).status, 401);
    pairOf(await accessToken(consumer, unauthorized, verifier));
    const used = await accessToken(consumer, unauthorized, verifier);
    assert.equal(used.status, 404);
    assert.equal(errorOf(used).message, 'Request token not found');
    // the user must hold the roles it delegates
    const request = pairOf(await requestToken(consumer));
    const bystander = await makeUser(server);
    await grant(server, server.bootstrap.adminRoleId, bystander.id, { projectId: server.bootstrap.projectId });
    assertError(
      await call(server, 'PUT', `/v3/OS-OAUTH1/authorize/${request.key}`, { token: admin, body: { roles: [{ id: 'f'.repeat(32) }] } }),
      401,
    );
    assertError(
      await call(server, 'PUT', `/v3/OS-OAUTH1/authorize/${request.key}`, { token: admin, body: { roles: [{ name: 'nosuchrole' }] } }),
      404,
      'Role nosuchrole is not defined',
    );
    assertError(
      await call(server, 'PUT', `/v3/OS-OAUTH1/authorize/${request.key}`, { token: admin, body: { roles: [{ id: 'a', name: 'b' }] } }),
      400,
    );
    assertError(await call(server, 'PUT', `/v3/OS-OAUTH1/authorize/${'f'.repeat(32)}`, { token: admin, body: { roles: [] } }), 404);
    // expired: [oauth1] request_token_duration has passed (the row's expiry moved to the past)
    await server.db.none("UPDATE request_token SET expires_at = '2020-01-01T00:00:00.000000Z' WHERE id = $1", [request.key]);
    assertError(
      await call(server, 'PUT', `/v3/OS-OAUTH1/authorize/${request.key}`, { token: admin, body: { roles: [{ name: 'member' }] } }),
      401,
    );
    const expired = pairOf(await requestToken(consumer));
    const expiredVerifier = await authorizeToken(expired.key, [{ name: 'member' }]);
    await server.db.none("UPDATE request_token SET expires_at = '2020-01-01T00:00:00.000000Z' WHERE id = $1", [expired.key]);
    assert.equal((await accessToken(consumer, expired, expiredVerifier)).status, 401);
  });

  test('an expired access token no longer authenticates', async () => {
    const { consumer, access } = await dance();
    await server.db.none("UPDATE access_token SET expires_at = '2020-01-01T00:00:00.000000Z' WHERE id = $1", [access.key]);
    const answer = await oauthAuth(consumer, access);
    assert.equal(answer.status, 401);
  });

  test('deleting the access token or its consumer revokes the tokens issued through it', async () => {
    const first = await dance();
    const token = tokenOf(await oauthAuth(first.consumer, first.access));
    assert.equal((await call(server, 'GET', '/v3/auth/tokens', { token: admin, subject: token })).status, 200);
    const del = await call(server, 'DELETE', `/v3/users/${server.bootstrap.userId}/OS-OAUTH1/access_tokens/${first.access.key}`, {
      token: admin,
    });
    assert.equal(del.status, 204);
    assertError(await call(server, 'GET', '/v3/auth/tokens', { token: admin, subject: token }), 404);
    const gone = await oauthAuth(first.consumer, first.access);
    assert.equal(gone.status, 404);
    assert.equal(errorOf(gone).message, 'Access token not found');

    const second = await dance();
    const token2 = tokenOf(await oauthAuth(second.consumer, second.access));
    assert.equal((await call(server, 'GET', '/v3/auth/tokens', { token: admin, subject: token2 })).status, 200);
    assert.equal((await call(server, 'DELETE', `/v3/OS-OAUTH1/consumers/${second.consumer.id}`, { token: admin })).status, 204);
    assertError(await call(server, 'GET', '/v3/auth/tokens', { token: admin, subject: token2 }), 404);
    const list = await call(server, 'GET', `/v3/users/${server.bootstrap.userId}/OS-OAUTH1/access_tokens`, { token: admin });
    assert.ok(!(list.body.access_tokens as { id: string }[]).some((t) => t.id === second.access.key));
  });

  test('a role the user lost leaves the token; with none left the oauth1 method is refused', async () => {
    const user = await makeUser(server);
    await grant(server, server.bootstrap.memberRoleId, user.id, { projectId: server.bootstrap.projectId });
    await grant(server, server.bootstrap.adminRoleId, user.id, { projectId: server.bootstrap.projectId });
    const userToken = (
      await call(server, 'POST', '/v3/auth/tokens', {
        body: {
          auth: {
            identity: { methods: ['password'], password: { user: { id: user.id, password: user.password } } },
            scope: { project: { id: server.bootstrap.projectId } },
          },
        },
      })
    ).headers.get('x-subject-token') as string;
    const consumer = await newConsumer();
    const request = pairOf(await requestToken(consumer));
    const verifier = await authorizeToken(request.key, [{ name: 'member' }, { name: 'admin' }], userToken);
    const access = pairOf(await accessToken(consumer, request, verifier));
    const full = JSON.parse((await oauthAuth(consumer, access)).body as string).token as {
      roles: { name: string }[];
      user: { id: string };
    };
    assert.equal(full.user.id, user.id);
    assert.deepEqual(full.roles.map((r) => r.name).sort(), ['admin', 'member', 'reader']);
    await server.providers.assignment_api.deleteGrant(
      server.bootstrap.adminRoleId,
      { userId: user.id },
      { projectId: server.bootstrap.projectId },
    );
    const less = JSON.parse((await oauthAuth(consumer, access)).body as string).token as { roles: { name: string }[] };
    assert.deepEqual(less.roles.map((r) => r.name).sort(), ['member', 'reader']);
    await server.providers.assignment_api.deleteGrant(
      server.bootstrap.memberRoleId,
      { userId: user.id },
      { projectId: server.bootstrap.projectId },
    );
    assert.equal((await oauthAuth(consumer, access)).status, 401);
  });

  test(
    "Fernet: the oauth1 method's token is Keystone's OauthScopedPayload, and Keystone's validates here",
    { skip: fernetToolMissing() },
    async () => {
      const { consumer, access } = await dance();
      const token = tokenOf(await oauthAuth(consumer, access));
      const repository = server.providers.conf.fernet_tokens.key_repository;
      const [decoded] = await fernetTool({ key_repository: repository, ops: [{ op: 'validate_token', token }] });
      assert.equal(decoded.ok, true, JSON.stringify(decoded));
      assert.equal(decoded.version, 7);
      assert.equal(decoded.accessTokenId, access.key);
      assert.equal(decoded.projectId, server.bootstrap.projectId);
      assert.deepEqual(decoded.methods, ['oauth1']);
      const [created] = await fernetTool({
        key_repository: repository,
        ops: [
          {
            op: 'create_token',
            kind: 'oauth',
            payload: {
              userId: server.bootstrap.userId,
              methods: ['oauth1'],
              projectId: server.bootstrap.projectId,
              accessTokenId: access.key,
              expiresAt: new Date(Date.now() + 3600_000).toISOString().replace(/\.\d+Z$/, '.000000Z'),
              auditIds: ['rS4pLpKjQSW5G8wRGIBWRA'],
            },
          },
        ],
      });
      assert.equal(created.ok, true, JSON.stringify(created));
      const validated = await call(server, 'GET', '/v3/auth/tokens', { token: admin, subject: created.token as string });
      assert.equal(validated.status, 200, JSON.stringify(validated.body));
      assert.deepEqual(validated.body.token['OS-OAUTH1'], { access_token_id: access.key, consumer_id: consumer.id });
      assert.deepEqual(validated.body.token.methods, ['oauth1']);
    },
  );
});

function fernetToolMissing(): string | false {
  const r = spawnSync(PYTHON, ['-c', 'import keystone.token.token_formatters'], { encoding: 'utf8' });
  return r.status === 0 ? false : skipUnlessCi(`${PYTHON} cannot import keystone (python3-keystone)`);
}

/** Keystone's token formatter (test/fixtures/keystone/fernet_tool.py), run without blocking the in-process server. */
function fernetTool(request: Record<string, unknown>): Promise<Answer[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(PYTHON, [FERNET_TOOL], { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) reject(new Error(`fernet_tool.py exited ${String(code)}: ${err}`));
      else resolve(JSON.parse(out) as Answer[]);
    });
    child.stdin.end(
      JSON.stringify({ methods: ['external', 'password', 'token', 'oauth1', 'mapped', 'application_credential'], ...request }),
    );
  });
}
