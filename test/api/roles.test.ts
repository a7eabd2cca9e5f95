/**
 * /v3/roles, implied roles and /v3/role_inferences over HTTP: bodies, codes
 * and Keystone's messages, domain-specific roles, the immutable option,
 * filters, list_limit, [assignment] prohibited_implied_role.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestServer, type TestServer } from '../helpers/test-server.js';
import { databaseKinds } from '../helpers/test-database.js';
import { call, expectStatus, setupPersonas, unique, type Personas } from './identity-resource-fixtures.js';

type Ref = { id: string; name: string; [k: string]: unknown };
const ids = (list: Ref[]) => list.map((x) => x.id);

for (const kind of databaseKinds()) {
  describe(`/v3/roles over HTTP (${kind})`, () => {
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
    const createRole = async (role: Record<string, unknown> = {}) =>
      expectStatus(await call(server, 'POST', '/v3/roles', { token: admin(), body: { role: { name: unique('role'), ...role } } }), 201)
        .role as Ref;

    test('create, show, list, update and delete a global role', async () => {
      const r = await createRole({ description: 'reads things', color: 'blue' });
      assert.equal(r.domain_id, null);
      assert.equal(r.description, 'reads things');
      assert.deepEqual(r.options, {});
      assert.equal(r.color, 'blue');
      assert.equal((r.links as { self: string }).self, `${server.publicUrl}/v3/roles/${r.id}`);
      assert.deepEqual(expectStatus(await call(server, 'GET', `/v3/roles/${r.id}`, { token: admin() }), 200).role, r);
      const head = await call(server, 'HEAD', `/v3/roles/${r.id}`, { token: admin() });
      assert.equal(head.status, 200);
      const listed = expectStatus(await call(server, 'GET', '/v3/roles', { token: admin() }), 200);
      assert.ok(ids(listed.roles).includes(r.id));
      assert.ok(listed.roles.some((x: Ref) => x.name === 'admin'));
      assert.equal(listed.links.self, `${server.publicUrl}/v3/roles`);
      const updated = expectStatus(
        await call(server, 'PATCH', `/v3/roles/${r.id}`, {
          token: admin(),
          body: { role: { name: `${r.name}-new`, description: 'changed' } },
        }),
        200,
      ).role;
      assert.equal(updated.name, `${r.name}-new`);
      assert.equal(updated.description, 'changed');
      assert.equal(updated.color, 'blue');
      expectStatus(await call(server, 'DELETE', `/v3/roles/${r.id}`, { token: admin() }), 204);
      expectStatus(await call(server, 'GET', `/v3/roles/${r.id}`, { token: admin() }), 404, `Could not find role: ${r.id}.`);
      expectStatus(
        await call(server, 'PATCH', `/v3/roles/${r.id}`, { token: admin(), body: { role: { name: 'x' } } }),
        404,
        `Could not find role: ${r.id}.`,
      );
      expectStatus(await call(server, 'DELETE', `/v3/roles/${r.id}`, { token: admin() }), 404, `Could not find role: ${r.id}.`);
    });

    test('domain-specific roles: listed with ?domain_id only, same name allowed in another domain', async () => {
      const name = unique('dom-role');
      const global = await createRole({ name });
      const inA = await createRole({ name, domain_id: p.domainA });
      const inB = await createRole({ name, domain_id: p.domainB });
      assert.equal(inA.domain_id, p.domainA);
      const globals = expectStatus(await call(server, 'GET', '/v3/roles', { token: admin() }), 200).roles as Ref[];
      assert.ok(ids(globals).includes(global.id));
      assert.ok(!ids(globals).includes(inA.id));
      const domainA = expectStatus(await call(server, 'GET', `/v3/roles?domain_id=${p.domainA}`, { token: admin() }), 200).roles as Ref[];
      assert.deepEqual(ids(domainA), [inA.id]);
      assert.ok(!ids(domainA).includes(inB.id));
      expectStatus(
        await call(server, 'POST', '/v3/roles', { token: admin(), body: { role: { name, domain_id: p.domainA } } }),
        409,
        `Conflict occurred attempting to store role - Duplicate entry found with name ${name} at domain ID ${p.domainA}.`,
      );
      expectStatus(
        await call(server, 'POST', '/v3/roles', { token: admin(), body: { role: { name } } }),
        409,
        `Conflict occurred attempting to store role - Duplicate entry found with name ${name}.`,
      );
      expectStatus(
        await call(server, 'PATCH', `/v3/roles/${inA.id}`, { token: admin(), body: { role: { domain_id: p.domainB } } }),
        400,
        'Update of `domain_id` is not allowed.',
      );
      expectStatus(
        await call(server, 'PATCH', `/v3/roles/${inA.id}`, {
          token: admin(),
          body: { role: { domain_id: p.domainA, description: 'same domain' } },
        }),
        200,
      );
    });

    test('name filters: exact, __contains, __startswith and case-insensitive forms', async () => {
      const stem = unique('Filter');
      const r1 = await createRole({ name: `${stem}-alpha` });
      const r2 = await createRole({ name: `${stem}-beta` });
      const q = async (query: string) => ids(expectStatus(await call(server, 'GET', `/v3/roles?${query}`, { token: admin() }), 200).roles);
      assert.deepEqual(await q(`name=${stem}-alpha`), [r1.id]);
      assert.deepEqual((await q(`name__startswith=${stem}`)).sort(), [r1.id, r2.id].sort());
      assert.deepEqual(await q(`name__contains=beta&name__startswith=${stem}`), [r2.id]);
      assert.deepEqual(await q(`name__istartswith=${stem.toLowerCase()}-A`), [r1.id]);
      assert.deepEqual(await q(`name__startswith=${stem.toLowerCase()}`), []);
      assert.deepEqual(await q('name=no-such-role'), []);
    });

    test('the immutable option: updates and deletes refused until it is turned off', async () => {
      const r = await createRole({ options: { immutable: true } });
      assert.deepEqual(r.options, { immutable: true });
      const msg = (verb: string) => `Unable to ${verb} immutable role resource: \`${r.id}. Set resource option "immutable" to false first.`;
      expectStatus(
        await call(server, 'PATCH', `/v3/roles/${r.id}`, { token: admin(), body: { role: { description: 'x' } } }),
        403,
        msg('update'),
      );
      expectStatus(
        await call(server, 'PATCH', `/v3/roles/${r.id}`, {
          token: admin(),
          body: { role: { description: 'x', options: { immutable: false } } },
        }),
        403,
        msg('update'),
      );
      expectStatus(await call(server, 'DELETE', `/v3/roles/${r.id}`, { token: admin() }), 403, msg('delete'));
      const off = expectStatus(
        await call(server, 'PATCH', `/v3/roles/${r.id}`, { token: admin(), body: { role: { options: { immutable: false } } } }),
        200,
      ).role;
      assert.deepEqual(off.options, { immutable: false });
      const on = expectStatus(
        await call(server, 'PATCH', `/v3/roles/${r.id}`, { token: admin(), body: { role: { options: { immutable: true } } } }),
        200,
      ).role;
      assert.deepEqual(on.options, { immutable: true });
      const cleared = expectStatus(
        await call(server, 'PATCH', `/v3/roles/${r.id}`, { token: admin(), body: { role: { options: { immutable: null } } } }),
        200,
      ).role;
      assert.deepEqual(cleared.options, {});
      expectStatus(await call(server, 'DELETE', `/v3/roles/${r.id}`, { token: admin() }), 204);
      // stored as Keystone stores it: role_option IMMU
      const r2 = await createRole({ options: { immutable: true } });
      const rows = await server.db.any('SELECT option_id, option_value FROM role_option WHERE role_id = $1', [r2.id]);
      assert.deepEqual(rows, [{ option_id: 'IMMU', option_value: 'true' }]);
    });

    test('bad bodies are a 400 naming the field, and change nothing', async () => {
      const before = expectStatus(await call(server, 'GET', '/v3/roles', { token: admin() }), 200).roles.length;
      const bad = async (body: unknown, message?: RegExp | string) =>
        expectStatus(await call(server, 'POST', '/v3/roles', { token: admin(), body }), 400, message);
      await bad({ role: {} }, "'name' is a required property");
      await bad({ role: { name: '' } }, /name/);
      await bad({ role: { name: 'x'.repeat(256) } }, /name/);
      await bad({ role: { name: 42 } }, /name/);
      await bad({ role: { name: 'ok', options: { immutable: 'yes' } } }, /options\/immutable/);
      await bad({ role: { name: 'ok', options: { sticky: true } } }, /options/);
      await bad({ role: { name: 'ok', description: 7 } }, /description/);
      await bad({ role: { name: 'ok', description: 'd'.repeat(256) } }, /String length exceeded/);
      await bad({ role: { name: 'nul\u0000byte' } }, /NUL/);
      await bad({ role: 'nope' });
      await bad([1, 2]);
      const bodyless = await call(server, 'POST', '/v3/roles', {
        token: admin(),
        rawBody: '{"role": ',
        headers: { 'Content-Type': 'application/json' },
      });
      assert.equal(bodyless.status, 400);
      const r = await createRole();
      expectStatus(await call(server, 'PATCH', `/v3/roles/${r.id}`, { token: admin(), body: { role: {} } }), 400);
      expectStatus(
        await call(server, 'PATCH', `/v3/roles/${r.id}`, { token: admin(), body: { role: { id: 'other' } } }),
        400,
        'Cannot change ID',
      );
      assert.equal(expectStatus(await call(server, 'GET', '/v3/roles', { token: admin() }), 200).roles.length, before + 1);
    });

    test('implied roles: create, check, show, list, role_inferences, delete', async () => {
      const prior = await createRole();
      const implied = await createRole();
      const created = expectStatus(await call(server, 'PUT', `/v3/roles/${prior.id}/implies/${implied.id}`, { token: admin() }), 201);
      assert.deepEqual(created, {
        role_inference: {
          prior_role: { id: prior.id, links: { self: `${server.publicUrl}/v3/roles/${prior.id}` }, name: prior.name },
          implies: { id: implied.id, links: { self: `${server.publicUrl}/v3/roles/${implied.id}` }, name: implied.name },
        },
        links: { self: `${server.publicUrl}/v3/roles/${prior.id}/implies/${implied.id}` },
      });
      expectStatus(
        await call(server, 'PUT', `/v3/roles/${prior.id}/implies/${implied.id}`, { token: admin() }),
        409,
        'Conflict occurred attempting to store implied_role - Duplicate entry.',
      );
      assert.deepEqual(
        expectStatus(await call(server, 'GET', `/v3/roles/${prior.id}/implies/${implied.id}`, { token: admin() }), 200),
        created,
      );
      assert.equal((await call(server, 'HEAD', `/v3/roles/${prior.id}/implies/${implied.id}`, { token: admin() })).status, 204);
      const list = expectStatus(await call(server, 'GET', `/v3/roles/${prior.id}/implies`, { token: admin() }), 200);
      assert.deepEqual(
        list.role_inference.implies.map((r: Ref) => r.id),
        [implied.id],
      );
      assert.equal(list.role_inference.prior_role.id, prior.id);
      assert.equal(list.links.self, `${server.publicUrl}/v3/roles/${prior.id}/implies`);
      const inferences = expectStatus(await call(server, 'GET', '/v3/role_inferences', { token: admin() }), 200).role_inferences;
      const mine = inferences.find((i: { prior_role: Ref }) => i.prior_role.id === prior.id);
      assert.deepEqual(
        mine.implies.map((r: Ref) => r.id),
        [implied.id],
      );
      // bootstrap's admin → member → reader chain is there too
      assert.ok(inferences.some((i: { prior_role: Ref }) => i.prior_role.name === 'admin'));
      expectStatus(await call(server, 'DELETE', `/v3/roles/${prior.id}/implies/${implied.id}`, { token: admin() }), 204);
      expectStatus(
        await call(server, 'GET', `/v3/roles/${prior.id}/implies/${implied.id}`, { token: admin() }),
        404,
        `${prior.id} does not imply ${implied.id}.`,
      );
      assert.equal((await call(server, 'HEAD', `/v3/roles/${prior.id}/implies/${implied.id}`, { token: admin() })).status, 404);
      expectStatus(
        await call(server, 'DELETE', `/v3/roles/${prior.id}/implies/${implied.id}`, { token: admin() }),
        404,
        `${prior.id} does not imply ${implied.id}.`,
      );
      expectStatus(
        await call(server, 'PUT', `/v3/roles/${prior.id}/implies/nosuchrole`, { token: admin() }),
        404,
        'Could not find role: nosuchrole.',
      );
      expectStatus(await call(server, 'GET', '/v3/roles/nosuchrole/implies', { token: admin() }), 404, 'Could not find role: nosuchrole.');
    });

    test('implied roles: prohibited names, global→domain refused, cycles allowed and expanded once', async () => {
      const adminRole = server.bootstrap.adminRoleId;
      const r = await createRole();
      expectStatus(
        await call(server, 'PUT', `/v3/roles/${r.id}/implies/${adminRole}`, { token: admin() }),
        403,
        `${adminRole} cannot be an implied roles.`,
      );
      const domainRole = await createRole({ domain_id: p.domainA });
      expectStatus(
        await call(server, 'PUT', `/v3/roles/${r.id}/implies/${domainRole.id}`, { token: admin() }),
        403,
        `${domainRole.id} cannot be an implied roles.`,
      );
      // a domain role may imply a global one
      expectStatus(await call(server, 'PUT', `/v3/roles/${domainRole.id}/implies/${r.id}`, { token: admin() }), 201);
      const a = await createRole();
      const b = await createRole();
      expectStatus(await call(server, 'PUT', `/v3/roles/${a.id}/implies/${b.id}`, { token: admin() }), 201);
      expectStatus(await call(server, 'PUT', `/v3/roles/${b.id}/implies/${a.id}`, { token: admin() }), 201);
      // a grant of a cyclic role still lists in finite time, each role reached
      const user = (await server.providers.identity_api.createUser({ name: unique('cyc'), domainId: p.domainA })).id;
      expectStatus(await call(server, 'PUT', `/v3/projects/${p.projectA}/users/${user}/roles/${a.id}`, { token: admin() }), 204);
      const eff = expectStatus(
        await call(server, 'GET', `/v3/role_assignments?effective&user.id=${user}`, { token: admin() }),
        200,
      ).role_assignments;
      const roleIds = new Set(eff.map((x: { role: { id: string } }) => x.role.id));
      assert.deepEqual([...roleIds].sort(), [a.id, b.id].sort());
    });

    test('deleting a role deletes its assignments and implications', async () => {
      const r = await createRole();
      const other = await createRole();
      expectStatus(await call(server, 'PUT', `/v3/roles/${r.id}/implies/${other.id}`, { token: admin() }), 201);
      expectStatus(
        await call(server, 'PUT', `/v3/projects/${p.projectA}/users/${p.projectAMember.userId}/roles/${r.id}`, { token: admin() }),
        204,
      );
      expectStatus(await call(server, 'PUT', `/v3/system/users/${p.projectAMember.userId}/roles/${r.id}`, { token: admin() }), 204);
      expectStatus(await call(server, 'DELETE', `/v3/roles/${r.id}`, { token: admin() }), 204);
      const left = expectStatus(
        await call(server, 'GET', `/v3/role_assignments?role.id=${r.id}`, { token: admin() }),
        200,
      ).role_assignments;
      assert.deepEqual(left, []);
      const inferences = expectStatus(await call(server, 'GET', '/v3/role_inferences', { token: admin() }), 200).role_inferences;
      assert.ok(!inferences.some((i: { prior_role: Ref }) => i.prior_role.id === r.id));
    });

    test('without a token: 401 everywhere', async () => {
      const r = await createRole();
      expectStatus(await call(server, 'GET', '/v3/roles'), 401);
      expectStatus(await call(server, 'GET', `/v3/roles/${r.id}`), 401);
      expectStatus(await call(server, 'POST', '/v3/roles', { body: { role: { name: 'x' } } }), 401);
      expectStatus(await call(server, 'PATCH', `/v3/roles/${r.id}`, { body: { role: { name: 'x' } } }), 401);
      expectStatus(await call(server, 'DELETE', `/v3/roles/${r.id}`), 401);
      expectStatus(await call(server, 'GET', `/v3/roles/${r.id}/implies`), 401);
      expectStatus(await call(server, 'GET', '/v3/role_inferences'), 401);
      expectStatus(await call(server, 'GET', '/v3/roles/nosuchrole/implies'), 401);
    });

    test('a project member may not read or write roles, and cannot tell whether one exists', async () => {
      const t = p.projectAMember.token;
      const r = await createRole();
      expectStatus(
        await call(server, 'GET', '/v3/roles', { token: t }),
        403,
        'You are not authorized to perform the requested action: identity:list_roles.',
      );
      expectStatus(
        await call(server, 'GET', `/v3/roles/${r.id}`, { token: t }),
        403,
        'You are not authorized to perform the requested action: identity:get_role.',
      );
      expectStatus(await call(server, 'GET', '/v3/roles/nosuchrole', { token: t }), 403);
      expectStatus(
        await call(server, 'POST', '/v3/roles', { token: t, body: { role: { name: unique('x') } } }),
        403,
        'You are not authorized to perform the requested action: identity:create_role.',
      );
      expectStatus(
        await call(server, 'POST', '/v3/roles', { token: t, body: { role: { name: unique('x'), domain_id: p.domainA } } }),
        403,
        'You are not authorized to perform the requested action: identity:create_domain_role.',
      );
      expectStatus(await call(server, 'PATCH', `/v3/roles/${r.id}`, { token: t, body: { role: { name: 'x' } } }), 403);
      expectStatus(await call(server, 'DELETE', `/v3/roles/${r.id}`, { token: t }), 403);
      expectStatus(
        await call(server, 'GET', `/v3/roles?domain_id=${p.domainA}`, { token: t }),
        403,
        'You are not authorized to perform the requested action: identity:list_domain_roles.',
      );
      expectStatus(await call(server, 'GET', '/v3/role_inferences', { token: t }), 403);
    });
  });

  describe(`/v3/roles with [role] list_limit and [assignment] prohibited_implied_role (${kind})`, () => {
    let s: TestServer;
    let sys: string;
    before(async () => {
      s = await startTestServer({
        database: kind,
        config: { role: { list_limit: 2 }, assignment: { prohibited_implied_role: ['member', 'forbidden'] } },
      });
      sys = (
        await call(s, 'POST', '/v3/auth/tokens', {
          body: {
            auth: {
              identity: {
                methods: ['password'],
                password: { user: { name: 'admin', domain: { id: 'default' }, password: s.adminPassword } },
              },
              scope: { system: { all: true } },
            },
          },
        })
      ).headers.get('x-subject-token') as string;
    });
    after(async () => {
      await s?.close();
    });

    test('list_limit truncates with "truncated": true', async () => {
      const body = expectStatus(await call(s, 'GET', '/v3/roles', { token: sys }), 200);
      assert.equal(body.roles.length, 2);
      assert.equal(body.truncated, true);
    });

    test('prohibited_implied_role is honoured', async () => {
      const mk = async (name: string) =>
        expectStatus(await call(s, 'POST', '/v3/roles', { token: sys, body: { role: { name } } }), 201).role;
      const prior = await mk('prior');
      const forbidden = await mk('forbidden');
      expectStatus(
        await call(s, 'PUT', `/v3/roles/${prior.id}/implies/${forbidden.id}`, { token: sys }),
        403,
        `${forbidden.id} cannot be an implied roles.`,
      );
      // admin is not prohibited under this configuration
      expectStatus(await call(s, 'PUT', `/v3/roles/${prior.id}/implies/${s.bootstrap.adminRoleId}`, { token: sys }), 201);
    });
  });
}
