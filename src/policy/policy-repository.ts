/** The SQL backend of the /v3/policies blobs (table `policy`; blob and extra as JSON text). */
import type { Queryable } from '../storage/database.js';
import type { PolicyBackend, PolicyRow } from './policy-backend.js';

export class PolicyRepository implements PolicyBackend {
  constructor(private readonly db: Queryable) {}

  async insert(row: PolicyRow): Promise<void> {
    await this.db.none('INSERT INTO policy (id, type, blob, extra) VALUES ($1, $2, $3, $4)', [row.id, row.type, row.blob, row.extra]);
  }

  get(id: string): Promise<PolicyRow | null> {
    return this.db.oneOrNone<PolicyRow>('SELECT id, type, blob, extra FROM policy WHERE id = $1', [id]);
  }

  list(): Promise<PolicyRow[]> {
    return this.db.any<PolicyRow>('SELECT id, type, blob, extra FROM policy ORDER BY id');
  }

  async update(row: PolicyRow): Promise<void> {
    await this.db.none('UPDATE policy SET type = $2, blob = $3, extra = $4 WHERE id = $1', [row.id, row.type, row.blob, row.extra]);
  }

  async delete(id: string): Promise<number> {
    return (await this.db.result('DELETE FROM policy WHERE id = $1', [id])).rowCount;
  }
}
