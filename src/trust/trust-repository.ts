/** The SQL trust backend: the trust and trust_role tables (Keystone's trust/backends/sql.py); trusts are soft-deleted. */
import type { Database, Queryable } from '../storage/database.js';
import { parseExtra } from '../resource/resource-types.js';
import type { Trust } from './trust-types.js';
import type { TrustBackend, TrustListFilter, TrustPurgeFilter } from './trust-backend.js';

interface TrustRow {
  id: string;
  trustor_user_id: string;
  trustee_user_id: string;
  project_id: string | null;
  impersonation: boolean;
  deleted_at: Date | null;
  expires_at: Date | null;
  remaining_uses: number | null;
  extra: string | null;
  redelegated_trust_id: string | null;
  redelegation_count: number | null;
}

const COLUMNS =
  'id, trustor_user_id, trustee_user_id, project_id, impersonation, deleted_at, expires_at, remaining_uses, extra, redelegated_trust_id, redelegation_count';

function fromRow(row: TrustRow, roleIds: string[]): Trust {
  return {
    id: row.id,
    trustorUserId: row.trustor_user_id,
    trusteeUserId: row.trustee_user_id,
    projectId: row.project_id,
    impersonation: row.impersonation,
    expiresAt: row.expires_at,
    remainingUses: row.remaining_uses,
    redelegatedTrustId: row.redelegated_trust_id,
    redelegationCount: row.redelegation_count,
    deletedAt: row.deleted_at,
    extra: parseExtra(row.extra),
    roleIds,
  };
}

export class TrustRepository implements TrustBackend {
  constructor(private readonly db: Database) {}

  async insert(trust: Trust): Promise<void> {
    await this.db.tx(async (t: Queryable) => {
      await t.none(
        `INSERT INTO trust (${COLUMNS}) VALUES ($(id), $(trustorUserId), $(trusteeUserId), $(projectId), $(impersonation), NULL, $(expiresAt),
           $(remainingUses), $(extra), $(redelegatedTrustId), $(redelegationCount))`,
        { ...trust, extra: JSON.stringify(trust.extra) },
      );
      for (const roleId of trust.roleIds) {
        await t.none('INSERT INTO trust_role (trust_id, role_id) VALUES ($1, $2) ON CONFLICT DO NOTHING', [trust.id, roleId]);
      }
    });
  }

  /** Keystone's duplicate_trust_constraint (soft-deleted trusts included, NULLs distinct as in SQL). */
  async duplicateExists(trust: Trust): Promise<boolean> {
    if (trust.projectId === null || trust.expiresAt === null) return false;
    const row = await this.db.oneOrNone<unknown>(
      `SELECT 1 FROM trust WHERE trustor_user_id = $1 AND trustee_user_id = $2 AND project_id = $3 AND impersonation = $4 AND expires_at = $5 LIMIT 1`,
      [trust.trustorUserId, trust.trusteeUserId, trust.projectId, trust.impersonation, trust.expiresAt],
    );
    return row !== null;
  }

  private async roleIdsOf(ids: string[]): Promise<Map<string, string[]>> {
    const out = new Map<string, string[]>(ids.map((id) => [id, []]));
    if (!ids.length) return out;
    const rows = await this.db.any<{ trust_id: string; role_id: string }>(
      'SELECT trust_id, role_id FROM trust_role WHERE trust_id IN ($1:csv) ORDER BY role_id',
      [ids],
    );
    for (const r of rows) out.get(r.trust_id)?.push(r.role_id);
    return out;
  }

  /** The trust row whatever its state (deleted, expired, used up), or null. */
  async get(id: string): Promise<Trust | null> {
    const row = await this.db.oneOrNone<TrustRow>(`SELECT ${COLUMNS} FROM trust WHERE id = $1`, [id]);
    if (!row) return null;
    return fromRow(row, (await this.roleIdsOf([id])).get(id) ?? []);
  }

  /** The trusts not deleted (expired ones included, as Keystone lists them). */
  async list(filter: TrustListFilter = {}): Promise<Trust[]> {
    const where = ['deleted_at IS NULL'];
    const params: Record<string, string> = {};
    if (filter.trustorUserId !== undefined) {
      where.push('trustor_user_id = $(trustorUserId)');
      params.trustorUserId = filter.trustorUserId;
    }
    if (filter.trusteeUserId !== undefined) {
      where.push('trustee_user_id = $(trusteeUserId)');
      params.trusteeUserId = filter.trusteeUserId;
    }
    if (filter.redelegatedTrustId !== undefined) {
      where.push('redelegated_trust_id = $(redelegatedTrustId)');
      params.redelegatedTrustId = filter.redelegatedTrustId;
    }
    const rows = await this.db.any<TrustRow>(`SELECT ${COLUMNS} FROM trust WHERE ${where.join(' AND ')} ORDER BY id`, params);
    const roles = await this.roleIdsOf(rows.map((r) => r.id));
    return rows.map((r) => fromRow(r, roles.get(r.id) ?? []));
  }

  /** Soft delete; false when there is no such trust. */
  async softDelete(id: string): Promise<boolean> {
    const r = await this.db.result('UPDATE trust SET deleted_at = now() WHERE id = $1 AND deleted_at IS NULL', [id]);
    return r.rowCount > 0;
  }

  /** Keystone's delete_trusts_for_project (every trust of the project, soft-deleted); the count. */
  async softDeleteForProject(projectId: string): Promise<number> {
    const r = await this.db.result('UPDATE trust SET deleted_at = now() WHERE project_id = $1 AND deleted_at IS NULL', [projectId]);
    return r.rowCount;
  }

  /**
   * Keystone's flush_expired_and_soft_deleted_trusts: the rows of deleted trusts and of trusts
   * expired before `date` go for good (with their roles), narrowed by project, trustor or trustee.
   */
  async purge(filter: TrustPurgeFilter): Promise<number> {
    const where = ['(deleted_at IS NOT NULL OR (expires_at IS NOT NULL AND expires_at < $(date)))'];
    if (filter.projectId) where.push('project_id = $(projectId)');
    if (filter.trustorUserId) where.push('trustor_user_id = $(trustorUserId)');
    if (filter.trusteeUserId) where.push('trustee_user_id = $(trusteeUserId)');
    return this.db.tx(async (t: Queryable) => {
      const ids = (await t.any<{ id: string }>(`DELETE FROM trust WHERE ${where.join(' AND ')} RETURNING id`, filter)).map((r) => r.id);
      if (ids.length) await t.none('DELETE FROM trust_role WHERE trust_id IN ($1:csv)', [ids]);
      return ids.length;
    });
  }

  /** One use, taken with optimistic locking: false when another request took it first. */
  async takeUse(id: string, expected: number): Promise<boolean> {
    const r = await this.db.result(
      'UPDATE trust SET remaining_uses = remaining_uses - 1 WHERE id = $1 AND deleted_at IS NULL AND remaining_uses = $2',
      [id, expected],
    );
    return r.rowCount === 1;
  }

  async remainingUses(id: string): Promise<{ remaining_uses: number | null } | null> {
    return this.db.oneOrNone<{ remaining_uses: number | null }>('SELECT remaining_uses FROM trust WHERE id = $1 AND deleted_at IS NULL', [
      id,
    ]);
  }
}
