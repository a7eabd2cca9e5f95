/**
 * What the policy manager asks of its storage (Keystone's policy driver
 * interface, policy/backends/base.py). The SQL backend is policy-repository.ts.
 */

/** A row of the `policy` table. */
export interface PolicyRow {
  id: string;
  type: string;
  /** JSON text */
  blob: string;
  /** JSON text */
  extra: string;
}

export interface PolicyBackend {
  insert(row: PolicyRow): Promise<void>;
  get(id: string): Promise<PolicyRow | null>;
  /** every policy, by id */
  list(): Promise<PolicyRow[]>;
  update(row: PolicyRow): Promise<void>;
  /** The number of policies deleted (0 or 1). */
  delete(id: string): Promise<number>;
}
