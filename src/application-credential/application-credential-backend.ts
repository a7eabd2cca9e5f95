/**
 * What the application credential manager asks of its storage (Keystone's
 * application credential driver interface,
 * application_credential/backends/base.py): credentials with their roles
 * and access rules; access rules belong to a user and are shared by the
 * user's credentials. The SQL backend is application-credential-repository.ts.
 */
import type {
  AccessRule,
  AccessRuleFilter,
  NewApplicationCredential,
  StoredApplicationCredential,
} from './application-credential-types.js';

export interface ApplicationCredentialBackend {
  get(id: string): Promise<StoredApplicationCredential | null>;
  /** in creation order */
  listForUser(userId: string, filter?: { name?: string; projectId?: string }): Promise<StoredApplicationCredential[]>;
  countForUser(userId: string): Promise<number>;
  nameTaken(userId: string, name: string): Promise<boolean>;
  /** The credential with its roles and access rules, as one unit; false when (user, name) is taken (a concurrent create). */
  insert(credential: NewApplicationCredential): Promise<boolean>;
  /** false when there was none */
  delete(id: string): Promise<boolean>;
  /** The user's credentials (on one project when given); the ids deleted. */
  deleteForUser(userId: string, projectId?: string): Promise<string[]>;

  accessRuleExists(userId: string, externalId: string): Promise<boolean>;
  getAccessRule(externalId: string): Promise<(AccessRule & { userId: string }) | null>;
  /** in creation order */
  listAccessRules(userId: string, filter?: AccessRuleFilter): Promise<AccessRule[]>;
  /** 'in-use' when a credential still holds it. */
  deleteAccessRule(externalId: string): Promise<'deleted' | 'missing' | 'in-use'>;
  deleteAccessRulesForUser(userId: string): Promise<void>;
}
