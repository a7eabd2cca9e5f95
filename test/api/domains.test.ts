import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestServer, type TestServer } from '../helpers/test-server.js';
import { databaseKinds } from '../helpers/test-database.js';
import { call, expectStatus, setupPersonas, unique, type Personas } from './identity-resource-fixtures.js';

for (const kind of databaseKinds()) {
  describe(`/v3/domains over HTTP (${kind})`, () => {
    let server: TestServer;
    let p: Personas;
    before(async () => {
      server = await startTestServer({ database: kind, config: { resource: { list_limit: 50 } } });
      p = await setupPersonas(server);
    });
    after(async () => {
      await server?.close();
    });

    const admin = () => p.systemAdmin.token;

    test("create, show, list, update and delete a domain with Keystone's bodies and codes", async () => {
      const name = unique('dom');
      const created = expectStatus(
        await call(server, 'POST', '/v3/domains', {
          token: admin(),
          body: { domain: { name, description: 'first', email: 'ops@example.com' } },
        }),
        201,
      ).domain;
      assert.equal(created.name, name);
      assert.equal(created.description, 'first');
      assert.equal(created.enabled, true);
      assert.deepEqual(created.tags, []);
      assert.deepEqual(created.options, {});
      assert.equal(created.email, 'ops@example.com');
      assert.equal(created.links.self, `${server.publicUrl}/v3/domains/${created.id}`);
      assert.match(created.id, /^[0-9a-f]{32}$/);
      for (const k of ['parent_id', 'domain_id', 'is_domain', 'extra']) assert.ok(!(k in created), k);

      const shown = expectStatus(await call(server, 'GET', `/v3/domains/${created.id}`, { token: admin() }), 200).domain;
      assert.deepEqual(shown, created);
      const head = await call(server, 'HEAD', `/v3/domains/${created.id}`, { token: admin() });
      assert.equal(head.status, 200);
      assert.equal(head.body, '');

      const listed = expectStatus(await call(server, 'GET', '/v3/domains', { token: admin() }), 200);
      assert.ok(listed.domains.some((d: { id: string }) => d.id === created.id));
      assert.equal(listed.links.self, `${server.publicUrl}/v3/domains`);
      assert.equal(listed.links.next, null);
      assert.equal(listed.links.previous, null);

      const newName = unique('renamed');
      const updated = expectStatus(
        await call(server, 'PATCH', `/v3/domains/${created.id}`, {
          token: admin(),
          body: { domain: { name: newName, description: null, enabled: false } },
        }),
        200,
      ).domain;
      assert.equal(updated.name, newName);
      assert.equal(updated.description, null);
      assert.equal(updated.enabled, false);
      assert.equal(updated.email, 'ops@example.com');

      expectStatus(await call(server, 'DELETE', `/v3/domains/${created.id}`, { token: admin() }), 204);
      expectStatus(
        await call(server, 'GET', `/v3/domains/${created.id}`, { token: admin() }),
        404,
        `Could not find domain: ${created.id}.`,
      );
    });

    test('a domain without description gets "", and a disabled one can be created', async () => {
      const d = expectStatus(
        await call(server, 'POST', '/v3/domains', { token: admin(), body: { domain: { name: unique('nodesc'), enabled: false } } }),
        201,
      ).domain;
      assert.equal(d.description, '');
      assert.equal(d.enabled, false);
    });

    test('explicit_domain_id sets the id, and must be a UUID in hex form', async () => {
      const id = 'a'.repeat(8) + '0123456789abcdef0123456789ab'.slice(0, 24);
      const d = expectStatus(
        await call(server, 'POST', '/v3/domains', {
          token: admin(),
          body: { domain: { name: unique('explicit'), explicit_domain_id: id } },
        }),
        201,
      ).domain;
      assert.equal(d.id, id);
      expectStatus(
        await call(server, 'POST', '/v3/domains', {
          token: admin(),
          body: { domain: { name: unique('bad-explicit'), explicit_domain_id: 'not-a-uuid' } },
        }),
        400,
        'Domain ID does not conform to required UUID format.',
      );
    });

    test("a duplicate name is a 409 in Keystone's words", async () => {
      const name = unique('dup');
      expectStatus(await call(server, 'POST', '/v3/domains', { token: admin(), body: { domain: { name } } }), 201);
      expectStatus(
        await call(server, 'POST', '/v3/domains', { token: admin(), body: { domain: { name } } }),
        409,
        `Conflict occurred attempting to store project - it is not permitted to have two projects acting as domains with the same name: ${name}.`,
      );
    });

    test('bad bodies answer 400 and create nothing', async () => {
      const before = expectStatus(await call(server, 'GET', '/v3/domains', { token: admin() }), 200).domains.length;
      const bad: [unknown, RegExp][] = [
        [{ domain: { name: '' } }, /name/],
        [{ domain: { name: 'x'.repeat(65) } }, /name/],
        [{ domain: {} }, /'name' is a required property/],
        [{}, /'name' is a required property/],
        [{ domain: { name: 'ok', enabled: 'yes' } }, /enabled/],
        [{ domain: { name: 'ok', description: 12 } }, /description/],
        [{ domain: { name: 'ok', tags: ['a/b'] } }, /tags/],
        [{ domain: { name: 'ok', tags: 'a' } }, /tags/],
        [{ domain: { name: 'ok', options: { immutable: 'yes' } } }, /immutable/],
        [{ domain: { name: 'nul\u0000name' } }, /NUL/],
        [{ domain: { name: 'ok', description: 'nul\u0000' } }, /NUL/],
        [{ domain: 'text' }, /./],
        [[1, 2], /./],
        [{ domain: { name: 'y'.repeat(100_000) } }, /name/],
      ];
      for (const [body, message] of bad) {
        const res = await call(server, 'POST', '/v3/domains', { token: admin(), body });
        expectStatus(res, 400, message);
      }
      const res = await call(server, 'POST', '/v3/domains', { token: admin(), rawBody: '{"domain": {"name": "ok"' });
      expectStatus(res, 400);
      const d = expectStatus(
        await call(server, 'POST', '/v3/domains', { token: admin(), body: { domain: { name: unique('valid') } } }),
        201,
      ).domain;
      expectStatus(await call(server, 'PATCH', `/v3/domains/${d.id}`, { token: admin(), body: { domain: {} } }), 400);
      expectStatus(await call(server, 'PATCH', `/v3/domains/${d.id}`, { token: admin(), body: { domain: { name: 5 } } }), 400);
      const after = expectStatus(await call(server, 'GET', '/v3/domains', { token: admin() }), 200).domains.length;
      assert.equal(after, before + 1);
    });

    test('only a disabled domain can be deleted; its projects, users and groups go with it', async () => {
      const d = expectStatus(
        await call(server, 'POST', '/v3/domains', { token: admin(), body: { domain: { name: unique('cascade') } } }),
        201,
      ).domain;
      expectStatus(
        await call(server, 'DELETE', `/v3/domains/${d.id}`, { token: admin() }),
        403,
        'Cannot delete a domain that is enabled, please disable it first.',
      );
      const parent = expectStatus(
        await call(server, 'POST', '/v3/projects', { token: admin(), body: { project: { name: 'parent', domain_id: d.id } } }),
        201,
      ).project;
      const child = expectStatus(
        await call(server, 'POST', '/v3/projects', {
          token: admin(),
          body: { project: { name: 'child', domain_id: d.id, parent_id: parent.id } },
        }),
        201,
      ).project;
      const user = expectStatus(
        await call(server, 'POST', '/v3/users', {
          token: admin(),
          body: { user: { name: 'member', domain_id: d.id, password: 'pw-12345', default_project_id: child.id } },
        }),
        201,
      ).user;
      const group = expectStatus(
        await call(server, 'POST', '/v3/groups', { token: admin(), body: { group: { name: 'team', domain_id: d.id } } }),
        201,
      ).group;
      expectStatus(await call(server, 'PUT', `/v3/groups/${group.id}/users/${user.id}`, { token: admin() }), 204);
      expectStatus(await call(server, 'PATCH', `/v3/domains/${d.id}`, { token: admin(), body: { domain: { enabled: false } } }), 200);
      expectStatus(await call(server, 'DELETE', `/v3/domains/${d.id}`, { token: admin() }), 204);
      expectStatus(await call(server, 'GET', `/v3/domains/${d.id}`, { token: admin() }), 404);
      expectStatus(await call(server, 'GET', `/v3/projects/${child.id}`, { token: admin() }), 404);
      expectStatus(await call(server, 'GET', `/v3/projects/${parent.id}`, { token: admin() }), 404);
      expectStatus(await call(server, 'GET', `/v3/users/${user.id}`, { token: admin() }), 404);
      expectStatus(await call(server, 'GET', `/v3/groups/${group.id}`, { token: admin() }), 404);
      expectStatus(await call(server, 'DELETE', `/v3/domains/${d.id}`, { token: admin() }), 404, `Could not find domain: ${d.id}.`);
    });

    test('a project id is not a domain: 404 on the domain routes', async () => {
      expectStatus(
        await call(server, 'GET', `/v3/domains/${p.projectA}`, { token: admin() }),
        404,
        `Could not find domain: ${p.projectA}.`,
      );
      expectStatus(await call(server, 'PATCH', `/v3/domains/${p.projectA}`, { token: admin(), body: { domain: { name: 'x' } } }), 404);
      expectStatus(await call(server, 'DELETE', `/v3/domains/${p.projectA}`, { token: admin() }), 404);
      expectStatus(await call(server, 'GET', '/v3/domains/no\u0000such', { token: admin() }), 404);
      expectStatus(await call(server, 'GET', `/v3/domains/${'z'.repeat(300)}`, { token: admin() }), 404);
    });

    test("list filters: name, enabled (Keystone's boolean strings) and __contains style", async () => {
      const tag = unique('flt');
      const on = expectStatus(
        await call(server, 'POST', '/v3/domains', { token: admin(), body: { domain: { name: `${tag}-On` } } }),
        201,
      ).domain;
      const off = expectStatus(
        await call(server, 'POST', '/v3/domains', { token: admin(), body: { domain: { name: `${tag}-off`, enabled: false } } }),
        201,
      ).domain;
      const byName = expectStatus(await call(server, 'GET', `/v3/domains?name=${on.name}`, { token: admin() }), 200);
      assert.deepEqual(
        byName.domains.map((d: { id: string }) => d.id),
        [on.id],
      );
      assert.equal(byName.links.self, `${server.publicUrl}/v3/domains?name=${on.name}`);
      for (const value of ['false', '0', 'False', 'no', 'off']) {
        const ids = expectStatus(await call(server, 'GET', `/v3/domains?enabled=${value}`, { token: admin() }), 200).domains.map(
          (d: { id: string }) => d.id,
        );
        assert.ok(ids.includes(off.id) && !ids.includes(on.id), value);
      }
      for (const value of ['true', '1', 'yes', '']) {
        const ids = expectStatus(await call(server, 'GET', `/v3/domains?enabled=${value}`, { token: admin() }), 200).domains.map(
          (d: { id: string }) => d.id,
        );
        assert.ok(ids.includes(on.id) && !ids.includes(off.id), value);
      }
      const contains = expectStatus(await call(server, 'GET', `/v3/domains?name__contains=${tag}`, { token: admin() }), 200).domains;
      assert.equal(contains.length, 2);
      const icontains = expectStatus(
        await call(server, 'GET', `/v3/domains?name__icontains=${tag.toUpperCase()}-ON`, { token: admin() }),
        200,
      ).domains;
      assert.deepEqual(
        icontains.map((d: { id: string }) => d.id),
        [on.id],
      );
      const startswith = expectStatus(await call(server, 'GET', `/v3/domains?name__startswith=${tag}-o`, { token: admin() }), 200).domains;
      assert.deepEqual(
        startswith.map((d: { id: string }) => d.id),
        [off.id],
      );
      // A NUL byte is refused at the edge (src/server/pipeline/url-normalize.ts), never sent to the database.
      expectStatus(await call(server, 'GET', '/v3/domains?name=%00', { token: admin() }), 400);
    });

    test('an immutable domain refuses updates and deletion until immutable is unset through the projects API', async () => {
      const d = expectStatus(
        await call(server, 'POST', '/v3/domains', {
          token: admin(),
          body: { domain: { name: unique('immutable'), options: { immutable: true } } },
        }),
        201,
      ).domain;
      assert.deepEqual(d.options, { immutable: true });
      expectStatus(
        await call(server, 'PATCH', `/v3/domains/${d.id}`, { token: admin(), body: { domain: { description: 'x' } } }),
        403,
        `Unable to update immutable domain resource: \`${d.id}. Set resource option "immutable" to false first.`,
      );
      // Keystone adds is_domain/domain_id/parent_id to a domain's patch: even unsetting immutable is refused here.
      expectStatus(
        await call(server, 'PATCH', `/v3/domains/${d.id}`, { token: admin(), body: { domain: { options: { immutable: false } } } }),
        403,
      );
      expectStatus(await call(server, 'PATCH', `/v3/projects/${d.id}`, { token: admin(), body: { project: { enabled: false } } }), 403);
      expectStatus(await call(server, 'DELETE', `/v3/domains/${d.id}`, { token: admin() }), 403);
      const unset = expectStatus(
        await call(server, 'PATCH', `/v3/projects/${d.id}`, { token: admin(), body: { project: { options: { immutable: null } } } }),
        200,
      ).project;
      assert.deepEqual(unset.options, {});
      expectStatus(await call(server, 'PATCH', `/v3/domains/${d.id}`, { token: admin(), body: { domain: { enabled: false } } }), 200);
      expectStatus(await call(server, 'DELETE', `/v3/domains/${d.id}`, { token: admin() }), 204);
    });

    test('JSON-Home names the domain relations', async () => {
      const res = await fetch(`${server.publicUrl}/v3`, { headers: { Accept: 'application/json-home' } });
      const body = (await res.json()) as { resources: Record<string, { href?: string; 'href-template'?: string }> };
      assert.equal(body.resources['https://docs.openstack.org/api/openstack-identity/3/rel/domains'].href, '/domains');
      assert.equal(
        body.resources['https://docs.openstack.org/api/openstack-identity/3/rel/domain']['href-template'],
        '/domains/{domain_id}',
      );
    });

    describe('personas (Keystone 22 default policy)', () => {
      test('no token: 401 with WWW-Authenticate', async () => {
        for (const [method, path] of [
          ['GET', '/v3/domains'],
          ['POST', '/v3/domains'],
          ['GET', `/v3/domains/${p.domainA}`],
          ['DELETE', `/v3/domains/${p.domainA}`],
        ]) {
          const res = await call(server, method, path, { body: method === 'POST' ? { domain: { name: 'x' } } : undefined });
          expectStatus(res, 401);
          assert.match(res.headers.get('www-authenticate') ?? '', /^Keystone uri=/);
        }
      });

      test('readers and members cannot create, update or delete domains', async () => {
        for (const who of [p.systemReader, p.domainAReader, p.projectAMember, p.projectAReader, p.noRole]) {
          expectStatus(await call(server, 'POST', '/v3/domains', { token: who.token, body: { domain: { name: unique('nope') } } }), 403);
          expectStatus(
            await call(server, 'PATCH', `/v3/domains/${p.domainA}`, { token: who.token, body: { domain: { description: 'x' } } }),
            403,
          );
          expectStatus(await call(server, 'DELETE', `/v3/domains/${p.domainB}`, { token: who.token }), 403);
        }
      });

      test('a system reader lists and reads every domain', async () => {
        const ids = expectStatus(await call(server, 'GET', '/v3/domains', { token: p.systemReader.token }), 200).domains.map(
          (d: { id: string }) => d.id,
        );
        assert.ok(ids.includes(p.domainA) && ids.includes(p.domainB));
        expectStatus(await call(server, 'GET', `/v3/domains/${p.domainB}`, { token: p.systemReader.token }), 200);
      });

      test('domain and project users read their own domain only; they cannot list domains', async () => {
        for (const who of [p.domainAReader, p.projectAMember, p.projectAReader]) {
          expectStatus(await call(server, 'GET', `/v3/domains/${p.domainA}`, { token: who.token }), 200);
          expectStatus(await call(server, 'GET', `/v3/domains/${p.domainB}`, { token: who.token }), 403);
          expectStatus(await call(server, 'GET', '/v3/domains', { token: who.token }), 403);
        }
        // A missing domain is not told apart from a forbidden one for them.
        expectStatus(await call(server, 'GET', '/v3/domains/does-not-exist', { token: p.domainAReader.token }), 403);
        expectStatus(await call(server, 'GET', '/v3/domains/does-not-exist', { token: admin() }), 404);
      });
    });
  });
}
