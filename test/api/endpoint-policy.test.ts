/**
 * OS-ENDPOINT-POLICY over HTTP: the 11 operations with Keystone 22's status
 * codes, bodies and messages (captured from a real Keystone 22), 404s for
 * unknown ids, the resolution order of an endpoint's policy (endpoint, then
 * its service in its region and up the parent regions, then its service),
 * the associations dropped with what they name, the policy rules and the
 * JSON-Home entries.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestServer, type TestServer } from '../helpers/test-server.js';
import { databaseKinds } from '../helpers/test-database.js';
import { call, expectStatus, setupPersonas, unique, type Personas } from './identity-resource-fixtures.js';
import { KeystoneError } from '../../src/common/errors.js';

const REL = 'https://docs.openstack.org/api/openstack-identity/3/ext/OS-ENDPOINT-POLICY/1.0/rel/';
const PARAM = 'https://docs.openstack.org/api/openstack-identity/3/param/';

for (const kind of databaseKinds()) {
  describe(`OS-ENDPOINT-POLICY over HTTP (${kind})`, () => {
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
    const req = async (method: string, path: string, status: number, message?: string) =>
      expectStatus(await call(server, method, path, { token: admin() }), status, message);
    const created = async (path: string, key: string, body: Record<string, unknown>): Promise<string> =>
      (expectStatus(await call(server, 'POST', path, { token: admin(), body: { [key]: body } }), 201) as Record<string, { id: string }>)[
        key
      ].id;
    const newPolicy = () => created('/v3/policies', 'policy', { type: 'application/json', blob: '{"a": 1}', team: 'ops' });
    const newService = () => created('/v3/services', 'service', { type: unique('svc'), name: unique('svc') });
    const newRegion = (parent?: string) =>
      created('/v3/regions', 'region', { id: unique('region'), ...(parent ? { parent_region_id: parent } : {}) });
    const newEndpoint = (serviceId: string, regionId?: string) =>
      created('/v3/endpoints', 'endpoint', {
        service_id: serviceId,
        interface: 'public',
        url: 'http://example.test:1234/v1',
        ...(regionId ? { region_id: regionId } : {}),
      });
    const policyOf = async (endpointId: string) =>
      (await req('GET', `/v3/endpoints/${endpointId}/OS-ENDPOINT-POLICY/policy`, 200)).policy as { id: string };
    const endpointsOf = async (policyId: string) =>
      ((await req('GET', `/v3/policies/${policyId}/OS-ENDPOINT-POLICY/endpoints`, 200)).endpoints as { id: string }[])
        .map((e) => e.id)
        .sort();
    const associationRows = async (column: string, id: string) =>
      Number((await server.db.one<{ n: string }>(`SELECT count(*) AS n FROM policy_association WHERE ${column} = $1`, [id])).n);

    test('each association: PUT 204, GET and HEAD 204, DELETE 204, then 404', async () => {
      const policy = await newPolicy();
      const service = await newService();
      const region = await newRegion();
      const endpoint = await newEndpoint(service, region);
      const base = `/v3/policies/${policy}/OS-ENDPOINT-POLICY`;
      for (const path of [
        `${base}/endpoints/${endpoint}`,
        `${base}/services/${service}`,
        `${base}/services/${service}/regions/${region}`,
      ]) {
        await req('GET', path, 404, 'Could not find policy association.');
        const put = await call(server, 'PUT', path, { token: admin() });
        assert.equal(put.status, 204);
        assert.equal(put.body, '');
        await req('GET', path, 204);
        await req('HEAD', path, 204);
        // a second PUT is not a conflict
        await req('PUT', path, 204);
        await req('DELETE', path, 204);
        await req('GET', path, 404, 'Could not find policy association.');
        await req('HEAD', path, 404);
        // deleting what is not there is not an error, as in Keystone
        await req('DELETE', path, 204);
      }
      await req('POST', `${base}/endpoints/${endpoint}`, 405);
    });

    test('the endpoints of a policy: by endpoint, by service, by service in a region and the regions below it', async () => {
      const policy = await newPolicy();
      const service = await newService();
      const other = await newService();
      const parent = await newRegion();
      const child = await newRegion(parent);
      const elsewhere = await newRegion();
      const inChild = await newEndpoint(service, child);
      const inParent = await newEndpoint(service, parent);
      const inElsewhere = await newEndpoint(service, elsewhere);
      const noRegion = await newEndpoint(service);
      const otherService = await newEndpoint(other, child);
      const base = `/v3/policies/${policy}/OS-ENDPOINT-POLICY`;

      const empty = await req('GET', `${base}/endpoints`, 200);
      assert.deepEqual(empty, {
        endpoints: [],
        links: { next: null, self: `${server.publicUrl}${base}/endpoints`, previous: null },
      });

      await req('PUT', `${base}/endpoints/${otherService}`, 204);
      const one = await req('GET', `${base}/endpoints`, 200);
      assert.deepEqual(one.endpoints, [
        {
          id: otherService,
          interface: 'public',
          region_id: child,
          service_id: other,
          url: 'http://example.test:1234/v1',
          enabled: true,
          links: { self: `${server.publicUrl}/v3/endpoints/${otherService}` },
        },
      ]);
      await req('HEAD', `${base}/endpoints`, 200);

      await req('PUT', `${base}/services/${service}/regions/${parent}`, 204);
      assert.deepEqual(await endpointsOf(policy), [inChild, inParent, otherService].sort());

      await req('DELETE', `${base}/services/${service}/regions/${parent}`, 204);
      await req('PUT', `${base}/services/${service}`, 204);
      assert.deepEqual(await endpointsOf(policy), [inChild, inParent, inElsewhere, noRegion, otherService].sort());
    });

    test("an endpoint's policy: its own, else its service in its region or a parent region, else its service's", async () => {
      const [pEndpoint, pChild, pParent, pService] = [await newPolicy(), await newPolicy(), await newPolicy(), await newPolicy()];
      const service = await newService();
      const grandparent = await newRegion();
      const parent = await newRegion(grandparent);
      const child = await newRegion(parent);
      const endpoint = await newEndpoint(service, child);
      const sibling = await newEndpoint(service);
      const at = (policy: string) => `/v3/policies/${policy}/OS-ENDPOINT-POLICY`;

      await req('GET', `/v3/endpoints/${endpoint}/OS-ENDPOINT-POLICY/policy`, 404, `No policy is associated with endpoint ${endpoint}.`);
      await req('PUT', `${at(pService)}/services/${service}`, 204);
      assert.equal((await policyOf(endpoint)).id, pService);
      await req('PUT', `${at(pParent)}/services/${service}/regions/${grandparent}`, 204);
      assert.equal((await policyOf(endpoint)).id, pParent, 'the grandparent region, two levels up');
      await req('PUT', `${at(pChild)}/services/${service}/regions/${child}`, 204);
      assert.equal((await policyOf(endpoint)).id, pChild);
      await req('PUT', `${at(pEndpoint)}/endpoints/${endpoint}`, 204);
      const own = await policyOf(endpoint);
      // the policy as Keystone renders it here, linked under /v3/endpoints (Keystone's wrap_member(collection_name='endpoints'))
      assert.deepEqual(own, {
        id: pEndpoint,
        type: 'application/json',
        blob: '{"a": 1}',
        team: 'ops',
        links: { self: `${server.publicUrl}/v3/endpoints/${pEndpoint}` },
      });
      await req('HEAD', `/v3/endpoints/${endpoint}/OS-ENDPOINT-POLICY/policy`, 200);
      // the endpoint without a region gets the service's policy
      assert.equal((await policyOf(sibling)).id, pService);

      // a new PUT for the same endpoint moves the association to the other policy
      await req('PUT', `${at(pService)}/endpoints/${endpoint}`, 204);
      assert.equal((await policyOf(endpoint)).id, pService);
      await req('GET', `${at(pEndpoint)}/endpoints/${endpoint}`, 404, 'Could not find policy association.');

      await req('DELETE', `${at(pService)}/endpoints/${endpoint}`, 204);
      assert.equal((await policyOf(endpoint)).id, pChild);
      await req('DELETE', `${at(pChild)}/services/${service}/regions/${child}`, 204);
      assert.equal((await policyOf(endpoint)).id, pParent);
      await req('DELETE', `${at(pParent)}/services/${service}/regions/${grandparent}`, 204);
      assert.equal((await policyOf(endpoint)).id, pService);
      await req('DELETE', `${at(pService)}/services/${service}`, 204);
      await req('GET', `/v3/endpoints/${endpoint}/OS-ENDPOINT-POLICY/policy`, 404, `No policy is associated with endpoint ${endpoint}.`);
    });

    test('unknown ids: the 404 of the entity, policy first', async () => {
      const policy = await newPolicy();
      const service = await newService();
      const region = await newRegion();
      const endpoint = await newEndpoint(service, region);
      for (const method of ['PUT', 'GET', 'DELETE']) {
        await req(method, `/v3/policies/nope/OS-ENDPOINT-POLICY/endpoints/nope`, 404, 'Could not find policy: nope.');
        await req(method, `/v3/policies/${policy}/OS-ENDPOINT-POLICY/endpoints/nope`, 404, 'Could not find endpoint: nope.');
        await req(method, `/v3/policies/nope/OS-ENDPOINT-POLICY/services/${service}`, 404, 'Could not find policy: nope.');
        await req(method, `/v3/policies/${policy}/OS-ENDPOINT-POLICY/services/nope`, 404, 'Could not find service: nope.');
        await req(
          method,
          `/v3/policies/${policy}/OS-ENDPOINT-POLICY/services/nope/regions/${region}`,
          404,
          'Could not find service: nope.',
        );
        await req(
          method,
          `/v3/policies/${policy}/OS-ENDPOINT-POLICY/services/${service}/regions/nope`,
          404,
          'Could not find region: nope.',
        );
      }
      await req('GET', '/v3/policies/nope/OS-ENDPOINT-POLICY/endpoints', 404, 'Could not find policy: nope.');
      await req('GET', '/v3/endpoints/nope/OS-ENDPOINT-POLICY/policy', 404, 'Could not find endpoint: nope.');
      // nothing was associated by the refused requests
      assert.deepEqual(await endpointsOf(policy), []);
      await req('GET', `/v3/endpoints/${endpoint}/OS-ENDPOINT-POLICY/policy`, 404, `No policy is associated with endpoint ${endpoint}.`);
    });

    test('an association of any other mix of entities is refused (403, Keystone InvalidPolicyAssociation)', async () => {
      const api = server.providers.endpoint_policy_api;
      await assert.rejects(
        api.createPolicyAssociation('p', { endpointId: 'e', serviceId: 's' }),
        (err: unknown) =>
          err instanceof KeystoneError &&
          err.code === 403 &&
          err.message ===
            'Invalid mix of entities for policy association: only Endpoint, Service, or Region+Service allowed. Request was - Endpoint: e, Service: s, Region: None.',
      );
      await assert.rejects(
        api.checkPolicyAssociation('p', { regionId: 'r' }),
        (err: unknown) => err instanceof KeystoneError && err.code === 403,
      );
      await assert.rejects(api.deletePolicyAssociation('p', {}), (err: unknown) => err instanceof KeystoneError && err.code === 403);
    });

    test('associations go with the policy, endpoint, service or region they name', async () => {
      const policy = await newPolicy();
      const service = await newService();
      const parent = await newRegion();
      const child = await newRegion(parent);
      const endpoint = await newEndpoint(service, child);
      const base = `/v3/policies/${policy}/OS-ENDPOINT-POLICY`;

      // an endpoint
      await req('PUT', `${base}/endpoints/${endpoint}`, 204);
      assert.equal(await associationRows('endpoint_id', endpoint), 1);
      await req('DELETE', `/v3/endpoints/${endpoint}`, 204);
      assert.equal(await associationRows('endpoint_id', endpoint), 0);
      assert.deepEqual(await endpointsOf(policy), []);

      // a region and its child regions
      const other = await newService();
      await req('PUT', `${base}/services/${other}/regions/${parent}`, 204);
      await req('PUT', `${base}/services/${other}/regions/${child}`, 204);
      assert.equal(await associationRows('region_id', parent), 1);
      await req('DELETE', `/v3/regions/${parent}`, 204);
      assert.equal(await associationRows('region_id', parent), 0);
      assert.equal(await associationRows('region_id', child), 0);

      // a service, with its endpoints and their associations
      const e1 = await newEndpoint(service);
      const region = await newRegion();
      await req('PUT', `${base}/services/${service}`, 204);
      await req('PUT', `${base}/services/${service}/regions/${region}`, 204);
      await req('PUT', `${base}/endpoints/${e1}`, 204);
      assert.equal(await associationRows('policy_id', policy), 3);
      await req('DELETE', `/v3/services/${service}`, 204);
      assert.equal(await associationRows('service_id', service), 0);
      assert.equal(await associationRows('endpoint_id', e1), 0);

      // the policy
      const survivor = await newService();
      const e2 = await newEndpoint(survivor);
      await req('PUT', `${base}/services/${survivor}`, 204);
      await req('PUT', `${base}/endpoints/${e2}`, 204);
      assert.equal((await policyOf(e2)).id, policy);
      await req('DELETE', `/v3/policies/${policy}`, 204);
      assert.equal(await associationRows('policy_id', policy), 0);
      await req('GET', `/v3/endpoints/${e2}/OS-ENDPOINT-POLICY/policy`, 404, `No policy is associated with endpoint ${e2}.`);
    });

    test("Keystone 22's rules: a project member is refused each operation, a system reader may read", async () => {
      const policy = await newPolicy();
      const service = await newService();
      const region = await newRegion();
      const endpoint = await newEndpoint(service, region);
      const base = `/v3/policies/${policy}/OS-ENDPOINT-POLICY`;
      const member = p.projectAMember.token;
      const refused = async (method: string, path: string, rule: string) =>
        expectStatus(
          await call(server, method, path, { token: member }),
          403,
          `You are not authorized to perform the requested action: identity:${rule}.`,
        );
      const targets = {
        endpoint: `${base}/endpoints/${endpoint}`,
        service: `${base}/services/${service}`,
        region_and_service: `${base}/services/${service}/regions/${region}`,
      };
      for (const [kind, path] of Object.entries(targets)) {
        await refused('PUT', path, `create_policy_association_for_${kind}`);
        await refused('GET', path, `check_policy_association_for_${kind}`);
        await refused('DELETE', path, `delete_policy_association_for_${kind}`);
      }
      await refused('GET', `${base}/endpoints`, 'list_endpoints_for_policy');
      await refused('GET', `/v3/endpoints/${endpoint}/OS-ENDPOINT-POLICY/policy`, 'get_policy_for_endpoint');
      expectStatus(await call(server, 'GET', `${base}/endpoints`), 401);

      await req('PUT', targets.service, 204);
      const reader = p.systemReader.token;
      expectStatus(await call(server, 'GET', targets.service, { token: reader }), 204);
      expectStatus(await call(server, 'GET', `${base}/endpoints`, { token: reader }), 200);
      assert.equal(
        (
          expectStatus(await call(server, 'GET', `/v3/endpoints/${endpoint}/OS-ENDPOINT-POLICY/policy`, { token: reader }), 200).policy as {
            id: string;
          }
        ).id,
        policy,
      );
      expectStatus(
        await call(server, 'PUT', targets.endpoint, { token: reader }),
        403,
        'You are not authorized to perform the requested action: identity:create_policy_association_for_endpoint.',
      );
    });

    test("JSON-Home lists Keystone's five OS-ENDPOINT-POLICY resources", async () => {
      const res = await fetch(`${server.publicUrl}/`, { headers: { Accept: 'application/json-home' } });
      const resources = ((await res.json()) as { resources: Record<string, unknown> }).resources;
      const vars = (...names: string[]) => Object.fromEntries(names.map((n) => [n, `${PARAM}${n}`]));
      const expected: Record<string, unknown> = {
        [`${REL}endpoint_policy`]: {
          'href-template': '/v3/endpoints/{endpoint_id}/OS-ENDPOINT-POLICY/policy',
          'href-vars': vars('endpoint_id'),
        },
        [`${REL}endpoint_policy_association`]: {
          'href-template': '/v3/policies/{policy_id}/OS-ENDPOINT-POLICY/endpoints/{endpoint_id}',
          'href-vars': vars('policy_id', 'endpoint_id'),
        },
        [`${REL}policy_endpoints`]: {
          'href-template': '/v3/policies/{policy_id}/OS-ENDPOINT-POLICY/endpoints',
          'href-vars': vars('policy_id'),
        },
        [`${REL}region_and_service_policy_association`]: {
          'href-template': '/v3/policies/{policy_id}/OS-ENDPOINT-POLICY/services/{service_id}/regions/{region_id}',
          'href-vars': vars('policy_id', 'service_id', 'region_id'),
        },
        [`${REL}service_policy_association`]: {
          'href-template': '/v3/policies/{policy_id}/OS-ENDPOINT-POLICY/services/{service_id}',
          'href-vars': vars('policy_id', 'service_id'),
        },
      };
      const actual = Object.fromEntries(Object.entries(resources).filter(([rel]) => rel.startsWith(REL)));
      assert.deepEqual(actual, expected);
    });
  });
}
