/**
 * The other auth methods over HTTP: token (rescoping, allow_rescope_scoped_token,
 * the delegated-token refusals), application_credential (by id, by name,
 * expiry, scope refusal, roles), totp with the MFA rules and receipts, the
 * external method (REMOTE_USER from trusted proxies only), and [auth] methods.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestServer, type TestServer } from '../helpers/test-server.js';
import { getToken, issueToken, validateToken } from '../helpers/tokens.js';
import { GENERIC_401, assertError, grant, makeProject, makeUser, type MadeUser } from './auth-fixtures.js';
import { totpPasscode } from '../../src/auth/methods/totp.js';
import { newId } from '../../src/common/ids.js';

const tokenAuth = (id: string, scope?: unknown) => ({ identity: { methods: ['token'], token: { id } }, ...(scope ? { scope } : {}) });

async function makeAppCred(
  server: TestServer,
  user: MadeUser,
  projectId: string | null,
  roleIds: string[],
  options: { name?: string; secret?: string; expiresAt?: Date | null; unrestricted?: boolean } = {},
) {
  const id = newId();
  const secret = options.secret ?? 'app-cred-secret-' + id.slice(0, 6);
  const name = options.name ?? 'cred-' + id.slice(0, 8);
  const hash = await server.providers.identity_api.passwordHasher.hash(secret);
  const row = await server.db.one<{ internal_id: number }>(
    `INSERT INTO application_credential (id, name, secret_hash, description, user_id, project_id, system, expires_at, unrestricted)
     VALUES ($1, $2, $3, NULL, $4, $5, NULL, $6, $7) RETURNING internal_id`,
    [id, name, hash, user.id, projectId, options.expiresAt ?? null, options.unrestricted ?? false],
  );
  for (const roleId of roleIds) {
    await server.db.none('INSERT INTO application_credential_role (application_credential_id, role_id) VALUES ($1, $2)', [
      row.internal_id,
      roleId,
    ]);
  }
  return { id, name, secret };
}

describe('token method (rescoping)', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer();
  });
  after(async () => {
    await server.close();
  });

  test('unscoped → project: same user, expiry and audit chain; methods carried over', async () => {
    const unscoped = await getToken(server, { username: 'admin', password: server.adminPassword });
    const res = await issueToken(server, tokenAuth(unscoped.id, { project: { id: server.bootstrap.projectId } }));
    assert.equal(res.status, 201);
    const t = res.body.token;
    assert.equal(t.user.id, server.bootstrap.userId);
    assert.equal(t.expires_at, unscoped.body.token.expires_at);
    assert.equal(t.audit_ids.length, 2);
    assert.equal(t.audit_ids[1], unscoped.body.token.audit_ids[0]);
    assert.deepEqual([...t.methods].sort(), ['password', 'token']);
    assert.equal(t.project.id, server.bootstrap.projectId);
    // rescoping again keeps the original chain id
    const again = await issueToken(server, tokenAuth(res.headers.get('x-subject-token') as string, { system: { all: true } }));
    assert.equal(again.status, 201);
    assert.equal(again.body.token.audit_ids[1], unscoped.body.token.audit_ids[0]);
    const v = await validateToken(server, res.headers.get('x-subject-token') as string, res.headers.get('x-subject-token') as string);
    assert.deepEqual(v.body, res.body);
  });

  test('refusals: system → project (403), missing id (400), garbage (404), no role on the new scope (401)', async () => {
    const system = await getToken(server, { username: 'admin', password: server.adminPassword, system: true });
    assertError(
      await issueToken(server, tokenAuth(system.id, { project: { id: server.bootstrap.projectId } })),
      403,
      'You are not authorized to perform the requested action: Using a system-scoped token to create a project-scoped or domain-scoped token is not allowed..',
    );
    assertError(
      await issueToken(server, { identity: { methods: ['token'], token: {} } }),
      400,
      "Invalid input for field 'identity/token': 'id' is a required property",
    );
    assertError(await issueToken(server, tokenAuth('garbage')), 404, 'Could not recognize Fernet token');
    const user = await makeUser(server);
    const unscoped = await getToken(server, { userId: user.id, password: user.password });
    assertError(await issueToken(server, tokenAuth(unscoped.id, { project: { id: server.bootstrap.projectId } })), 401, GENERIC_401);
  });
});

describe('token method with allow_rescope_scoped_token = false', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ config: { token: { allow_rescope_scoped_token: false } } });
  });
  after(async () => {
    await server.close();
  });

  test('a scoped token cannot be rescoped; an unscoped one can', async () => {
    const scoped = await getToken(server, { username: 'admin', password: server.adminPassword, project: 'admin' });
    assertError(
      await issueToken(server, tokenAuth(scoped.id, { system: { all: true } })),
      403,
      'You are not authorized to perform the requested action: rescope a scoped token.',
    );
    assertError(
      await issueToken(server, tokenAuth(scoped.id)),
      403,
      'You are not authorized to perform the requested action: rescope a scoped token.',
    );
    const unscoped = await getToken(server, { username: 'admin', password: server.adminPassword });
    assert.equal((await issueToken(server, tokenAuth(unscoped.id, { project: { id: server.bootstrap.projectId } }))).status, 201);
  });
});

describe('application_credential method', () => {
  let server: TestServer;
  let user: MadeUser;
  let projectId: string;
  before(async () => {
    server = await startTestServer();
    user = await makeUser(server);
    projectId = (await makeProject(server)).id;
    await grant(server, server.bootstrap.memberRoleId, user.id, { projectId });
  });
  after(async () => {
    await server.close();
  });

  test("by id: a token scoped to the credential's project with its roles and application_credential", async () => {
    const cred = await makeAppCred(server, user, projectId, [server.bootstrap.memberRoleId]);
    const res = await issueToken(server, {
      identity: { methods: ['application_credential'], application_credential: { id: cred.id, secret: cred.secret } },
    });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    const t = res.body.token;
    assert.deepEqual(t.methods, ['application_credential']);
    assert.equal(t.project.id, projectId);
    assert.deepEqual(
      t.roles.map((r: { name: string }) => r.name),
      ['member'],
    );
    assert.deepEqual(t.application_credential, { id: cred.id, name: cred.name, restricted: true });
    assert.equal(t.user.id, user.id);
    const id = res.headers.get('x-subject-token') as string;
    const v = await validateToken(server, id, id);
    assert.deepEqual(v.body, res.body);
    // a token from an application credential cannot be exchanged for another
    assertError(
      await issueToken(server, tokenAuth(id)),
      403,
      'You are not authorized to perform the requested action: Using a delegated token to create another token is not allowed..',
    );
  });

  test('by name with the user; wrong secret, unknown name, expired: 401; unknown id: 404; a scope: 401', async () => {
    const cred = await makeAppCred(server, user, projectId, [server.bootstrap.memberRoleId]);
    const byName = await issueToken(server, {
      identity: {
        methods: ['application_credential'],
        application_credential: { name: cred.name, user: { id: user.id }, secret: cred.secret },
      },
    });
    assert.equal(byName.status, 201);
    const byNameDomain = await issueToken(server, {
      identity: {
        methods: ['application_credential'],
        application_credential: { name: cred.name, user: { name: user.name, domain: { id: 'default' } }, secret: cred.secret },
      },
    });
    assert.equal(byNameDomain.status, 201);
    assertError(
      await issueToken(server, {
        identity: { methods: ['application_credential'], application_credential: { id: cred.id, secret: 'wrong' } },
      }),
      401,
      GENERIC_401,
    );
    assertError(
      await issueToken(server, {
        identity: {
          methods: ['application_credential'],
          application_credential: { name: 'nope', user: { id: user.id }, secret: cred.secret },
        },
      }),
      401,
      GENERIC_401,
    );
    assertError(
      await issueToken(server, {
        identity: { methods: ['application_credential'], application_credential: { id: 'f'.repeat(32), secret: 'x' } },
      }),
      404,
      `Could not find Application Credential: ${'f'.repeat(32)}.`,
    );
    const expired = await makeAppCred(server, user, projectId, [server.bootstrap.memberRoleId], { expiresAt: new Date(Date.now() - 1000) });
    assertError(
      await issueToken(server, {
        identity: { methods: ['application_credential'], application_credential: { id: expired.id, secret: expired.secret } },
      }),
      401,
      GENERIC_401,
    );
    const scoped = await issueToken(server, {
      identity: { methods: ['application_credential'], application_credential: { id: cred.id, secret: cred.secret } },
      scope: { project: { id: projectId } },
    });
    assertError(scoped, 401, 'Error authenticating with application credential: Application credentials cannot request a scope.');
  });

  test('a token never outlives its credential', async () => {
    const soon = new Date(Math.floor(Date.now() / 1000) * 1000 + 120_000);
    const cred = await makeAppCred(server, user, projectId, [server.bootstrap.memberRoleId], { expiresAt: soon });
    const res = await issueToken(server, {
      identity: { methods: ['application_credential'], application_credential: { id: cred.id, secret: cred.secret } },
    });
    assert.equal(res.status, 201);
    assert.equal(Date.parse(res.body.token.expires_at), soon.getTime());
  });

  test('access rules: in the body, and the token validates only for clients that declare support', async () => {
    const cred = await makeAppCred(server, user, projectId, [server.bootstrap.memberRoleId]);
    const { db } = server;
    const rule = await db.one<{ id: number }>(
      `INSERT INTO access_rule (service, path, method, external_id, user_id) VALUES ('compute', '/v2.1/servers', 'GET', $1, $2) RETURNING id`,
      [newId(), user.id],
    );
    await db.none(
      `INSERT INTO application_credential_access_rule (application_credential_id, access_rule_id)
      SELECT internal_id, $2 FROM application_credential WHERE id = $1`,
      [cred.id, rule.id],
    );
    const res = await issueToken(server, {
      identity: { methods: ['application_credential'], application_credential: { id: cred.id, secret: cred.secret } },
    });
    assert.equal(res.status, 201);
    const ac = res.body.token.application_credential;
    assert.deepEqual(
      ac.access_rules.map((r: { service: string; path: string; method: string }) => [r.service, r.path, r.method]),
      [['compute', '/v2.1/servers', 'GET']],
    );
    const id = res.headers.get('x-subject-token') as string;
    const admin = (await getToken(server, { username: 'admin', password: server.adminPassword, project: 'admin' })).id;
    assertError(await validateToken(server, admin, id), 404, 'Failed to validate token');
    const ok = await fetch(`${server.publicUrl}/v3/auth/tokens`, {
      headers: { 'X-Auth-Token': admin, 'X-Subject-Token': id, 'OpenStack-Identity-Access-Rules': '1.0' },
    });
    assert.equal(ok.status, 200);
    assert.deepEqual((await ok.json()).token.application_credential.id, cred.id);
  });

  test('only roles the user still holds', async () => {
    const otherProject = (await makeProject(server)).id;
    await grant(server, server.bootstrap.adminRoleId, user.id, { projectId: otherProject });
    const cred = await makeAppCred(server, user, otherProject, [server.bootstrap.adminRoleId, server.bootstrap.readerRoleId]);
    const t = (
      await issueToken(server, {
        identity: { methods: ['application_credential'], application_credential: { id: cred.id, secret: cred.secret } },
      })
    ).body.token;
    assert.deepEqual(t.roles.map((r: { name: string }) => r.name).sort(), ['admin', 'reader']);
  });
});

describe('MFA rules with receipts (password + totp)', () => {
  let server: TestServer;
  const secret = 'JBSWY3DPEHPK3PXP';
  before(async () => {
    server = await startTestServer({
      config: { auth: { methods: ['external', 'password', 'token', 'oauth1', 'mapped', 'application_credential', 'totp'] } },
    });
  });
  after(async () => {
    await server.close();
  });

  test('password alone: 401 with a receipt; the receipt plus totp completes the login', async () => {
    const user = await makeUser(server, { options: { multi_factor_auth_rules: [['password', 'totp']] } });
    await grant(server, server.bootstrap.memberRoleId, user.id, { projectId: server.bootstrap.projectId });
    await server.providers.credential_api.create({ userId: user.id, type: 'totp', blob: secret });
    const scope = { project: { id: server.bootstrap.projectId } };
    const first = await issueToken(server, {
      identity: { methods: ['password'], password: { user: { id: user.id, password: user.password } } },
      scope,
    });
    assert.equal(first.status, 401);
    const receipt = first.headers.get('openstack-auth-receipt');
    assert.ok(receipt && receipt.startsWith('gAAAAA'));
    assert.match(first.headers.get('www-authenticate') ?? '', /^Keystone uri=/);
    assert.deepEqual(first.body.receipt.methods, ['password']);
    assert.deepEqual(first.body.receipt.user, { domain: { id: 'default', name: 'Default' }, id: user.id, name: user.name });
    assert.deepEqual(first.body.required_auth_methods, [['password', 'totp']]);
    assert.ok(Date.parse(first.body.receipt.expires_at) > Date.now());

    const passcode = totpPasscode(secret, Date.now() / 1000);
    const second = await issueToken(
      server,
      { identity: { methods: ['totp'], totp: { user: { id: user.id, passcode } } }, scope },
      { headers: { 'Openstack-Auth-Receipt': receipt } },
    );
    assert.equal(second.status, 201, JSON.stringify(second.body));
    assert.deepEqual([...second.body.token.methods].sort(), ['password', 'totp']);

    const both = await issueToken(server, {
      identity: {
        methods: ['password', 'totp'],
        password: { user: { id: user.id, password: user.password } },
        totp: { user: { id: user.id, passcode } },
      },
      scope,
    });
    assert.equal(both.status, 201);

    assertError(
      await issueToken(
        server,
        { identity: { methods: ['totp'], totp: { user: { id: user.id, passcode: '000000' === passcode ? '111111' : '000000' } } } },
        { headers: { 'Openstack-Auth-Receipt': receipt } },
      ),
      401,
      GENERIC_401,
    );
    assertError(
      await issueToken(
        server,
        { identity: { methods: ['totp'], totp: { user: { id: user.id, passcode } } } },
        { headers: { 'Openstack-Auth-Receipt': 'bogus' } },
      ),
      401,
      'Could not find auth receipt: bogus.',
    );
    const other = await makeUser(server);
    const otherFirst = await issueToken(
      server,
      { identity: { methods: ['password'], password: { user: { id: other.id, password: other.password } } } },
      { headers: { 'Openstack-Auth-Receipt': receipt } },
    );
    assertError(otherFirst, 401, `Could not find auth receipt: ${receipt}.`);
  });

  test('rules disabled by multi_factor_auth_enabled = false; rules naming disabled methods count only enabled ones', async () => {
    const off = await makeUser(server, { options: { multi_factor_auth_rules: [['password', 'totp']], multi_factor_auth_enabled: false } });
    assert.equal(
      (await issueToken(server, { identity: { methods: ['password'], password: { user: { id: off.id, password: off.password } } } }))
        .status,
      201,
    );
    const onlyUnknown = await makeUser(server, { options: { multi_factor_auth_rules: [['password', 'kerberos']] } });
    assert.equal(
      (
        await issueToken(server, {
          identity: { methods: ['password'], password: { user: { id: onlyUnknown.id, password: onlyUnknown.password } } },
        })
      ).status,
      201,
    );
  });
});

describe('external method (REMOTE_USER from trusted proxies only)', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ config: { external_auth: { trusted_proxies: ['127.0.0.1', '10.0.0.0/8'] } } });
  });
  after(async () => {
    await server.close();
  });

  test('from a trusted proxy: the named user of the default domain, with external in methods', async () => {
    const user = await makeUser(server);
    const res = await issueToken(server, { identity: { methods: [] } }, { headers: { 'X-Remote-User': user.name } });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    assert.deepEqual(res.body.token.methods, ['external']);
    assert.equal(res.body.token.user.id, user.id);
    assertError(
      await issueToken(server, { identity: { methods: [] } }, { headers: { 'X-Remote-User': 'nobody-at-all' } }),
      401,
      GENERIC_401,
    );
    assertError(await issueToken(server, { identity: { methods: [] } }), 401, GENERIC_401);
    const disabled = await makeUser(server, { enabled: false });
    assertError(await issueToken(server, { identity: { methods: [] } }, { headers: { 'X-Remote-User': disabled.name } }), 401, GENERIC_401);
  });

  test('from any other address the header is ignored', async () => {
    const other = await startTestServer({ config: { external_auth: { trusted_proxies: ['10.1.2.3'] } } });
    try {
      const user = await makeUser(other);
      assertError(await issueToken(other, { identity: { methods: [] } }, { headers: { 'X-Remote-User': user.name } }), 401, GENERIC_401);
      // with a password as well, the token is the password's alone
      const res = await issueToken(
        other,
        { identity: { methods: ['password'], password: { user: { id: user.id, password: user.password } } } },
        { headers: { 'X-Remote-User': 'admin' } },
      );
      assert.equal(res.status, 201);
      assert.deepEqual(res.body.token.methods, ['password']);
      assert.equal(res.body.token.user.id, user.id);
    } finally {
      await other.close();
    }
  });
});

describe('[auth] methods', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ config: { auth: { methods: ['password'] } } });
  });
  after(async () => {
    await server.close();
  });

  test('only the configured methods are accepted', async () => {
    const t = await getToken(server, { username: 'admin', password: server.adminPassword });
    const res = await issueToken(server, tokenAuth(t.id));
    assertError(res, 401, 'Attempted to authenticate with an unsupported method.');
    assert.deepEqual(res.body.error.identity, { methods: ['password'] });
    assertError(
      await issueToken(server, { identity: { methods: ['application_credential'], application_credential: { id: 'x', secret: 'y' } } }),
      401,
      'Attempted to authenticate with an unsupported method.',
    );
  });
});
