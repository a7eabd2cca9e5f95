/**
 * /v3/users/{user_id}/application_credentials and access_rules over HTTP,
 * and the application_credential auth method: create (secret shown once),
 * list with ?name=, show, delete; Keystone's refusals; tokens by id and by
 * name, their roles, expiry; access rules in the token and the
 * OpenStack-Identity-Access-Rules check; restricted credentials; deletion
 * of a credential, of a role, of a user.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestServer, type TestServer } from '../helpers/test-server.js';
import { databaseKinds } from '../helpers/test-database.js';
import { call, expectStatus, passwordToken, unique } from '../api/identity-resource-fixtures.js';
import {
  authenticate,
  newProject,
  PASSWORD,
  startWorld,
  trustToken,
  userOnProject,
  validate,
  type ProjectUser,
} from '../trust/trust-fixtures.js';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const byId = (id: string, secret: string) => ({
  identity: { methods: ['application_credential'], application_credential: { id, secret } },
});

for (const kind of databaseKinds()) {
  describe(`application credentials and access rules (${kind})`, () => {
    let server: TestServer;
    let systemAdmin: string;
    let projectId: string;
    let owner: ProjectUser;
    let roles: TestServer['bootstrap'];

    before(async () => {
      ({ server, roles, systemAdmin, projectId, owner } = await startWorld(kind));
    });
    after(async () => {
      await server?.close();
    });

    const path = (userId = owner.userId) => `/v3/users/${userId}/application_credentials`;
    const create = async (body: Json, token = owner.token, userId = owner.userId) =>
      call(server, 'POST', path(userId), { token, body: { application_credential: body } });

    test('create (the secret shown once), list, filter by name, show, delete', async () => {
      const expires = new Date(Date.now() + 3600_000);
      const created = expectStatus(
        await create({ name: 'ci', description: 'for CI', expires_at: expires.toISOString() }),
        201,
      ).application_credential;
      assert.equal(created.name, 'ci');
      assert.equal(created.description, 'for CI');
      assert.equal(created.project_id, projectId);
      assert.equal(created.unrestricted, null);
      assert.match(created.secret, /^[A-Za-z0-9_-]{86}$/);
      assert.equal(created.expires_at, `${expires.toISOString().slice(0, 23)}000`);
      assert.deepEqual(created.roles.map((r: Json) => r.name).sort(), ['admin', 'member', 'reader']);
      assert.equal(created.roles[0].links, undefined);
      assert.equal(created.user_id, owner.userId);
      assert.equal(created.system, null);
      assert.equal(created.access_rules, undefined);
      assert.equal(created.links.self, `${server.publicUrl}/v3/application_credentials/${created.id}`);

      const shown = expectStatus(await call(server, 'GET', `${path()}/${created.id}`, { token: owner.token }), 200).application_credential;
      assert.equal(shown.secret, undefined);
      assert.equal(shown.user_id, owner.userId);
      assert.equal(shown.system, null);
      assert.deepEqual(shown.roles, created.roles);
      assert.equal((await call(server, 'HEAD', `${path()}/${created.id}`, { token: owner.token })).status, 200);

      // microseconds kept, rendered without a zone (Keystone's datetime rendering); a time without Z is UTC
      const precise = expectStatus(await create({ name: 'precise', expires_at: '2031-05-06T07:08:09.123456' }), 201).application_credential;
      assert.equal(precise.expires_at, '2031-05-06T07:08:09.123456');
      assert.equal(
        expectStatus(await call(server, 'GET', `${path()}/${precise.id}`, { token: owner.token }), 200).application_credential.expires_at,
        '2031-05-06T07:08:09.123456',
      );
      expectStatus(await call(server, 'DELETE', `${path()}/${precise.id}`, { token: owner.token }), 204);

      const other = expectStatus(
        await create({ name: 'other', secret: 'my-own-secret', roles: [{ name: 'reader' }], unrestricted: true }),
        201,
      ).application_credential;
      assert.equal(other.secret, 'my-own-secret');
      assert.deepEqual(
        other.roles.map((r: Json) => r.id),
        [roles.readerRoleId],
      );
      assert.equal(other.unrestricted, true);

      const listed = expectStatus(await call(server, 'GET', path(), { token: owner.token }), 200);
      assert.deepEqual(listed.application_credentials.map((c: Json) => c.name).sort(), ['ci', 'other']);
      assert.ok(listed.application_credentials.every((c: Json) => c.secret === undefined && c.user_id === owner.userId));
      assert.equal(listed.links.self, `${server.publicUrl}${path()}`);
      const filtered = expectStatus(await call(server, 'GET', `${path()}?name=other`, { token: owner.token }), 200);
      assert.deepEqual(
        filtered.application_credentials.map((c: Json) => c.id),
        [other.id],
      );

      expectStatus(await call(server, 'DELETE', `${path()}/${created.id}`, { token: owner.token }), 204);
      expectStatus(
        await call(server, 'GET', `${path()}/${created.id}`, { token: owner.token }),
        404,
        `Could not find Application Credential: ${created.id}.`,
      );
      expectStatus(await call(server, 'DELETE', `${path()}/${created.id}`, { token: owner.token }), 404);
      expectStatus(await call(server, 'DELETE', `${path()}/${other.id}`, { token: owner.token }), 204);
    });

    test("Keystone's refusals, and nothing is stored", async () => {
      const reader = await userOnProject(server, projectId, [roles.adminRoleId]);
      const readerToken = await passwordToken(server, reader.userId, PASSWORD, { projectId });
      const count = async () => (await server.providers.application_credential_api.list(owner.userId)).length;
      const before = await count();
      // refused by policy (Keystone's owner rule), or after it by the handler's own check
      expectStatus(
        await create({ name: 'x' }, readerToken),
        403,
        /^You are not authorized to perform the requested action: (identity:create_application_credential|Cannot create an application credential for another user\.)\.$/,
      );
      const extraRole = (await server.providers.role_api.createRole({ name: unique('unheld') })).id;
      expectStatus(
        await create({ name: 'x', roles: [{ id: extraRole }] }),
        400,
        'Invalid application credential: Cannot create an application credential with unassigned role',
      );
      expectStatus(await create({ name: 'x', roles: [{ name: 'no-such-role' }] }), 404, 'Role no-such-role is not defined');
      expectStatus(await create({ description: 'no name' }), 400, "'name' is a required property");
      expectStatus(await create({ name: 'x', unrestricted: 'yes' }), 400);
      expectStatus(await create({ name: 'x', expires_at: '2001-01-01T00:00:00' }), 400, /^The 'expires_at' must not be before now\./);
      expectStatus(await create({ name: 'x', expires_at: 'soon' }), 400, /^Timestamp not in expected format\./);
      expectStatus(await create({ name: 'x', access_rules: [{ service: 'compute', path: 'no-slash', method: 'GET' }] }), 400);
      expectStatus(await create({ name: 'x', access_rules: [{ service: 'compute', path: '/v2.1/servers', method: 'FETCH' }] }), 400);
      assert.equal(await count(), before);
      expectStatus(await create({ name: 'twice' }), 201);
      expectStatus(
        await create({ name: 'twice' }),
        409,
        'Conflict occurred attempting to store application_credential - Duplicate entry found with name twice.',
      );
      expectStatus(
        await call(server, 'GET', `${path()}/nosuch`, { token: owner.token }),
        404,
        'Could not find Application Credential: nosuch.',
      );
    });

    test('authenticating by id and by name: a token of the credential, its roles, its expiry', async () => {
      const expires = new Date(Date.now() + 600_000);
      const cred = expectStatus(
        await create({ name: 'auth', roles: [{ id: roles.memberRoleId }], expires_at: expires.toISOString() }),
        201,
      ).application_credential;
      const issued = await authenticate(server, byId(cred.id, cred.secret));
      assert.equal(issued.status, 201, JSON.stringify(issued.body));
      const t = issued.body.token;
      assert.deepEqual(t.methods, ['application_credential']);
      assert.equal(t.user.id, owner.userId);
      assert.equal(t.project.id, projectId);
      assert.deepEqual(t.application_credential, { id: cred.id, name: 'auth', restricted: true });
      assert.deepEqual(
        t.roles.map((r: Json) => r.name),
        ['member'],
      );
      assert.ok(Date.parse(t.expires_at) <= expires.getTime());

      const byName = await authenticate(server, {
        identity: {
          methods: ['application_credential'],
          application_credential: {
            name: 'auth',
            secret: cred.secret,
            user: { id: owner.userId },
          },
        },
      });
      assert.equal(byName.status, 201);
      assert.equal(byName.body.token.application_credential.id, cred.id);

      assert.equal((await authenticate(server, byId(cred.id, 'wrong'))).status, 401);
      const scoped = await authenticate(server, { ...byId(cred.id, cred.secret), scope: { project: { id: projectId } } });
      assert.equal(scoped.status, 401);
      assert.equal(
        scoped.body.error.message,
        'Error authenticating with application credential: Application credentials cannot request a scope.',
      );

      // an expired credential authenticates no more
      await server.db.none("UPDATE application_credential SET expires_at = now() - interval '1 minute' WHERE id = $1", [cred.id]);
      await server.providers.application_credential_api.invalidate();
      assert.equal((await authenticate(server, byId(cred.id, cred.secret))).status, 401);
    });

    test('deleting a credential ends its tokens', async () => {
      const cred = expectStatus(await create({ name: 'short-lived' }), 201).application_credential;
      const issued = await authenticate(server, byId(cred.id, cred.secret));
      assert.equal((await validate(server, systemAdmin, issued.token as string)).status, 200);
      expectStatus(await call(server, 'DELETE', `${path()}/${cred.id}`, { token: owner.token }), 204);
      assert.equal((await validate(server, systemAdmin, issued.token as string)).status, 404);
      assert.equal((await authenticate(server, byId(cred.id, cred.secret))).status, 404);
    });

    test('a restricted credential cannot manage credentials; an unrestricted one can', async () => {
      const restricted = expectStatus(await create({ name: 'restricted' }), 201).application_credential;
      const rToken = (await authenticate(server, byId(restricted.id, restricted.secret))).token as string;
      expectStatus(
        await create({ name: 'child' }, rToken),
        403,
        "You are not authorized to perform the requested action: Using method 'application_credential' is not allowed for managing additional application credentials..",
      );
      expectStatus(await call(server, 'DELETE', `${path()}/${restricted.id}`, { token: rToken }), 403);
      const open = expectStatus(await create({ name: 'unrestricted', unrestricted: true }), 201).application_credential;
      const uToken = (await authenticate(server, byId(open.id, open.secret))).token as string;
      const child = expectStatus(await create({ name: 'child' }, uToken), 201).application_credential;
      assert.equal(child.project_id, projectId);
    });

    test('a trust-scoped token cannot manage application credentials', async () => {
      const trustee = await userOnProject(server, await newProject(server), [roles.adminRoleId]);
      const trust = expectStatus(
        await call(server, 'POST', '/v3/OS-TRUST/trusts', {
          token: owner.token,
          body: {
            trust: {
              trustor_user_id: owner.userId,
              trustee_user_id: trustee.userId,
              project_id: projectId,
              impersonation: true,
              roles: [{ id: roles.adminRoleId }],
            },
          },
        }),
        201,
      ).trust;
      const tToken = (await trustToken(server, trustee.userId, trust.id)).token as string;
      expectStatus(await call(server, 'GET', path(trustee.userId), { token: tToken }), 403);
      expectStatus(await create({ name: 'via-trust' }, tToken, trustee.userId), 403);
    });

    test('access rules: carried by the token, enforced through the header, listed, shown, deleted when unused', async () => {
      const rules = [
        { service: 'compute', path: '/v2.1/servers', method: 'GET' },
        { service: 'identity', path: '/v3/projects/*', method: 'GET' },
      ];
      const cred = expectStatus(await create({ name: 'with-rules', access_rules: rules }), 201).application_credential;
      assert.equal(cred.access_rules.length, 2);
      assert.deepEqual(
        cred.access_rules.map((r: Json) => ({ service: r.service, path: r.path, method: r.method })),
        rules,
      );
      const ruleId = cred.access_rules[0].id;
      // a second credential naming the same rule (by id, or by its content) shares it
      const again = expectStatus(
        await create({ name: 'same-rules', access_rules: [{ id: ruleId }, rules[1]] }),
        201,
      ).application_credential;
      assert.deepEqual(again.access_rules.map((r: Json) => r.id).sort(), cred.access_rules.map((r: Json) => r.id).sort());

      const listed = expectStatus(await call(server, 'GET', `/v3/users/${owner.userId}/access_rules`, { token: owner.token }), 200);
      assert.equal(listed.access_rules.length, 2);
      assert.equal(listed.access_rules.find((r: Json) => r.id === ruleId).links.self, `${server.publicUrl}/v3/access_rules/${ruleId}`);
      const filtered = expectStatus(
        await call(server, 'GET', `/v3/users/${owner.userId}/access_rules?service=identity`, { token: owner.token }),
        200,
      );
      assert.deepEqual(
        filtered.access_rules.map((r: Json) => r.service),
        ['identity'],
      );
      const shown = expectStatus(
        await call(server, 'GET', `/v3/users/${owner.userId}/access_rules/${ruleId}`, { token: owner.token }),
        200,
      ).access_rule;
      assert.deepEqual({ ...shown, links: undefined }, { id: ruleId, ...rules[0], links: undefined });
      expectStatus(
        await call(server, 'GET', `/v3/users/${owner.userId}/access_rules/nosuch`, { token: owner.token }),
        404,
        'Could not find Access Rule: nosuch.',
      );

      // the token carries the rules; only a client that declares support may validate it
      const issued = await authenticate(server, byId(cred.id, cred.secret));
      assert.equal(issued.status, 201);
      assert.deepEqual(
        issued.body.token.application_credential.access_rules.map((r: Json) => r.id).sort(),
        cred.access_rules.map((r: Json) => r.id).sort(),
      );
      assert.equal((await validate(server, systemAdmin, issued.token as string)).status, 404);
      assert.equal((await validate(server, systemAdmin, issued.token as string, { 'OpenStack-Identity-Access-Rules': '1.0' })).status, 200);
      // Keystone's own API validates its callers as a rule-aware client, and enforces no rule (as Keystone 22 does)
      expectStatus(await call(server, 'GET', path(), { token: issued.token as string }), 200);

      expectStatus(
        await call(server, 'DELETE', `/v3/users/${owner.userId}/access_rules/${ruleId}`, { token: owner.token }),
        403,
        'May not delete access rule in use',
      );
      expectStatus(await call(server, 'DELETE', `${path()}/${cred.id}`, { token: owner.token }), 204);
      expectStatus(await call(server, 'DELETE', `${path()}/${again.id}`, { token: owner.token }), 204);
      expectStatus(await call(server, 'DELETE', `/v3/users/${owner.userId}/access_rules/${ruleId}`, { token: owner.token }), 204);
      expectStatus(await call(server, 'GET', `/v3/users/${owner.userId}/access_rules/${ruleId}`, { token: owner.token }), 404);
    });

    test('a user losing the role on the project: the tokens lose it; a disabled user loses every credential', async () => {
      const holder = await userOnProject(server, projectId, [roles.adminRoleId]);
      const cred = expectStatus(
        await create({ name: 'grant-bound', roles: [{ id: roles.adminRoleId }] }, holder.token, holder.userId),
        201,
      ).application_credential;
      const issued = await authenticate(server, byId(cred.id, cred.secret));
      assert.equal((await validate(server, systemAdmin, issued.token as string)).status, 200);
      expectStatus(
        await call(server, 'DELETE', `/v3/projects/${projectId}/users/${holder.userId}/roles/${roles.adminRoleId}`, { token: systemAdmin }),
        204,
      );
      assert.equal((await validate(server, systemAdmin, issued.token as string)).status, 404);
      assert.equal((await authenticate(server, byId(cred.id, cred.secret))).status, 401);

      await server.providers.assignment_api.createGrant(roles.adminRoleId, { userId: holder.userId }, { projectId });
      expectStatus(
        await call(server, 'PATCH', `/v3/users/${holder.userId}`, { token: systemAdmin, body: { user: { enabled: false } } }),
        200,
      );
      assert.equal(await server.providers.application_credential_api.findStored(cred.id), null);
    });

    test("a deleted role takes its holders' credentials on the project; a deleted user all of theirs", async () => {
      const role = (await server.providers.role_api.createRole({ name: unique('temp') })).id;
      const holder = await userOnProject(server, projectId, [roles.adminRoleId, role]);
      const post = (name: string) => create({ name }, holder.token, holder.userId);
      const cred = expectStatus(await post('role-bound'), 201).application_credential;
      const issued = await authenticate(server, byId(cred.id, cred.secret));
      assert.equal(issued.status, 201);
      expectStatus(await call(server, 'DELETE', `/v3/roles/${role}`, { token: systemAdmin }), 204);
      expectStatus(await call(server, 'GET', `${path(holder.userId)}/${cred.id}`, { token: systemAdmin }), 404);
      assert.equal((await validate(server, systemAdmin, issued.token as string)).status, 404);

      const freshToken = await passwordToken(server, holder.userId, PASSWORD, { projectId });
      const kept = expectStatus(
        await create({ name: 'user-bound', access_rules: [{ service: 'compute', path: '/x', method: 'GET' }] }, freshToken, holder.userId),
        201,
      ).application_credential;
      expectStatus(await call(server, 'DELETE', `/v3/users/${holder.userId}`, { token: systemAdmin }), 204);
      assert.equal(await server.providers.application_credential_api.findStored(kept.id), null);
      assert.deepEqual(await server.providers.application_credential_api.listAccessRules(holder.userId), []);
    });
  });

  describe(`[application_credential] user_limit (${kind})`, () => {
    let server: TestServer;
    before(async () => {
      server = await startTestServer({ database: kind, config: { application_credential: { user_limit: 1 } } });
    });
    after(async () => {
      await server?.close();
    });

    test('a user past the limit gets a 403', async () => {
      const projectId = await newProject(server);
      const u = await userOnProject(server, projectId, [server.bootstrap.adminRoleId]);
      const post = (name: string) =>
        call(server, 'POST', `/v3/users/${u.userId}/application_credentials`, {
          token: u.token,
          body: { application_credential: { name } },
        });
      expectStatus(await post('one'), 201);
      expectStatus(await post('two'), 403, 'Unable to create additional application credentials, maximum of 1 already exceeded for user.');
    });
  });
}
