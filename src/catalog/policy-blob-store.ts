/**
 * The legacy /v3/policies API's storage (Keystone's policy_api with its SQL
 * driver): opaque policy blobs with a MIME type, kept in the `policy`
 * table (blob and extra as JSON text, as Keystone's JsonBlob columns).
 *
 * It lives beside the catalog because that is what these blobs were for
 * (OS-ENDPOINT-POLICY ties them to endpoints); src/policy/ is the rule
 * engine that decides requests, which has nothing to do with them.
 */
import type { Queryable } from '../storage/database.js';
import { newId } from '../common/ids.js';
import { ValidationError } from '../common/errors.js';
import { PolicyNotFound } from './catalog-errors.js';
import { PolicyBlobRepository, type PolicyRow } from './policy-blob-repository.js';

export interface PolicyBlob {
  id: string;
  type: string;
  blob: string;
  extra: Record<string, unknown>;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function fromRow(row: PolicyRow): PolicyBlob {
  const blob = parseJson(row.blob);
  const extra = parseJson(row.extra);
  return {
    id: row.id, type: row.type, blob: typeof blob === 'string' ? blob : JSON.stringify(blob),
    extra: extra && typeof extra === 'object' && !Array.isArray(extra) ? (extra as Record<string, unknown>) : {},
  };
}

export class PolicyBlobStore {
  private readonly repository: PolicyBlobRepository;

  constructor(db: Queryable) {
    this.repository = new PolicyBlobRepository(db);
  }

  async create(input: { type: string; blob: string; extra?: Record<string, unknown> }): Promise<PolicyBlob> {
    const id = newId();
    await this.repository.insert({ id, type: input.type, blob: JSON.stringify(input.blob), extra: JSON.stringify(input.extra ?? {}) });
    return this.get(id);
  }

  async find(id: string): Promise<PolicyBlob | null> {
    const row = await this.repository.get(id);
    return row ? fromRow(row) : null;
  }

  async get(id: string): Promise<PolicyBlob> {
    const p = await this.find(id);
    if (!p) throw new PolicyNotFound(id);
    return p;
  }

  async list(): Promise<PolicyBlob[]> {
    return (await this.repository.list()).map(fromRow);
  }

  /** Keystone's update_policy: the id cannot change; other attributes merge into extra. */
  async update(id: string, patch: { id?: unknown; type?: string; blob?: string; extra?: Record<string, unknown> }): Promise<PolicyBlob> {
    if (patch.id !== undefined && patch.id !== id) throw new ValidationError('Cannot change policy ID', false);
    const current = await this.get(id);
    await this.repository.update({
      id, type: patch.type ?? current.type, blob: JSON.stringify(patch.blob ?? current.blob), extra: JSON.stringify({ ...current.extra, ...(patch.extra ?? {}) }),
    });
    return this.get(id);
  }

  async delete(id: string): Promise<void> {
    if ((await this.repository.delete(id)) === 0) throw new PolicyNotFound(id);
  }
}
