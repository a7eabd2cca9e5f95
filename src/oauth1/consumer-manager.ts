/**
 * OS-OAUTH1 consumers: a client application registered for OAuth 1.0a
 * delegation. The secret is shown once, at creation.
 */
import { randomBytes } from 'node:crypto';
import type { Database } from '../storage/database.js';
import { EntityNotFound } from '../common/errors.js';
import { newId } from '../common/ids.js';
import { parseExtra } from '../resource/resource-types.js';
import { ConsumerRepository, type ConsumerRow } from './consumer-repository.js';

export interface Consumer {
  id: string;
  description: string | null;
  extra: Record<string, unknown>;
}

const fromRow = (row: ConsumerRow): Consumer => ({ id: row.id, description: row.description, extra: parseExtra(row.extra) });

export class ConsumerManager {
  private readonly repository: ConsumerRepository;

  constructor(db: Database) {
    this.repository = new ConsumerRepository(db);
  }

  async create(input: { description?: string | null; extra?: Record<string, unknown> }): Promise<Consumer & { secret: string }> {
    const id = newId();
    const secret = randomBytes(16).toString('hex');
    await this.repository.insert({ id, description: input.description ?? null, secret, extra: JSON.stringify(input.extra ?? {}) });
    return { ...(await this.get(id)), secret };
  }

  async get(id: string): Promise<Consumer> {
    const row = await this.repository.get(id);
    if (!row) throw new EntityNotFound('consumer', id);
    return fromRow(row);
  }

  async list(): Promise<Consumer[]> {
    return (await this.repository.list()).map(fromRow);
  }

  async update(id: string, input: { description?: string | null; extra?: Record<string, unknown> }): Promise<Consumer> {
    const current = await this.get(id);
    const description = input.description !== undefined ? input.description : current.description;
    const extra = { ...current.extra, ...(input.extra ?? {}) };
    await this.repository.update(id, description, JSON.stringify(extra));
    return this.get(id);
  }

  async delete(id: string): Promise<void> {
    await this.get(id);
    await this.repository.delete(id);
  }
}
