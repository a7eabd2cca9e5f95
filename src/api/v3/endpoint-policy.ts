/**
 * OS-ENDPOINT-POLICY (Keystone's api/policy.py and api/endpoints.py): a
 * /v3/policies blob associated with an endpoint, a service, or a service in
 * a region (PUT creates or moves, GET/HEAD check, DELETE removes: 204s), the
 * endpoints a policy reaches, and the policy that applies to an endpoint.
 * Each handler looks up what the path names first (the policy, then the
 * endpoint, service or region), so an unknown id is its entity's 404.
 */
import type { Request, Response } from 'express';
import type { RouteTable } from '../../server/route-table.js';
import type { ProviderApi } from '../../common/provider-api.js';
import type { AssociationRef } from '../../endpoint-policy/endpoint-policy-manager.js';
import { authorize } from '../authorize.js';
import { renderCollection } from '../collection.js';
import { endpointView } from './catalog-render.js';
import { policyView } from './policies.js';
import { pathParam } from '../request-params.js';

const REL = 'https://docs.openstack.org/api/openstack-identity/3/ext/OS-ENDPOINT-POLICY/1.0/rel/';
const POLICY_PREFIX = '/v3/policies/:policy_id/OS-ENDPOINT-POLICY';

type Operation = 'create' | 'check' | 'delete';
type Kind = 'endpoint' | 'service' | 'region_and_service';

const RULES: Record<Operation, Record<Kind, string>> = {
  create: {
    endpoint: 'identity:create_policy_association_for_endpoint',
    service: 'identity:create_policy_association_for_service',
    region_and_service: 'identity:create_policy_association_for_region_and_service',
  },
  check: {
    endpoint: 'identity:check_policy_association_for_endpoint',
    service: 'identity:check_policy_association_for_service',
    region_and_service: 'identity:check_policy_association_for_region_and_service',
  },
  delete: {
    endpoint: 'identity:delete_policy_association_for_endpoint',
    service: 'identity:delete_policy_association_for_service',
    region_and_service: 'identity:delete_policy_association_for_region_and_service',
  },
};

export function registerEndpointPolicyRoutes(routes: RouteTable, providers: ProviderApi): void {
  const { catalog_api: catalog, policy_api: policies, endpoint_policy_api: endpointPolicy } = providers;

  /** The ids the path names, each looked up (404 for an unknown one), in Keystone's order. */
  const namedIn = async (req: Request, kind: Kind): Promise<{ policyId: string; ref: AssociationRef }> => {
    const policyId = pathParam(req, 'policy_id');
    await policies.get(policyId);
    if (kind === 'endpoint') {
      const endpointId = pathParam(req, 'endpoint_id');
      await catalog.getEndpoint(endpointId);
      return { policyId, ref: { endpointId } };
    }
    const serviceId = pathParam(req, 'service_id');
    await catalog.getService(serviceId);
    if (kind === 'service') return { policyId, ref: { serviceId } };
    const regionId = pathParam(req, 'region_id');
    await catalog.getRegion(regionId);
    return { policyId, ref: { serviceId, regionId } };
  };

  const association = (operation: Operation, kind: Kind) => async (req: Request, res: Response) => {
    await authorize(req, providers, RULES[operation][kind]);
    const { policyId, ref } = await namedIn(req, kind);
    if (operation === 'create') await endpointPolicy.createPolicyAssociation(policyId, ref);
    else if (operation === 'check') await endpointPolicy.checkPolicyAssociation(policyId, ref);
    else await endpointPolicy.deletePolicyAssociation(policyId, ref);
    res.status(204).end();
  };

  const endpointsForPolicy = async (req: Request, res: Response) => {
    await authorize(req, providers, 'identity:list_endpoints_for_policy');
    const policyId = pathParam(req, 'policy_id');
    await policies.get(policyId);
    const endpoints = (await endpointPolicy.listEndpointsForPolicy(policyId)).map((e) => {
      // the catalog driver's endpoint, without legacy_endpoint_id (and without the `region` of /v3/endpoints)
      const { region: _region, ...view } = endpointView(e);
      return { ...view, links: { self: `${req.keystone.baseUrl}/v3/endpoints/${e.id}` } };
    });
    res.json(renderCollection(req, 'endpoints', endpoints, null));
  };

  const policyForEndpoint = async (req: Request, res: Response) => {
    await authorize(req, providers, 'identity:get_policy_for_endpoint');
    const endpointId = pathParam(req, 'endpoint_id');
    await catalog.getEndpoint(endpointId);
    const policy = await endpointPolicy.getPolicyForEndpoint(endpointId);
    // Keystone links the policy under the endpoints collection (wrap_member with collection_name='endpoints')
    res.json({ policy: { ...policyView(policy), links: { self: `${req.keystone.baseUrl}/v3/endpoints/${policy.id}` } } });
  };

  routes.getAndHead(`${POLICY_PREFIX}/endpoints`, endpointsForPolicy, {
    policy: 'identity:list_endpoints_for_policy',
    rel: `${REL}policy_endpoints`,
  });

  const paths: Record<Kind, { path: string; rel: string }> = {
    endpoint: { path: `${POLICY_PREFIX}/endpoints/:endpoint_id`, rel: `${REL}endpoint_policy_association` },
    service: { path: `${POLICY_PREFIX}/services/:service_id`, rel: `${REL}service_policy_association` },
    region_and_service: {
      path: `${POLICY_PREFIX}/services/:service_id/regions/:region_id`,
      rel: `${REL}region_and_service_policy_association`,
    },
  };
  for (const kind of ['endpoint', 'service', 'region_and_service'] as const) {
    const { path, rel } = paths[kind];
    routes.put(path, association('create', kind), { policy: RULES.create[kind], rel });
    routes.getAndHead(path, association('check', kind), { policy: RULES.check[kind], rel });
    routes.delete(path, association('delete', kind), { policy: RULES.delete[kind], rel });
  }

  routes.getAndHead('/v3/endpoints/:endpoint_id/OS-ENDPOINT-POLICY/policy', policyForEndpoint, {
    policy: 'identity:get_policy_for_endpoint',
    rel: `${REL}endpoint_policy`,
  });
}
