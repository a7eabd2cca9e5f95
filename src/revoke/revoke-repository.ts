/** The SQL revoke backend: revocation events (the revocation_event table, as Keystone's). */
import type { Queryable } from '../storage/database.js';
import type { RevokeEvent } from './revoke-model.js';
import type { RevokeBackend, TokenEventQuery } from './revoke-backend.js';

interface RevokeEventRow {
  id: number;
  domain_id: string | null;
  project_id: string | null;
  user_id: string | null;
  role_id: string | null;
  trust_id: string | null;
  consumer_id: string | null;
  access_token_id: string | null;
  issued_before: Date;
  expires_at: Date | null;
  revoked_at: Date;
  audit_id: string | null;
  audit_chain_id: string | null;
}

const COLUMNS =
  'id, domain_id, project_id, user_id, role_id, trust_id, consumer_id, access_token_id, issued_before, expires_at, revoked_at, audit_id, audit_chain_id';

const seconds = (d: Date) => Math.floor(d.getTime() / 1000);

function fromRow(r: RevokeEventRow): RevokeEvent {
  return {
    id: r.id,
    domainId: r.domain_id,
    projectId: r.project_id,
    userId: r.user_id,
    roleId: r.role_id,
    trustId: r.trust_id,
    consumerId: r.consumer_id,
    accessTokenId: r.access_token_id,
    auditId: r.audit_id,
    auditChainId: r.audit_chain_id,
    expiresAt: r.expires_at ? seconds(r.expires_at) : null,
    issuedBefore: seconds(r.issued_before),
    revokedAt: seconds(r.revoked_at),
  };
}

const toDate = (s: number) => new Date(s * 1000);

export class RevokeRepository implements RevokeBackend {
  constructor(private readonly db: Queryable) {}

  async insert(e: RevokeEvent): Promise<number> {
    const row = await this.db.one<{ id: number }>(
      `INSERT INTO revocation_event (domain_id, project_id, user_id, role_id, trust_id, consumer_id, access_token_id,
         issued_before, expires_at, revoked_at, audit_id, audit_chain_id)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING id`,
      [
        e.domainId,
        e.projectId,
        e.userId,
        e.roleId,
        e.trustId,
        e.consumerId,
        e.accessTokenId,
        toDate(e.issuedBefore),
        e.expiresAt === null ? null : toDate(e.expiresAt),
        toDate(e.revokedAt),
        e.auditId,
        e.auditChainId,
      ],
    );
    return row.id;
  }

  /** Every event, oldest first; with `since`, those revoked after it (Keystone's list_events(last_fetch)). */
  async list(sinceSeconds?: number): Promise<RevokeEvent[]> {
    const rows =
      sinceSeconds === undefined
        ? await this.db.any<RevokeEventRow>(`SELECT ${COLUMNS} FROM revocation_event ORDER BY revoked_at, id`)
        : await this.db.any<RevokeEventRow>(`SELECT ${COLUMNS} FROM revocation_event WHERE revoked_at > $1 ORDER BY revoked_at, id`, [
            new Date(sinceSeconds * 1000),
          ]);
    return rows.map(fromRow);
  }

  /**
   * The events that may match one token (Keystone's _list_token_events): issued
   * at or after the token, naming its user (or none), its project (or none),
   * its audit id (or none).
   */
  async listForToken(t: TokenEventQuery): Promise<RevokeEvent[]> {
    const rows = await this.db.any<RevokeEventRow>(
      `SELECT ${COLUMNS} FROM revocation_event
        WHERE issued_before >= $1
          AND (user_id IS NULL OR user_id = ANY($2::varchar[]))
          AND (project_id IS NULL OR project_id = $3)
          AND (audit_id IS NULL OR audit_id = $4)`,
      [new Date(t.issuedAt * 1000), t.userIds, t.projectId, t.auditId],
    );
    return rows.map(fromRow);
  }

  /** Deletes events revoked before the cutoff; returns how many. */
  async pruneBefore(cutoffSeconds: number): Promise<number> {
    const r = await this.db.result('DELETE FROM revocation_event WHERE revoked_at < $1', [new Date(cutoffSeconds * 1000)]);
    return r.rowCount;
  }
}
