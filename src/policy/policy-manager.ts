/**
 * Keystone's policy_api: the legacy /v3/policies blobs, opaque policy
 * documents with a MIME type (blob and extra stored as JSON text, as
 * Keystone's JsonBlob columns). OS-ENDPOINT-POLICY ties them to endpoints.
 * Nothing here decides requests: that is the enforcer, src/rbac/.
 */
import { newId } from '../common/ids.js';
import { ValidationError } from '../common/errors.js';
import { PolicyNotFound } from './policy-errors.js';
import type { PolicyBackend, PolicyRow } from './policy-backend.js';
import { PolicyEvents } from './policy-events.js';

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
    id: row.id,
    type: row.type,
    blob: typeof blob === 'string' ? blob : JSON.stringify(blob),
    extra: extra && typeof extra === 'object' && !Array.isArray(extra) ? (extra as Record<string, unknown>) : {},
  };
}

export class PolicyManager {
  /** Deletions, for the rooms that refer to policies (endpoint policy). */
  readonly events = new PolicyEvents();

  constructor(private readonly backend: PolicyBackend) {}

  async create(input: { type: string; blob: string; extra?: Record<string, unknown> }): Promise<PolicyBlob> {
    const id = newId();
    await this.backend.insert({ id, type: input.type, blob: JSON.stringify(input.blob), extra: JSON.stringify(input.extra ?? {}) });
    return this.get(id);
  }

  async find(id: string): Promise<PolicyBlob | null> {
    const row = await this.backend.get(id);
    return row ? fromRow(row) : null;
  }

  async get(id: string): Promise<PolicyBlob> {
    const p = await this.find(id);
    if (!p) throw new PolicyNotFound(id);
    return p;
  }

  async list(): Promise<PolicyBlob[]> {
    return (await this.backend.list()).map(fromRow);
  }

  /** Keystone's update_policy: the id cannot change; other attributes merge into extra. */
  async update(id: string, patch: { id?: unknown; type?: string; blob?: string; extra?: Record<string, unknown> }): Promise<PolicyBlob> {
    if (patch.id !== undefined && patch.id !== id) throw new ValidationError('Cannot change policy ID', false);
    const current = await this.get(id);
    await this.backend.update({
      id,
      type: patch.type ?? current.type,
      blob: JSON.stringify(patch.blob ?? current.blob),
      extra: JSON.stringify({ ...current.extra, ...(patch.extra ?? {}) }),
    });
    return this.get(id);
  }

  async delete(id: string): Promise<void> {
    if ((await this.backend.delete(id)) === 0) throw new PolicyNotFound(id);
    await this.events.emit({ type: 'policy.deleted', policyId: id });
  }
}
