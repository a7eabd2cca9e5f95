/**
 * The SQL token backend: persisted (UUID) tokens in the token table
 * Keystone's SQL token driver had, and the token epoch, the sequence
 * keystone_token_epoch (created on first use; not part of Keystone's
 * schema, harmless to it) read with the newest revocation event id.
 */
import type { Queryable } from '../storage/database.js';
import type { EpochReading, TokenBackend, TokenRow } from './token-backend.js';

const EPOCH_SEQUENCE = 'keystone_token_epoch';

/** What PostgreSQL answers the loser of two concurrent CREATE SEQUENCE IF NOT EXISTS: the sequence exists. */
const ALREADY_CREATED = new Set(['23505', '42P07']);

export class TokenRepository implements TokenBackend {
  constructor(private readonly db: Queryable) {}

  async insert(row: TokenRow): Promise<void> {
    await this.db.none(
      'INSERT INTO token (id, expires, extra, valid, user_id, trust_id) VALUES ($(id), $(expires), $(extra), $(valid), $(user_id), $(trust_id))',
      row,
    );
  }

  get(id: string): Promise<TokenRow | null> {
    return this.db.oneOrNone<TokenRow>('SELECT id, expires, extra, valid, user_id, trust_id FROM token WHERE id = $1', [id]);
  }

  async invalidate(id: string): Promise<void> {
    await this.db.none('UPDATE token SET valid = false WHERE id = $1 AND valid', [id]);
  }

  async invalidateUser(userId: string): Promise<void> {
    await this.db.none('UPDATE token SET valid = false WHERE user_id = $1 AND valid', [userId]);
  }

  async invalidateTrust(trustId: string): Promise<void> {
    await this.db.none('UPDATE token SET valid = false WHERE trust_id = $1 AND valid', [trustId]);
  }

  async deleteExpired(cutoff: Date, limit: number): Promise<number> {
    const r = await this.db.result('DELETE FROM token WHERE id IN (SELECT id FROM token WHERE expires < $1 LIMIT $2)', [cutoff, limit]);
    return r.rowCount;
  }

  async ensureEpoch(): Promise<void> {
    try {
      await this.db.none(`CREATE SEQUENCE IF NOT EXISTS ${EPOCH_SEQUENCE}`);
    } catch (err) {
      if (!ALREADY_CREATED.has((err as { code?: string } | null)?.code ?? '')) throw err;
    }
  }

  async advanceEpoch(): Promise<void> {
    await this.db.one(`SELECT nextval('${EPOCH_SEQUENCE}') AS v`);
  }

  async readEpoch(): Promise<EpochReading> {
    const row = await this.db.one<{ epoch: number | string; rev: number | string | null }>(
      `SELECT (SELECT last_value FROM ${EPOCH_SEQUENCE}) AS epoch, (SELECT max(id) FROM revocation_event) AS rev`,
    );
    return { epoch: row.epoch, newestRevocationId: row.rev };
  }
}
