/**
 * The SQL backend of OS-ENDPOINT-POLICY (table `policy_association`). Its
 * unique constraint on (endpoint_id, service_id, region_id) does not hold
 * across NULLs, so an association is replaced or added under a transaction
 * lock, and looked up with IS NOT DISTINCT FROM.
 */
import type { Queryable } from '../storage/database.js';
import { newId } from '../common/ids.js';
import type { AssociationTarget, EndpointPolicyBackend, PolicyAssociation } from './endpoint-policy-backend.js';

interface AssociationRow {
  policy_id: string;
  endpoint_id: string | null;
  service_id: string | null;
  region_id: string | null;
}

const SAME_TARGET =
  'endpoint_id IS NOT DISTINCT FROM $(endpointId) AND service_id IS NOT DISTINCT FROM $(serviceId) AND region_id IS NOT DISTINCT FROM $(regionId)';

function fromRow(row: AssociationRow): PolicyAssociation {
  return { policyId: row.policy_id, endpointId: row.endpoint_id, serviceId: row.service_id, regionId: row.region_id };
}

export class EndpointPolicyRepository implements EndpointPolicyBackend {
  constructor(private readonly db: Queryable) {}

  async upsert(association: PolicyAssociation): Promise<void> {
    await this.db.tx(async (t) => {
      // one writer of associations at a time: two concurrent first associations of a target must not both insert
      await t.any("SELECT pg_advisory_xact_lock(hashtext('keystone.policy_association'))");
      const updated = await t.result(`UPDATE policy_association SET policy_id = $(policyId) WHERE ${SAME_TARGET}`, association);
      if (updated.rowCount > 0) return;
      await t.none(
        'INSERT INTO policy_association (id, policy_id, endpoint_id, service_id, region_id) VALUES ($(id), $(policyId), $(endpointId), $(serviceId), $(regionId))',
        { ...association, id: newId() },
      );
    });
  }

  async exists(association: PolicyAssociation): Promise<boolean> {
    const row = await this.db.oneOrNone<unknown>(
      `SELECT 1 FROM policy_association WHERE policy_id = $(policyId) AND ${SAME_TARGET} LIMIT 1`,
      association,
    );
    return row !== null;
  }

  async delete(association: PolicyAssociation): Promise<void> {
    await this.db.none(`DELETE FROM policy_association WHERE policy_id = $(policyId) AND ${SAME_TARGET}`, association);
  }

  async policyIdFor(target: AssociationTarget): Promise<string | null> {
    const row = await this.db.oneOrNone<{ policy_id: string }>(
      `SELECT policy_id FROM policy_association WHERE ${SAME_TARGET} LIMIT 1`,
      target,
    );
    return row?.policy_id ?? null;
  }

  async listForPolicy(policyId: string): Promise<PolicyAssociation[]> {
    const rows = await this.db.any<AssociationRow>(
      'SELECT policy_id, endpoint_id, service_id, region_id FROM policy_association WHERE policy_id = $1 ORDER BY id',
      [policyId],
    );
    return rows.map(fromRow);
  }

  async deleteByEndpoints(endpointIds: string[]): Promise<void> {
    if (endpointIds.length) await this.db.none('DELETE FROM policy_association WHERE endpoint_id IN ($1:csv)', [endpointIds]);
  }

  async deleteByService(serviceId: string): Promise<void> {
    await this.db.none('DELETE FROM policy_association WHERE service_id = $1', [serviceId]);
  }

  async deleteByRegions(regionIds: string[]): Promise<void> {
    if (regionIds.length) await this.db.none('DELETE FROM policy_association WHERE region_id IN ($1:csv)', [regionIds]);
  }

  async deleteByPolicy(policyId: string): Promise<void> {
    await this.db.none('DELETE FROM policy_association WHERE policy_id = $1', [policyId]);
  }
}
