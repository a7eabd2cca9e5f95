import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestServer, type TestServer } from '../helpers/test-server.js';
import { databaseKinds } from '../helpers/test-database.js';
import { call, expectStatus, passwordToken, setupPersonas, tokenStatus, unique, type Personas } from './identity-resource-fixtures.js';

type Ref = { id: string; [k: string]: unknown };
const ids = (list: Ref[]) => list.map((x) => x.id);

for (const kind of databaseKinds()) {
  describe(`/v3/groups over HTTP (${kind})`, () => {
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
    const createGroup = async (group: Record<string, unknown>, token = admin()) =>
      expectStatus(await call(server, 'POST', '/v3/groups', { token, body: { group: { name: unique('grp'), ...group } } }), 201).group;
    const createUser = async (user: Record<string, unknown> = {}) =>
      expectStatus(await call(server, 'POST', '/v3/users', { token: admin(), body: { user: { name: unique('member'), ...user } } }), 201)
        .user;

    test('create, show, list, update and delete a group', async () => {
      const g = await createGroup({ domain_id: p.domainA, description: 'team', mailing_list: 'team@example.com' });
      assert.equal(g.domain_id, p.domainA);
      assert.equal(g.description, 'team');
      assert.equal(g.mailing_list, 'team@example.com');
      assert.equal(g.links.self, `${server.publicUrl}/v3/groups/${g.id}`);
      assert.deepEqual(expectStatus(await call(server, 'GET', `/v3/groups/${g.id}`, { token: admin() }), 200).group, g);
      const listed = expectStatus(await call(server, 'GET', `/v3/groups?domain_id=${p.domainA}`, { token: admin() }), 200);
      assert.ok(ids(listed.groups).includes(g.id));
      assert.equal(listed.links.self, `${server.publicUrl}/v3/groups?domain_id=${p.domainA}`);
      const updated = expectStatus(
        await call(server, 'PATCH', `/v3/groups/${g.id}`, {
          token: admin(),
          body: { group: { name: 'renamed-' + g.id.slice(0, 6), description: null } },
        }),
        200,
      ).group;
      assert.equal(updated.description, null);
      assert.equal(updated.mailing_list, 'team@example.com');
      expectStatus(await call(server, 'DELETE', `/v3/groups/${g.id}`, { token: admin() }), 204);
      expectStatus(await call(server, 'GET', `/v3/groups/${g.id}`, { token: admin() }), 404, `Could not find group: ${g.id}.`);
      expectStatus(await call(server, 'DELETE', `/v3/groups/${g.id}`, { token: admin() }), 404);
    });

    test('a group without description gets ""; without domain_id it lands in the default domain or the caller\'s domain', async () => {
      const g = await createGroup({});
      assert.equal(g.description, '');
      assert.equal(g.domain_id, 'default');
      assert.equal((await createGroup({}, p.domainAAdmin.token)).domain_id, p.domainA);
    });

    test("Keystone's errors: duplicate names, unknown domains, long names, changing ids", async () => {
      const name = unique('dup');
      const g = await createGroup({ name, domain_id: p.domainA });
      expectStatus(
        await call(server, 'POST', '/v3/groups', { token: admin(), body: { group: { name, domain_id: p.domainA } } }),
        409,
        `Conflict occurred attempting to store group - Duplicate entry found with name ${name} at domain ID ${p.domainA}.`,
      );
      await createGroup({ name, domain_id: p.domainB });
      expectStatus(
        await call(server, 'POST', '/v3/groups', { token: admin(), body: { group: { name: 'x', domain_id: 'nosuchdomain' } } }),
        404,
        'Could not find domain: nosuchdomain.',
      );
      const long = 'g'.repeat(65);
      expectStatus(
        await call(server, 'POST', '/v3/groups', { token: admin(), body: { group: { name: long } } }),
        400,
        `String length exceeded. The length of string '${long}' exceeds the limit of column name(CHAR(64)).`,
      );
      expectStatus(
        await call(server, 'PATCH', `/v3/groups/${g.id}`, { token: admin(), body: { group: { id: 'other' } } }),
        400,
        'Cannot change ID',
      );
      expectStatus(
        await call(server, 'PATCH', `/v3/groups/${g.id}`, { token: admin(), body: { group: { domain_id: p.domainB } } }),
        400,
        'Cannot change Domain ID',
      );
      const other = await createGroup({ domain_id: p.domainA });
      expectStatus(await call(server, 'PATCH', `/v3/groups/${other.id}`, { token: admin(), body: { group: { name } } }), 409);
      expectStatus(await call(server, 'PATCH', '/v3/groups/nosuchgroup', { token: admin(), body: { group: { name: 'x' } } }), 404);
    });

    test('bad bodies answer 400 and create nothing', async () => {
      const before = expectStatus(await call(server, 'GET', '/v3/groups', { token: admin() }), 200).groups.length;
      for (const body of [
        { group: { name: '' } },
        { group: {} },
        { group: { name: 'x'.repeat(256) } },
        { group: { name: 'ok', description: 1 } },
        { group: { name: 'ok', domain_id: 'a b' } },
        { group: { name: 'n\u0000' } },
        { group: 5 },
        [{}],
      ]) {
        expectStatus(await call(server, 'POST', '/v3/groups', { token: admin(), body }), 400);
      }
      assert.equal(expectStatus(await call(server, 'GET', '/v3/groups', { token: admin() }), 200).groups.length, before);
    });

    test("membership: add, check, list (with filters), remove, with Keystone's 404s", async () => {
      const g = await createGroup({ domain_id: p.domainA });
      const alice = await createUser({ name: unique('alice'), domain_id: p.domainA });
      const bob = await createUser({ name: unique('bob'), domain_id: p.domainB, enabled: false });
      expectStatus(await call(server, 'HEAD', `/v3/groups/${g.id}/users/${alice.id}`, { token: admin() }), 404);
      expectStatus(
        await call(server, 'GET', `/v3/groups/${g.id}/users/${alice.id}`, { token: admin() }),
        404,
        `User '${alice.id}' not found in group '${g.id}'`,
      );
      expectStatus(await call(server, 'PUT', `/v3/groups/${g.id}/users/${alice.id}`, { token: admin() }), 204);
      expectStatus(await call(server, 'PUT', `/v3/groups/${g.id}/users/${alice.id}`, { token: admin() }), 204);
      expectStatus(await call(server, 'PUT', `/v3/groups/${g.id}/users/${bob.id}`, { token: admin() }), 204);
      expectStatus(await call(server, 'HEAD', `/v3/groups/${g.id}/users/${alice.id}`, { token: admin() }), 204);
      expectStatus(await call(server, 'GET', `/v3/groups/${g.id}/users/${alice.id}`, { token: admin() }), 204);

      const members = expectStatus(await call(server, 'GET', `/v3/groups/${g.id}/users`, { token: admin() }), 200);
      assert.deepEqual(ids(members.users).sort(), [alice.id, bob.id].sort());
      assert.equal(members.users.find((u: Ref) => u.id === alice.id).links.self, `${server.publicUrl}/v3/users/${alice.id}`);
      assert.deepEqual(
        ids(expectStatus(await call(server, 'GET', `/v3/groups/${g.id}/users?enabled=false`, { token: admin() }), 200).users),
        [bob.id],
      );
      assert.deepEqual(
        ids(expectStatus(await call(server, 'GET', `/v3/groups/${g.id}/users?domain_id=${p.domainA}`, { token: admin() }), 200).users),
        [alice.id],
      );
      assert.deepEqual(
        ids(expectStatus(await call(server, 'GET', `/v3/groups/${g.id}/users?name=${alice.name}`, { token: admin() }), 200).users),
        [alice.id],
      );
      assert.deepEqual(
        ids(
          expectStatus(
            await call(server, 'GET', `/v3/groups/${g.id}/users?password_expires_at=gt:2000-01-01T00:00:00Z`, { token: admin() }),
            200,
          ).users,
        ),
        [],
      );
      expectStatus(await call(server, 'GET', `/v3/groups/${g.id}/users?password_expires_at=bad`, { token: admin() }), 400);

      expectStatus(
        await call(server, 'PUT', `/v3/groups/${g.id}/users/nosuchuser`, { token: admin() }),
        404,
        'Could not find user: nosuchuser.',
      );
      expectStatus(
        await call(server, 'PUT', `/v3/groups/nosuchgroup/users/${alice.id}`, { token: admin() }),
        404,
        'Could not find group: nosuchgroup.',
      );
      expectStatus(
        await call(server, 'GET', '/v3/groups/nosuchgroup/users', { token: admin() }),
        404,
        'Could not find group: nosuchgroup.',
      );

      expectStatus(await call(server, 'DELETE', `/v3/groups/${g.id}/users/${alice.id}`, { token: admin() }), 204);
      expectStatus(
        await call(server, 'DELETE', `/v3/groups/${g.id}/users/${alice.id}`, { token: admin() }),
        404,
        `User '${alice.id}' not found in group '${g.id}'`,
      );
      expectStatus(
        await call(server, 'DELETE', `/v3/groups/${g.id}/users/nosuchuser`, { token: admin() }),
        404,
        'Could not find user: nosuchuser.',
      );
      assert.deepEqual(ids(expectStatus(await call(server, 'GET', `/v3/groups/${g.id}/users`, { token: admin() }), 200).users), [bob.id]);

      // Deleting a member or the group ends the membership.
      expectStatus(await call(server, 'DELETE', `/v3/users/${bob.id}`, { token: admin() }), 204);
      assert.deepEqual(expectStatus(await call(server, 'GET', `/v3/groups/${g.id}/users`, { token: admin() }), 200).users, []);
      expectStatus(await call(server, 'PUT', `/v3/groups/${g.id}/users/${alice.id}`, { token: admin() }), 204);
      expectStatus(await call(server, 'DELETE', `/v3/groups/${g.id}`, { token: admin() }), 204);
      assert.deepEqual(expectStatus(await call(server, 'GET', `/v3/users/${alice.id}/groups`, { token: admin() }), 200).groups, []);
    });

    test('removing a user from a group revokes their tokens; roles held through the group follow membership', async () => {
      const { providers, bootstrap } = server;
      const g = await createGroup({ domain_id: p.domainA });
      const user = await providers.identity_api.createUser({ name: unique('via-group'), domainId: p.domainA, password: 'pw-group-1' });
      await providers.assignment_api.createGrant(bootstrap.memberRoleId, { groupId: g.id }, { projectId: p.projectA });
      const denied = await fetch(`${server.publicUrl}/v3/auth/tokens`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({
          auth: {
            identity: { methods: ['password'], password: { user: { id: user.id, password: 'pw-group-1' } } },
            scope: { project: { id: p.projectA } },
          },
        }),
      });
      assert.equal(denied.status, 401);
      await denied.arrayBuffer();
      expectStatus(await call(server, 'PUT', `/v3/groups/${g.id}/users/${user.id}`, { token: admin() }), 204);
      const token = await passwordToken(server, user.id, 'pw-group-1', { projectId: p.projectA });
      assert.equal(await tokenStatus(server, admin(), token), 200);
      expectStatus(await call(server, 'DELETE', `/v3/groups/${g.id}/users/${user.id}`, { token: admin() }), 204);
      assert.equal(await tokenStatus(server, admin(), token), 404);
    });

    test('list filters', async () => {
      const prefix = unique('gf');
      const a = await createGroup({ name: `${prefix}-Ops`, domain_id: p.domainB });
      const b = await createGroup({ name: `${prefix}-dev`, domain_id: p.domainB });
      const q = async (query: string) =>
        ids(expectStatus(await call(server, 'GET', `/v3/groups?${query}`, { token: admin() }), 200).groups)
          .filter((id) => [a.id, b.id].includes(id))
          .sort();
      assert.deepEqual(await q(`name=${prefix}-Ops`), [a.id]);
      assert.deepEqual(await q(`name__istartswith=${prefix.toUpperCase()}`), [a.id, b.id].sort());
      assert.deepEqual(await q(`name__endswith=dev`), [b.id]);
      assert.deepEqual(await q(`domain_id=${p.domainA}`), []);
    });

    describe('personas (Keystone 22 default policy)', () => {
      test('no token: 401', async () => {
        for (const [method, path] of [
          ['GET', '/v3/groups'],
          ['POST', '/v3/groups'],
          ['GET', '/v3/groups/x'],
          ['PUT', '/v3/groups/x/users/y'],
        ]) {
          expectStatus(await call(server, method, path, { body: method === 'POST' ? { group: { name: 'x' } } : undefined }), 401);
        }
      });

      test('readers and members cannot write groups or memberships', async () => {
        const g = await createGroup({ domain_id: p.domainA });
        for (const who of [p.projectAMember, p.domainAReader, p.systemReader, p.noRole]) {
          expectStatus(await call(server, 'POST', '/v3/groups', { token: who.token, body: { group: { name: unique('nope') } } }), 403);
          expectStatus(await call(server, 'PATCH', `/v3/groups/${g.id}`, { token: who.token, body: { group: { description: 'x' } } }), 403);
          expectStatus(await call(server, 'DELETE', `/v3/groups/${g.id}`, { token: who.token }), 403);
          expectStatus(await call(server, 'PUT', `/v3/groups/${g.id}/users/${who.userId}`, { token: who.token }), 403);
        }
      });

      test("a domain reader sees its domain's groups only; a domain admin's list is its domain's", async () => {
        const inA = await createGroup({ domain_id: p.domainA });
        const inB = await createGroup({ domain_id: p.domainB });
        const byReader = ids(expectStatus(await call(server, 'GET', '/v3/groups', { token: p.domainAReader.token }), 200).groups);
        assert.ok(byReader.includes(inA.id) && !byReader.includes(inB.id));
        expectStatus(await call(server, 'GET', `/v3/groups/${inA.id}`, { token: p.domainAReader.token }), 200);
        expectStatus(await call(server, 'GET', `/v3/groups/${inB.id}`, { token: p.domainAReader.token }), 403);
        const byBAdmin = ids(
          expectStatus(await call(server, 'GET', `/v3/groups?domain_id=${p.domainA}`, { token: p.domainBAdmin.token }), 200).groups,
        );
        assert.deepEqual(byBAdmin, []);
        expectStatus(await call(server, 'GET', '/v3/groups', { token: p.projectAMember.token }), 403);
      });

      test("a user lists their own groups; not someone else's", async () => {
        const g = await createGroup({ domain_id: p.domainA });
        expectStatus(await call(server, 'PUT', `/v3/groups/${g.id}/users/${p.projectAMember.userId}`, { token: admin() }), 204);
        const mine = ids(
          expectStatus(await call(server, 'GET', `/v3/users/${p.projectAMember.userId}/groups`, { token: p.projectAMember.token }), 200)
            .groups,
        );
        assert.ok(mine.includes(g.id));
        expectStatus(await call(server, 'GET', `/v3/users/${p.domainBAdmin.userId}/groups`, { token: p.projectAMember.token }), 403);
      });
    });
  });

  describe(`[DEFAULT] list_limit for groups (${kind})`, () => {
    let server: TestServer;
    before(async () => {
      server = await startTestServer({ database: kind, config: { DEFAULT: { list_limit: 1 } } });
    });
    after(async () => {
      await server?.close();
    });

    test('[DEFAULT] list_limit applies when [identity] list_limit is unset', async () => {
      const token = await passwordToken(server, server.bootstrap.userId, server.adminPassword, { system: true });
      for (const name of ['g1', 'g2']) expectStatus(await call(server, 'POST', '/v3/groups', { token, body: { group: { name } } }), 201);
      const body = expectStatus(await call(server, 'GET', '/v3/groups', { token }), 200);
      assert.equal(body.groups.length, 1);
      assert.equal(body.truncated, true);
    });
  });
}
