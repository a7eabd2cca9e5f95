/**
 * The SQL credential backend: the credential table (Keystone's credential/backends/sql.py): one row per
 * credential, the blob only in its encrypted form (encrypted_blob, with the
 * key_hash of the key that encrypted it), the attributes Keystone has no
 * column for kept as JSON in `extra`.
 */
import type { Database } from '../storage/database.js';
import type { CredentialBackend, CredentialListFilter, StoredCredential } from './credential-backend.js';

interface CredentialRow {
  id: string;
  user_id: string;
  project_id: string | null;
  type: string;
  extra: string | null;
  key_hash: string;
  encrypted_blob: string;
}

function parseExtra(text: string | null): Record<string, unknown> {
  if (!text) return {};
  try {
    const value: unknown = JSON.parse(text);
    return value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

const fromRow = (r: CredentialRow): StoredCredential => ({
  id: r.id,
  userId: r.user_id,
  projectId: r.project_id,
  type: r.type,
  encryptedBlob: r.encrypted_blob,
  keyHash: r.key_hash,
  extra: parseExtra(r.extra),
});

export class CredentialRepository implements CredentialBackend {
  constructor(private readonly db: Database) {}

  async get(id: string): Promise<StoredCredential | null> {
    const row = await this.db.oneOrNone<CredentialRow>('SELECT * FROM credential WHERE id = $1', [id]);
    return row ? fromRow(row) : null;
  }

  /** In a stable order (by id); `limit` rows at most when given. */
  async list(filter: CredentialListFilter = {}, limit?: number): Promise<StoredCredential[]> {
    const where: string[] = [];
    const values: unknown[] = [];
    if (filter.userId !== undefined) {
      values.push(filter.userId);
      where.push(`user_id = $${values.length}`);
    }
    if (filter.type !== undefined) {
      values.push(filter.type);
      where.push(`type = $${values.length}`);
    }
    if (filter.projectId !== undefined) {
      values.push(filter.projectId);
      where.push(`project_id = $${values.length}`);
    }
    let sql = 'SELECT * FROM credential' + (where.length ? ` WHERE ${where.join(' AND ')}` : '') + ' ORDER BY id';
    if (limit !== undefined) {
      values.push(limit);
      sql += ` LIMIT $${values.length}`;
    }
    return (await this.db.any<CredentialRow>(sql, values)).map(fromRow);
  }

  async countForUser(userId: string): Promise<number> {
    return (await this.db.one<{ n: number }>('SELECT count(*)::int AS n FROM credential WHERE user_id = $1', [userId])).n;
  }

  /** Throws the database's unique violation (isUniqueViolation) for a taken id. */
  async insert(c: StoredCredential): Promise<void> {
    await this.db.none(
      'INSERT INTO credential (id, user_id, project_id, type, extra, key_hash, encrypted_blob) VALUES ($1, $2, $3, $4, $5, $6, $7)',
      [c.id, c.userId, c.projectId, c.type, JSON.stringify(c.extra), c.keyHash, c.encryptedBlob],
    );
  }

  /** Replaces the blob (and its key hash) and the extra attributes; false when the row is gone. */
  async update(c: StoredCredential): Promise<boolean> {
    const r = await this.db.result('UPDATE credential SET encrypted_blob = $2, key_hash = $3, extra = $4 WHERE id = $1', [
      c.id,
      c.encryptedBlob,
      c.keyHash,
      JSON.stringify(c.extra),
    ]);
    return r.rowCount > 0;
  }

  async delete(id: string): Promise<boolean> {
    return (await this.db.result('DELETE FROM credential WHERE id = $1', [id])).rowCount > 0;
  }

  /** Rows whose blob was not encrypted with the key of `keyHash` (credential_rotate's guard). */
  async countEncryptedWithOtherKey(keyHash: string): Promise<number> {
    return (await this.db.one<{ n: number }>('SELECT count(*)::int AS n FROM credential WHERE key_hash <> $1', [keyHash])).n;
  }

  /** The id and blob of every row not encrypted with the key of `keyHash` (credential_migrate). */
  async listEncryptedWithOtherKey(keyHash: string): Promise<Pick<StoredCredential, 'id' | 'encryptedBlob'>[]> {
    const rows = await this.db.any<Pick<CredentialRow, 'id' | 'encrypted_blob'>>(
      'SELECT id, encrypted_blob FROM credential WHERE key_hash <> $1',
      [keyHash],
    );
    return rows.map((r) => ({ id: r.id, encryptedBlob: r.encrypted_blob }));
  }

  /** Replaces a row's blob with the same blob encrypted under another key. */
  async replaceEncryption(id: string, encryptedBlob: string, keyHash: string): Promise<void> {
    await this.db.none('UPDATE credential SET encrypted_blob = $1, key_hash = $2 WHERE id = $3', [encryptedBlob, keyHash, id]);
  }

  /** Deletes and returns the rows of a user or of a project. */
  async deleteWhere(filter: { userId: string } | { projectId: string }): Promise<StoredCredential[]> {
    const [column, value] = 'userId' in filter ? ['user_id', filter.userId] : ['project_id', filter.projectId];
    return (await this.db.any<CredentialRow>(`DELETE FROM credential WHERE ${column} = $1 RETURNING *`, [value])).map(fromRow);
  }
}
