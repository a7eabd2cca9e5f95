/**
 * OS-OAUTH1 consumers: a client application registered for OAuth 1.0a
 * delegation. The secret is shown once, at creation.
 */
import { randomBytes } from 'node:crypto';
import type { Database } from '../storage/database.js';
import { EntityNotFound } from '../common/errors.js';
import { newId } from '../common/ids.js';
import { parseExtra } from '../resource/resource-types.js';

export interface Consumer {
  id: string;
  description: string | null;
  extra: Record<string, unknown>;
}

interface ConsumerRow { id: string; description: string | null; secret: string; extra: string }

const fromRow = (row: ConsumerRow): Consumer => ({ id: row.id, description: row.description, extra: parseExtra(row.extra) });

export class ConsumerManager {
  constructor(private readonly db: Database) {}

  async create(input: { description?: string | null; extra?: Record<string, unknown> }): Promise<Consumer & { secret: string }> {
    const id = newId();
    const secret = randomBytes(16).toString('hex');
    await this.db.none('INSERT INTO consumer (id, description, secret, extra) VALUES ($1, $2, $3, $4)',
      [id, input.description ?? null, secret, JSON.stringify(input.extra ?? {})]);
    return { ...(await this.get(id)), secret };
  }

  async get(id: string): Promise<Consumer> {
    const row = await this.db.oneOrNone<ConsumerRow>('SELECT id, description, secret, extra FROM consumer WHERE id = $1', [id]);
    if (!row) throw new EntityNotFound('consumer', id);
    return fromRow(row);
  }

  async list(): Promise<Consumer[]> {
    return (await this.db.any<ConsumerRow>('SELECT id, description, secret, extra FROM consumer ORDER BY id')).map(fromRow);
  }

  async update(id: string, input: { description?: string | null; extra?: Record<string, unknown> }): Promise<Consumer> {
    const current = await this.get(id);
    const description = input.description !== undefined ? input.description : current.description;
    const extra = { ...current.extra, ...(input.extra ?? {}) };
    await this.db.none('UPDATE consumer SET description = $2, extra = $3 WHERE id = $1', [id, description, JSON.stringify(extra)]);
    return this.get(id);
  }

  async delete(id: string): Promise<void> {
    await this.get(id);
    await this.db.none('DELETE FROM consumer WHERE id = $1', [id]);
  }
}
