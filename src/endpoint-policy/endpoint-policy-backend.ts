/**
 * What the endpoint policy manager asks of its storage (Keystone's
 * endpoint_policy driver interface, endpoint_policy/backends/base.py). The
 * SQL backend is endpoint-policy-repository.ts, over the `policy_association`
 * table.
 */

/**
 * What a policy is associated with: an endpoint, a service, or a service in
 * a region (the others null). The manager checks the combination.
 */
export interface AssociationTarget {
  endpointId: string | null;
  serviceId: string | null;
  regionId: string | null;
}

/** A row of `policy_association` (its surrogate id is never exposed). */
export interface PolicyAssociation extends AssociationTarget {
  policyId: string;
}

export interface EndpointPolicyBackend {
  /** Associates the policy with the target, replacing the policy an existing association of that target had. */
  upsert(association: PolicyAssociation): Promise<void>;
  /** Whether exactly this association exists. */
  exists(association: PolicyAssociation): Promise<boolean>;
  /** Deletes exactly this association (nothing when there is none). */
  delete(association: PolicyAssociation): Promise<void>;
  /** The policy associated with the target, null when none is. */
  policyIdFor(target: AssociationTarget): Promise<string | null>;
  /** Every association of the policy. */
  listForPolicy(policyId: string): Promise<PolicyAssociation[]>;
  deleteByEndpoints(endpointIds: string[]): Promise<void>;
  deleteByService(serviceId: string): Promise<void>;
  deleteByRegions(regionIds: string[]): Promise<void>;
  deleteByPolicy(policyId: string): Promise<void>;
}
