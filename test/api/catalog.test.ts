/**
 * Regions, services, endpoints, OS-EP-FILTER and the catalog of tokens over
 * HTTP: bodies, codes, Keystone's messages, filters, URL templates filled
 * in catalogs, and catalogs that follow every change.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestServer, type TestServer } from '../helpers/test-server.js';
import { databaseKinds } from '../helpers/test-database.js';
import { call, expectStatus, passwordToken, setupPersonas, unique, type Personas } from './identity-resource-fixtures.js';

type Ref = { id: string; [k: string]: unknown };
const ids = (list: Ref[]) => list.map((x) => x.id).sort();
const CLIENT_ERROR =
  ' The server could not comply with the request since it is either malformed or otherwise incorrect. The client is assumed to be in error.';

interface CatalogEntry {
  id: string;
  type: string;
  name: string;
  endpoints: { id: string; url: string; interface: string; region: string | null; region_id: string | null }[];
}

for (const kind of databaseKinds()) {
  describe(`regions, services, endpoints and catalogs over HTTP (${kind})`, () => {
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
    const post = async (path: string, key: string, body: Record<string, unknown>) =>
      expectStatus(await call(server, 'POST', path, { token: admin(), body: { [key]: body } }), 201)[key];
    const createService = (body: Record<string, unknown> = {}) =>
      post('/v3/services', 'service', { type: unique('type'), name: unique('svc'), ...body });
    const createEndpoint = (serviceId: string, body: Record<string, unknown> = {}) =>
      post('/v3/endpoints', 'endpoint', {
        service_id: serviceId,
        interface: 'public',
        url: 'http://svc.example.com/v1',
        region_id: 'RegionOne',
        ...body,
      });
    const projectCatalog = async (projectId = p.projectA): Promise<CatalogEntry[]> => {
      const token = await passwordToken(server, p.projectAMember.userId, p.projectAMember.password, { projectId });
      return expectStatus(await call(server, 'GET', '/v3/auth/catalog', { token }), 200).catalog;
    };

    test('regions: create (generated id, body id, PUT id), show, list, update, delete', async () => {
      const generated = await post('/v3/regions', 'region', { description: null, note: 'extra' });
      assert.match(generated.id, /^[0-9a-f]{32}$/);
      assert.equal(generated.description, '');
      assert.equal(generated.parent_region_id, null);
      assert.equal(generated.note, 'extra');
      assert.equal(generated.links.self, `${server.publicUrl}/v3/regions/${generated.id}`);
      const named = await post('/v3/regions', 'region', { id: unique('Named'), description: 'by body' });
      assert.equal(named.description, 'by body');
      const id = unique('Put');
      const put = expectStatus(
        await call(server, 'PUT', `/v3/regions/${id}`, {
          token: admin(),
          body: { region: { description: 'by url', parent_region_id: named.id } },
        }),
        201,
      ).region;
      assert.equal(put.id, id);
      assert.equal(put.parent_region_id, named.id);
      expectStatus(
        await call(server, 'PUT', `/v3/regions/${id}`, { token: admin(), body: { region: {} } }),
        409,
        `Conflict occurred attempting to store region - Duplicate ID, ${id}.`,
      );
      expectStatus(
        await call(server, 'PUT', '/v3/regions/one', { token: admin(), body: { region: { id: 'two' } } }),
        400,
        'Conflicting region IDs specified: "one" != "two"',
      );
      assert.deepEqual(expectStatus(await call(server, 'GET', `/v3/regions/${id}`, { token: admin() }), 200).region, put);
      const children = expectStatus(await call(server, 'GET', `/v3/regions?parent_region_id=${named.id}`, { token: admin() }), 200).regions;
      assert.deepEqual(ids(children), [id]);
      const updated = expectStatus(
        await call(server, 'PATCH', `/v3/regions/${id}`, {
          token: admin(),
          body: { region: { description: null, parent_region_id: null } },
        }),
        200,
      ).region;
      assert.equal(updated.description, '');
      assert.equal(updated.parent_region_id, null);
      expectStatus(await call(server, 'DELETE', `/v3/regions/${id}`, { token: admin() }), 204);
      expectStatus(await call(server, 'GET', `/v3/regions/${id}`, { token: admin() }), 404, `Could not find region: ${id}.`);
      expectStatus(await call(server, 'DELETE', `/v3/regions/${id}`, { token: admin() }), 404, `Could not find region: ${id}.`);
      expectStatus(
        await call(server, 'PATCH', `/v3/regions/${id}`, { token: admin(), body: { region: { description: 'x' } } }),
        404,
        `Could not find region: ${id}.`,
      );
    });

    test('region trees: parents must exist, no cycles, children go with their parent, endpoints block deletion', async () => {
      expectStatus(
        await call(server, 'POST', '/v3/regions', { token: admin(), body: { region: { parent_region_id: 'nosuchregion' } } }),
        404,
        'Could not find region: nosuchregion.',
      );
      const a = await post('/v3/regions', 'region', { id: unique('A') });
      const b = await post('/v3/regions', 'region', { id: unique('B'), parent_region_id: a.id });
      const c = await post('/v3/regions', 'region', { id: unique('C'), parent_region_id: b.id });
      expectStatus(
        await call(server, 'PATCH', `/v3/regions/${a.id}`, { token: admin(), body: { region: { parent_region_id: c.id } } }),
        400,
        `The specified parent region ${a.id} would create a circular region hierarchy.`,
      );
      expectStatus(
        await call(server, 'PATCH', `/v3/regions/${a.id}`, { token: admin(), body: { region: { parent_region_id: a.id } } }),
        400,
        `The specified parent region ${a.id} would create a circular region hierarchy.`,
      );
      expectStatus(
        await call(server, 'PATCH', `/v3/regions/${a.id}`, { token: admin(), body: { region: { parent_region_id: 'nosuchregion' } } }),
        404,
        'Could not find region: nosuchregion.',
      );
      const service = await createService();
      const endpoint = await createEndpoint(service.id, { region_id: c.id });
      expectStatus(
        await call(server, 'DELETE', `/v3/regions/${a.id}`, { token: admin() }),
        403,
        `Unable to delete region ${a.id} because it or its child regions have associated endpoints.`,
      );
      expectStatus(await call(server, 'DELETE', `/v3/endpoints/${endpoint.id}`, { token: admin() }), 204);
      expectStatus(await call(server, 'DELETE', `/v3/regions/${a.id}`, { token: admin() }), 204);
      for (const r of [a, b, c]) expectStatus(await call(server, 'GET', `/v3/regions/${r.id}`, { token: admin() }), 404);
    });

    test('region bodies Keystone refuses', async () => {
      const bad = async (method: string, path: string, body: unknown, message?: string | RegExp) =>
        expectStatus(await call(server, method, path, { token: admin(), body }), 400, message);
      await bad('POST', '/v3/regions', {});
      await bad('POST', '/v3/regions', { region: 'x' });
      await bad('POST', '/v3/regions', { region: { description: 5 } }, /description/);
      await bad('POST', '/v3/regions', { region: { parent_region_id: 5 } }, /parent_region_id/);
      const long = 'r'.repeat(256);
      await bad(
        'POST',
        '/v3/regions',
        { region: { id: long } },
        `String length exceeded. The length of string '${long}' exceeds the limit of column id(CHAR(255)).`,
      );
      await bad('PATCH', '/v3/regions/RegionOne', { region: {} });
      await bad('PATCH', '/v3/regions/RegionOne', { region: { id: 'other' } }, 'Cannot change ID');
    });

    test('services: create, show, list with filters, update, delete (with its endpoints)', async () => {
      const type = unique('compute');
      const s = await createService({ type, description: 'computes', enabled: false, owner: 'ops' });
      assert.equal(s.type, type);
      assert.equal(s.enabled, false);
      assert.equal(s.description, 'computes');
      assert.equal(s.owner, 'ops');
      assert.equal(s.links.self, `${server.publicUrl}/v3/services/${s.id}`);
      const bare = await post('/v3/services', 'service', { type });
      assert.equal(bare.name, '');
      assert.equal(bare.enabled, true);
      assert.deepEqual(expectStatus(await call(server, 'GET', `/v3/services/${s.id}`, { token: admin() }), 200).service, s);
      assert.deepEqual(
        ids(expectStatus(await call(server, 'GET', `/v3/services?type=${type}`, { token: admin() }), 200).services),
        ids([s, bare]),
      );
      assert.deepEqual(ids(expectStatus(await call(server, 'GET', `/v3/services?name=${s.name}`, { token: admin() }), 200).services), [
        s.id,
      ]);
      assert.deepEqual(
        ids(
          expectStatus(
            await call(server, 'GET', `/v3/services?type__startswith=${type.slice(0, 12)}&name__contains=svc`, { token: admin() }),
            200,
          ).services,
        ),
        [s.id],
      );
      const updated = expectStatus(
        await call(server, 'PATCH', `/v3/services/${s.id}`, { token: admin(), body: { service: { enabled: true, name: 'renamed' } } }),
        200,
      ).service;
      assert.equal(updated.enabled, true);
      assert.equal(updated.name, 'renamed');
      assert.equal(updated.owner, 'ops');
      const e = await createEndpoint(s.id);
      expectStatus(await call(server, 'DELETE', `/v3/services/${s.id}`, { token: admin() }), 204);
      expectStatus(await call(server, 'GET', `/v3/endpoints/${e.id}`, { token: admin() }), 404, `Could not find endpoint: ${e.id}.`);
      expectStatus(await call(server, 'GET', `/v3/services/${s.id}`, { token: admin() }), 404, `Could not find service: ${s.id}.`);
      expectStatus(await call(server, 'DELETE', `/v3/services/${s.id}`, { token: admin() }), 404, `Could not find service: ${s.id}.`);
      expectStatus(await call(server, 'PATCH', `/v3/services/${s.id}`, { token: admin(), body: { service: { name: 'x' } } }), 404);
      const bad = async (method: string, path: string, body: unknown, message?: string | RegExp) =>
        expectStatus(await call(server, method, path, { token: admin(), body }), 400, message);
      await bad('POST', '/v3/services', { service: { name: 'no type' } }, "'type' is a required property");
      await bad('POST', '/v3/services', { service: { type: '' } }, /type/);
      await bad('POST', '/v3/services', { service: { type: 't', enabled: 'yes' } }, /enabled/);
      await bad('POST', '/v3/services', { service: { type: 't', name: '' } }, /name/);
      await bad('POST', '/v3/services', {});
      await bad('PATCH', `/v3/services/${bare.id}`, { service: {} });
      await bad('PATCH', `/v3/services/${bare.id}`, { service: { id: 'other' } }, 'Cannot change ID');
    });

    test('endpoints: create, show, list with filters, update, delete; the legacy region attribute', async () => {
      const s = await createService();
      const e = await createEndpoint(s.id, {
        interface: 'internal',
        url: 'http://svc.example.com:8774/v2.1/%(tenant_id)s',
        color: 'green',
      });
      assert.equal(e.interface, 'internal');
      assert.equal(e.region_id, 'RegionOne');
      assert.equal(e.region, 'RegionOne');
      assert.equal(e.enabled, true);
      assert.equal(e.color, 'green');
      assert.equal('legacy_endpoint_id' in e, false);
      assert.equal(e.links.self, `${server.publicUrl}/v3/endpoints/${e.id}`);
      assert.deepEqual(expectStatus(await call(server, 'GET', `/v3/endpoints/${e.id}`, { token: admin() }), 200).endpoint, e);
      const admin2 = await createEndpoint(s.id, { interface: 'admin' });
      const listed = async (q: string) =>
        ids(expectStatus(await call(server, 'GET', `/v3/endpoints?${q}`, { token: admin() }), 200).endpoints);
      assert.deepEqual(await listed(`service_id=${s.id}`), ids([e, admin2]));
      assert.deepEqual(await listed(`service_id=${s.id}&interface=admin`), [admin2.id]);
      assert.ok((await listed('region_id=RegionOne')).includes(e.id));
      const legacyRegion = unique('Legacy');
      const legacy = await createEndpoint(s.id, { region_id: undefined, region: legacyRegion });
      assert.equal(legacy.region_id, legacyRegion);
      assert.equal(legacy.region, legacyRegion);
      expectStatus(await call(server, 'GET', `/v3/regions/${legacyRegion}`, { token: admin() }), 200);
      const patched = expectStatus(
        await call(server, 'PATCH', `/v3/endpoints/${e.id}`, {
          token: admin(),
          body: { endpoint: { enabled: false, interface: 'public', region: legacyRegion } },
        }),
        200,
      ).endpoint;
      assert.equal(patched.enabled, false);
      assert.equal(patched.interface, 'public');
      assert.equal(patched.region_id, legacyRegion);
      assert.equal(patched.color, 'green');
      expectStatus(await call(server, 'DELETE', `/v3/endpoints/${e.id}`, { token: admin() }), 204);
      expectStatus(await call(server, 'DELETE', `/v3/endpoints/${e.id}`, { token: admin() }), 404, `Could not find endpoint: ${e.id}.`);
      expectStatus(
        await call(server, 'PATCH', `/v3/endpoints/${e.id}`, { token: admin(), body: { endpoint: { enabled: true } } }),
        404,
        `Could not find endpoint: ${e.id}.`,
      );
    });

    test('endpoint bodies Keystone refuses', async () => {
      const s = await createService();
      const bad = async (body: unknown, message?: string | RegExp) =>
        expectStatus(await call(server, 'POST', '/v3/endpoints', { token: admin(), body }), 400, message);
      const good = { service_id: s.id, interface: 'public', url: 'http://x.example.com/' };
      await bad({ endpoint: { ...good, interface: 'bogus' } }, /interface/);
      await bad({ endpoint: { ...good, url: 'no-scheme' } }, /url/);
      await bad({ endpoint: { ...good, url: `http://x/${'a'.repeat(230)}` } }, /url/);
      await bad({ endpoint: { ...good, enabled: 'true' } }, /enabled/);
      await bad({ endpoint: { service_id: s.id, interface: 'public' } }, "'url' is a required property");
      await bad({ endpoint: { ...good, url: 'http://x/$(nope)s' } }, 'Cannot create an endpoint with an invalid URL: http://x/$(nope)s.');
      await bad({ endpoint: { ...good, url: 'http://x/%20' } }, 'Cannot create an endpoint with an invalid URL: http://x/%20.');
      await bad(
        { endpoint: { ...good, service_id: 'nosuchservice' } },
        `Expecting to find endpoint service_id in service table.${CLIENT_ERROR}`,
      );
      await bad(
        { endpoint: { ...good, region_id: 'nosuchregion' } },
        `Expecting to find endpoint region_id in region table.${CLIENT_ERROR}`,
      );
      await bad({});
      expectStatus(
        await call(server, 'PATCH', '/v3/endpoints/nosuchendpoint', { token: admin(), body: { endpoint: { enabled: true } } }),
        404,
      );
      const e = await createEndpoint(s.id);
      expectStatus(await call(server, 'PATCH', `/v3/endpoints/${e.id}`, { token: admin(), body: { endpoint: {} } }), 400);
      expectStatus(
        await call(server, 'PATCH', `/v3/endpoints/${e.id}`, { token: admin(), body: { endpoint: { service_id: 'nosuchservice' } } }),
        400,
        `Expecting to find endpoint service_id in service table.${CLIENT_ERROR}`,
      );
      // both template spellings, and the whitelist, are accepted
      await createEndpoint(s.id, { url: 'http://x/$(project_id)s/%(user_id)s/$(public_port)s' });
    });

    test('catalogs: templates filled, disabled and malformed endpoints left out, every change seen at once', async () => {
      const s = await createService({ type: unique('volume') });
      const projectUrl = await createEndpoint(s.id, { url: 'http://vol.example.com/v3/$(project_id)s' });
      const tenantUrl = await createEndpoint(s.id, { interface: 'internal', url: 'http://vol.internal/v2/%(tenant_id)s/u/$(user_id)s' });
      let catalog = await projectCatalog();
      let entry = catalog.find((c) => c.id === s.id) as CatalogEntry;
      assert.equal(entry.type, s.type);
      assert.equal(entry.name, s.name);
      const urls = Object.fromEntries(entry.endpoints.map((e) => [e.id, e.url]));
      assert.equal(urls[projectUrl.id], `http://vol.example.com/v3/${p.projectA}`);
      assert.equal(urls[tenantUrl.id], `http://vol.internal/v2/${p.projectA}/u/${p.projectAMember.userId}`);
      assert.equal(entry.endpoints[0].region, 'RegionOne');
      // a domain-scoped token's catalog skips endpoints that need a project
      const domainToken = await passwordToken(server, p.domainAAdmin.userId, p.domainAAdmin.password, { domainId: p.domainA });
      const domainBody = (await call(server, 'GET', '/v3/auth/tokens', { token: admin(), headers: { 'X-Subject-Token': domainToken } }))
        .body;
      const domainEntry = domainBody.token.catalog.find((c: CatalogEntry) => c.id === s.id);
      assert.deepEqual(domainEntry.endpoints, []);
      // disabled endpoint, broken template, disabled service
      expectStatus(
        await call(server, 'PATCH', `/v3/endpoints/${projectUrl.id}`, { token: admin(), body: { endpoint: { enabled: false } } }),
        200,
      );
      expectStatus(
        await call(server, 'PATCH', `/v3/endpoints/${tenantUrl.id}`, {
          token: admin(),
          body: { endpoint: { url: 'http://vol.internal/$(bogus)s' } },
        }),
        200,
      );
      entry = (await projectCatalog()).find((c) => c.id === s.id) as CatalogEntry;
      assert.deepEqual(entry.endpoints, []);
      const fresh = await createEndpoint(s.id, { url: 'http://vol.example.com/fresh' });
      entry = (await projectCatalog()).find((c) => c.id === s.id) as CatalogEntry;
      assert.deepEqual(
        entry.endpoints.map((e) => e.id),
        [fresh.id],
      );
      expectStatus(await call(server, 'PATCH', `/v3/services/${s.id}`, { token: admin(), body: { service: { enabled: false } } }), 200);
      catalog = await projectCatalog();
      assert.equal(
        catalog.find((c) => c.id === s.id),
        undefined,
      );
      // the same token sees the change: validation bodies follow the catalog
      const token = await passwordToken(server, p.projectAMember.userId, p.projectAMember.password, { projectId: p.projectA });
      const before = expectStatus(await call(server, 'GET', '/v3/auth/catalog', { token }), 200).catalog as CatalogEntry[];
      const s2 = await createService();
      await createEndpoint(s2.id);
      const afterChange = expectStatus(await call(server, 'GET', '/v3/auth/catalog', { token }), 200).catalog as CatalogEntry[];
      assert.equal(afterChange.length, before.length + 1);
    });

    test("OS-EP-FILTER: project endpoints filter the project's catalog", async () => {
      const s = await createService();
      const e1 = await createEndpoint(s.id);
      const e2 = await createEndpoint(s.id, { interface: 'internal' });
      const project = expectStatus(
        await call(server, 'POST', '/v3/projects', { token: admin(), body: { project: { name: unique('epf'), domain_id: p.domainA } } }),
        201,
      ).project;
      expectStatus(
        await call(server, 'PUT', `/v3/projects/${project.id}/users/${p.projectAMember.userId}/roles/${server.bootstrap.memberRoleId}`, {
          token: admin(),
        }),
        204,
      );
      const full = await projectCatalog(project.id);
      assert.ok(full.length > 1);
      const assoc = `/v3/OS-EP-FILTER/projects/${project.id}/endpoints/${e1.id}`;
      expectStatus(await call(server, 'GET', assoc, { token: admin() }), 404, `Endpoint ${e1.id} not found in project ${project.id}`);
      expectStatus(await call(server, 'PUT', assoc, { token: admin() }), 204);
      expectStatus(
        await call(server, 'PUT', assoc, { token: admin() }),
        409,
        'Conflict occurred attempting to store project_endpoint - Duplicate entry.',
      );
      expectStatus(await call(server, 'GET', assoc, { token: admin() }), 204);
      const filtered = await projectCatalog(project.id);
      assert.deepEqual(
        filtered.map((c) => c.id),
        [s.id],
      );
      assert.deepEqual(
        filtered[0].endpoints.map((e) => e.id),
        [e1.id],
      );
      assert.deepEqual(
        ids(
          expectStatus(await call(server, 'GET', `/v3/OS-EP-FILTER/projects/${project.id}/endpoints`, { token: admin() }), 200).endpoints,
        ),
        [e1.id],
      );
      assert.deepEqual(
        ids(expectStatus(await call(server, 'GET', `/v3/OS-EP-FILTER/endpoints/${e1.id}/projects`, { token: admin() }), 200).projects),
        [project.id],
      );
      expectStatus(
        await call(server, 'PUT', `/v3/OS-EP-FILTER/projects/nosuchproject/endpoints/${e1.id}`, { token: admin() }),
        404,
        'Could not find project: nosuchproject.',
      );
      expectStatus(
        await call(server, 'PUT', `/v3/OS-EP-FILTER/projects/${project.id}/endpoints/nosuchendpoint`, { token: admin() }),
        404,
        'Could not find endpoint: nosuchendpoint.',
      );
      expectStatus(await call(server, 'DELETE', assoc, { token: admin() }), 204);
      expectStatus(await call(server, 'DELETE', assoc, { token: admin() }), 404);
      assert.equal((await projectCatalog(project.id)).length, full.length);
      assert.ok(e2.id);
    });

    test('OS-EP-FILTER: endpoint groups', async () => {
      const s = await createService();
      const e1 = await createEndpoint(s.id);
      const e2 = await createEndpoint(s.id, { interface: 'admin' });
      const base = '/v3/OS-EP-FILTER/endpoint_groups';
      const group = expectStatus(
        await call(server, 'POST', base, {
          token: admin(),
          body: { endpoint_group: { name: unique('eg'), description: 'public ones', filters: { service_id: s.id, interface: 'public' } } },
        }),
        201,
      ).endpoint_group;
      assert.deepEqual(group.filters, { service_id: s.id, interface: 'public' });
      assert.equal(group.links.self, `${server.publicUrl}${base}/${group.id}`);
      assert.deepEqual(expectStatus(await call(server, 'GET', `${base}/${group.id}`, { token: admin() }), 200).endpoint_group, group);
      assert.equal((await call(server, 'HEAD', `${base}/${group.id}`, { token: admin() })).status, 200);
      const listed = expectStatus(await call(server, 'GET', base, { token: admin() }), 200).endpoint_groups;
      assert.ok(listed.some((g: Ref) => JSON.stringify(g) === JSON.stringify(group)));
      assert.deepEqual(ids(expectStatus(await call(server, 'GET', `${base}/${group.id}/endpoints`, { token: admin() }), 200).endpoints), [
        e1.id,
      ]);
      const updated = expectStatus(
        await call(server, 'PATCH', `${base}/${group.id}`, {
          token: admin(),
          body: { endpoint_group: { filters: { service_id: s.id }, description: null } },
        }),
        200,
      ).endpoint_group;
      assert.equal(updated.description, null);
      assert.deepEqual(
        ids(expectStatus(await call(server, 'GET', `${base}/${group.id}/endpoints`, { token: admin() }), 200).endpoints),
        ids([e1, e2]),
      );
      const project = expectStatus(
        await call(server, 'POST', '/v3/projects', { token: admin(), body: { project: { name: unique('epg'), domain_id: p.domainA } } }),
        201,
      ).project;
      expectStatus(
        await call(server, 'PUT', `/v3/projects/${project.id}/users/${p.projectAMember.userId}/roles/${server.bootstrap.memberRoleId}`, {
          token: admin(),
        }),
        204,
      );
      const assoc = `${base}/${group.id}/projects/${project.id}`;
      expectStatus(await call(server, 'GET', assoc, { token: admin() }), 404, 'Endpoint Group Project Association not found');
      expectStatus(await call(server, 'PUT', assoc, { token: admin() }), 204);
      assert.deepEqual(expectStatus(await call(server, 'GET', assoc, { token: admin() }), 200).project_endpoint_group, {
        endpoint_group_id: group.id,
        project_id: project.id,
        links: { self: `/OS-EP-FILTER/endpoint_groups/${group.id}/projects/${project.id}` },
      });
      assert.deepEqual(ids(expectStatus(await call(server, 'GET', `${base}/${group.id}/projects`, { token: admin() }), 200).projects), [
        project.id,
      ]);
      assert.deepEqual(
        ids(
          expectStatus(await call(server, 'GET', `/v3/OS-EP-FILTER/projects/${project.id}/endpoint_groups`, { token: admin() }), 200)
            .endpoint_groups,
        ),
        [group.id],
      );
      const catalog = await projectCatalog(project.id);
      assert.deepEqual(
        catalog.map((c) => c.id),
        [s.id],
      );
      assert.deepEqual(ids(catalog[0].endpoints as Ref[]), ids([e1, e2]));
      expectStatus(await call(server, 'DELETE', assoc, { token: admin() }), 204);
      expectStatus(await call(server, 'DELETE', assoc, { token: admin() }), 404);
      const bad = async (body: unknown, message?: string | RegExp) =>
        expectStatus(await call(server, 'POST', base, { token: admin(), body }), 400, message);
      await bad({ endpoint_group: { name: 'x', filters: {} } }, 'filters field is required and cannot be empty');
      await bad(
        { endpoint_group: { name: 'x', filters: { url: 'x' } } },
        `Expecting to find service_id or region_id or interface in endpoint_group.${CLIENT_ERROR}`,
      );
      await bad({ endpoint_group: { filters: { interface: 'public' } } }, "'name' is a required property");
      expectStatus(await call(server, 'DELETE', `${base}/${group.id}`, { token: admin() }), 204);
      expectStatus(
        await call(server, 'GET', `${base}/${group.id}`, { token: admin() }),
        404,
        `Could not find Endpoint Group: ${group.id}.`,
      );
    });

    test('no token: 401; a project member: 403 on services and endpoints, 404 hidden behind 403 never leaks', async () => {
      const s = await createService();
      const e = await createEndpoint(s.id);
      for (const path of [
        '/v3/services',
        `/v3/services/${s.id}`,
        '/v3/endpoints',
        `/v3/endpoints/${e.id}`,
        '/v3/regions',
        '/v3/regions/RegionOne',
        '/v3/OS-EP-FILTER/endpoint_groups',
      ]) {
        expectStatus(await call(server, 'GET', path), 401);
      }
      expectStatus(await call(server, 'POST', '/v3/regions', { body: { region: {} } }), 401);
      const t = p.projectAMember.token;
      expectStatus(
        await call(server, 'GET', '/v3/services', { token: t }),
        403,
        'You are not authorized to perform the requested action: identity:list_services.',
      );
      expectStatus(
        await call(server, 'GET', `/v3/services/${s.id}`, { token: t }),
        403,
        'You are not authorized to perform the requested action: identity:get_service.',
      );
      expectStatus(
        await call(server, 'POST', '/v3/services', { token: t, body: { service: { type: 'x' } } }),
        403,
        'You are not authorized to perform the requested action: identity:create_service.',
      );
      expectStatus(
        await call(server, 'GET', '/v3/endpoints', { token: t }),
        403,
        'You are not authorized to perform the requested action: identity:list_endpoints.',
      );
      expectStatus(
        await call(server, 'GET', `/v3/endpoints/${e.id}`, { token: t }),
        403,
        'You are not authorized to perform the requested action: identity:get_endpoint.',
      );
      expectStatus(await call(server, 'DELETE', `/v3/endpoints/${e.id}`, { token: t }), 403);
      expectStatus(
        await call(server, 'POST', '/v3/regions', { token: t, body: { region: {} } }),
        403,
        'You are not authorized to perform the requested action: identity:create_region.',
      );
      expectStatus(await call(server, 'PUT', `/v3/OS-EP-FILTER/projects/${p.projectA}/endpoints/${e.id}`, { token: t }), 403);
    });
  });

  describe(`[catalog] list_limit (${kind})`, () => {
    let server: TestServer;
    before(async () => {
      server = await startTestServer({ database: kind, config: { catalog: { list_limit: 1 } } });
    });
    after(async () => {
      await server?.close();
    });

    test('regions, services and endpoints are truncated with "truncated": true', async () => {
      const token = (
        await call(server, 'POST', '/v3/auth/tokens', {
          body: {
            auth: {
              identity: {
                methods: ['password'],
                password: { user: { name: 'admin', domain: { id: 'default' }, password: server.adminPassword } },
              },
              scope: { system: { all: true } },
            },
          },
        })
      ).headers.get('x-subject-token') as string;
      expectStatus(await call(server, 'POST', '/v3/regions', { token, body: { region: { id: 'RegionTwo' } } }), 201);
      for (const [path, key] of [
        ['/v3/regions', 'regions'],
        ['/v3/endpoints', 'endpoints'],
      ]) {
        const body = expectStatus(await call(server, 'GET', path, { token }), 200);
        assert.equal(body[key].length, 1, path);
        assert.equal(body.truncated, true, path);
      }
      const services = expectStatus(await call(server, 'GET', '/v3/services', { token }), 200);
      assert.equal(services.services.length, 1);
      assert.equal(services.truncated, undefined);
    });
  });
}
