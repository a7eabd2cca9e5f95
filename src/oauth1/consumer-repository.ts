/** The SQL backend of OS-OAUTH1 consumers (table `consumer`). */
import type { Queryable } from '../storage/database.js';
import type { ConsumerBackend, ConsumerRow } from './oauth1-backend.js';

export class ConsumerRepository implements ConsumerBackend {
  constructor(private readonly db: Queryable) {}

  async insertConsumer(row: ConsumerRow): Promise<void> {
    await this.db.none('INSERT INTO consumer (id, description, secret, extra) VALUES ($1, $2, $3, $4)', [
      row.id,
      row.description,
      row.secret,
      row.extra,
    ]);
  }

  getConsumer(id: string): Promise<ConsumerRow | null> {
    return this.db.oneOrNone<ConsumerRow>('SELECT id, description, secret, extra FROM consumer WHERE id = $1', [id]);
  }

  listConsumers(): Promise<ConsumerRow[]> {
    return this.db.any<ConsumerRow>('SELECT id, description, secret, extra FROM consumer ORDER BY id');
  }

  async updateConsumer(id: string, description: string | null, extra: string): Promise<void> {
    await this.db.none('UPDATE consumer SET description = $2, extra = $3 WHERE id = $1', [id, description, extra]);
  }

  async deleteConsumer(id: string): Promise<void> {
    await this.db.tx(async (t) => {
      await t.none('DELETE FROM request_token WHERE consumer_id = $1', [id]);
      await t.none('DELETE FROM access_token WHERE consumer_id = $1', [id]);
      await t.none('DELETE FROM consumer WHERE id = $1', [id]);
    });
  }
}
