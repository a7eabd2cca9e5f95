/**
 * POST /v3/OS-OAUTH2/token, the OAuth 2.0 client credentials grant, over
 * HTTP against the test server (the express app behind the fast path): both
 * client authentications (client_secret_basic, client_secret_post), the
 * answer's form, Keystone 22's OAuth 2.0 errors for every refusal (statuses,
 * error, error_description, WWW-Authenticate), the grant path's checks
 * (disabled domain, user or project, MFA rules, expired or deleted
 * credential), and the
 * access token as `Authorization: Bearer` on validation (also on the fast
 * path), on an ordinary API route, after revocation, beside X-Auth-Token
 * (which wins) and never as the admin_token.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestServer, type TestServer } from '../helpers/test-server.js';
import { call, expectStatus, passwordToken } from '../api/identity-resource-fixtures.js';
import { newProject, PASSWORD, userOnProject, type ProjectUser } from '../trust/trust-fixtures.js';
import { fastPathStats } from '../../src/server/fast-path.js';
import { authFailures } from '../../src/metrics/metrics.js';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const ADMIN_TOKEN = 'oauth2-test-admin-token';
const TOKEN_PATH = '/v3/OS-OAUTH2/token';
const FORM = 'application/x-www-form-urlencoded';

interface OAuthAnswer {
  status: number;
  headers: Headers;
  body: Json | null;
}

const basic = (id: string, secret: string) => `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`;

/** A token request: the form (a string as sent, or fields), and any Authorization header. */
async function tokenRequest(
  server: TestServer,
  options: { authorization?: string; form?: string | Record<string, string>; contentType?: string; method?: string } = {},
): Promise<OAuthAnswer> {
  const headers: Record<string, string> = { 'Content-Type': options.contentType ?? FORM };
  if (options.authorization !== undefined) headers.Authorization = options.authorization;
  const form = options.form ?? { grant_type: 'client_credentials' };
  const body =
    options.method === 'GET' || options.method === 'HEAD'
      ? undefined
      : typeof form === 'string'
        ? form
        : new URLSearchParams(form).toString();
  const res = await fetch(`${server.publicUrl}${TOKEN_PATH}`, { method: options.method ?? 'POST', headers, body });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text ? (JSON.parse(text) as Json) : null };
}

/** Keystone's OAuth 2.0 error: status, {"error", "error_description"} exactly, WWW-Authenticate on a 401 only. */
function expectOAuthError(res: OAuthAnswer, status: number, error: string, description: string): void {
  assert.equal(res.status, status, JSON.stringify(res.body));
  assert.deepEqual(res.body, { error, error_description: description });
  if (status === 401) assert.match(res.headers.get('www-authenticate') ?? '', /^Keystone uri="http:\/\/127\.0\.0\.1:\d+\/v3"$/);
  else assert.equal(res.headers.get('www-authenticate'), null);
}

/** A successful answer; the access token. */
function expectAccessToken(res: OAuthAnswer): string {
  assert.equal(res.status, 200, JSON.stringify(res.body));
  assert.ok(res.body);
  assert.deepEqual(Object.keys(res.body), ['access_token', 'expires_in', 'token_type']);
  assert.equal(res.body.token_type, 'Bearer');
  assert.equal(res.body.expires_in, 3600);
  assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
  assert.equal(res.headers.get('cache-control'), 'no-store');
  assert.equal(typeof res.body.access_token, 'string');
  return res.body.access_token as string;
}

