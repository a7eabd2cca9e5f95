/**
 * What the trust manager asks of its storage (Keystone's trust driver
 * interface, trust/backends/base.py): trusts with their roles, soft-deleted
 * and purged, and their uses counted down. The SQL backend is trust-repository.ts.
 */
import type { Trust } from './trust-types.js';

export interface TrustListFilter {
  trustorUserId?: string;
  trusteeUserId?: string;
  redelegatedTrustId?: string;
}

export interface TrustPurgeFilter {
  projectId?: string;
  trustorUserId?: string;
  trusteeUserId?: string;
  /** trusts expired before this go too */
  date: Date;
}

export interface TrustBackend {
  /** The trust with its roles, as one unit. */
  insert(trust: Trust): Promise<void>;
  /** Keystone's duplicate_trust_constraint (soft-deleted trusts included, NULLs distinct as in SQL). */
  duplicateExists(trust: Trust): Promise<boolean>;
  /** The trust whatever its state (deleted, expired, used up), or null. */
  get(id: string): Promise<Trust | null>;
  /** The trusts not deleted (expired ones included, as Keystone lists them), by id. */
  list(filter?: TrustListFilter): Promise<Trust[]>;
  /** Soft delete; false when there is no such trust. */
  softDelete(id: string): Promise<boolean>;
  /** Keystone's delete_trusts_for_project (every trust of the project, soft-deleted); the count. */
  softDeleteForProject(projectId: string): Promise<number>;
  /**
   * Keystone's flush_expired_and_soft_deleted_trusts: deleted trusts and trusts expired
   * before `date` go for good (with their roles), narrowed by project, trustor or trustee; the count.
   */
  purge(filter: TrustPurgeFilter): Promise<number>;
  /** One use, taken with optimistic locking: false when another request took it first. */
  takeUse(id: string, expected: number): Promise<boolean>;
  /** null for a trust that is gone; remaining_uses null for unlimited uses */
  remainingUses(id: string): Promise<{ remaining_uses: number | null } | null>;
}
