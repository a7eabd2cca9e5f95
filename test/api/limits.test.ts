/**
 * Unified limits over HTTP: registered limits and project/domain limits,
 * Keystone's validation and messages, what each scope lists, the flat and
 * strict_two_level enforcement models.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestServer, type TestServer } from '../helpers/test-server.js';
import { databaseKinds } from '../helpers/test-database.js';
import { call, expectStatus, setupPersonas, unique, type Personas } from './identity-resource-fixtures.js';

type Ref = { id: string; [k: string]: unknown };
const ids = (list: Ref[]) => list.map((x) => x.id).sort();
const CLIENT_ERROR =
  ' The server could not comply with the request since it is either malformed or otherwise incorrect. The client is assumed to be in error.';

for (const kind of databaseKinds()) {
  describe(`registered limits and limits over HTTP (${kind})`, () => {
    let server: TestServer;
    let p: Personas;
    let serviceId: string;
    before(async () => {
      server = await startTestServer({ database: kind });
      p = await setupPersonas(server);
      serviceId = expectStatus(
        await call(server, 'POST', '/v3/services', {
          token: p.systemAdmin.token,
          body: { service: { type: unique('quota'), name: 'quota' } },
        }),
        201,
      ).service.id;
    });
    after(async () => {
      await server?.close();
    });

    const admin = () => p.systemAdmin.token;
    const registered = async (items: Record<string, unknown>[]) =>
      expectStatus(await call(server, 'POST', '/v3/registered_limits', { token: admin(), body: { registered_limits: items } }), 201)
        .registered_limits as Ref[];
    const limits = async (items: Record<string, unknown>[]) =>
      expectStatus(await call(server, 'POST', '/v3/limits', { token: admin(), body: { limits: items } }), 201).limits as Ref[];

    test('the model is flat by default', async () => {
      const body = expectStatus(await call(server, 'GET', '/v3/limits/model', { token: admin() }), 200);
      assert.deepEqual(body, {
        model: { name: 'flat', description: 'Limit enforcement and validation does not take project hierarchy into consideration.' },
      });
    });

    test('registered limits: create a list, show, filter, update, delete', async () => {
      const res = await call(server, 'POST', '/v3/registered_limits', {
        token: admin(),
        body: {
          registered_limits: [
            { service_id: serviceId, resource_name: 'cores', default_limit: 10, description: 'cores' },
            { service_id: serviceId, region_id: 'RegionOne', resource_name: 'cores', default_limit: 20 },
          ],
        },
      });
      const created = expectStatus(res, 201);
      assert.equal(created.links, undefined);
      const [global, regional] = created.registered_limits;
      assert.deepEqual(
        { ...global, id: undefined, links: undefined },
        {
          id: undefined,
          links: undefined,
          service_id: serviceId,
          region_id: null,
          resource_name: 'cores',
          default_limit: 10,
          description: 'cores',
        },
      );
      assert.equal(regional.region_id, 'RegionOne');
      assert.equal(regional.description, null);
      assert.equal(global.links.self, `${server.publicUrl}/v3/registered_limits/${global.id}`);
      assert.deepEqual(
        expectStatus(await call(server, 'GET', `/v3/registered_limits/${global.id}`, { token: admin() }), 200).registered_limit,
        global,
      );
      const q = async (query: string) =>
        ids(expectStatus(await call(server, 'GET', `/v3/registered_limits?${query}`, { token: admin() }), 200).registered_limits);
      assert.deepEqual(await q(`service_id=${serviceId}&resource_name=cores`), ids([global, regional]));
      assert.deepEqual(await q('region_id=RegionOne&resource_name=cores'), [regional.id]);
      const updated = expectStatus(
        await call(server, 'PATCH', `/v3/registered_limits/${global.id}`, {
          token: admin(),
          body: { registered_limit: { default_limit: 11, description: null } },
        }),
        200,
      ).registered_limit;
      assert.equal(updated.default_limit, 11);
      assert.equal(updated.description, null);
      expectStatus(
        await call(server, 'PATCH', `/v3/registered_limits/${global.id}`, {
          token: admin(),
          body: { registered_limit: { region_id: 'RegionOne' } },
        }),
        409,
        'Conflict occurred attempting to store registered_limit - Duplicate entry.',
      );
      expectStatus(
        await call(server, 'POST', '/v3/registered_limits', {
          token: admin(),
          body: { registered_limits: [{ service_id: serviceId, resource_name: 'cores', default_limit: 1 }] },
        }),
        409,
        'Conflict occurred attempting to store registered_limit - Duplicate entry.',
      );
      expectStatus(await call(server, 'DELETE', `/v3/registered_limits/${regional.id}`, { token: admin() }), 204);
      expectStatus(
        await call(server, 'GET', `/v3/registered_limits/${regional.id}`, { token: admin() }),
        404,
        `Could not find registered limit for ${regional.id}.`,
      );
      expectStatus(
        await call(server, 'DELETE', `/v3/registered_limits/${regional.id}`, { token: admin() }),
        404,
        `Could not find registered limit for ${regional.id}.`,
      );
    });

    test('registered limit bodies Keystone refuses, creating nothing', async () => {
      const bad = async (body: unknown, message?: string | RegExp) =>
        expectStatus(await call(server, 'POST', '/v3/registered_limits', { token: admin(), body }), 400, message);
      const good = { service_id: serviceId, resource_name: unique('res'), default_limit: 1 };
      await bad({ registered_limits: [] });
      await bad({ registered_limits: good });
      await bad({});
      await bad({ registered_limits: [{ ...good, default_limit: -2 }] }, /default_limit/);
      await bad({ registered_limits: [{ ...good, default_limit: 2 ** 31 }] }, /default_limit/);
      await bad({ registered_limits: [{ ...good, default_limit: 1.5 }] }, /default_limit/);
      await bad({ registered_limits: [{ ...good, extra: 1 }] }, /extra/);
      await bad({ registered_limits: [{ ...good, service_id: 'not/valid' }] }, /service_id/);
      await bad(
        { registered_limits: [{ ...good, service_id: 'nosuchservice' }] },
        `Expecting to find service_id in registered_limit.${CLIENT_ERROR}`,
      );
      await bad(
        { registered_limits: [good, { ...good, resource_name: 'other', region_id: 'nosuchregion' }] },
        `Expecting to find region_id in registered_limit.${CLIENT_ERROR}`,
      );
      const left = expectStatus(
        await call(server, 'GET', `/v3/registered_limits?resource_name=${good.resource_name}`, { token: admin() }),
        200,
      ).registered_limits;
      assert.deepEqual(left, []);
    });

    test("limits: project and domain limits, Keystone's refusals, update, delete", async () => {
      const resource = unique('ram');
      const [reg] = await registered([{ service_id: serviceId, resource_name: resource, default_limit: 100 }]);
      const [onProject, onDomain] = await limits([
        { project_id: p.projectA, service_id: serviceId, resource_name: resource, resource_limit: 50 },
        { domain_id: p.domainA, service_id: serviceId, resource_name: resource, resource_limit: 80, description: 'domain a' },
      ]);
      assert.equal(onProject.project_id, p.projectA);
      assert.equal(onProject.domain_id, null);
      assert.equal(onProject.region_id, null);
      assert.equal(onDomain.domain_id, p.domainA);
      assert.equal(onDomain.description, 'domain a');
      assert.equal(onProject.links && (onProject.links as { self: string }).self, `${server.publicUrl}/v3/limits/${onProject.id}`);
      // a project id that is a domain becomes domain_id
      const [asDomain] = await limits([{ project_id: p.domainB, service_id: serviceId, resource_name: resource, resource_limit: 7 }]);
      assert.equal(asDomain.domain_id, p.domainB);
      assert.equal(asDomain.project_id, null);
      expectStatus(
        await call(server, 'POST', '/v3/limits', {
          token: admin(),
          body: { limits: [{ project_id: p.projectA, service_id: serviceId, resource_name: resource, resource_limit: 1 }] },
        }),
        409,
        'Conflict occurred attempting to store limit - Duplicate entry.',
      );
      expectStatus(
        await call(server, 'POST', '/v3/limits', {
          token: admin(),
          body: { limits: [{ project_id: p.projectA, service_id: serviceId, resource_name: 'unregistered', resource_limit: 1 }] },
        }),
        403,
        'Unable to create a limit that has no corresponding registered limit.',
      );
      expectStatus(
        await call(server, 'POST', '/v3/limits', {
          token: admin(),
          body: { limits: [{ project_id: 'nosuchproject', service_id: serviceId, resource_name: resource, resource_limit: 1 }] },
        }),
        400,
        `Expecting to find project_id in limit.${CLIENT_ERROR}`,
      );
      expectStatus(
        await call(server, 'POST', '/v3/limits', {
          token: admin(),
          body: {
            limits: [{ project_id: p.projectA, domain_id: p.domainA, service_id: serviceId, resource_name: resource, resource_limit: 1 }],
          },
        }),
        400,
      );
      expectStatus(
        await call(server, 'POST', '/v3/limits', {
          token: admin(),
          body: { limits: [{ project_id: p.projectA, service_id: serviceId, resource_name: resource }] },
        }),
        400,
      );
      expectStatus(await call(server, 'POST', '/v3/limits', { token: admin(), body: { limits: [] } }), 400);
      // the registered limit is now in use
      expectStatus(
        await call(server, 'PATCH', `/v3/registered_limits/${reg.id}`, {
          token: admin(),
          body: { registered_limit: { default_limit: 5 } },
        }),
        403,
        `Unable to update or delete registered limit ${reg.id} because there are project limits associated with it.`,
      );
      expectStatus(
        await call(server, 'DELETE', `/v3/registered_limits/${reg.id}`, { token: admin() }),
        403,
        `Unable to update or delete registered limit ${reg.id} because there are project limits associated with it.`,
      );
      const q = async (query: string, token = admin()) =>
        ids(expectStatus(await call(server, 'GET', `/v3/limits?${query}`, { token }), 200).limits);
      assert.deepEqual(await q(`resource_name=${resource}`), ids([onProject, onDomain, asDomain]));
      assert.deepEqual(await q(`resource_name=${resource}&project_id=${p.projectA}`), [onProject.id]);
      assert.deepEqual(await q(`resource_name=${resource}&domain_id=${p.domainA}`), [onDomain.id]);
      // what each scope lists
      assert.deepEqual(await q(`resource_name=${resource}`, p.domainAAdmin.token), ids([onProject, onDomain]));
      assert.deepEqual(await q(`resource_name=${resource}`, p.domainBAdmin.token), [asDomain.id]);
      const updated = expectStatus(
        await call(server, 'PATCH', `/v3/limits/${onProject.id}`, {
          token: admin(),
          body: { limit: { resource_limit: 60, description: 'more' } },
        }),
        200,
      ).limit;
      assert.equal(updated.resource_limit, 60);
      assert.equal(updated.description, 'more');
      assert.equal(updated.resource_name, resource);
      expectStatus(
        await call(server, 'PATCH', `/v3/limits/${onProject.id}`, { token: admin(), body: { limit: { project_id: 'x' } } }),
        400,
      );
      expectStatus(
        await call(server, 'PATCH', `/v3/limits/${onProject.id}`, { token: admin(), body: { limit: { resource_limit: -5 } } }),
        400,
      );
      assert.deepEqual(expectStatus(await call(server, 'GET', `/v3/limits/${onProject.id}`, { token: admin() }), 200).limit, updated);
      for (const l of [onProject, onDomain, asDomain])
        expectStatus(await call(server, 'DELETE', `/v3/limits/${l.id}`, { token: admin() }), 204);
      expectStatus(
        await call(server, 'GET', `/v3/limits/${onProject.id}`, { token: admin() }),
        404,
        `Could not find limit for ${onProject.id}.`,
      );
      expectStatus(
        await call(server, 'DELETE', `/v3/limits/${onProject.id}`, { token: admin() }),
        404,
        `Could not find limit for ${onProject.id}.`,
      );
      expectStatus(await call(server, 'DELETE', `/v3/registered_limits/${reg.id}`, { token: admin() }), 204);
    });

    test("any authenticated caller lists limits and the model, narrowed to its project (Keystone's empty rules)", async () => {
      const resource = unique('net');
      await registered([{ service_id: serviceId, resource_name: resource, default_limit: 1 }]);
      const [mine] = await limits([{ project_id: p.projectA, service_id: serviceId, resource_name: resource, resource_limit: 2 }]);
      await limits([{ domain_id: p.domainB, service_id: serviceId, resource_name: resource, resource_limit: 2 }]);
      const q = async (token: string) =>
        ids(expectStatus(await call(server, 'GET', `/v3/limits?resource_name=${resource}`, { token }), 200).limits);
      assert.deepEqual(await q(p.projectAMember.token), [mine.id]);
      assert.deepEqual(await q(p.noRole.token), []);
      expectStatus(await call(server, 'GET', '/v3/limits/model', { token: p.projectAReader.token }), 200);
      expectStatus(await call(server, 'GET', '/v3/registered_limits', { token: p.noRole.token }), 200);
      expectStatus(await call(server, 'GET', `/v3/limits/${mine.id}`, { token: p.projectAMember.token }), 200);
      expectStatus(await call(server, 'GET', `/v3/limits/${mine.id}`, { token: p.domainBAdmin.token }), 200);
    });

    test('a deleted project takes its limits with it', async () => {
      const resource = unique('disk');
      await registered([{ service_id: serviceId, resource_name: resource, default_limit: 1 }]);
      const project = expectStatus(
        await call(server, 'POST', '/v3/projects', { token: admin(), body: { project: { name: unique('lim'), domain_id: p.domainA } } }),
        201,
      ).project;
      const [l] = await limits([{ project_id: project.id, service_id: serviceId, resource_name: resource, resource_limit: 3 }]);
      expectStatus(
        await call(server, 'PATCH', `/v3/projects/${project.id}`, { token: admin(), body: { project: { enabled: false } } }),
        200,
      );
      expectStatus(await call(server, 'DELETE', `/v3/projects/${project.id}`, { token: admin() }), 204);
      expectStatus(await call(server, 'GET', `/v3/limits/${l.id}`, { token: admin() }), 404);
    });

    test('without a token: 401; a project member may not write', async () => {
      for (const path of ['/v3/limits', '/v3/limits/model', '/v3/registered_limits']) expectStatus(await call(server, 'GET', path), 401);
      const t = p.projectAMember.token;
      expectStatus(
        await call(server, 'POST', '/v3/limits', { token: t, body: { limits: [] } }),
        403,
        'You are not authorized to perform the requested action: identity:create_limits.',
      );
      expectStatus(
        await call(server, 'POST', '/v3/registered_limits', { token: t, body: { registered_limits: [] } }),
        403,
        'You are not authorized to perform the requested action: identity:create_registered_limits.',
      );
      expectStatus(
        await call(server, 'PATCH', '/v3/limits/nosuchlimit', { token: t, body: { limit: {} } }),
        404,
        'Could not find limit for nosuchlimit.',
      );
      expectStatus(await call(server, 'DELETE', '/v3/registered_limits/anything', { token: t }), 403);
    });
  });

  describe(`the strict_two_level model (${kind})`, () => {
    let server: TestServer;
    let p: Personas;
    let serviceId: string;
    before(async () => {
      server = await startTestServer({ database: kind, config: { unified_limit: { enforcement_model: 'strict_two_level' } } });
      p = await setupPersonas(server);
      serviceId = expectStatus(
        await call(server, 'POST', '/v3/services', { token: p.systemAdmin.token, body: { service: { type: 'quota' } } }),
        201,
      ).service.id;
    });
    after(async () => {
      await server?.close();
    });

    test("a project limit may not exceed its domain's; a domain limit may not fall below its projects'", async () => {
      const token = p.systemAdmin.token;
      expectStatus(await call(server, 'GET', '/v3/limits/model', { token }), 200);
      assert.equal(expectStatus(await call(server, 'GET', '/v3/limits/model', { token }), 200).model.name, 'strict_two_level');
      expectStatus(
        await call(server, 'POST', '/v3/registered_limits', {
          token,
          body: { registered_limits: [{ service_id: serviceId, resource_name: 'cores', default_limit: 20 }] },
        }),
        201,
      );
      const domainLimit = expectStatus(
        await call(server, 'POST', '/v3/limits', {
          token,
          body: { limits: [{ domain_id: p.domainA, service_id: serviceId, resource_name: 'cores', resource_limit: 10 }] },
        }),
        201,
      ).limits[0];
      expectStatus(
        await call(server, 'POST', '/v3/limits', {
          token,
          body: { limits: [{ project_id: p.projectA, service_id: serviceId, resource_name: 'cores', resource_limit: 15 }] },
        }),
        403,
        `Invalid resource limit: The resource limit (project_id: ${p.projectA}, resource_name: cores, resource_limit: 15, service_id: ${serviceId}, region_id: None) doesn't satisfy current hierarchy model..`,
      );
      const projectLimit = expectStatus(
        await call(server, 'POST', '/v3/limits', {
          token,
          body: { limits: [{ project_id: p.projectA, service_id: serviceId, resource_name: 'cores', resource_limit: 5 }] },
        }),
        201,
      ).limits[0];
      expectStatus(
        await call(server, 'PATCH', `/v3/limits/${domainLimit.id}`, { token, body: { limit: { resource_limit: 3 } } }),
        403,
        `Invalid resource limit: The resource limit (domain_id: ${p.domainA}, resource_name: cores, resource_limit: 3, service_id: ${serviceId}, region_id: None) doesn't satisfy current hierarchy model..`,
      );
      expectStatus(await call(server, 'PATCH', `/v3/limits/${domainLimit.id}`, { token, body: { limit: { resource_limit: 8 } } }), 200);
      expectStatus(await call(server, 'PATCH', `/v3/limits/${projectLimit.id}`, { token, body: { limit: { resource_limit: 9 } } }), 403);
      // without a domain limit, the registered default bounds the project
      expectStatus(
        await call(server, 'POST', '/v3/limits', {
          token,
          body: { limits: [{ domain_id: p.domainB, service_id: serviceId, resource_name: 'cores', resource_limit: 30 }] },
        }),
        201,
      );
      const inB = expectStatus(
        await call(server, 'POST', '/v3/projects', { token, body: { project: { name: unique('b'), domain_id: p.domainB } } }),
        201,
      ).project;
      expectStatus(
        await call(server, 'POST', '/v3/limits', {
          token,
          body: { limits: [{ project_id: inB.id, service_id: serviceId, resource_name: 'cores', resource_limit: 31 }] },
        }),
        403,
      );
      // in one request, the domain limit of the same batch is the bound
      const inA = expectStatus(
        await call(server, 'POST', '/v3/projects', { token, body: { project: { name: unique('a'), domain_id: p.domainA } } }),
        201,
      ).project;
      const batch = [{ project_id: inA.id, service_id: serviceId, resource_name: 'cores', resource_limit: 4 }];
      expectStatus(await call(server, 'POST', '/v3/limits', { token, body: { limits: batch } }), 201);
    });
  });
}
