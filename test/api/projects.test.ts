import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestServer, type TestServer } from '../helpers/test-server.js';
import { databaseKinds } from '../helpers/test-database.js';
import { call, expectStatus, passwordToken, setupPersonas, tokenStatus, unique, type Personas } from './identity-resource-fixtures.js';

type Ref = { id: string; [k: string]: unknown };
const ids = (list: Ref[]) => list.map((x) => x.id);

for (const kind of databaseKinds()) {
  describe(`/v3/projects over HTTP (${kind})`, () => {
    let server: TestServer;
    let p: Personas;
    let domain: string;
    before(async () => {
      server = await startTestServer({ database: kind });
      p = await setupPersonas(server);
      domain = expectStatus(
        await call(server, 'POST', '/v3/domains', { token: p.systemAdmin.token, body: { domain: { name: unique('projects') } } }),
        201,
      ).domain.id;
    });
    after(async () => {
      await server?.close();
    });

    const admin = () => p.systemAdmin.token;
    const create = async (project: Record<string, unknown>, token = admin()) =>
      expectStatus(await call(server, 'POST', '/v3/projects', { token, body: { project: { name: unique('prj'), ...project } } }), 201)
        .project;

    test("create, show, list, update and delete a project with Keystone's bodies and codes", async () => {
      const created = await create({ domain_id: domain, description: 'desc', tags: ['a', 'c', 'b'], flavor: 'gold' });
      assert.equal(created.domain_id, domain);
      assert.equal(created.parent_id, domain);
      assert.equal(created.is_domain, false);
      assert.equal(created.enabled, true);
      assert.equal(created.description, 'desc');
      assert.deepEqual([...created.tags].sort(), ['a', 'b', 'c']);
      assert.deepEqual(created.options, {});
      assert.equal(created.flavor, 'gold');
      assert.equal(created.links.self, `${server.publicUrl}/v3/projects/${created.id}`);

      const shown = expectStatus(await call(server, 'GET', `/v3/projects/${created.id}`, { token: admin() }), 200).project;
      const listed = expectStatus(await call(server, 'GET', '/v3/projects', { token: admin() }), 200).projects.find(
        (x: Ref) => x.id === created.id,
      );
      shown.tags.sort();
      listed.tags.sort();
      assert.deepEqual(shown, listed);

      const updated = expectStatus(
        await call(server, 'PATCH', `/v3/projects/${created.id}`, {
          token: admin(),
          body: { project: { name: 'renamed-' + created.id.slice(0, 6), description: 'new', enabled: false, flavor: 'silver', size: 3 } },
        }),
        200,
      ).project;
      assert.equal(updated.description, 'new');
      assert.equal(updated.enabled, false);
      assert.equal(updated.flavor, 'silver');
      assert.deepEqual(updated.extra, { flavor: 'silver', size: 3 });
      expectStatus(await call(server, 'DELETE', `/v3/projects/${created.id}`, { token: admin() }), 204);
      expectStatus(
        await call(server, 'GET', `/v3/projects/${created.id}`, { token: admin() }),
        404,
        `Could not find project: ${created.id}.`,
      );
      expectStatus(await call(server, 'DELETE', `/v3/projects/${created.id}`, { token: admin() }), 404);
      expectStatus(await call(server, 'PATCH', `/v3/projects/${created.id}`, { token: admin(), body: { project: { name: 'x' } } }), 404);
    });

    test("without domain_id a project lands in the caller's domain (domain token) or the default domain", async () => {
      const inDefault = await create({});
      assert.equal(inDefault.domain_id, 'default');
      const inA = await create({}, p.domainAAdmin.token);
      assert.equal(inA.domain_id, p.domainA);
      assert.equal(inA.parent_id, p.domainA);
    });

    test('hierarchy: parent_id, parents_as_list/ids, subtree_as_list/ids', async () => {
      const root = await create({ domain_id: domain });
      const mid = await create({ domain_id: domain, parent_id: root.id });
      const leaf1 = await create({ domain_id: domain, parent_id: mid.id });
      const leaf2 = await create({ domain_id: domain, parent_id: mid.id });
      assert.equal(mid.parent_id, root.id);

      const withIds = expectStatus(await call(server, 'GET', `/v3/projects/${leaf1.id}?parents_as_ids`, { token: admin() }), 200).project;
      assert.deepEqual(withIds.parents, { [mid.id]: { [root.id]: { [domain]: null } } });
      const subtree = expectStatus(await call(server, 'GET', `/v3/projects/${root.id}?subtree_as_ids`, { token: admin() }), 200).project;
      assert.deepEqual(subtree.subtree, { [mid.id]: { [leaf1.id]: null, [leaf2.id]: null } });
      const leafSubtree = expectStatus(
        await call(server, 'GET', `/v3/projects/${leaf2.id}?subtree_as_ids`, { token: admin() }),
        200,
      ).project;
      assert.equal(leafSubtree.subtree, null);

      // The lists hold only projects the caller has a role on (Keystone filters by the caller's assignments).
      const { providers, bootstrap } = server;
      await providers.assignment_api.createGrant(bootstrap.readerRoleId, { userId: bootstrap.userId }, { projectId: root.id });
      await providers.assignment_api.createGrant(bootstrap.readerRoleId, { userId: bootstrap.userId }, { projectId: leaf2.id });
      const parents = expectStatus(await call(server, 'GET', `/v3/projects/${leaf2.id}?parents_as_list`, { token: admin() }), 200).project
        .parents;
      assert.deepEqual(
        parents.map((x: { project: Ref }) => x.project.id),
        [root.id],
      );
      const subList = expectStatus(await call(server, 'GET', `/v3/projects/${root.id}?subtree_as_list`, { token: admin() }), 200).project
        .subtree;
      assert.deepEqual(
        subList.map((x: { project: Ref }) => x.project.id),
        [leaf2.id],
      );
      assert.equal(subList[0].project.links.self, `${server.publicUrl}/v3/projects/${leaf2.id}`);

      expectStatus(
        await call(server, 'GET', `/v3/projects/${leaf1.id}?parents_as_list&parents_as_ids`, { token: admin() }),
        400,
        'Cannot use parents_as_list and parents_as_ids query params at the same time.',
      );
      expectStatus(
        await call(server, 'GET', `/v3/projects/${leaf1.id}?subtree_as_list&subtree_as_ids`, { token: admin() }),
        400,
        'Cannot use subtree_as_list and subtree_as_ids query params at the same time.',
      );
      const zero = expectStatus(await call(server, 'GET', `/v3/projects/${leaf1.id}?parents_as_ids=0`, { token: admin() }), 200).project;
      assert.ok(!('parents' in zero));

      const children = expectStatus(await call(server, 'GET', `/v3/projects?parent_id=${mid.id}`, { token: admin() }), 200).projects;
      assert.deepEqual(ids(children).sort(), [leaf1.id, leaf2.id].sort());
    });

    test("Keystone's hierarchy rules and messages", async () => {
      const other = expectStatus(
        await call(server, 'POST', '/v3/domains', { token: admin(), body: { domain: { name: unique('other') } } }),
        201,
      ).domain.id;
      const root = await create({ domain_id: domain });
      const child = await create({ domain_id: domain, parent_id: root.id });

      expectStatus(
        await call(server, 'DELETE', `/v3/projects/${root.id}`, { token: admin() }),
        403,
        `Cannot delete the project ${root.id} since it is not a leaf in the hierarchy. Use the cascade option if you want to delete a whole subtree.`,
      );
      expectStatus(
        await call(server, 'PATCH', `/v3/projects/${root.id}`, { token: admin(), body: { project: { enabled: false } } }),
        403,
        `Cannot disable project ${root.id} since its subtree contains enabled projects.`,
      );
      expectStatus(await call(server, 'PATCH', `/v3/projects/${child.id}`, { token: admin(), body: { project: { enabled: false } } }), 200);
      expectStatus(await call(server, 'PATCH', `/v3/projects/${root.id}`, { token: admin(), body: { project: { enabled: false } } }), 200);
      expectStatus(
        await call(server, 'PATCH', `/v3/projects/${child.id}`, { token: admin(), body: { project: { enabled: true } } }),
        403,
        `Cannot enable project ${child.id} since it has disabled parents`,
      );
      expectStatus(
        await call(server, 'POST', '/v3/projects', {
          token: admin(),
          body: { project: { name: 'under-disabled', domain_id: domain, parent_id: root.id } },
        }),
        400,
        `cannot create a project in a branch containing a disabled project: ${root.id}`,
      );

      expectStatus(
        await call(server, 'PATCH', `/v3/projects/${child.id}`, { token: admin(), body: { project: { parent_id: domain } } }),
        403,
        'Update of `parent_id` is not allowed.',
      );
      expectStatus(
        await call(server, 'PATCH', `/v3/projects/${child.id}`, { token: admin(), body: { project: { is_domain: true } } }),
        400,
        'Update of `is_domain` is not allowed.',
      );
      expectStatus(
        await call(server, 'PATCH', `/v3/projects/${child.id}`, { token: admin(), body: { project: { domain_id: other } } }),
        400,
        'Cannot change Domain ID',
      );
      expectStatus(
        await call(server, 'PATCH', `/v3/projects/${child.id}`, { token: admin(), body: { project: { id: 'abc' } } }),
        400,
        'Cannot change ID',
      );

      const top = await create({ domain_id: domain });
      expectStatus(
        await call(server, 'POST', '/v3/projects', {
          token: admin(),
          body: { project: { name: 'cross', domain_id: other, parent_id: top.id } },
        }),
        400,
        `Cannot create project, since it specifies its domain_id ${other}, but specifies a parent in a different domain (${domain}).`,
      );
      expectStatus(
        await call(server, 'POST', '/v3/projects', {
          token: admin(),
          body: { project: { name: 'cross2', domain_id: other, parent_id: domain } },
        }),
        400,
        `Cannot create project, the parent (${domain}) is acting as a domain, but this project's domain id (${other}) does not match the parent's id.`,
      );
      expectStatus(
        await call(server, 'POST', '/v3/projects', { token: admin(), body: { project: { name: 'nodomain', domain_id: 'nosuchdomain' } } }),
        400,
        'Could not find domain: nosuchdomain.',
      );
      expectStatus(
        await call(server, 'POST', '/v3/projects', {
          token: admin(),
          body: { project: { name: 'noparent', domain_id: domain, parent_id: 'nosuchparent' } },
        }),
        400,
        'Could not find project: nosuchparent.',
      );

      const disabledDomain = expectStatus(
        await call(server, 'POST', '/v3/domains', { token: admin(), body: { domain: { name: unique('off'), enabled: false } } }),
        201,
      ).domain.id;
      expectStatus(
        await call(server, 'POST', '/v3/projects', { token: admin(), body: { project: { name: 'in-off', domain_id: disabledDomain } } }),
        400,
        `cannot create a project in a branch containing a disabled project: ${disabledDomain}`,
      );
    });

    test('max_project_tree_depth: the sixth level below a domain is refused (403)', async () => {
      let parent = domain;
      for (let level = 1; level <= 5; level++) parent = (await create({ domain_id: domain, parent_id: parent })).id;
      expectStatus(
        await call(server, 'POST', '/v3/projects', {
          token: admin(),
          body: { project: { name: 'too-deep', domain_id: domain, parent_id: parent } },
        }),
        403,
        `Max hierarchy depth reached for ${parent} branch.`,
      );
    });

    test('is_domain projects are domains: listed with is_domain=true and by /v3/domains, deleted once disabled', async () => {
      const d = await create({ domain_id: null, is_domain: true });
      assert.equal(d.is_domain, true);
      assert.equal(d.domain_id, null);
      assert.equal(d.parent_id, null);
      const listed = expectStatus(await call(server, 'GET', '/v3/projects?is_domain=true', { token: admin() }), 200).projects;
      assert.ok(ids(listed).includes(d.id));
      assert.ok(!ids(expectStatus(await call(server, 'GET', '/v3/projects', { token: admin() }), 200).projects).includes(d.id));
      assert.ok(ids(expectStatus(await call(server, 'GET', '/v3/domains', { token: admin() }), 200).domains).includes(d.id));
      expectStatus(
        await call(server, 'POST', '/v3/projects', {
          token: admin(),
          body: { project: { name: unique('sub-domain'), is_domain: true, parent_id: domain } },
        }),
        400,
        'only root projects are allowed to act as domains.',
      );
      expectStatus(
        await call(server, 'DELETE', `/v3/projects/${d.id}`, { token: admin() }),
        403,
        'Cannot delete a domain that is enabled, please disable it first.',
      );
      expectStatus(await call(server, 'PATCH', `/v3/projects/${d.id}`, { token: admin(), body: { project: { enabled: false } } }), 200);
      expectStatus(await call(server, 'DELETE', `/v3/projects/${d.id}`, { token: admin() }), 204);
      expectStatus(await call(server, 'GET', `/v3/domains/${d.id}`, { token: admin() }), 404);
    });

    test('a duplicate name in a domain is a 409; the same name in another domain is fine', async () => {
      const name = unique('same');
      const first = await create({ name, domain_id: domain });
      expectStatus(
        await call(server, 'POST', '/v3/projects', { token: admin(), body: { project: { name, domain_id: domain } } }),
        409,
        new RegExp(
          `it is not permitted to have two projects with either the same name or same id in the same domain: name is ${name}, project id`,
        ),
      );
      await create({ name, domain_id: p.domainB });
      const second = await create({ domain_id: domain });
      expectStatus(await call(server, 'PATCH', `/v3/projects/${second.id}`, { token: admin(), body: { project: { name } } }), 409);
      assert.ok(first.id);
    });

    test('immutable projects refuse updates, tag changes and deletion until the option is cleared', async () => {
      const prj = await create({ domain_id: domain, options: { immutable: true } });
      assert.deepEqual(prj.options, { immutable: true });
      expectStatus(
        await call(server, 'PATCH', `/v3/projects/${prj.id}`, { token: admin(), body: { project: { name: 'x' } } }),
        403,
        `Unable to update immutable project resource: \`${prj.id}. Set resource option "immutable" to false first.`,
      );
      expectStatus(
        await call(server, 'PATCH', `/v3/projects/${prj.id}`, {
          token: admin(),
          body: { project: { name: 'x', options: { immutable: false } } },
        }),
        403,
      );
      expectStatus(
        await call(server, 'PUT', `/v3/projects/${prj.id}/tags/t1`, { token: admin() }),
        403,
        `Cannot create project tags for ${prj.id}, project is immutable. Set "immutable" option to false before creating project tags.`,
      );
      expectStatus(
        await call(server, 'DELETE', `/v3/projects/${prj.id}`, { token: admin() }),
        403,
        `Unable to delete immutable project resource: \`${prj.id}. Set resource option "immutable" to false first.`,
      );
      const cleared = expectStatus(
        await call(server, 'PATCH', `/v3/projects/${prj.id}`, { token: admin(), body: { project: { options: { immutable: false } } } }),
        200,
      ).project;
      assert.deepEqual(cleared.options, { immutable: false });
      expectStatus(await call(server, 'DELETE', `/v3/projects/${prj.id}`, { token: admin() }), 204);
      expectStatus(
        await call(server, 'POST', '/v3/projects', {
          token: admin(),
          body: { project: { name: 'bad-option', options: { color: 'red' } } },
        }),
        400,
        /color/,
      );
    });

    test('list filters: name, enabled, domain_id, parent_id, __contains style, and the tag filters', async () => {
      const prefix = unique('lf');
      const a = await create({ name: `${prefix}-alpha`, domain_id: domain, tags: ['red', 'blue'] });
      const b = await create({ name: `${prefix}-beta`, domain_id: domain, tags: ['red'], enabled: false });
      const c = await create({ name: `${prefix}-gamma`, domain_id: domain, tags: ['green'] });
      const q = async (query: string) =>
        ids(expectStatus(await call(server, 'GET', `/v3/projects?${query}`, { token: admin() }), 200).projects)
          .filter((id) => [a.id, b.id, c.id].includes(id))
          .sort();
      assert.deepEqual(await q(`name=${prefix}-alpha`), [a.id]);
      assert.deepEqual(await q(`name__startswith=${prefix}`), [a.id, b.id, c.id].sort());
      assert.deepEqual(await q(`name__iendswith=-BETA`), [b.id]);
      assert.deepEqual(await q('enabled=false'), [b.id]);
      assert.deepEqual(await q(`domain_id=${domain}&enabled=true&name__contains=${prefix}`), [a.id, c.id].sort());
      assert.deepEqual(await q(`parent_id=${domain}&name__contains=${prefix}-g`), [c.id]);
      assert.deepEqual(await q('tags=red,blue'), [a.id]);
      assert.deepEqual(await q('tags=red'), [a.id, b.id].sort());
      assert.deepEqual(await q('tags-any=blue,green'), [a.id, c.id].sort());
      assert.deepEqual(await q(`not-tags=red,blue&name__contains=${prefix}`), [b.id, c.id].sort());
      assert.deepEqual(await q(`not-tags-any=red&name__contains=${prefix}`), [c.id]);
      expectStatus(await call(server, 'GET', '/v3/projects?tags=%00', { token: admin() }), 400);
    });

    test('bad bodies answer 400 and change nothing', async () => {
      const prj = await create({ domain_id: domain, description: 'keep' });
      const bad: unknown[] = [
        { project: { name: '' } },
        { project: { name: 'x'.repeat(65) } },
        { project: {} },
        { project: { name: 'ok', enabled: 'true' } },
        { project: { name: 'ok', domain_id: 'not valid!' } },
        { project: { name: 'ok', parent_id: 7 } },
        { project: { name: 'ok', tags: ['a', 'a'] } },
        { project: { name: 'ok', tags: Array.from({ length: 81 }, (_, i) => `t${i}`) } },
        { project: { name: 'ok', is_domain: 'no' } },
        { project: { name: 'a\u0000b' } },
        { project: { name: 'ok', extra_field: 'nul\u0000' } },
        { project: 'string' },
        { project: { name: 'ok', description: ['x'] } },
      ];
      for (const body of bad) expectStatus(await call(server, 'POST', '/v3/projects', { token: admin(), body }), 400);
      for (const body of [
        { project: {} },
        { project: { name: '' } },
        { project: { enabled: 1 } },
        { project: { description: 'nul\u0000' } },
        { project: { tags: 'a' } },
      ]) {
        expectStatus(await call(server, 'PATCH', `/v3/projects/${prj.id}`, { token: admin(), body }), 400);
      }
      const same = expectStatus(await call(server, 'GET', `/v3/projects/${prj.id}`, { token: admin() }), 200).project;
      assert.equal(same.description, 'keep');
      assert.equal(same.enabled, true);
      expectStatus(await call(server, 'GET', '/v3/projects/%00', { token: admin() }), 404);
    });

    test('disabling a project stops its tokens validating; re-enabling restores them; deleting revokes them', async () => {
      const prj = await create({ domain_id: p.domainA });
      const { providers, bootstrap } = server;
      const user = await providers.identity_api.createUser({ name: unique('scoped'), domainId: p.domainA, password: 'pw-scoped-1' });
      await providers.assignment_api.createGrant(bootstrap.memberRoleId, { userId: user.id }, { projectId: prj.id });
      const token = await passwordToken(server, user.id, 'pw-scoped-1', { projectId: prj.id });
      assert.equal(await tokenStatus(server, admin(), token), 200);
      expectStatus(await call(server, 'PATCH', `/v3/projects/${prj.id}`, { token: admin(), body: { project: { enabled: false } } }), 200);
      assert.equal(await tokenStatus(server, admin(), token), 404);
      expectStatus(await call(server, 'PATCH', `/v3/projects/${prj.id}`, { token: admin(), body: { project: { enabled: true } } }), 200);
      assert.equal(await tokenStatus(server, admin(), token), 200);
      expectStatus(await call(server, 'DELETE', `/v3/projects/${prj.id}`, { token: admin() }), 204);
      assert.equal(await tokenStatus(server, admin(), token), 404);
    });

    test('disabling a domain stops the tokens of its projects and users validating', async () => {
      const d = expectStatus(await call(server, 'POST', '/v3/domains', { token: admin(), body: { domain: { name: unique('dis') } } }), 201)
        .domain.id;
      const prj = await create({ domain_id: d });
      const { providers, bootstrap } = server;
      const user = await providers.identity_api.createUser({ name: unique('in-dis'), domainId: d, password: 'pw-dis-1' });
      await providers.assignment_api.createGrant(bootstrap.memberRoleId, { userId: user.id }, { projectId: prj.id });
      const token = await passwordToken(server, user.id, 'pw-dis-1', { projectId: prj.id });
      assert.equal(await tokenStatus(server, admin(), token), 200);
      expectStatus(await call(server, 'PATCH', `/v3/domains/${d}`, { token: admin(), body: { domain: { enabled: false } } }), 200);
      assert.equal(await tokenStatus(server, admin(), token), 404);
    });

    describe('personas (Keystone 22 default policy)', () => {
      test('no token: 401', async () => {
        for (const [method, path] of [
          ['GET', '/v3/projects'],
          ['POST', '/v3/projects'],
          ['GET', `/v3/projects/${p.projectA}`],
          ['PATCH', `/v3/projects/${p.projectA}`],
          ['DELETE', `/v3/projects/${p.projectA}`],
        ]) {
          expectStatus(
            await call(server, method, path, { body: ['POST', 'PATCH'].includes(method) ? { project: { name: 'x' } } : undefined }),
            401,
          );
        }
      });

      test('a project member reads its project, not others, and cannot list or write projects', async () => {
        const member = p.projectAMember.token;
        expectStatus(await call(server, 'GET', `/v3/projects/${p.projectA}`, { token: member }), 200);
        const other = await create({ domain_id: p.domainB });
        expectStatus(await call(server, 'GET', `/v3/projects/${other.id}`, { token: member }), 403);
        expectStatus(await call(server, 'GET', '/v3/projects/no-such-project', { token: member }), 403);
        expectStatus(await call(server, 'GET', '/v3/projects', { token: member }), 403);
        expectStatus(
          await call(server, 'POST', '/v3/projects', { token: member, body: { project: { name: unique('nope'), domain_id: p.domainA } } }),
          403,
        );
        expectStatus(
          await call(server, 'PATCH', `/v3/projects/${p.projectA}`, { token: member, body: { project: { description: 'x' } } }),
          403,
        );
        expectStatus(await call(server, 'DELETE', `/v3/projects/${p.projectA}`, { token: member }), 403);
      });

      test("a domain reader lists and reads its domain's projects only", async () => {
        const inB = await create({ domain_id: p.domainB });
        const listed = ids(expectStatus(await call(server, 'GET', '/v3/projects', { token: p.domainAReader.token }), 200).projects);
        assert.ok(listed.includes(p.projectA));
        assert.ok(!listed.includes(inB.id));
        expectStatus(await call(server, 'GET', `/v3/projects/${p.projectA}`, { token: p.domainAReader.token }), 200);
        expectStatus(await call(server, 'GET', `/v3/projects/${inB.id}`, { token: p.domainAReader.token }), 403);
        expectStatus(
          await call(server, 'POST', '/v3/projects', { token: p.domainAReader.token, body: { project: { name: unique('nope') } } }),
          403,
        );
      });

      test("a domain admin's list holds its own domain's projects only", async () => {
        const inB = await create({ domain_id: p.domainB });
        const listedByA = ids(expectStatus(await call(server, 'GET', '/v3/projects', { token: p.domainAAdmin.token }), 200).projects);
        assert.ok(listedByA.includes(p.projectA) && !listedByA.includes(inB.id));
        const listedByB = ids(
          expectStatus(await call(server, 'GET', `/v3/projects?domain_id=${p.domainA}`, { token: p.domainBAdmin.token }), 200).projects,
        );
        assert.deepEqual(listedByB, []);
      });

      test('system reader reads and lists everything but writes nothing', async () => {
        expectStatus(await call(server, 'GET', `/v3/projects/${p.projectA}`, { token: p.systemReader.token }), 200);
        assert.ok(
          ids(expectStatus(await call(server, 'GET', '/v3/projects', { token: p.systemReader.token }), 200).projects).includes(p.projectA),
        );
        expectStatus(
          await call(server, 'POST', '/v3/projects', { token: p.systemReader.token, body: { project: { name: unique('nope') } } }),
          403,
        );
        expectStatus(await call(server, 'DELETE', `/v3/projects/${p.projectA}`, { token: p.systemReader.token }), 403);
      });

      test('a missing project is 404 for an admin', async () => {
        expectStatus(
          await call(server, 'GET', '/v3/projects/no-such-project', { token: admin() }),
          404,
          'Could not find project: no-such-project.',
        );
      });
    });
  });

  describe(`[resource] list_limit (${kind})`, () => {
    let server: TestServer;
    before(async () => {
      server = await startTestServer({ database: kind, config: { resource: { list_limit: 2 } } });
    });
    after(async () => {
      await server?.close();
    });

    test('lists are truncated with "truncated": true; a list within the limit is not marked', async () => {
      const token = await passwordToken(server, server.bootstrap.userId, server.adminPassword, { system: true });
      for (let i = 0; i < 3; i++)
        expectStatus(await call(server, 'POST', '/v3/projects', { token, body: { project: { name: `p${i}` } } }), 201);
      const body = expectStatus(await call(server, 'GET', '/v3/projects', { token }), 200);
      assert.equal(body.projects.length, 2);
      assert.equal(body.truncated, true);
      const one = expectStatus(await call(server, 'GET', '/v3/projects?name=p1', { token }), 200);
      assert.equal(one.projects.length, 1);
      assert.ok(!('truncated' in one));
      const domains = expectStatus(await call(server, 'POST', '/v3/domains', { token, body: { domain: { name: 'd1' } } }), 201);
      assert.ok(domains);
      expectStatus(await call(server, 'POST', '/v3/domains', { token, body: { domain: { name: 'd2' } } }), 201);
      const listed = expectStatus(await call(server, 'GET', '/v3/domains', { token }), 200);
      assert.equal(listed.domains.length, 2);
      assert.equal(listed.truncated, true);
    });
  });
}
