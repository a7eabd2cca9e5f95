/**
 * OS-OAUTH1 consumers: a client application registered for OAuth 1.0a
 * delegation. The secret is shown once, at creation.
 */
import { randomBytes } from 'node:crypto';
import { EntityNotFound } from '../common/errors.js';
import { newId } from '../common/ids.js';
import { parseExtra } from '../resource/resource-types.js';
import type { ConsumerBackend, ConsumerRow } from './oauth1-backend.js';

export interface Consumer {
  id: string;
  description: string | null;
  extra: Record<string, unknown>;
}

const fromRow = (row: ConsumerRow): Consumer => ({ id: row.id, description: row.description, extra: parseExtra(row.extra) });

export class ConsumerManager {
  constructor(private readonly backend: ConsumerBackend) {}

  async create(input: { description?: string | null; extra?: Record<string, unknown> }): Promise<Consumer & { secret: string }> {
    const id = newId();
    const secret = randomBytes(16).toString('hex');
    await this.backend.insertConsumer({ id, description: input.description ?? null, secret, extra: JSON.stringify(input.extra ?? {}) });
    return { ...(await this.get(id)), secret };
  }

  async get(id: string): Promise<Consumer> {
    const row = await this.backend.getConsumer(id);
    if (!row) throw new EntityNotFound('consumer', id);
    return fromRow(row);
  }

  async list(): Promise<Consumer[]> {
    return (await this.backend.listConsumers()).map(fromRow);
  }

  async update(id: string, input: { description?: string | null; extra?: Record<string, unknown> }): Promise<Consumer> {
    const current = await this.get(id);
    const description = input.description !== undefined ? input.description : current.description;
    const extra = { ...current.extra, ...(input.extra ?? {}) };
    await this.backend.updateConsumer(id, description, JSON.stringify(extra));
    return this.get(id);
  }

  async delete(id: string): Promise<void> {
    await this.get(id);
    await this.backend.deleteConsumer(id);
  }
}
