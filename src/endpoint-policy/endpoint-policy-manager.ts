/**
 * Keystone's endpoint_policy_api (OS-ENDPOINT-POLICY): a /v3/policies blob
 * associated with an endpoint, a service, or a service in a region, and the
 * two questions asked of those associations:
 *
 * - the policy of an endpoint: the endpoint's own association, else the
 *   association of its service in its region, then in each parent region up
 *   the tree, else its service's association;
 * - the endpoints of a policy: each endpoint association, every endpoint of
 *   an associated service, every endpoint of a service in an associated
 *   region or any region below it (in association order; an endpoint reached
 *   twice is listed twice, as Keystone lists it).
 *
 * Associations follow what they name: a deleted policy, endpoint, service or
 * region takes its associations with it (the catalog's and the policy
 * manager's events).
 */
import { log } from '../log/logger.js';
import type { CatalogManager } from '../catalog/catalog-manager.js';
import type { Endpoint, Region } from '../catalog/catalog-types.js';
import type { PolicyBlob, PolicyManager } from '../policy/policy-manager.js';
import type { AssociationTarget, EndpointPolicyBackend, PolicyAssociation } from './endpoint-policy-backend.js';
import { InvalidPolicyAssociation, NoPolicyForEndpoint, PolicyAssociationNotFound } from './endpoint-policy-errors.js';

/** What a request names: an endpoint, a service, or a service and a region. */
export interface AssociationRef {
  endpointId?: string;
  serviceId?: string;
  regionId?: string;
}

type CatalogLookups = Pick<CatalogManager, 'getEndpoint' | 'listEndpoints' | 'listRegions' | 'findRegion' | 'events'>;
type PolicyLookups = Pick<PolicyManager, 'get' | 'events'>;

/** Keystone's _assert_valid_association. */
function validTarget(ref: AssociationRef): AssociationTarget {
  const target = { endpointId: ref.endpointId ?? null, serviceId: ref.serviceId ?? null, regionId: ref.regionId ?? null };
  const { endpointId, serviceId, regionId } = target;
  const endpointOnly = endpointId !== null && serviceId === null && regionId === null;
  const serviceOnly = serviceId !== null && endpointId === null && regionId === null;
  const serviceInRegion = serviceId !== null && regionId !== null && endpointId === null;
  if (!endpointOnly && !serviceOnly && !serviceInRegion) throw new InvalidPolicyAssociation(target);
  return target;
}

export class EndpointPolicyManager {
  constructor(
    private readonly backend: EndpointPolicyBackend,
    private readonly catalog: CatalogLookups,
    private readonly policies: PolicyLookups,
  ) {
    catalog.events.on(async (event) => {
      if (event.type === 'endpoint.deleted') await this.backend.deleteByEndpoints([event.endpointId]);
      else if (event.type === 'service.deleted') {
        await this.backend.deleteByEndpoints(event.endpointIds);
        await this.backend.deleteByService(event.serviceId);
      } else await this.backend.deleteByRegions(event.regionIds);
    });
    policies.events.on(async (event) => {
      await this.backend.deleteByPolicy(event.policyId);
    });
  }

  async createPolicyAssociation(policyId: string, ref: AssociationRef): Promise<void> {
    await this.backend.upsert({ policyId, ...validTarget(ref) });
  }

  async checkPolicyAssociation(policyId: string, ref: AssociationRef): Promise<void> {
    if (!(await this.backend.exists({ policyId, ...validTarget(ref) }))) throw new PolicyAssociationNotFound();
  }

  /** Deleting an association that does not exist is not an error (Keystone's). */
  async deletePolicyAssociation(policyId: string, ref: AssociationRef): Promise<void> {
    await this.backend.delete({ policyId, ...validTarget(ref) });
  }

  /** The endpoints the policy applies to (Keystone's list_endpoints_for_policy). */
  async listEndpointsForPolicy(policyId: string): Promise<Endpoint[]> {
    const associations = await this.backend.listForPolicy(policyId);
    if (associations.length === 0) return [];
    const endpoints = await this.catalog.listEndpoints();
    const regions = await this.catalog.listRegions();
    const found: Endpoint[] = [];
    for (const a of associations) {
      if (a.endpointId !== null) found.push(await this.catalog.getEndpoint(a.endpointId));
      else if (a.serviceId !== null && a.regionId === null) found.push(...endpoints.filter((e) => e.serviceId === a.serviceId));
      else if (a.serviceId !== null && a.regionId !== null) found.push(...this.endpointsInRegionTree(a, endpoints, regions));
      else log.warn(`Unsupported policy association found - policy ${policyId}`);
    }
    return found;
  }

  /** The endpoints of the association's service in its region and every region below it, region by region, depth first. */
  private endpointsInRegionTree(a: PolicyAssociation, endpoints: Endpoint[], regions: Region[]): Endpoint[] {
    const found: Endpoint[] = [];
    const examined = new Set<string>();
    const visit = (regionId: string) => {
      if (examined.has(regionId)) {
        log.error(`Circular reference or a repeated entry found in region tree - ${regionId}.`);
        return;
      }
      examined.add(regionId);
      found.push(...endpoints.filter((e) => e.serviceId === a.serviceId && e.regionId === regionId));
      for (const r of regions) if (r.parentRegionId === regionId) visit(r.id);
    };
    visit(a.regionId as string);
    return found;
  }

  /** The policy that applies to the endpoint (Keystone's get_policy_for_endpoint); the endpoint must exist. */
  async getPolicyForEndpoint(endpointId: string): Promise<PolicyBlob> {
    const own = await this.backend.policyIdFor({ endpointId, serviceId: null, regionId: null });
    if (own !== null) return this.policies.get(own);
    const endpoint = await this.catalog.getEndpoint(endpointId);
    const inRegion = await this.policyIdUpTheRegionTree(endpoint);
    if (inRegion !== null) return this.policies.get(inRegion);
    const ofService = await this.backend.policyIdFor({ endpointId: null, serviceId: endpoint.serviceId, regionId: null });
    if (ofService !== null) return this.policies.get(ofService);
    throw new NoPolicyForEndpoint(endpointId);
  }

  /** The endpoint's service in the endpoint's region, then in each parent region. */
  private async policyIdUpTheRegionTree(endpoint: Endpoint): Promise<string | null> {
    const examined = new Set<string>();
    let regionId = endpoint.regionId;
    while (regionId !== null) {
      const policyId = await this.backend.policyIdFor({ endpointId: null, serviceId: endpoint.serviceId, regionId });
      if (policyId !== null) return policyId;
      examined.add(regionId);
      const region = await this.catalog.findRegion(regionId);
      regionId = region?.parentRegionId ?? null;
      if (regionId !== null && examined.has(regionId)) {
        log.error(`Circular reference or a repeated entry found in region tree - ${regionId}.`);
        return null;
      }
    }
    return null;
  }
}
