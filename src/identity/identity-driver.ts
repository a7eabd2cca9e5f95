/**
 * An identity driver at Keystone's level (identity/backends/base.py): the
 * users and groups of a directory as entities, not as SQL rows. The LDAP
 * driver (ldap/ldap-identity-driver.ts) answers it for the domains that have
 * one; the identity manager maps their local ids to public ones (id_mapping)
 * and puts the domain on what a domain-unaware driver returns.
 */

/** A user as a driver returns it: `id` is the driver's own (local) id. */
export interface DriverUser {
  id: string;
  name: string;
  enabled: boolean;
  defaultProjectId: string | null;
  /** email, description and mapped attributes, rendered at the top level */
  extra: Record<string, unknown>;
}

export interface DriverGroup {
  id: string;
  name: string;
  description: string | null;
  extra: Record<string, unknown>;
}

export interface DriverUserQuery {
  /** equality on the name */
  name?: string;
  enabled?: boolean;
}

export interface IdentityDriver {
  /** false: the driver holds one domain's entities and knows nothing of domains (LDAP) */
  readonly isDomainAware: boolean;
  /** false: local ids are the directory's (a cn, a sAMAccountName) and public ones are generated (id_mapping) */
  readonly generatesUuids: boolean;

  /** The user when `password` is theirs; otherwise Unauthorized, alike for an unknown user and a wrong password. */
  authenticate(userId: string, password: string): Promise<DriverUser>;

  getUser(userId: string): Promise<DriverUser | null>;
  getUserByName(name: string): Promise<DriverUser | null>;
  listUsers(query: DriverUserQuery): Promise<DriverUser[]>;
  /** null when the group does not exist */
  listUsersInGroup(groupId: string): Promise<DriverUser[] | null>;

  getGroup(groupId: string): Promise<DriverGroup | null>;
  getGroupByName(name: string): Promise<DriverGroup | null>;
  listGroups(query: { name?: string }): Promise<DriverGroup[]>;
  listGroupsForUser(userId: string): Promise<DriverGroup[]>;
  isMember(userId: string, groupId: string): Promise<boolean>;

  /** Every write: a read-only driver throws Forbidden (Keystone's 403 "LDAP does not support write operations"). */
  assertWritable(): void;

  close(): Promise<void>;
}
