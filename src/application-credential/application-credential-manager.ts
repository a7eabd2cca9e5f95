/**
 * Application credentials and access rules (Keystone's
 * application_credential_api): create (the user's roles on the project
 * required, the per-user limit, the secret hashed as passwords are), list,
 * get, delete; a user's access rules listed, shown and deleted (not while a
 * credential uses one). A deleted or disabled user loses every credential
 * and rule; a deleted role takes the credentials of its holders on their
 * projects with it (Keystone's REMOVE_APP_CREDS_FOR_USER). Every deletion
 * invalidates the application credential region, so the tokens of a
 * deleted credential stop validating on every worker before it returns.
 *
 * The auth side (the application_credential method, the token model) looks
 * credentials up memoized (find, findByName) and checks secrets and expiry.
 */
import { DuplicateEntry, EntityNotFound, Forbidden, ValidationError } from '../common/errors.js';
import type { Cache } from '../cache/cache.js';
import type { KeystoneConfig } from '../config/options.js';
import type { IdentityManager } from '../identity/identity-manager.js';
import type { AssignmentManager } from '../assignment/assignment-manager.js';
import type { ApplicationCredentialBackend } from './application-credential-backend.js';
import type { AccessRule, AccessRuleFilter, ApplicationCredential, StoredApplicationCredential } from './application-credential-types.js';

export const APPLICATION_CREDENTIAL_CACHE_REGION = 'application_credential';

/** keystone.exception.ApplicationCredentialValidationError (400) */
export class ApplicationCredentialValidationError extends ValidationError {
  constructor(detail: string) {
    super(`Invalid application credential: ${detail}`, false);
  }
}

export class ApplicationCredentialNotFound extends EntityNotFound {
  constructor(id: string) {
    super('Application Credential', id);
  }
}

export class AccessRuleNotFound extends EntityNotFound {
  constructor(id: string) {
    super('Access Rule', id);
  }
}

export interface ApplicationCredentialInput {
  id: string;
  name: string;
  userId: string;
  projectId: string | null;
  description: string | null;
  secret: string;
  /** UTC, with microseconds */
  expiresAt: string | null;
  unrestricted: boolean | null;
  roleIds: string[];
  accessRules: { id: string; service?: string; path?: string; method?: string }[];
}

export class ApplicationCredentialManager {
  constructor(
    private readonly backend: ApplicationCredentialBackend,
    private readonly cache: Cache,
    private readonly conf: KeystoneConfig,
    private readonly identity: IdentityManager,
    private readonly assignment: AssignmentManager,
  ) {
    identity.events.on(async (event) => {
      if (event.type === 'user.deleted' || event.type === 'user.disabled') await this.deleteForUser(event.userId);
    });
    assignment.events.on(async (event) => {
      if (event.type !== 'role.deleting') return;
      const deleted: string[] = [];
      for (const { userId, projectId } of event.userProjects) deleted.push(...(await this.backend.deleteForUser(userId, projectId)));
      if (deleted.length) await this.invalidate();
    });
  }

  // ---- the auth side --------------------------------------------------------------------

  private static fromStored(stored: StoredApplicationCredential): ApplicationCredential {
    return { ...stored, unrestricted: stored.unrestricted === true };
  }

  private async load(id: string): Promise<ApplicationCredential | null> {
    const stored = await this.backend.get(id);
    return stored ? ApplicationCredentialManager.fromStored(stored) : null;
  }

  /** The credential as authentication and token validation see it, memoized. */
  async find(id: string): Promise<ApplicationCredential | null> {
    if (!this.conf.application_credential.caching) return this.load(id);
    return this.cache.memoize(APPLICATION_CREDENTIAL_CACHE_REGION, `ac:${id}`, this.conf.application_credential.cache_time, () =>
      this.load(id),
    );
  }

  async findByName(userId: string, name: string): Promise<ApplicationCredential[]> {
    return (await this.backend.listForUser(userId, { name })).map((c) => ApplicationCredentialManager.fromStored(c));
  }

  isExpired(cred: ApplicationCredential, nowMs = Date.now()): boolean {
    return cred.expiresAt !== null && cred.expiresAt <= nowMs;
  }

