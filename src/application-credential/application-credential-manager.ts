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
 */
import { DuplicateEntry, EntityNotFound, Forbidden, ValidationError } from '../common/errors.js';
import type { KeystoneConfig } from '../config/options.js';
import type { IdentityManager } from '../identity/identity-manager.js';
import type { AssignmentManager } from '../assignment/assignment-manager.js';
import type { ApplicationCredentialStore } from '../auth/application-credentials.js';
import type { AccessRule, AccessRuleFilter, ApplicationCredentialRepository, StoredApplicationCredential } from './application-credential-repository.js';

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
  private readonly repository: ApplicationCredentialRepository;

  constructor(
    private readonly store: ApplicationCredentialStore,
    private readonly conf: KeystoneConfig,
    private readonly identity: IdentityManager,
    private readonly assignment: AssignmentManager,
  ) {
    this.repository = store.repository;
    identity.events.on(async (event) => {
      if (event.type === 'user.deleted' || event.type === 'user.disabled') await this.deleteForUser(event.userId);
    });
    assignment.events.on(async (event) => {
      if (event.type !== 'role.deleting') return;
      const deleted: string[] = [];
      for (const { userId, projectId } of event.userProjects) deleted.push(...await this.repository.deleteForUser(userId, projectId));
      if (deleted.length) await this.store.invalidate();
    });
  }

  /** Keystone's create_application_credential: the limit, the roles held on the project, a unique name. */
  async create(input: ApplicationCredentialInput): Promise<StoredApplicationCredential> {
    const limit = this.conf.application_credential.user_limit;
    if (limit >= 0 && (await this.repository.countForUser(input.userId)) >= limit) {
      throw new Forbidden(`Unable to create additional application credentials, maximum of ${limit} already exceeded for user.`);
    }
    const held = new Set(input.projectId ? (await this.assignment.rolesForUserOnProject(input.userId, input.projectId)).map((r) => r.id) : []);
    for (const roleId of input.roleIds) {
      if (!held.has(roleId)) {
        throw new ApplicationCredentialValidationError(
          `Could not find role assignment with role: ${roleId}, user or group: ${input.userId}, project, domain, or system: ${input.projectId}.`);
      }
    }
    const conflict = new DuplicateEntry('application_credential', `Duplicate entry found with name ${input.name}`);
    if (await this.repository.nameTaken(input.userId, input.name)) throw conflict;
    for (const rule of input.accessRules) {
      if ((rule.service === undefined || rule.path === undefined || rule.method === undefined) && !(await this.repository.accessRuleExists(input.userId, rule.id))) {
        throw new AccessRuleNotFound(rule.id);
      }
    }
    const inserted = await this.repository.insert({
      id: input.id, name: input.name, userId: input.userId, projectId: input.projectId, description: input.description,
      expiresAt: input.expiresAt, unrestricted: input.unrestricted, secretHash: await this.identity.passwordHasher.hash(input.secret),
      roleIds: input.roleIds, accessRules: input.accessRules,
    });
    if (!inserted) throw conflict;
    return this.get(input.id);
  }

  async get(id: string): Promise<StoredApplicationCredential> {
    const cred = await this.repository.get(id);
    if (!cred) throw new ApplicationCredentialNotFound(id);
    return cred;
  }

  async find(id: string): Promise<StoredApplicationCredential | null> {
    return this.repository.get(id);
  }

  list(userId: string, filter: { name?: string } = {}): Promise<StoredApplicationCredential[]> {
    return this.repository.listForUser(userId, filter);
  }

  async delete(id: string): Promise<void> {
    if (!(await this.repository.delete(id))) throw new ApplicationCredentialNotFound(id);
    await this.store.invalidate();
  }

  /** A deleted or disabled user: every credential and access rule. */
  private async deleteForUser(userId: string): Promise<void> {
    const deleted = await this.repository.deleteForUser(userId);
    await this.repository.deleteAccessRulesForUser(userId);
    if (deleted.length) await this.store.invalidate();
  }

  /** The user's access rule (another user's rule is not found). */
  async getAccessRule(userId: string, id: string): Promise<AccessRule> {
    const rule = await this.repository.getAccessRule(id);
    if (!rule || rule.userId !== userId) throw new AccessRuleNotFound(id);
    return { id: rule.id, service: rule.service, path: rule.path, method: rule.method };
  }

  listAccessRules(userId: string, filter: AccessRuleFilter = {}): Promise<AccessRule[]> {
    return this.repository.listAccessRules(userId, filter);
  }

  async deleteAccessRule(userId: string, id: string): Promise<void> {
    await this.getAccessRule(userId, id);
    const outcome = await this.repository.deleteAccessRule(id);
    if (outcome === 'missing') throw new AccessRuleNotFound(id);
    // keystone.exception.ForbiddenNotSecurity: the message is always shown
    if (outcome === 'in-use') throw new Forbidden('May not delete access rule in use');
  }
}
