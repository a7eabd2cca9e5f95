/** Application credentials and access rules as the manager, the auth methods and the API see them. */

export interface AccessRule {
  /** the external id */
  id: string;
  service: string;
  path: string;
  method: string;
}

export interface AccessRuleFilter {
  service?: string;
  path?: string;
  method?: string;
}

export interface StoredApplicationCredential {
  id: string;
  name: string;
  userId: string;
  projectId: string | null;
  system: string | null;
  description: string | null;
  /** epoch milliseconds, or null */
  expiresAt: number | null;
  /** UTC with microseconds, without zone (2031-05-06T07:08:09.123456), as Keystone renders it */
  expiresAtText: string | null;
  /** null when the creator did not say */
  unrestricted: boolean | null;
  secretHash: string;
  /** the role ids and, when the role still exists, its name */
  roles: { id: string; name: string }[];
  accessRules: AccessRule[];
}

/** A stored credential as the auth side uses it: `unrestricted` only when the creator said so. */
export type ApplicationCredential = Omit<StoredApplicationCredential, 'unrestricted'> & { unrestricted: boolean };

export interface NewApplicationCredential {
  id: string;
  name: string;
  userId: string;
  projectId: string | null;
  description: string | null;
  /** UTC, with microseconds */
  expiresAt: string | null;
  unrestricted: boolean | null;
  secretHash: string;
  roleIds: string[];
  /** each with an id: an existing rule of the user (by id, or by service, path and method) or a new one */
  accessRules: { id: string; service?: string; path?: string; method?: string }[];
}
