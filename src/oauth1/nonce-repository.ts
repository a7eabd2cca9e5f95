/** The SQL backend of OAuth 1.0a replay protection (table `oauth1_nonce`), shared by every worker on the database. */
import type { Queryable } from '../storage/database.js';
import type { NonceBackend } from './oauth1-backend.js';

export class NonceRepository implements NonceBackend {
  constructor(private readonly db: Queryable) {}

  async recordNonce(consumerId: string, nonce: string, timestamp: number): Promise<boolean> {
    const r = await this.db.result(
      'INSERT INTO oauth1_nonce (consumer_id, nonce, "timestamp") VALUES ($1, $2, $3) ON CONFLICT DO NOTHING',
      [consumerId, nonce, timestamp],
    );
    return r.rowCount === 1;
  }

  async forgetNoncesBefore(timestamp: number): Promise<void> {
    await this.db.none('DELETE FROM oauth1_nonce WHERE "timestamp" < $1', [timestamp]);
  }
}
