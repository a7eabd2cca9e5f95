/**
 * What the OS-OAUTH1 managers ask of their storage (Keystone's oauth1
 * driver interface, oauth1/backends/base.py): consumers so far. The SQL
 * backend is consumer-repository.ts.
 */

export interface ConsumerRow {
  id: string;
  description: string | null;
  secret: string;
  /** JSON text */
  extra: string;
}

export interface OAuth1Backend {
  insertConsumer(row: ConsumerRow): Promise<void>;
  getConsumer(id: string): Promise<ConsumerRow | null>;
  /** by id */
  listConsumers(): Promise<ConsumerRow[]>;
  updateConsumer(id: string, description: string | null, extra: string): Promise<void>;
  deleteConsumer(id: string): Promise<void>;
}
