import type { UserOptions } from './user-options.js';

/** A user as the managers and the API see it. Plain data: it is memoized as JSON. */
export interface User {
  id: string;
  name: string;
  domainId: string;
  /** false when disabled, or inactive past [security_compliance] disable_user_account_days_inactive */
  enabled: boolean;
  defaultProjectId: string | null;
  /**
   * When the current password expires, in Keystone's rendering
   * ("2026-11-22T19:08:00.000000", UTC, no zone), or null.
   */
  passwordExpiresAt: string | null;
  options: UserOptions;
  /** free-form attributes (email, description, …) rendered at the top level */
  extra: Record<string, unknown>;
  /** ISO time, or null */
  createdAt: string | null;
  /** ISO date (YYYY-MM-DD), or null */
  lastActiveAt: string | null;
  /** false for federated and other non-local users */
  isLocal: boolean;
}

export interface UserRow {
  id: string;
  extra: string;
  enabled: boolean | null;
  default_project_id: string | null;
  created_at: Date | null;
  last_active_at: Date | string | null;
  domain_id: string;
  name: string | null;
  local_user_id: number | null;
  failed_auth_count: number | null;
  failed_auth_at: Date | null;
  /** of the current (newest) password, when there is one */
  password_expires_at?: Date | null;
  password_created_at?: Date | null;
  password_self_service?: boolean | null;
}

export interface PasswordRow {
  id: number;
  local_user_id: number;
  self_service: boolean;
  password_hash: string | null;
  created_at: Date;
  expires_at: Date | null;
}

export interface GroupRow {
  id: string;
  domain_id: string;
  name: string;
  description: string | null;
  extra: string;
}

export interface Group {
  id: string;
  name: string;
  domainId: string;
  description: string | null;
  extra: Record<string, unknown>;
}
