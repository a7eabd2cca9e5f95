/** The SQL of OS-OAUTH1 consumers (table `consumer`). */
import type { Queryable } from '../storage/database.js';

export interface ConsumerRow {
  id: string;
  description: string | null;
  secret: string;
  /** JSON text */
  extra: string;
}

export class ConsumerRepository {
  constructor(private readonly db: Queryable) {}

  insert(row: ConsumerRow): Promise<null> {
    return this.db.none('INSERT INTO consumer (id, description, secret, extra) VALUES ($1, $2, $3, $4)', [row.id, row.description, row.secret, row.extra]);
  }

  get(id: string): Promise<ConsumerRow | null> {
    return this.db.oneOrNone<ConsumerRow>('SELECT id, description, secret, extra FROM consumer WHERE id = $1', [id]);
  }

  list(): Promise<ConsumerRow[]> {
    return this.db.any<ConsumerRow>('SELECT id, description, secret, extra FROM consumer ORDER BY id');
  }

  update(id: string, description: string | null, extra: string): Promise<null> {
    return this.db.none('UPDATE consumer SET description = $2, extra = $3 WHERE id = $1', [id, description, extra]);
  }

  delete(id: string): Promise<null> {
    return this.db.none('DELETE FROM consumer WHERE id = $1', [id]);
  }
}
