/**
 * What the identity manager asks of the store of a domain's users and
 * groups (Keystone's identity driver interface, identity/backends/base.py).
 * The SQL backend is identity-repository.ts, the store of every domain
 * without a directory; a domain with one (LDAP) is served by an
 * identity-driver.ts driver instead, at Keystone's level.
 * test/identity/identity-backend-conformance.test.ts is the behaviour every
 * row-level backend must show.
 */
import type { GroupRow, PasswordRow, UserRow } from './identity-types.js';
import type { FederatedObjectRow } from './federated-objects.js';

/** Keystone's password_expires_at list filter: an operator and a time, matched against any of the user's passwords. */
export interface PasswordExpiresFilter {
  op: 'lt' | 'lte' | 'gt' | 'gte' | 'eq' | 'neq';
  at: Date;
}

export interface UserListFilter {
  domainId?: string;
  name?: string;
  enabled?: boolean;
  ids?: string[];
  /** members of this group */
  groupId?: string;
  passwordExpires?: PasswordExpiresFilter[];
  /**
   * Keystone's federated filters (idp_id, protocol_id, unique_id): only users with one federated identity
   * matching all of them (and `name`, when given, as that identity's display name).
   */
  federated?: FederatedUserFilter;
}

export interface FederatedUserFilter {
  idpId?: string;
  protocolId?: string;
  uniqueId?: string;
}

export interface GroupListFilter {
  domainId?: string;
  /** the groups this user is a member of (expiring federated memberships included while they last) */
  memberId?: string;
  /** [federation] default_authorization_ttl: how long an expiring membership lasts when its IdP sets no ttl */
  defaultTtlMinutes?: number;
}

/** A federated user's first sign-in: a user row and its federated_user link (Keystone's create_federated_user). */
export interface NewFederatedUserRow {
  id: string;
  domain_id: string;
  /** JSON text (the mapped email) */
  extra: string;
  idp_id: string;
  protocol_id: string;
  unique_id: string;
  display_name: string | null;
  last_active_today: boolean;
}

export interface NewUserRow {
  id: string;
  name: string;
  domain_id: string;
  enabled: boolean;
  default_project_id: string | null;
  /** JSON text */
  extra: string;
  /** start the inactivity clock today ([security_compliance] disable_user_account_days_inactive) */
  last_active_today?: boolean;
}

export interface UserUpdateRow {
  id: string;
  name: string;
  enabled: boolean;
  default_project_id: string | null;
  /** JSON text */
  extra: string;
}

/** A user option as stored: option id (user_option.option_id) and its JSON text. */
export interface StoredUserOption {
  option_id: string;
  option_value: string | null;
}

export interface IdentityBackend {
  /** Runs `work` as one unit against a backend bound to it (a SQL transaction). */
  transaction<T>(work: (backend: IdentityBackend) => Promise<T>): Promise<T>;

  // ---- users ------------------------------------------------------------------------
  getUserRow(id: string): Promise<UserRow | null>;
  /** The row with its options, in one statement: every token minted or validated from the source reads its user. */
  getUserWithOptions(id: string): Promise<{ row: UserRow; options: StoredUserOption[] } | null>;
  getUserRowByName(name: string, domainId: string): Promise<UserRow | null>;
  /** by name, then id */
  listUserRows(filter: UserListFilter): Promise<UserRow[]>;
  /** Returns the new local user's id (the key of its passwords). */
  insertUser(row: NewUserRow): Promise<number>;
  updateUser(row: UserUpdateRow): Promise<void>;
  deleteUser(id: string): Promise<void>;
  /** A deleted project is nobody's default project any more. */
  unsetDefaultProject(projectId: string): Promise<void>;
  /** Returns true when the date moved (once a day at most). */
  setLastActive(userId: string): Promise<boolean>;
  optionsOfUsers(userIds: string[]): Promise<Map<string, StoredUserOption[]>>;
  /** null removes the option */
  setOption(userId: string, optionId: string, value: string | null): Promise<void>;

  // ---- passwords and failed attempts -------------------------------------------------
  /** Newest first. */
  listPasswords(localUserId: number, limit?: number): Promise<PasswordRow[]>;
  /** keystone-manage bootstrap: the user stored enabled again */
  enableUser(id: string): Promise<void>;
  insertPassword(localUserId: number, hash: string | null, expiresAt: Date | null, selfService: boolean): Promise<void>;
  /**
   * Before a new password is added, as Keystone's password setter: keep the
   * newest `keep` passwords, and expire every kept one not yet expired.
   */
  retirePasswords(localUserId: number, keep: number): Promise<void>;
  setFailedAuth(localUserId: number, count: number, at: Date | null): Promise<void>;
  /** Counts one failure atomically (concurrent guesses on several workers are each counted once). */
  incrementFailedAuth(localUserId: number): Promise<{ failed_auth_count: number }>;

  // ---- shadow users (federation) --------------------------------------------------------
  /** The user linked to a federated identity (federated_user), or null. */
  getFederatedUserRow(idpId: string, protocolId: string, uniqueId: string): Promise<UserRow | null>;
  /**
   * The user (unless it exists: the same identity through another protocol of the IdP has the same id)
   * and its link to the identity (unless a concurrent first sign-in made it).
   */
  insertFederatedUser(row: NewFederatedUserRow): Promise<void>;
  /** A user's federated identities, in the order they were linked. */
  federatedObjectsOfUser(userId: string): Promise<FederatedObjectRow[]>;
  /**
   * The user's federated identities replaced by `rows` (Keystone's delete_federated_object then
   * create_federated_object), each with `displayName`. An identity linked to another user is a unique violation.
   */
  replaceFederatedObjects(userId: string, rows: readonly FederatedObjectRow[], displayName: string): Promise<void>;
  /** Keystone's update_federated_user_display_name: rewritten when it differs; returns whether it did. */
  updateFederatedDisplayName(idpId: string, protocolId: string, uniqueId: string, displayName: string | null): Promise<boolean>;
  /**
   * Keystone's add_user_to_group_expires: the membership verified now (created when new). It lasts the
   * IdP's authorization_ttl minutes (else `defaultTtlMinutes`, [federation] default_authorization_ttl).
   * Returns whether it was not in force before and is now (what a cached group list did not see).
   */
  verifyExpiringMembership(userId: string, groupId: string, idpId: string, defaultTtlMinutes: number): Promise<boolean>;

  // ---- groups and memberships ---------------------------------------------------------
  getGroupRow(id: string): Promise<GroupRow | null>;
  getGroupRowByName(name: string, domainId: string): Promise<GroupRow | null>;
  /** by name, then id */
  listGroupRows(filter?: GroupListFilter): Promise<GroupRow[]>;
  insertGroup(row: GroupRow): Promise<void>;
  updateGroup(row: GroupRow): Promise<void>;
  deleteGroup(id: string): Promise<void>;
  /** Direct memberships, and expiring (federated) ones in force (their IdP's ttl, else `defaultTtlMinutes`). */
  groupIdsOfUser(userId: string, defaultTtlMinutes?: number): Promise<string[]>;
  memberIds(groupId: string): Promise<string[]>;
  isMember(userId: string, groupId: string): Promise<boolean>;
  /** Adding an existing membership changes nothing. */
  addMember(userId: string, groupId: string): Promise<void>;
  /** Returns how many memberships were removed (0 or 1). */
  removeMember(userId: string, groupId: string): Promise<number>;
}