  /** True when the secret matches (constant time, never blocking the event loop). */
  verifySecret(cred: ApplicationCredential, secret: string, signal?: AbortSignal): Promise<boolean> {
    return this.identity.passwordHasher.verify(secret, cred.secretHash, signal);
  }

  /** Drops memoized look-ups (and the token validations that used them). */
  invalidate(): Promise<void> {
    return this.cache.invalidate(APPLICATION_CREDENTIAL_CACHE_REGION);
  }

  // ---- /v3/users/{user_id}/application_credentials ---------------------------------------

  /** Keystone's create_application_credential: the limit, the roles held on the project, a unique name. */
  async create(input: ApplicationCredentialInput): Promise<StoredApplicationCredential> {
    const limit = this.conf.application_credential.user_limit;
    if (limit >= 0 && (await this.backend.countForUser(input.userId)) >= limit) {
      throw new Forbidden(`Unable to create additional application credentials, maximum of ${limit} already exceeded for user.`);
    }
    const held = new Set(
      input.projectId ? (await this.assignment.rolesForUserOnProject(input.userId, input.projectId)).map((r) => r.id) : [],
    );
    for (const roleId of input.roleIds) {
      if (!held.has(roleId)) {
        throw new ApplicationCredentialValidationError(
          `Could not find role assignment with role: ${roleId}, user or group: ${input.userId}, project, domain, or system: ${input.projectId}.`,
        );
      }
    }
    const conflict = new DuplicateEntry('application_credential', `Duplicate entry found with name ${input.name}`);
    if (await this.backend.nameTaken(input.userId, input.name)) throw conflict;
    for (const rule of input.accessRules) {
      if (
        (rule.service === undefined || rule.path === undefined || rule.method === undefined) &&
        !(await this.backend.accessRuleExists(input.userId, rule.id))
      ) {
        throw new AccessRuleNotFound(rule.id);
      }
    }
    const inserted = await this.backend.insert({
      id: input.id,
      name: input.name,
      userId: input.userId,
      projectId: input.projectId,
      description: input.description,
      expiresAt: input.expiresAt,
      unrestricted: input.unrestricted,
      secretHash: await this.identity.passwordHasher.hash(input.secret),
      roleIds: input.roleIds,
      accessRules: input.accessRules,
    });
    if (!inserted) throw conflict;
    return this.get(input.id);
  }

  async get(id: string): Promise<StoredApplicationCredential> {
    const cred = await this.backend.get(id);
    if (!cred) throw new ApplicationCredentialNotFound(id);
    return cred;
  }

  /** As stored, not memoized (the API's reads). */
  async findStored(id: string): Promise<StoredApplicationCredential | null> {
    return this.backend.get(id);
  }

  list(userId: string, filter: { name?: string } = {}): Promise<StoredApplicationCredential[]> {
    return this.backend.listForUser(userId, filter);
  }

  async delete(id: string): Promise<void> {
    if (!(await this.backend.delete(id))) throw new ApplicationCredentialNotFound(id);
    await this.invalidate();
  }

  /** A deleted or disabled user: every credential and access rule. */
  private async deleteForUser(userId: string): Promise<void> {
    const deleted = await this.backend.deleteForUser(userId);
    await this.backend.deleteAccessRulesForUser(userId);
    if (deleted.length) await this.invalidate();
  }

  /** The user's access rule (another user's rule is not found). */
  async getAccessRule(userId: string, id: string): Promise<AccessRule> {
    const rule = await this.backend.getAccessRule(id);
    if (!rule || rule.userId !== userId) throw new AccessRuleNotFound(id);
    return { id: rule.id, service: rule.service, path: rule.path, method: rule.method };
  }

  listAccessRules(userId: string, filter: AccessRuleFilter = {}): Promise<AccessRule[]> {
    return this.backend.listAccessRules(userId, filter);
  }

  async deleteAccessRule(userId: string, id: string): Promise<void> {
    await this.getAccessRule(userId, id);
    const outcome = await this.backend.deleteAccessRule(id);
    if (outcome === 'missing') throw new AccessRuleNotFound(id);
    // keystone.exception.ForbiddenNotSecurity: the message is always shown
    if (outcome === 'in-use') throw new Forbidden('May not delete access rule in use');
  }
}
