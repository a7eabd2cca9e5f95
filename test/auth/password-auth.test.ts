/**
 * POST /v3/auth/tokens with the password method, over HTTP: every scope and
 * its body as Keystone 22 renders it (samples 04–08), and every refusal with
 * Keystone's status and message.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestServer, type TestServer } from '../helpers/test-server.js';
import { databaseKinds } from '../helpers/test-database.js';
import { getToken, issueToken, passwordAuth } from '../helpers/tokens.js';
import { GENERIC_401, ISO_SECONDS, assertError, call, grant, makeDomain, makeProject, makeUser } from './auth-fixtures.js';

const pw = (user: { name?: string; id?: string; domain?: unknown; password?: unknown }) => ({
  identity: { methods: ['password'], password: { user } },
});

for (const kind of databaseKinds()) {
  describe(`password authentication (${kind})`, () => {
    let server: TestServer;
    before(async () => {
      server = await startTestServer({ database: kind });
    });
    after(async () => {
      await server.close();
    });

    test('project-scoped token: status, headers and body as Keystone 22 (sample 04)', async () => {
      const res = await issueToken(server, passwordAuth({ username: 'admin', password: server.adminPassword, project: 'admin' }));
      assert.equal(res.status, 201);
      const id = res.headers.get('x-subject-token') as string;
      assert.match(id, /^gAAAAA[A-Za-z0-9_-]+$/);
      assert.ok(id.length < 255, `token length ${id.length}`);
      assert.equal(res.headers.get('content-type'), 'application/json');
      assert.equal(res.headers.get('vary'), 'X-Auth-Token');
      assert.match(res.headers.get('x-openstack-request-id') ?? '', /^req-[0-9a-f-]{36}$/);
      const t = res.body.token;
      assert.deepEqual(Object.keys(t).sort(), [
        'audit_ids',
        'catalog',
        'expires_at',
        'is_domain',
        'issued_at',
        'methods',
        'project',
        'roles',
        'user',
      ]);
      assert.equal(t.audit_ids.length, 1);
      assert.match(t.audit_ids[0], /^[A-Za-z0-9_-]{22}$/);
      assert.match(t.expires_at, ISO_SECONDS);
      assert.match(t.issued_at, ISO_SECONDS);
      assert.equal(Date.parse(t.expires_at) - Date.parse(t.issued_at), 3600_000);
      assert.deepEqual(t.methods, ['password']);
      assert.equal(t.is_domain, false);
      assert.deepEqual(t.project, { domain: { id: 'default', name: 'Default' }, id: server.bootstrap.projectId, name: 'admin' });
      assert.deepEqual(t.user, {
        domain: { id: 'default', name: 'Default' },
        id: server.bootstrap.userId,
        name: 'admin',
        password_expires_at: null,
      });
      assert.deepEqual(t.roles.map((r: { name: string }) => r.name).sort(), ['admin', 'member', 'reader']);
      for (const r of t.roles) assert.deepEqual(Object.keys(r).sort(), ['id', 'name']);
      const identity = t.catalog.find((s: { type: string }) => s.type === 'identity');
      assert.equal(identity.name, 'keystone');
      assert.deepEqual(identity.endpoints.map((e: { interface: string }) => e.interface).sort(), ['admin', 'internal', 'public']);
      for (const e of identity.endpoints) assert.deepEqual(Object.keys(e).sort(), ['id', 'interface', 'region', 'region_id', 'url']);
    });

    test('project by id, user by id', async () => {
      const t = await getToken(server, {
        userId: server.bootstrap.userId,
        password: server.adminPassword,
        project: { id: server.bootstrap.projectId },
      });
      assert.equal(t.body.token.project.id, server.bootstrap.projectId);
      assert.equal(t.body.token.user.id, server.bootstrap.userId);
    });

    test('user domain by id, project domain by id', async () => {
      const t = await getToken(server, {
        username: 'admin',
        userDomain: { id: 'default' },
        password: server.adminPassword,
        project: { name: 'admin', domain: { id: 'default' } },
      });
      assert.equal(t.body.token.project.name, 'admin');
    });

    test('?nocatalog leaves the catalog out (sample 08)', async () => {
      const res = await issueToken(server, passwordAuth({ username: 'admin', password: server.adminPassword, project: 'admin' }), {
        query: '?nocatalog',
      });
      assert.equal(res.status, 201);
      assert.equal(res.body.token.catalog, undefined);
      assert.ok(res.body.token.roles.length >= 3);
    });

    test('system-scoped token (sample 06): system, roles, catalog without project endpoints', async () => {
      await server.providers.catalog_api.createService({ type: 'compute', name: 'nova' }).then((s) =>
        server.providers.catalog_api.createEndpoint({
          interface: 'public',
          serviceId: s.id,
          url: 'http://127.0.0.1:8774/v2.1/$(project_id)s',
          regionId: 'RegionOne',
        }),
      );
      const t = (await getToken(server, { username: 'admin', password: server.adminPassword, system: true })).body.token;
      assert.deepEqual(Object.keys(t).sort(), ['audit_ids', 'catalog', 'expires_at', 'issued_at', 'methods', 'roles', 'system', 'user']);
      assert.deepEqual(t.system, { all: true });
      assert.deepEqual(t.roles.map((r: { name: string }) => r.name).sort(), ['admin', 'member', 'reader']);
      const compute = t.catalog.find((s: { type: string }) => s.type === 'compute');
      assert.deepEqual(compute.endpoints, []);
      const scoped = (await getToken(server, { username: 'admin', password: server.adminPassword, project: 'admin' })).body.token;
      const computeScoped = scoped.catalog.find((s: { type: string }) => s.type === 'compute');
      assert.equal(computeScoped.endpoints[0].url, `http://127.0.0.1:8774/v2.1/${server.bootstrap.projectId}`);
    });

    test('domain scope without a role on the domain: 401 (sample 05); with one: the domain body', async () => {
      const res = await issueToken(server, passwordAuth({ username: 'admin', password: server.adminPassword, domain: 'Default' }));
      assertError(res, 401, GENERIC_401);
      const user = await makeUser(server);
      await grant(server, server.bootstrap.adminRoleId, user.id, { domainId: 'default' });
      const t = (await getToken(server, { userId: user.id, password: user.password, domain: { id: 'default' } })).body.token;
      assert.deepEqual(Object.keys(t).sort(), ['audit_ids', 'catalog', 'domain', 'expires_at', 'issued_at', 'methods', 'roles', 'user']);
      assert.deepEqual(t.domain, { id: 'default', name: 'Default' });
      assert.deepEqual(t.roles.map((r: { name: string }) => r.name).sort(), ['admin', 'member', 'reader']);
    });

    test('unscoped token (sample 07): no roles, no catalog', async () => {
      const t = (await getToken(server, { username: 'admin', password: server.adminPassword })).body.token;
      assert.deepEqual(Object.keys(t).sort(), ['audit_ids', 'expires_at', 'issued_at', 'methods', 'user']);
    });

    test('no scope: the default project when the user has a role on it, else unscoped; "unscoped" asks for none', async () => {
      const project = await makeProject(server);
      const withRole = await makeUser(server, { defaultProjectId: project.id });
      await grant(server, server.bootstrap.memberRoleId, withRole.id, { projectId: project.id });
      const t1 = (await getToken(server, { userId: withRole.id, password: withRole.password })).body.token;
      assert.equal(t1.project.id, project.id);
      assert.deepEqual(t1.roles.map((r: { name: string }) => r.name).sort(), ['member', 'reader']);
      const t2 = (await getToken(server, { userId: withRole.id, password: withRole.password, unscoped: true })).body.token;
      assert.equal(t2.project, undefined);
      const withoutRole = await makeUser(server, { defaultProjectId: project.id });
      const t3 = (await getToken(server, { userId: withoutRole.id, password: withoutRole.password })).body.token;
      assert.equal(t3.project, undefined);
      assert.equal(t3.roles, undefined);
    });

    test('wrong password, unknown user, unknown domain, unknown user id: the same 401 (samples 09, 10)', async () => {
      const cases = [
        pw({ name: 'admin', domain: { name: 'Default' }, password: 'wrong' }),
        pw({ name: 'nobody-here', domain: { name: 'Default' }, password: 'wrong' }),
        pw({ name: 'admin', domain: { name: 'no-such-domain' }, password: server.adminPassword }),
        pw({ name: 'admin', domain: { id: 'no-such-domain-id' }, password: server.adminPassword }),
        pw({ id: 'f'.repeat(32), password: 'x' }),
        pw({ id: server.bootstrap.userId }),
      ];
      const bodies = [];
      for (const auth of cases) {
        const res = await issueToken(server, auth);
        assertError(res, 401, GENERIC_401);
        assert.equal(res.body.error.title, 'Unauthorized');
        bodies.push(JSON.stringify(res.body));
      }
      assert.equal(new Set(bodies).size, 1);
    });

    test('disabled user, user of a disabled domain: 401 with the same message', async () => {
      const disabled = await makeUser(server, { enabled: false });
      assertError(await issueToken(server, pw({ id: disabled.id, password: disabled.password })), 401, GENERIC_401);
      const domain = await makeDomain(server);
      const inDomain = await makeUser(server, { domainId: domain.id });
      assert.equal((await issueToken(server, pw({ id: inDomain.id, password: inDomain.password }))).status, 201);
      await server.providers.resource_api.updateProjectRef(domain.id, { enabled: false }, ['enabled'], true);
      assertError(await issueToken(server, pw({ id: inDomain.id, password: inDomain.password })), 401, GENERIC_401);
      assertError(
        await issueToken(server, pw({ name: inDomain.name, domain: { id: domain.id }, password: inDomain.password })),
        401,
        GENERIC_401,
      );
    });

    test('scope on a project without a role, unknown, disabled, in a disabled domain, under a disabled parent: 401', async () => {
      const user = await makeUser(server);
      const none = await makeProject(server);
      const auth = (scope: unknown) => ({ ...pw({ id: user.id, password: user.password }), scope });
      assertError(await issueToken(server, auth({ project: { id: none.id } })), 401, GENERIC_401);
      assertError(await issueToken(server, auth({ project: { id: 'no-such-project' } })), 401, GENERIC_401);
      assertError(await issueToken(server, auth({ project: { name: 'no-such-project', domain: { id: 'default' } } })), 401, GENERIC_401);

      const disabled = await makeProject(server, { enabled: false });
      await grant(server, server.bootstrap.memberRoleId, user.id, { projectId: disabled.id });
      assertError(await issueToken(server, auth({ project: { id: disabled.id } })), 401, GENERIC_401);

      const domain = await makeDomain(server);
      const inDomain = await makeProject(server, { domainId: domain.id });
      await grant(server, server.bootstrap.memberRoleId, user.id, { projectId: inDomain.id });
      assert.equal((await issueToken(server, auth({ project: { id: inDomain.id } }))).status, 201);
      await server.providers.resource_api.updateProjectRef(domain.id, { enabled: false }, ['enabled'], true);
      assertError(await issueToken(server, auth({ project: { id: inDomain.id } })), 401, GENERIC_401);

      const parent = await makeProject(server);
      const child = await makeProject(server, { parentId: parent.id });
      await grant(server, server.bootstrap.memberRoleId, user.id, { projectId: child.id });
      assert.equal((await issueToken(server, auth({ project: { id: child.id } }))).status, 201);
      // A parent cannot be disabled over an enabled child through the API; the database can still hold one.
      await server.db.none('UPDATE project SET enabled = false WHERE id = $1', [parent.id]);
      await server.providers.resource_api.invalidate();
      assertError(await issueToken(server, auth({ project: { id: child.id } })), 401, GENERIC_401);

      assertError(await issueToken(server, auth({ domain: { id: 'default' } })), 401, GENERIC_401);
      assertError(await issueToken(server, auth({ domain: { name: 'no-such-domain' } })), 401, GENERIC_401);
      assertError(await issueToken(server, auth({ system: { all: true } })), 401, GENERIC_401);
    });

    test('two scopes at once: 400, project+domain with the sentence operators search for', async () => {
      const base = pw({ name: 'admin', domain: { name: 'Default' }, password: server.adminPassword });
      const both = await issueToken(server, { ...base, scope: { project: { id: server.bootstrap.projectId }, domain: { id: 'default' } } });
      assertError(both, 400, 'Scoping to both domain and project is not allowed');
      assertError(
        await issueToken(server, { ...base, scope: { project: { id: server.bootstrap.projectId }, system: { all: true } } }),
        400,
        'Scoping to both project and system is not allowed',
      );
      assertError(
        await issueToken(server, { ...base, scope: { domain: { id: 'default' }, system: { all: true } } }),
        400,
        'Scoping to both domain and system is not allowed',
      );
      assertError(
        await issueToken(server, { ...base, scope: { domain: { id: 'default' }, 'OS-TRUST:trust': { id: 'x' } } }),
        400,
        'Scoping to both domain and trust is not allowed',
      );
      assertError(
        await issueToken(server, { ...base, scope: { project: { id: 'x' }, domain: { id: 'default' }, system: { all: true } } }),
        400,
        /^Expecting to find system, project, domain, OS-TRUST:trust or unscoped in scope\. The server could not comply/,
      );
      assertError(
        await issueToken(server, { ...base, scope: {} }),
        400,
        /^Expecting to find system, project, domain, OS-TRUST:trust or unscoped in scope/,
      );
    });

    test('malformed requests: 400 with Keystone messages', async () => {
      assertError(await call(server, 'POST', '/v3/auth/tokens', { body: {} }), 400, /^Expecting to find auth in request body\./);
      assertError(
        await call(server, 'POST', '/v3/auth/tokens', { body: { auth: { scope: 'unscoped' } } }),
        400,
        "'identity' is a required property",
      );
      assertError(
        await call(server, 'POST', '/v3/auth/tokens', { body: { auth: { identity: {} } } }),
        400,
        "Invalid input for field 'identity': 'methods' is a required property",
      );
      assertError(await issueToken(server, { identity: { methods: ['password'] } }), 400, /^Expecting to find password in identity\./);
      assertError(
        await issueToken(server, { identity: { methods: ['password'], password: {} } }),
        400,
        /^Expecting to find user in password\./,
      );
      assertError(
        await issueToken(server, pw({ password: 'x' })),
        400,
        'Invalid input for field identity/password/user: id or name must be present.',
      );
      assertError(await issueToken(server, pw({ name: 'admin', password: 'x' })), 400, /^Expecting to find domain in user\./);
      assertError(
        await issueToken(server, pw({ name: 'admin', domain: {}, password: 'x' })),
        400,
        'Invalid input for field identity/password/user/domain: id or name must be present.',
      );
      assertError(
        await issueToken(server, {
          ...pw({ name: 'admin', domain: { name: 'Default' }, password: server.adminPassword }),
          scope: { project: { name: 'admin' } },
        }),
        400,
        /^Expecting to find domain in project\./,
      );
      assertError(
        await issueToken(server, {
          ...pw({ name: 'admin', domain: { name: 'Default' }, password: server.adminPassword }),
          scope: { project: {} },
        }),
        400,
        'Invalid input for field scope/project: id or name must be present.',
      );
      assertError(
        await call(server, 'POST', '/v3/auth/tokens', { rawBody: '{"auth": ' }),
        400,
        /^Expecting to find valid JSON in request body\./,
      );
      assertError(
        await call(server, 'POST', '/v3/auth/tokens', { rawBody: '{}', headers: { 'Content-Type': 'text/plain' } }),
        400,
        /^Expecting to find application\/json in Content-Type header\./,
      );
    });

    test('a method not in [auth] methods: 401 naming the enabled methods', async () => {
      const res = await issueToken(server, { identity: { methods: ['kerberos'], kerberos: {} } });
      assertError(res, 401, 'Attempted to authenticate with an unsupported method.');
      assert.deepEqual(res.body.error.identity.methods, server.config.conf.auth.methods);
    });

    test('oversized ids, names and passwords: 400 before any look-up or hashing', async () => {
      const long = 'x'.repeat(65);
      assertError(
        await issueToken(server, pw({ id: long, password: 'x' })),
        400,
        /^Request attribute user id must be less than or equal to 64\./,
      );
      assertError(
        await issueToken(server, pw({ name: long, domain: { name: 'Default' }, password: 'x' })),
        400,
        /^Request attribute user name must be less than or equal to 64/,
      );
      assertError(
        await issueToken(server, pw({ name: 'admin', domain: { name: long }, password: 'x' })),
        400,
        /^Request attribute user domain name/,
      );
      assertError(
        await issueToken(server, { ...pw({ id: server.bootstrap.userId, password: 'x' }), scope: { project: { id: long } } }),
        400,
        /^Request attribute project id/,
      );
      const started = Date.now();
      const res = await issueToken(server, pw({ id: server.bootstrap.userId, password: 'p'.repeat(4097) }));
      assertError(res, 400, /^Request attribute password must be less than or equal to 4096\./);
      assert.ok(Date.now() - started < 1000);
    });
  });
}

describe('password authentication: lockout and expiry', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({
      config: {
        security_compliance: { lockout_failure_attempts: 2, lockout_duration: 2, change_password_upon_first_use: true },
      },
    });
  });
  after(async () => {
    await server.close();
  });

  test('lockout after lockout_failure_attempts failures, for lockout_duration', async () => {
    const user = await makeUser(server, { options: { ignore_change_password_upon_first_use: true } });
    const auth = (password: string) => pw({ id: user.id, password });
    assertError(await issueToken(server, auth('wrong-1')), 401, GENERIC_401);
    assertError(await issueToken(server, auth('wrong-2')), 401, GENERIC_401);
    assertError(await issueToken(server, auth(user.password)), 401, `The account is locked for user: ${user.id}.`);
    await new Promise((r) => setTimeout(r, 2200));
    assert.equal((await issueToken(server, auth(user.password))).status, 201);
  });

  test("a password past its expiry: 401 with Keystone's message", async () => {
    const user = await makeUser(server);
    assertError(
      await issueToken(server, pw({ id: user.id, password: user.password })),
      401,
      `The password is expired and needs to be changed for user: ${user.id}.`,
    );
    // A wrong password for such a user says nothing about the expiry.
    assertError(await issueToken(server, pw({ id: user.id, password: 'not-it' })), 401, GENERIC_401);
  });
});
