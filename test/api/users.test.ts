import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestServer, type TestServer } from '../helpers/test-server.js';
import { databaseKinds } from '../helpers/test-database.js';
import { call, expectStatus, passwordToken, setupPersonas, tokenStatus, unique, type Personas } from './identity-resource-fixtures.js';

type Ref = { id: string; [k: string]: unknown };
const ids = (list: Ref[]) => list.map((x) => x.id);
const KEYSTONE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}$/;

async function authStatus(server: TestServer, userId: string, password: string): Promise<{ status: number; message: string }> {
  const res = await fetch(`${server.publicUrl}/v3/auth/tokens`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ auth: { identity: { methods: ['password'], password: { user: { id: userId, password } } } } }),
  });
  const text = await res.text();
  return { status: res.status, message: text ? (JSON.parse(text).error?.message ?? '') : '' };
}

for (const kind of databaseKinds()) {
  describe(`/v3/users over HTTP (${kind})`, () => {
    let server: TestServer;
    let p: Personas;
    before(async () => {
      server = await startTestServer({ database: kind });
      p = await setupPersonas(server);
    });
    after(async () => {
      await server?.close();
    });

    const admin = () => p.systemAdmin.token;
    const createUser = async (user: Record<string, unknown>, token = admin()) =>
      expectStatus(await call(server, 'POST', '/v3/users', { token, body: { user: { name: unique('usr'), ...user } } }), 201).user;

    test('create, show, list, update and delete a user; extra attributes live at the top level', async () => {
      const created = await createUser({
        domain_id: p.domainA,
        password: 'secret-1',
        email: 'a@example.com',
        description: 'tester',
        enabled: false,
      });
      assert.equal(created.domain_id, p.domainA);
      assert.equal(created.enabled, false);
      assert.equal(created.email, 'a@example.com');
      assert.equal(created.description, 'tester');
      assert.equal(created.password_expires_at, null);
      assert.deepEqual(created.options, {});
      assert.ok(!('password' in created));
      assert.ok(!('default_project_id' in created));
      assert.ok(!('extra' in created));
      assert.equal(created.links.self, `${server.publicUrl}/v3/users/${created.id}`);

      const shown = expectStatus(await call(server, 'GET', `/v3/users/${created.id}`, { token: admin() }), 200).user;
      assert.deepEqual(shown, created);

      const updated = expectStatus(
        await call(server, 'PATCH', `/v3/users/${created.id}`, {
          token: admin(),
          body: {
            user: {
              name: 'renamed-' + created.id.slice(0, 8),
              email: 'b@example.com',
              project_id: p.projectA,
              default_project_id: p.projectA,
              enabled: true,
            },
          },
        }),
        200,
      ).user;
      assert.equal(updated.email, 'b@example.com');
      assert.equal(updated.description, 'tester');
      assert.equal(updated.project_id, p.projectA);
      assert.equal(updated.default_project_id, p.projectA);
      assert.equal(updated.enabled, true);
      assert.deepEqual(updated.extra, { email: 'b@example.com', description: 'tester', project_id: p.projectA });
      const again = expectStatus(await call(server, 'GET', `/v3/users/${created.id}`, { token: admin() }), 200).user;
      assert.equal(again.name, updated.name);
      assert.ok(!('extra' in again));

      expectStatus(await call(server, 'DELETE', `/v3/users/${created.id}`, { token: admin() }), 204);
      expectStatus(await call(server, 'GET', `/v3/users/${created.id}`, { token: admin() }), 404, `Could not find user: ${created.id}.`);
      expectStatus(await call(server, 'DELETE', `/v3/users/${created.id}`, { token: admin() }), 404);
      expectStatus(await call(server, 'PATCH', `/v3/users/${created.id}`, { token: admin(), body: { user: { name: 'x' } } }), 404);
    });

    test("without domain_id a user lands in the caller's domain (domain token) or the default domain", async () => {
      assert.equal((await createUser({})).domain_id, 'default');
      assert.equal((await createUser({}, p.domainAAdmin.token)).domain_id, p.domainA);
    });

    test("Keystone's create and update errors", async () => {
      expectStatus(
        await call(server, 'POST', '/v3/users', { token: admin(), body: { user: { name: 'x', domain_id: 'nosuchdomain' } } }),
        404,
        'Could not find domain: nosuchdomain.',
      );
      const name = unique('dup');
      await createUser({ name, domain_id: p.domainA });
      expectStatus(
        await call(server, 'POST', '/v3/users', { token: admin(), body: { user: { name, domain_id: p.domainA } } }),
        409,
        `Conflict occurred attempting to store user - Duplicate entry found with name ${name} at domain ID ${p.domainA}.`,
      );
      await createUser({ name, domain_id: p.domainB });
      expectStatus(
        await call(server, 'POST', '/v3/users', { token: admin(), body: { user: { name: unique('x'), default_project_id: p.domainA } } }),
        400,
        `User's default project ID cannot be a domain ID: ${p.domainA}`,
      );
      const u = await createUser({ domain_id: p.domainA });
      expectStatus(
        await call(server, 'PATCH', `/v3/users/${u.id}`, { token: admin(), body: { user: { id: 'other' } } }),
        400,
        'Cannot change ID',
      );
      expectStatus(
        await call(server, 'PATCH', `/v3/users/${u.id}`, { token: admin(), body: { user: { domain_id: p.domainB } } }),
        400,
        'Cannot change Domain ID',
      );
      expectStatus(
        await call(server, 'PATCH', `/v3/users/${u.id}`, { token: admin(), body: { user: { name } } }),
        409,
        `Conflict occurred attempting to store user - Duplicate entry found with name ${name}.`,
      );
      expectStatus(await call(server, 'PATCH', `/v3/users/${u.id}`, { token: admin(), body: { user: {} } }), 400);
    });

    test('user options: validated, merged, and removed by null', async () => {
      const u = await createUser({
        options: { ignore_password_expiry: true, multi_factor_auth_rules: [['password', 'totp']], multi_factor_auth_enabled: true },
      });
      assert.deepEqual(u.options, {
        ignore_password_expiry: true,
        multi_factor_auth_rules: [['password', 'totp']],
        multi_factor_auth_enabled: true,
      });
      const merged = expectStatus(
        await call(server, 'PATCH', `/v3/users/${u.id}`, {
          token: admin(),
          body: { user: { options: { lock_password: true, ignore_password_expiry: null } } },
        }),
        200,
      ).user;
      assert.deepEqual(merged.options, {
        multi_factor_auth_rules: [['password', 'totp']],
        multi_factor_auth_enabled: true,
        lock_password: true,
      });
      const bad: unknown[] = [
        { unknown_option: true },
        { lock_password: 'yes' },
        { ignore_lockout_failure_attempts: 1 },
        { multi_factor_auth_rules: 'password' },
        { multi_factor_auth_rules: [['password', 'password']] },
        { multi_factor_auth_rules: [[]] },
        { multi_factor_auth_rules: [['password'], ['password']] },
        { multi_factor_auth_rules: [[1]] },
        'options',
      ];
      for (const options of bad) {
        expectStatus(await call(server, 'POST', '/v3/users', { token: admin(), body: { user: { name: unique('bad'), options } } }), 400);
        expectStatus(await call(server, 'PATCH', `/v3/users/${u.id}`, { token: admin(), body: { user: { options } } }), 400);
      }
      const same = expectStatus(await call(server, 'GET', `/v3/users/${u.id}`, { token: admin() }), 200).user;
      assert.deepEqual(same.options, merged.options);
    });

    test('bad bodies answer 400 and create nothing', async () => {
      const before = expectStatus(await call(server, 'GET', '/v3/users', { token: admin() }), 200).users.length;
      const bad: unknown[] = [
        { user: { name: '' } },
        { user: { name: 'x'.repeat(256) } },
        { user: {} },
        {},
        { user: { name: 'ok', enabled: 'no' } },
        { user: { name: 'ok', password: 12345 } },
        { user: { name: 'ok', domain_id: 'bad id!' } },
        { user: { name: 'ok', default_project_id: {} } },
        { user: { name: 'nul\u0000' } },
        { user: { name: 'ok', password: 'p\u0000w' } },
        { user: { name: 'ok', email: 'a\u0000b' } },
        { user: { name: 'ok', federated: [{ idp_id: 'x' }] } },
        { user: { name: 'ok', federated: [{ idp_id: 'nosuchidp', protocols: [{ protocol_id: 'saml2', unique_id: 'u' }] }] } },
        { user: ['a'] },
        { user: { name: 'z'.repeat(100_000) } },
      ];
      for (const body of bad) expectStatus(await call(server, 'POST', '/v3/users', { token: admin(), body }), 400);
      expectStatus(await call(server, 'POST', '/v3/users', { token: admin(), rawBody: 'not json' }), 400);
      const after = expectStatus(await call(server, 'GET', '/v3/users', { token: admin() }), 200).users.length;
      assert.equal(after, before);
      expectStatus(await call(server, 'GET', '/v3/users/%00', { token: admin() }), 404);
    });

    test('list filters: name, enabled, domain_id, __contains style, password_expires_at', async () => {
      const prefix = unique('uf');
      const a = await createUser({ name: `${prefix}-Anna`, domain_id: p.domainB });
      const b = await createUser({ name: `${prefix}-bob`, domain_id: p.domainB, enabled: false });
      const q = async (query: string) =>
        ids(expectStatus(await call(server, 'GET', `/v3/users?${query}`, { token: admin() }), 200).users)
          .filter((id) => [a.id, b.id].includes(id))
          .sort();
      assert.deepEqual(await q(`name=${prefix}-Anna`), [a.id]);
      assert.deepEqual(await q(`name=${prefix}-Anna&domain_id=${p.domainA}`), []);
      assert.deepEqual(await q('enabled=false'), [b.id]);
      assert.deepEqual(await q(`domain_id=${p.domainB}`), [a.id, b.id].sort());
      assert.deepEqual(await q(`name__icontains=${prefix.toUpperCase()}-ANNA`), [a.id]);
      assert.deepEqual(await q(`name__contains=${prefix}-A`), [a.id]);
      assert.deepEqual(await q(`name__endswith=bob`), [b.id]);
      assert.deepEqual(await q('idp_id=some-idp'), []);
      expectStatus(
        await call(server, 'GET', '/v3/users?password_expires_at=lt:not-a-time', { token: admin() }),
        400,
        /^Timestamp not in expected format\./,
      );
      expectStatus(
        await call(server, 'GET', '/v3/users?password_expires_at=xx:2030-01-01T00:00:00Z', { token: admin() }),
        400,
        "The given operator xx is not valid. It must be one of the following: 'eq', 'neq', 'lt', 'lte', 'gt', or 'gte'.",
      );
      expectStatus(await call(server, 'GET', '/v3/users?password_expires_at=lt:2030-01-01T00:00:00Z', { token: admin() }), 200);
    });

    test('disabling or deleting a user stops their tokens validating; an admin password reset does too', async () => {
      const { providers, bootstrap } = server;
      const user = await providers.identity_api.createUser({ name: unique('tok'), domainId: p.domainA, password: 'pw-tok-1' });
      await providers.assignment_api.createGrant(bootstrap.memberRoleId, { userId: user.id }, { projectId: p.projectA });
      let token = await passwordToken(server, user.id, 'pw-tok-1', { projectId: p.projectA });
      assert.equal(await tokenStatus(server, admin(), token), 200);
      expectStatus(await call(server, 'PATCH', `/v3/users/${user.id}`, { token: admin(), body: { user: { enabled: false } } }), 200);
      assert.equal(await tokenStatus(server, admin(), token), 404);
      const disabled = await authStatus(server, user.id, 'pw-tok-1');
      assert.equal(disabled.status, 401);
      expectStatus(await call(server, 'PATCH', `/v3/users/${user.id}`, { token: admin(), body: { user: { enabled: true } } }), 200);
      await new Promise((r) => setTimeout(r, 1100));
      token = await passwordToken(server, user.id, 'pw-tok-1', { projectId: p.projectA });
      expectStatus(await call(server, 'PATCH', `/v3/users/${user.id}`, { token: admin(), body: { user: { password: 'pw-tok-2' } } }), 200);
      assert.equal(await tokenStatus(server, admin(), token), 404);
      assert.equal((await authStatus(server, user.id, 'pw-tok-1')).status, 401);
      await new Promise((r) => setTimeout(r, 1100));
      token = await passwordToken(server, user.id, 'pw-tok-2', { projectId: p.projectA });
      expectStatus(await call(server, 'DELETE', `/v3/users/${user.id}`, { token: admin() }), 204);
      assert.equal(await tokenStatus(server, admin(), token), 404);
    });

    test("a user's projects and groups", async () => {
      const u = await createUser({ domain_id: p.domainA });
      const { providers, bootstrap } = server;
      const prj = expectStatus(
        await call(server, 'POST', '/v3/projects', { token: admin(), body: { project: { name: unique('up'), domain_id: p.domainA } } }),
        201,
      ).project;
      await providers.assignment_api.createGrant(bootstrap.memberRoleId, { userId: u.id }, { projectId: prj.id });
      const projects = expectStatus(await call(server, 'GET', `/v3/users/${u.id}/projects`, { token: admin() }), 200);
      assert.deepEqual(ids(projects.projects), [prj.id]);
      assert.equal(projects.links.self, `${server.publicUrl}/v3/users/${u.id}/projects`);
      assert.deepEqual(
        ids(expectStatus(await call(server, 'GET', `/v3/users/${u.id}/projects?name=nomatch`, { token: admin() }), 200).projects),
        [],
      );
      const g = expectStatus(
        await call(server, 'POST', '/v3/groups', { token: admin(), body: { group: { name: unique('ug'), domain_id: p.domainA } } }),
        201,
      ).group;
      expectStatus(await call(server, 'PUT', `/v3/groups/${g.id}/users/${u.id}`, { token: admin() }), 204);
      const groups = expectStatus(await call(server, 'GET', `/v3/users/${u.id}/groups`, { token: admin() }), 200).groups;
      assert.deepEqual(ids(groups), [g.id]);
      assert.equal(groups[0].membership_expires_at, null);
      expectStatus(await call(server, 'GET', '/v3/users/nosuchuser/groups', { token: admin() }), 404, 'Could not find user: nosuchuser.');
      expectStatus(await call(server, 'GET', '/v3/users/nosuchuser/projects', { token: admin() }), 404);
    });

    test("a user lists their own projects (with an unscoped token), not someone else's", async () => {
      const token = await passwordToken(server, p.projectAMember.userId, p.projectAMember.password);
      assert.deepEqual(
        ids(expectStatus(await call(server, 'GET', `/v3/users/${p.projectAMember.userId}/projects`, { token }), 200).projects),
        [p.projectA],
      );
      expectStatus(await call(server, 'GET', `/v3/users/${p.noRole.userId}/projects`, { token }), 403);
    });

    describe('personas (Keystone 22 default policy)', () => {
      test('no token: 401', async () => {
        for (const [method, path] of [
          ['GET', '/v3/users'],
          ['POST', '/v3/users'],
          ['GET', `/v3/users/${p.noRole.userId}`],
          ['DELETE', `/v3/users/${p.noRole.userId}`],
        ]) {
          expectStatus(await call(server, method, path, { body: method === 'POST' ? { user: { name: 'x' } } : undefined }), 401);
        }
      });

      test('a user reads itself, not others; members and readers write nothing', async () => {
        expectStatus(await call(server, 'GET', `/v3/users/${p.projectAMember.userId}`, { token: p.projectAMember.token }), 200);
        expectStatus(await call(server, 'GET', `/v3/users/${p.noRole.userId}`, { token: p.noRole.token }), 200);
        expectStatus(await call(server, 'GET', `/v3/users/${p.domainBAdmin.userId}`, { token: p.projectAMember.token }), 403);
        expectStatus(await call(server, 'GET', '/v3/users/no-such-user', { token: p.projectAMember.token }), 403);
        for (const who of [p.projectAMember, p.projectAReader, p.domainAReader, p.systemReader, p.noRole]) {
          expectStatus(await call(server, 'POST', '/v3/users', { token: who.token, body: { user: { name: unique('nope') } } }), 403);
          expectStatus(
            await call(server, 'PATCH', `/v3/users/${p.noRole.userId}`, { token: who.token, body: { user: { description: 'x' } } }),
            403,
          );
          expectStatus(await call(server, 'DELETE', `/v3/users/${p.domainBAdmin.userId}`, { token: who.token }), 403);
        }
        expectStatus(await call(server, 'GET', '/v3/users', { token: p.projectAMember.token }), 403);
      });

      test("a domain reader reads and lists its domain's users only", async () => {
        const listed = ids(expectStatus(await call(server, 'GET', '/v3/users', { token: p.domainAReader.token }), 200).users);
        assert.ok(listed.includes(p.projectAMember.userId));
        assert.ok(!listed.includes(p.domainBAdmin.userId));
        assert.ok(!listed.includes(server.bootstrap.userId));
        expectStatus(await call(server, 'GET', `/v3/users/${p.projectAMember.userId}`, { token: p.domainAReader.token }), 200);
        expectStatus(await call(server, 'GET', `/v3/users/${p.domainBAdmin.userId}`, { token: p.domainAReader.token }), 403);
      });

      test("a domain admin's user list holds its own domain only, whatever it filters on", async () => {
        const byB = ids(
          expectStatus(await call(server, 'GET', `/v3/users?domain_id=${p.domainA}`, { token: p.domainBAdmin.token }), 200).users,
        );
        assert.deepEqual(byB, []);
        const byA = expectStatus(await call(server, 'GET', '/v3/users', { token: p.domainAAdmin.token }), 200).users;
        assert.ok(byA.length > 0 && byA.every((u: { domain_id: string }) => u.domain_id === p.domainA));
      });

      test("a system reader lists every domain's users", async () => {
        const listed = ids(expectStatus(await call(server, 'GET', '/v3/users', { token: p.systemReader.token }), 200).users);
        assert.ok(listed.includes(p.projectAMember.userId) && listed.includes(p.domainBAdmin.userId));
      });
    });
  });

  describe(`POST /v3/users/{user_id}/password and [security_compliance] (${kind})`, () => {
    let server: TestServer;
    let adminToken: string;
    before(async () => {
      server = await startTestServer({
        database: kind,
        // Keystone's bootstrap holds the admin password to password_regex too.
        adminPassword: 'admin-passw0rd',
        config: {
          security_compliance: {
            password_regex: '^(?=.*\\d)(?=.*[a-zA-Z]).{7,}$',
            password_regex_description: 'Passwords must contain at least 1 letter, 1 digit, and be a minimum length of 7 characters.',
            unique_last_password_count: 2,
            minimum_password_age: 0,
            password_expires_days: 90,
          },
        },
      });
      adminToken = await passwordToken(server, server.bootstrap.userId, server.adminPassword, { system: true });
    });
    after(async () => {
      await server?.close();
    });

    const newUser = async (extra: Record<string, unknown> = {}) =>
      expectStatus(
        await call(server, 'POST', '/v3/users', {
          token: adminToken,
          body: { user: { name: unique('pw'), password: 'first-pw-1', ...extra } },
        }),
        201,
      ).user;
    const change = (userId: string, original: string, password: string) =>
      call(server, 'POST', `/v3/users/${userId}/password`, { body: { user: { original_password: original, password } } });

    test('password_expires_days sets password_expires_at; ignore_password_expiry leaves it null', async () => {
      const u = await newUser();
      assert.match(u.password_expires_at, KEYSTONE_TIME);
      const days = (Date.parse(`${u.password_expires_at}Z`) - Date.now()) / 86400_000;
      assert.ok(days > 89.9 && days <= 90, String(days));
      const exempt = await newUser({ options: { ignore_password_expiry: true } });
      assert.equal(exempt.password_expires_at, null);
    });

    test('self-service change: no token needed, the original password is checked, old tokens stop validating', async () => {
      const u = await newUser();
      const token = await passwordToken(server, u.id, 'first-pw-1');
      expectStatus(await change(u.id, 'wrong-pw-1', 'second-pw-2'), 401, 'The request you have made requires authentication.');
      expectStatus(await change('no-such-user', 'first-pw-1', 'second-pw-2'), 401);
      expectStatus(await change(u.id, 'first-pw-1', 'second-pw-2'), 204);
      assert.equal(await tokenStatus(server, adminToken, token), 404);
      assert.equal((await authStatus(server, u.id, 'first-pw-1')).status, 401);
      await new Promise((r) => setTimeout(r, 1100));
      await passwordToken(server, u.id, 'second-pw-2');
    });

    test("password_regex: Keystone's message with the description", async () => {
      const u = await newUser();
      expectStatus(
        await change(u.id, 'first-pw-1', 'short'),
        400,
        'The password does not match the requirements: Passwords must contain at least 1 letter, 1 digit, and be a minimum length of 7 characters..',
      );
      expectStatus(
        await call(server, 'POST', '/v3/users', { token: adminToken, body: { user: { name: unique('weak'), password: 'nodigits' } } }),
        400,
        /^The password does not match the requirements/,
      );
      expectStatus(
        await call(server, 'PATCH', `/v3/users/${u.id}`, { token: adminToken, body: { user: { password: 'nodigits' } } }),
        400,
        /^The password does not match the requirements/,
      );
    });

    test('unique_last_password_count: the last passwords cannot be reused', async () => {
      const u = await newUser();
      expectStatus(
        await change(u.id, 'first-pw-1', 'first-pw-1'),
        400,
        'The new password cannot be identical to a previous password. The total number which includes the new password must be unique is 2.',
      );
      expectStatus(await change(u.id, 'first-pw-1', 'second-pw-2'), 204);
      expectStatus(await change(u.id, 'second-pw-2', 'first-pw-1'), 400, /cannot be identical to a previous password/);
      expectStatus(await change(u.id, 'second-pw-2', 'third-pw-3'), 204);
      // An administrator's reset is not held to the history.
      expectStatus(
        await call(server, 'PATCH', `/v3/users/${u.id}`, { token: adminToken, body: { user: { password: 'third-pw-3' } } }),
        200,
      );
    });

    test('lock_password refuses self-service changes', async () => {
      const u = await newUser({ options: { lock_password: true } });
      expectStatus(
        await change(u.id, 'first-pw-1', 'second-pw-2'),
        400,
        'You cannot change your password at this time due to password policy disallowing password changes. Please contact your administrator to reset your password.',
      );
    });

    test('bad change bodies answer 400', async () => {
      const u = await newUser();
      for (const body of [
        {},
        { user: { password: 'x' } },
        { user: { original_password: 'first-pw-1' } },
        { user: { original_password: 'first-pw-1', password: 5 } },
        { user: { original_password: 'first-pw-1', password: 'second-pw-2', extra: 1 } },
        { user: { original_password: 'first-pw-1', password: 'nul\u0000-pw-9' } },
      ]) {
        expectStatus(await call(server, 'POST', `/v3/users/${u.id}/password`, { body }), 400);
      }
      const get = await call(server, 'GET', `/v3/users/${u.id}/password`, { token: adminToken });
      expectStatus(get, 405);
      assert.match(get.headers.get('allow') ?? '', /POST/);
    });
  });

  describe(`minimum_password_age and change_password_upon_first_use (${kind})`, () => {
    let server: TestServer;
    let adminToken: string;
    before(async () => {
      server = await startTestServer({
        database: kind,
        config: { security_compliance: { minimum_password_age: 2, change_password_upon_first_use: true } },
      });
      adminToken = await passwordToken(server, server.bootstrap.userId, server.adminPassword, { system: true });
    });
    after(async () => {
      await server?.close();
    });

    test('a password set by an administrator must be changed on first use; then it holds for the minimum age', async () => {
      const u = expectStatus(
        await call(server, 'POST', '/v3/users', { token: adminToken, body: { user: { name: unique('first'), password: 'admin-set-1' } } }),
        201,
      ).user;
      assert.match(u.password_expires_at, KEYSTONE_TIME);
      const first = await authStatus(server, u.id, 'admin-set-1');
      assert.equal(first.status, 401);
      assert.equal(first.message, `The password is expired and needs to be changed for user: ${u.id}.`);
      // An expired password may still be changed by its owner.
      expectStatus(
        await call(server, 'POST', `/v3/users/${u.id}/password`, {
          body: { user: { original_password: 'admin-set-1', password: 'mine-now-2' } },
        }),
        204,
      );
      await passwordToken(server, u.id, 'mine-now-2');
      expectStatus(
        await call(server, 'POST', `/v3/users/${u.id}/password`, {
          body: { user: { original_password: 'mine-now-2', password: 'again-3' } },
        }),
        400,
        'You cannot change your password at this time due to the minimum password age. Once you change your password, it must be used for 2 day(s) before it can be changed. Please try again in 1 day(s) or contact your administrator to reset your password.',
      );
      const exempt = expectStatus(
        await call(server, 'POST', '/v3/users', {
          token: adminToken,
          body: { user: { name: unique('exempt'), password: 'admin-set-1', options: { ignore_change_password_upon_first_use: true } } },
        }),
        201,
      ).user;
      assert.equal(exempt.password_expires_at, null);
      await passwordToken(server, exempt.id, 'admin-set-1');
    });
  });

  describe(`[identity] list_limit (${kind})`, () => {
    let server: TestServer;
    before(async () => {
      server = await startTestServer({ database: kind, config: { identity: { list_limit: 1 } } });
    });
    after(async () => {
      await server?.close();
    });

    test('user lists are truncated with "truncated": true', async () => {
      const token = await passwordToken(server, server.bootstrap.userId, server.adminPassword, { system: true });
      expectStatus(await call(server, 'POST', '/v3/users', { token, body: { user: { name: 'second' } } }), 201);
      const body = expectStatus(await call(server, 'GET', '/v3/users', { token }), 200);
      assert.equal(body.users.length, 1);
      assert.equal(body.truncated, true);
      assert.ok(!('truncated' in expectStatus(await call(server, 'GET', '/v3/users?name=second', { token }), 200)));
    });
  });
}
