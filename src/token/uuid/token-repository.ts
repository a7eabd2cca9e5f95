/** SQL for persisted (UUID) tokens: the token table Keystone's SQL token driver had. */
import type { Queryable } from '../../storage/database.js';

export interface TokenRow {
  id: string;
  expires: Date | null;
  extra: string;
  valid: boolean;
  user_id: string | null;
  trust_id: string | null;
}

export class TokenRepository {
  constructor(private readonly db: Queryable) {}

  async insert(row: TokenRow): Promise<void> {
    await this.db.none(
      'INSERT INTO token (id, expires, extra, valid, user_id, trust_id) VALUES ($(id), $(expires), $(extra), $(valid), $(user_id), $(trust_id))', row);
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
}