describe('OS-OAUTH2: the client credentials grant', () => {
  let server: TestServer;
  let systemAdmin: string;
  let projectId: string;
  let owner: ProjectUser;

  /** A new application credential of `user` (by default the owner): its id and secret. */
  const newCredential = async (user: ProjectUser = owner, extra: Json = {}): Promise<{ id: string; secret: string }> => {
    const created = expectStatus(
      await call(server, 'POST', `/v3/users/${user.userId}/application_credentials`, {
        token: user.token,
        body: { application_credential: { name: `oauth2-${Math.random().toString(16).slice(2)}`, ...extra } },
      }),
      201,
    ).application_credential;
    return { id: created.id, secret: created.secret };
  };

  before(async () => {
    server = await startTestServer({ config: { DEFAULT: { admin_token: ADMIN_TOKEN } } });
    systemAdmin = await passwordToken(server, server.bootstrap.userId, server.adminPassword, { system: true });
    projectId = await newProject(server);
    owner = await userOnProject(server, projectId, [server.bootstrap.memberRoleId]);
  });
  after(async () => {
    await server?.close();
  });

  test('client_secret_basic: an access token that is an application credential token', async () => {
    const cred = await newCredential();
    const access = expectAccessToken(await tokenRequest(server, { authorization: basic(cred.id, cred.secret) }));
    const validated = expectStatus(
      await call(server, 'GET', '/v3/auth/tokens', { token: systemAdmin, headers: { 'X-Subject-Token': access } }),
      200,
    );
    const t = validated.token;
    assert.deepEqual(t.methods, ['application_credential']);
    assert.equal(t.user.id, owner.userId);
    assert.equal(t.project.id, projectId);
    assert.equal(t.application_credential.id, cred.id);
    assert.deepEqual(t.roles.map((r: Json) => r.name).sort(), ['member', 'reader']);
  });

  test('client_secret_post: client_id and client_secret in the form', async () => {
    const cred = await newCredential();
    const access = expectAccessToken(
      await tokenRequest(server, { form: { grant_type: 'client_credentials', client_id: cred.id, client_secret: cred.secret } }),
    );
    const validated = expectStatus(
      await call(server, 'GET', '/v3/auth/tokens', { token: systemAdmin, headers: { 'X-Subject-Token': access } }),
      200,
    );
    assert.equal(validated.token.application_credential.id, cred.id);
    // a form with a charset, the fields in another order
    expectAccessToken(
      await tokenRequest(server, {
        form: `client_secret=${encodeURIComponent(cred.secret)}&client_id=${cred.id}&grant_type=client_credentials`,
        contentType: `${FORM}; charset=UTF-8`,
      }),
    );
  });

  test("refusals: Keystone 22's OAuth 2.0 errors", async () => {
    const cred = await newCredential();
    const ok = basic(cred.id, cred.secret);
    const generic = 'The request you have made requires authentication.';
    expectOAuthError(await tokenRequest(server, { authorization: basic(cred.id, 'wrong') }), 401, 'invalid_client', generic);
    expectOAuthError(
      await tokenRequest(server, { form: { grant_type: 'client_credentials', client_id: cred.id, client_secret: 'wrong' } }),
      401,
      'invalid_client',
      generic,
    );
    // an unknown credential is Keystone's 404, in its words for anything but a 400 or 401
    expectOAuthError(
      await tokenRequest(server, { authorization: basic('f'.repeat(32), 'whatever') }),
      404,
      'other_error',
      'An unknown error occurred and failed to get an OAuth2.0 access token.',
    );
    const required = 'OAuth2.0 client authorization is required.';
    expectOAuthError(await tokenRequest(server, {}), 401, 'invalid_client', required);
    expectOAuthError(await tokenRequest(server, { authorization: 'Bearer abc' }), 401, 'invalid_client', required);
    expectOAuthError(await tokenRequest(server, { authorization: 'Basic !!!!' }), 401, 'invalid_client', required);
    expectOAuthError(
      await tokenRequest(server, { authorization: `Basic ${Buffer.from('no-colon').toString('base64')}` }),
      401,
      'invalid_client',
      required,
    );
    expectOAuthError(
      await tokenRequest(server, { authorization: 'Digest username="a", realm="r", nonce="n", uri="/", response="x"' }),
      401,
      'invalid_client',
      'OAuth2.0 client authorization type digest is not supported.',
    );
    const invalid = 'OAuth2.0 client authorization is invalid.';
    expectOAuthError(await tokenRequest(server, { authorization: basic(cred.id, '') }), 401, 'invalid_client', invalid);
    expectOAuthError(await tokenRequest(server, { authorization: basic('', cred.secret) }), 401, 'invalid_client', invalid);
    expectOAuthError(
      await tokenRequest(server, { form: { grant_type: 'client_credentials', client_id: cred.id } }),
      401,
      'invalid_client',
      invalid,
    );
    // a NUL reaches neither the hash nor the database
    expectOAuthError(await tokenRequest(server, { authorization: basic(cred.id, 'a\0b') }), 401, 'invalid_client', generic);

    // the client first, then the grant type
    expectOAuthError(
      await tokenRequest(server, { authorization: ok, form: {} }),
      400,
      'invalid_request',
      'The parameter grant_type is required.',
    );
    expectOAuthError(
      await tokenRequest(server, { authorization: ok, form: { grant_type: 'password' } }),
      400,
      'unsupported_grant_type',
      'The parameter grant_type password is not supported.',
    );
    expectOAuthError(
      await tokenRequest(server, { authorization: ok, form: 'grant_type=' }),
      400,
      'unsupported_grant_type',
      'The parameter grant_type  is not supported.',
    );
    // a body in another media type is no form: no grant_type (JSON is not refused as it is on other routes)
    expectOAuthError(
      await tokenRequest(server, {
        authorization: ok,
        form: JSON.stringify({ grant_type: 'client_credentials' }),
        contentType: 'application/json',
      }),
      400,
      'invalid_request',
      'The parameter grant_type is required.',
    );
    // the first value of a repeated field counts, as werkzeug's form.get
    expectAccessToken(await tokenRequest(server, { authorization: ok, form: 'grant_type=client_credentials&grant_type=password' }));

    for (const method of ['GET', 'PUT', 'PATCH', 'DELETE']) {
      expectOAuthError(await tokenRequest(server, { method }), 405, 'other_error', 'The method is not allowed for the requested URL.');
    }
    const head = await tokenRequest(server, { method: 'HEAD' });
    assert.equal(head.status, 405);
  });

  test("the grant path's checks: disabled domain, user and project, MFA rules, expired and deleted credential", async () => {
    const generic = 'The request you have made requires authentication.';
    // a user in a disabled domain (Keystone 22: 401 invalid_client), and again once the domain is enabled
    const domain = expectStatus(
      await call(server, 'POST', '/v3/domains', { token: systemAdmin, body: { domain: { name: `oauth2-${Date.now()}` } } }),
      201,
    ).domain;
    const domainProject = expectStatus(
      await call(server, 'POST', '/v3/projects', { token: systemAdmin, body: { project: { name: 'p', domain_id: domain.id } } }),
      201,
    ).project;
    const inDomain = await server.providers.identity_api.createUser({
      name: 'oauth2-domain-user',
      domainId: domain.id,
      password: PASSWORD,
    });
    await server.providers.assignment_api.createGrant(
      server.bootstrap.memberRoleId,
      { userId: inDomain.id },
      { projectId: domainProject.id },
    );
    const domainUser = { userId: inDomain.id, token: await passwordToken(server, inDomain.id, PASSWORD, { projectId: domainProject.id }) };
    const domainCred = await newCredential(domainUser);
    expectAccessToken(await tokenRequest(server, { authorization: basic(domainCred.id, domainCred.secret) }));
    expectStatus(
      await call(server, 'PATCH', `/v3/domains/${domain.id}`, { token: systemAdmin, body: { domain: { enabled: false } } }),
      200,
    );
    expectOAuthError(
      await tokenRequest(server, { authorization: basic(domainCred.id, domainCred.secret) }),
      401,
      'invalid_client',
      generic,
    );
    expectStatus(await call(server, 'PATCH', `/v3/domains/${domain.id}`, { token: systemAdmin, body: { domain: { enabled: true } } }), 200);
    expectAccessToken(await tokenRequest(server, { authorization: basic(domainCred.id, domainCred.secret) }));

    // a disabled user: this server deletes a disabled user's credentials (its user.disabled event), so the
    // credential is unknown (Keystone 22 emits no such event for users, keeps the credential and answers 401)
    const user = await userOnProject(server, projectId, [server.bootstrap.memberRoleId]);
    const cred = await newCredential(user);
    expectAccessToken(await tokenRequest(server, { authorization: basic(cred.id, cred.secret) }));
    expectStatus(await call(server, 'PATCH', `/v3/users/${user.userId}`, { token: systemAdmin, body: { user: { enabled: false } } }), 200);
    const disabled = await tokenRequest(server, { authorization: basic(cred.id, cred.secret) });
    assert.equal(disabled.status, 404, JSON.stringify(disabled.body));
    assert.equal(disabled.body?.error, 'other_error');

    // a disabled project: refused as POST /v3/auth/tokens refuses it here (401; Keystone 22 answers that
    // path 404 "Unable to validate token because project … is disabled", and so other_error here)
    const otherProject = await newProject(server);
    const member = await userOnProject(server, otherProject, [server.bootstrap.memberRoleId]);
    const onOther = await newCredential(member);
    expectAccessToken(await tokenRequest(server, { authorization: basic(onOther.id, onOther.secret) }));
    expectStatus(
      await call(server, 'PATCH', `/v3/projects/${otherProject}`, { token: systemAdmin, body: { project: { enabled: false } } }),
      200,
    );
    const viaAuth = await call(server, 'POST', '/v3/auth/tokens', {
      body: {
        auth: { identity: { methods: ['application_credential'], application_credential: { id: onOther.id, secret: onOther.secret } } },
      },
    });
    assert.equal(viaAuth.status, 401);
    expectOAuthError(
      await tokenRequest(server, { authorization: basic(onOther.id, onOther.secret) }),
      401,
      'invalid_client',
      viaAuth.body.error.message,
    );

    // MFA rules the credential alone does not meet: no receipt, Keystone 22's InsufficientAuthMethods words
    const mfaUser = await userOnProject(server, projectId, [server.bootstrap.memberRoleId]);
    const mfaCred = await newCredential(mfaUser);
    expectStatus(
      await call(server, 'PATCH', `/v3/users/${mfaUser.userId}`, {
        token: systemAdmin,
        body: { user: { options: { multi_factor_auth_enabled: true, multi_factor_auth_rules: [['password', 'totp']] } } },
      }),
      200,
    );
    const mfa = await tokenRequest(server, { authorization: basic(mfaCred.id, mfaCred.secret) });
    expectOAuthError(
      mfa,
      401,
      'invalid_client',
      `Insufficient auth methods received for ${mfaUser.userId}. Auth Methods Provided: [application_credential].`,
    );
    assert.equal(mfa.headers.get('openstack-auth-receipt'), null);

    // an expired credential: as a wrong secret
    const expiring = await newCredential(owner, { expires_at: new Date(Date.now() + 3600_000).toISOString() });
    expectAccessToken(await tokenRequest(server, { authorization: basic(expiring.id, expiring.secret) }));
    await server.db.none("UPDATE application_credential SET expires_at = now() - interval '1 minute' WHERE id = $1", [expiring.id]);
    await server.providers.application_credential_api.invalidate();
    expectOAuthError(await tokenRequest(server, { authorization: basic(expiring.id, expiring.secret) }), 401, 'invalid_client', generic);

    // a deleted credential: unknown (Keystone's 404)
    const deleted = await newCredential();
    expectStatus(
      await call(server, 'DELETE', `/v3/users/${owner.userId}/application_credentials/${deleted.id}`, { token: owner.token }),
      204,
    );
    const gone = await tokenRequest(server, { authorization: basic(deleted.id, deleted.secret) });
    assert.equal(gone.status, 404);
    assert.equal(gone.body?.error, 'other_error');
  });

  test('Authorization: Bearer is the caller on validation (the fast path too), on API routes, until revoked', async () => {
    const cred = await newCredential();
    const access = expectAccessToken(await tokenRequest(server, { authorization: basic(cred.id, cred.secret) }));
    const bearer = { Authorization: `Bearer ${access}` };

    // GET /v3/auth/tokens: the bearer token validates itself (identity:validate_token's token_subject)
    const first = expectStatus(await call(server, 'GET', '/v3/auth/tokens', { headers: { ...bearer, 'X-Subject-Token': access } }), 200);
    assert.equal(first.token.application_credential.id, cred.id);
    const before = fastPathStats.answered;
    const again = await call(server, 'GET', '/v3/auth/tokens', { headers: { ...bearer, 'X-Subject-Token': access } });
    expectStatus(again, 200);
    assert.equal(again.headers.get('x-subject-token'), access);
    assert.equal(fastPathStats.answered, before + 1, 'the second validation is answered on the fast path');
    // the scheme's case does not matter (RFC 7235)
    expectStatus(
      await call(server, 'HEAD', '/v3/auth/tokens', { headers: { Authorization: `bearer ${access}`, 'X-Subject-Token': access } }),
      200,
    );

    // an ordinary route: the caller is the credential's user, with its project scope
    const self = expectStatus(await call(server, 'GET', `/v3/users/${owner.userId}`, { headers: bearer }), 200);
    assert.equal(self.user.id, owner.userId);
    const projects = expectStatus(await call(server, 'GET', '/v3/auth/projects', { headers: bearer }), 200);
    assert.deepEqual(
      projects.projects.map((p: Json) => p.id),
      [projectId],
    );
    // an application credential's limits hold: a restricted one creates no credential
    expectStatus(
      await call(server, 'POST', `/v3/users/${owner.userId}/application_credentials`, {
        headers: bearer,
        body: { application_credential: { name: 'from-bearer' } },
      }),
      403,
    );

    // X-Auth-Token wins when both are sent
    expectStatus(await call(server, 'GET', `/v3/users/${owner.userId}`, { headers: { ...bearer, 'X-Auth-Token': 'garbage' } }), 401);
    expectStatus(
      await call(server, 'GET', '/v3/users', { headers: { Authorization: 'Bearer garbage', 'X-Auth-Token': systemAdmin } }),
      200,
    );
    // a malformed Authorization is no token at all
    expectStatus(await call(server, 'GET', `/v3/users/${owner.userId}`, { headers: { Authorization: `Bearer ${access} extra` } }), 401);

    // revoked: refused everywhere
    expectStatus(await call(server, 'DELETE', '/v3/auth/tokens', { headers: { ...bearer, 'X-Subject-Token': access } }), 204);
    expectStatus(await call(server, 'GET', `/v3/users/${owner.userId}`, { headers: bearer }), 401);
    expectStatus(await call(server, 'GET', '/v3/auth/tokens', { headers: { ...bearer, 'X-Subject-Token': access } }), 401);
    expectStatus(await call(server, 'GET', '/v3/auth/tokens', { token: systemAdmin, headers: { 'X-Subject-Token': access } }), 404);
  });

  test('the admin_token counts only as X-Auth-Token, never as a bearer token', async () => {
    expectStatus(await call(server, 'GET', '/v3/domains', { token: ADMIN_TOKEN }), 200);
    expectStatus(await call(server, 'GET', '/v3/domains', { headers: { Authorization: `Bearer ${ADMIN_TOKEN}` } }), 401);
  });

  test('a password token works as a bearer token too', async () => {
    const token = await passwordToken(server, owner.userId, PASSWORD, { projectId });
    expectStatus(await call(server, 'GET', `/v3/users/${owner.userId}`, { headers: { Authorization: `Bearer ${token}` } }), 200);
  });

  test('failed client authentications are counted in keystone_auth_failures_total', async () => {
    const count = async (reason: string) =>
      (await authFailures.get()).values.find((v) => v.labels.method === 'application_credential' && v.labels.reason === reason)?.value ?? 0;
    const cred = await newCredential();
    const [unauthorized, invalidClient] = [await count('unauthorized'), await count('invalid_client')];
    assert.equal((await tokenRequest(server, { authorization: basic(cred.id, 'wrong') })).status, 401);
    assert.equal((await tokenRequest(server, {})).status, 401);
    assert.equal(
      (await tokenRequest(server, { authorization: basic(cred.id, cred.secret), form: { grant_type: 'password' } })).status,
      400,
    );
    assert.equal(await count('unauthorized'), unauthorized + 1);
    assert.equal(await count('invalid_client'), invalidClient + 1);
  });

  test('JSON-Home lists the token endpoint as Keystone does', async () => {
    const res = await fetch(`${server.publicUrl}/v3`, { headers: { Accept: 'application/json-home' } });
    const home = (await res.json()) as Json;
    assert.deepEqual(home.resources['https://docs.openstack.org/api/openstack-identity/3/ext/OS-OAUTH2/1.0/rel/token'], {
      href: '/OS-OAUTH2/token',
    });
  });
});
