/**
 * Users, groups and passwords (Keystone's identity_api with its SQL driver):
 * lookups (memoized), user and group CRUD, memberships, password changes
 * with Keystone's [security_compliance] rules (regex, history, minimum age,
 * expiry, first use, lock_password), and password authentication (lockout,
 * inactivity). Unknown users and wrong passwords fail alike, in time too.
 */
import { recordLockout } from '../metrics/metrics.js';
import type { Cache } from '../cache/cache.js';
import type { KeystoneConfig } from '../config/options.js';
import {
  AccountLocked,
  DuplicateEntry,
  Forbidden,
  EntityNotFound,
  NotFound,
  PasswordExpired,
  Unauthorized,
  ValidationError,
} from '../common/errors.js';
import { newId } from '../common/ids.js';
import { isoMicros } from '../common/time.js';
import { parseExtra } from '../resource/resource-types.js';
import type { ResourceManager } from '../resource/resource-manager.js';
import type { ResourceEvent } from '../resource/resource-events.js';
import type { RevocationPort } from '../resource/revocation-port.js';
import { isUniqueViolation } from '../storage/sql-errors.js';
import type { GroupListFilter, IdentityBackend, StoredUserOption, UserListFilter } from './identity-backend.js';
import type { IdentityDriver } from './identity-driver.js';
import type { Group, GroupRow, User, UserRow } from './identity-types.js';
import type { PasswordHasherPort } from './password-hasher-port.js';
import { USER_OPTIONS, userOptionName, type UserOptions } from './user-options.js';
import { IdentityEvents } from './identity-events.js';
import {
  PasswordAgeValidationError,
  PasswordHistoryValidationError,
  PasswordSelfServiceDisabled,
  PasswordVerificationError,
  StringLengthExceeded,
} from './identity-errors.js';
import { validatePasswordRules } from './password-policy.js';
import type { DirectoryIdentities } from './directory-identities.js';
import {
  assertFederatedObjectsExist,
  federatedObjectRows,
  groupFederatedObjects,
  type FederatedObject,
  type IdentityProviderLookup,
} from './federated-objects.js';

export const IDENTITY_CACHE_REGION = 'identity';
/** the assignment manager's region: computed role assignments depend on users, groups and memberships */
const ASSIGNMENT_CACHE_REGION = 'assignment';
const DAY_MS = 86400_000;

export interface CreateUserInput {
  id?: string;
  name: string;
  domainId: string;
  /** undefined: no password; null: a password entry without a hash (as Keystone stores `"password": null`) */
  password?: string | null;
  enabled?: boolean;
  defaultProjectId?: string | null;
  options?: UserOptions | Record<string, unknown>;
  extra?: Record<string, unknown>;
  /** Keystone's `federated` attribute: the federated identities linked to the user (none when empty) */
  federated?: readonly FederatedObject[];
}

/** A PATCH of a user: only the keys present change. */
export interface UserPatch {
  name?: string;
  domainId?: string;
  enabled?: boolean;
  defaultProjectId?: string | null;
  /** present (even null) when the request carried `password` */
  password?: string | null;
  options?: Record<string, unknown>;
  extra?: Record<string, unknown>;
  /** replaces the user's federated identities when not empty (an empty list changes nothing, as Keystone) */
  federated?: readonly FederatedObject[];
}

export interface GroupPatch {
  name?: string;
  domainId?: string;
  description?: string | null;
  extra?: Record<string, unknown>;
}

/** A `date` column as YYYY-MM-DD (node-postgres parses it as local midnight). */
function dateOnly(value: Date | string | null | undefined): string | null {
  if (value === null || value === undefined) return null;
  if (typeof value === 'string') return value.slice(0, 10);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${value.getFullYear()}-${pad(value.getMonth() + 1)}-${pad(value.getDate())}`;
}

/** A directory's users and groups in the order SQL lists its own: by name, then id, code point by code point. */
function byNameThenId(a: { name: string; id: string }, b: { name: string; id: string }): number {
  if (a.name !== b.name) return a.name < b.name ? -1 : 1;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

function daysSince(day: string): number {
  const today = new Date().toISOString().slice(0, 10);
  return Math.floor((Date.parse(`${today}T00:00:00Z`) - Date.parse(`${day}T00:00:00Z`)) / DAY_MS);
}

export class IdentityManager {
  /** user and group deletions, disables, password and membership changes, for the subsystems that keep data about them */
  readonly events = new IdentityEvents();

  /** `defaultBackend`: the backend of every domain without one of its own (the SQL backend). */
  constructor(
    private readonly defaultBackend: IdentityBackend,
    private readonly cache: Cache,
    private readonly conf: KeystoneConfig,
    readonly passwordHasher: PasswordHasherPort,
    private readonly resource: ResourceManager,
    private readonly revocation: RevocationPort,
    /** federation_api: the IdPs and protocols a user's `federated` attribute names */
    private readonly identityProviders: IdentityProviderLookup,
    /** the domains served by a directory (LDAP) rather than SQL, with their public ids */
    private readonly directories: DirectoryIdentities | null = null,
  ) {
    resource.events.on((event) => this.onResourceEvent(event));
    directories?.onChange(() => this.invalidate());
  }

  /**
   * The backend holding a domain's users and groups (Keystone's
   * _select_identity_driver) when it is SQL's; undefined: no domain named.
   * A domain with a directory driver of its own (LDAP) is routed before this
   * is asked, through `directories`.
   */
  private backendForDomain(_domainId: string | undefined): IdentityBackend {
    return this.defaultBackend;
  }

  /**
   * The SQL backend of a user or group known only by id: a mapped id
   * (id_mapping) is a directory's and is routed before this is asked.
   */
  private backendForId(_id: string): IdentityBackend {
    return this.backendForDomain(undefined);
  }

  /** The list limit of identity collections: [identity] list_limit, else [DEFAULT] list_limit. */
  listLimit(): number | null {
    return this.conf.identity.list_limit ?? this.conf.DEFAULT.list_limit ?? null;
  }

  // ---- users: reading ------------------------------------------------------------

  private optionsFrom(rows: StoredUserOption[]): UserOptions {
    const options: Record<string, unknown> = {};
    for (const o of rows) {
      const name = userOptionName(o.option_id);
      if (!name || o.option_value === null) continue;
      try {
        options[name] = JSON.parse(o.option_value);
      } catch {
        options[name] = o.option_value;
      }
    }
    return options;
  }

  /** Keystone's `enabled` getter: an enabled user inactive past disable_user_account_days_inactive reads as disabled. */
  private effectiveEnabled(row: UserRow, options: UserOptions): boolean {
    if (row.enabled === false) return false;
    const maxDays = this.conf.security_compliance.disable_user_account_days_inactive;
    if (maxDays === null || options.ignore_user_inactivity) return true;
    const lastActive = dateOnly(row.last_active_at) ?? (row.created_at ? row.created_at.toISOString().slice(0, 10) : null);
    return !(lastActive && daysSince(lastActive) >= maxDays);
  }

  private userFrom(row: UserRow, options: UserOptions): User {
    return {
      id: row.id,
      name: row.name ?? '',
      domainId: row.domain_id,
      enabled: this.effectiveEnabled(row, options),
      defaultProjectId: row.default_project_id,
      passwordExpiresAt: row.password_expires_at ? isoMicros(row.password_expires_at) : null,
      options,
      extra: parseExtra(row.extra),
      createdAt: row.created_at ? row.created_at.toISOString() : null,
      lastActiveAt: dateOnly(row.last_active_at),
      isLocal: row.local_user_id !== null,
    };
  }

  private async usersFromRows(backend: IdentityBackend, rows: UserRow[]): Promise<User[]> {
    const options = await backend.optionsOfUsers(rows.map((r) => r.id));
    return rows.map((r) => this.userFrom(r, this.optionsFrom(options.get(r.id) ?? [])));
  }

  private async loadUser(id: string): Promise<User | null> {
    const resolved = await this.directories?.resolve(id, 'user');
    if (resolved && this.directories) {
      const user = await resolved.driver.getUser(resolved.localId);
      return user ? this.directories.user(resolved.domainId, user) : null;
    }
    const found = await this.backendForId(id).getUserWithOptions(id);
    return found ? this.userFrom(found.row, this.optionsFrom(found.options)) : null;
  }

  async findUser(id: string): Promise<User | null> {
    if (!this.conf.identity.caching) return this.loadUser(id);
    return this.cache.memoize(IDENTITY_CACHE_REGION, `user:${id}`, this.conf.identity.cache_time, () => this.loadUser(id));
  }

  async getUser(id: string): Promise<User> {
    const u = await this.findUser(id);
    if (!u) throw new EntityNotFound('user', id);
    return u;
  }

  async findUserByName(name: string, domainId: string): Promise<User | null> {
    const driver = await this.directories?.driverFor(domainId);
    if (driver && this.directories) {
      const directories = this.directories;
      // Keystone memoizes get_user_by_name: a directory round trip saved per login
      const load = async () => {
        const user = await driver.getUserByName(name);
        return user ? directories.user(domainId, user) : null;
      };
      if (!this.conf.identity.caching) return load();
      return this.cache.memoize(IDENTITY_CACHE_REGION, `user-name:${domainId}:${name}`, this.conf.identity.cache_time, load);
    }
    const backend = this.backendForDomain(domainId);
    const row = await backend.getUserRowByName(name, domainId);
    return row ? (await this.usersFromRows(backend, [row]))[0] : null;
  }

  async listUsers(filter: UserListFilter = {}): Promise<User[]> {
    const driver = await this.directories?.driverFor(filter.domainId);
    if (driver && this.directories && filter.domainId !== undefined) return this.listDirectoryUsers(driver, filter.domainId, filter);
    const backend = this.backendForDomain(filter.domainId);
    return this.usersFromRows(backend, await backend.listUserRows(filter));
  }

  private async listDirectoryUsers(driver: IdentityDriver, domainId: string, filter: UserListFilter): Promise<User[]> {
    const directories = this.directories as DirectoryIdentities;
    let found;
    if (filter.groupId !== undefined) {
      const group = await directories.resolve(filter.groupId, 'group');
      found = group?.domainId === domainId ? ((await driver.listUsersInGroup(group.localId)) ?? []) : [];
      if (filter.name !== undefined) found = found.filter((u) => u.name === filter.name);
      if (filter.enabled !== undefined) found = found.filter((u) => u.enabled === filter.enabled);
    } else {
      found = await driver.listUsers({ name: filter.name, enabled: filter.enabled });
    }
    // a directory's users have no passwords here, nor federated identities: no expiry or federated filter matches
    if (filter.passwordExpires?.length || filter.federated) return [];
    const users = await directories.users(domainId, found);
    const ids = filter.ids ? new Set(filter.ids) : null;
    return (ids ? users.filter((u) => ids.has(u.id)) : users).sort(byNameThenId);
  }

  /** A write on a directory's user or group: the driver refuses it (LDAP: 403). */
  private async assertWritableUser(userId: string): Promise<void> {
    (await this.directories?.resolve(userId, 'user'))?.driver.assertWritable();
  }

  private async assertWritableGroup(groupId: string): Promise<void> {
    (await this.directories?.resolve(groupId, 'group'))?.driver.assertWritable();
  }

  // ---- passwords -------------------------------------------------------------------

  /**
   * Keystone's length rule: with [DEFAULT] strict_password_check a password
   * longer than the hasher takes (72 bytes for bcrypt, else [identity]
   * max_password_length) is refused with a 403; otherwise it is truncated
   * by the hasher, as Keystone does.
   */
  checkPasswordLength(password: string): void {
    if (typeof password !== 'string') throw new ValidationError('Expecting to find string in password.');
    if (!this.conf.DEFAULT.strict_password_check) return;
    const max =
      this.conf.identity.password_hash_algorithm === 'bcrypt' && this.conf.identity.max_password_length > 72
        ? 72
        : this.conf.identity.max_password_length;
    if (Buffer.byteLength(password, 'utf8') > max) throw new PasswordVerificationError(max);
  }

  passwordExpiryFor(options: UserOptions): Date | null {
    const days = this.conf.security_compliance.password_expires_days;
    if (!days || options.ignore_password_expiry) return null;
    const at = new Date(Date.now() + days * DAY_MS);
    at.setUTCMilliseconds(0);
    return at;
  }

  /** change_password_upon_first_use, unless the user is exempt. */
  private changeRequired(options: UserOptions): boolean {
    return this.conf.security_compliance.change_password_upon_first_use && !options.ignore_change_password_upon_first_use;
  }

  private async hashOrNull(password: string | null): Promise<string | null> {
    if (password === null) return null;
    this.checkPasswordLength(password);
    return this.passwordHasher.hash(password);
  }

  /** Adds a password as Keystone's setter does: history truncated, older passwords expired. */
  private async storePassword(
    repo: IdentityBackend,
    localUserId: number,
    hash: string | null,
    expiresAt: Date | null,
    selfService: boolean,
  ): Promise<void> {
    const unique = this.conf.security_compliance.unique_last_password_count;
    await repo.retirePasswords(localUserId, unique === 0 ? 1 : unique);
    await repo.insertPassword(localUserId, hash, expiresAt, selfService);
  }

  // ---- users: writing ------------------------------------------------------------

  private async assertDefaultProjectNotDomain(projectId: string | null | undefined): Promise<void> {
    if (!projectId) return;
    const ref = await this.resource.findProjectRef(projectId);
    if (ref?.isDomain) throw new ValidationError(`User's default project ID cannot be a domain ID: ${projectId}`, false);
  }

  /** Keystone's get_federated_objects: the federated identities linked to a user, grouped by IdP (none for a directory's). */
  async federatedObjectsOfUser(userId: string): Promise<FederatedObject[]> {
    if (await this.directories?.resolve(userId, 'user')) return [];
    return groupFederatedObjects(await this.backendForId(userId).federatedObjectsOfUser(userId));
  }

  /** The user's federated identities replaced, in the user's transaction; one linked to another user is Keystone's 409. */
  private async linkFederatedObjects(
    repo: IdentityBackend,
    userId: string,
    objects: readonly FederatedObject[],
    name: string,
  ): Promise<void> {
    try {
      await repo.replaceFederatedObjects(userId, federatedObjectRows(objects), name);
    } catch (err) {
      if (isUniqueViolation(err)) throw new DuplicateEntry('federated_user', 'Duplicate entry');
      throw err;
    }
  }

  private async writeOptions(repo: IdentityBackend, userId: string, options: Record<string, unknown>): Promise<void> {
    for (const [name, value] of Object.entries(options)) {
      const spec = USER_OPTIONS[name as keyof typeof USER_OPTIONS];
      if (spec) await repo.setOption(userId, spec.id, value === null || value === undefined ? null : JSON.stringify(value));
    }
  }

  async createUser(input: CreateUserInput): Promise<User> {
    (await this.directories?.driverFor(input.domainId))?.assertWritable();
    if (input.password !== undefined) validatePasswordRules(this.conf, input.password);
    const id = input.id ?? newId();
    const name = input.name.trim();
    await this.resource.getDomainRef(input.domainId);
    await this.assertDefaultProjectNotDomain(input.defaultProjectId);
    const federated = input.federated?.length ? input.federated : null;
    if (federated) await assertFederatedObjectsExist(this.identityProviders, federated);
    const options = (input.options ?? {}) as UserOptions;
    const enabled = input.enabled ?? true;
    const hash = input.password === undefined ? undefined : await this.hashOrNull(input.password);
    const conflict = () => new DuplicateEntry('user', `Duplicate entry found with name ${name} at domain ID ${input.domainId}`);
    const backend = this.backendForDomain(input.domainId);
    if (await backend.getUserRowByName(name, input.domainId)) throw conflict();
    try {
      await backend.transaction(async (repo) => {
        const localId = await repo.insertUser({
          id,
          name,
          domain_id: input.domainId,
          enabled,
          default_project_id: input.defaultProjectId ?? null,
          extra: JSON.stringify(input.extra ?? {}),
          last_active_today: enabled && this.conf.security_compliance.disable_user_account_days_inactive !== null,
        });
        if (hash !== undefined) {
          // A password set by an administrator must be changed on first use when so configured (Keystone: expires now).
          const expires = this.changeRequired(options) ? new Date() : this.passwordExpiryFor(options);
          await repo.insertPassword(localId, hash, expires, false);
        }
        await this.writeOptions(repo, id, options);
        if (federated) await this.linkFederatedObjects(repo, id, federated, name);
      });
    } catch (err) {
      if (isUniqueViolation(err)) throw conflict();
      throw err;
    }
    await this.invalidate();
    return this.getUser(id);
  }

  /** Keystone's update_user: attributes merged, options merged (null removes), a password set as an administrator's reset. */
  async updateUser(id: string, patch: UserPatch): Promise<User> {
    await this.assertWritableUser(id);
    const old = await this.getUser(id);
    if ('domainId' in patch && patch.domainId !== old.domainId) throw new ValidationError('Cannot change Domain ID', false);
    if ('password' in patch) validatePasswordRules(this.conf, patch.password);
    const name = patch.name !== undefined ? patch.name.trim() : old.name;
    await this.assertDefaultProjectNotDomain(patch.defaultProjectId);
    const federated = patch.federated?.length ? patch.federated : null;
    if (federated) await assertFederatedObjectsExist(this.identityProviders, federated);
    const backend = this.backendForDomain(old.domainId);
    const row = await backend.getUserRow(id);
    if (!row) throw new EntityNotFound('user', id);
    const options = Object.fromEntries(Object.entries({ ...old.options, ...(patch.options ?? {}) }).filter(([, v]) => v !== null));
    const enabled = patch.enabled ?? old.enabled;
    const hash = 'password' in patch ? await this.hashOrNull(patch.password ?? null) : undefined;
    const defaultProjectId = 'defaultProjectId' in patch ? (patch.defaultProjectId ?? null) : old.defaultProjectId;
    const conflict = () =>
      new DuplicateEntry(
        'user',
        patch.domainId !== undefined
          ? `Duplicate entry found with name ${name} at domain ID ${patch.domainId}`
          : `Duplicate entry found with name ${name}`,
      );
    if (name !== old.name && (await backend.getUserRowByName(name, old.domainId))) throw conflict();
    try {
      await backend.transaction(async (repo) => {
        await repo.updateUser({
          id,
          name,
          enabled,
          default_project_id: defaultProjectId,
          extra: JSON.stringify({ ...old.extra, ...(patch.extra ?? {}) }),
        });
        if (patch.options) await this.writeOptions(repo, id, patch.options);
        if (federated) await this.linkFederatedObjects(repo, id, federated, name);
        else if (name !== old.name) {
          // the federated identities' display names follow a rename (Keystone's name setter writes the first one's)
          const linked = await repo.federatedObjectsOfUser(id);
          if (linked.length) await repo.replaceFederatedObjects(id, linked, name);
        }
        if (row.local_user_id !== null) {
          // Keystone's `enabled` setter: enabling (or keeping enabled) clears failed attempts and counts as activity.
          if (enabled) {
            await repo.setFailedAuth(row.local_user_id, 0, null);
            if (this.conf.security_compliance.disable_user_account_days_inactive !== null) await repo.setLastActive(id);
          }
          if (hash !== undefined) {
            const expires = this.changeRequired(options) ? new Date() : this.passwordExpiryFor(options);
            await this.storePassword(repo, row.local_user_id, hash, expires, false);
          }
        }
      });
    } catch (err) {
      if (isUniqueViolation(err)) throw conflict();
      throw err;
    }
    await this.invalidate();
    const disabled = patch.enabled === false && old.enabled;
    const passwordSet = 'password' in patch && patch.password !== null;
    if (disabled) await this.events.emit({ type: 'user.disabled', userId: id });
    if (passwordSet) await this.events.emit({ type: 'user.password_changed', userId: id, selfService: false });
    if (disabled || passwordSet) {
      await this.revocation.revokeUser(id);
      await this.revocation.dropTokenCache();
    }
    return this.getUser(id);
  }

  async deleteUser(id: string): Promise<void> {
    await this.assertWritableUser(id);
    const user = await this.getUser(id);
    await this.backendForDomain(user.domainId).deleteUser(id);
    await this.invalidate();
    await this.events.emit({ type: 'user.deleted', userId: id, domainId: user.domainId });
    await this.revocation.revokeUser(id);
    await this.revocation.dropTokenCache();
  }

  // ---- authentication and self-service password change ------------------------------

  /**
   * Keystone's SQL authenticate: locked → wrong password (counted) → disabled
   * → expired. Every failure a client must not tell apart is the same 401.
   */
  private async verifyPassword(
    user: User | null,
    password: string,
    signal?: AbortSignal,
  ): Promise<{ user: User; backend: IdentityBackend; row: UserRow; expired: boolean }> {
    this.checkPasswordLength(password);
    const backend = user ? this.backendForDomain(user.domainId) : null;
    const row = user && backend ? await backend.getUserRow(user.id) : null;
    if (!user || !backend || !row || row.local_user_id === null) {
      await this.passwordHasher.verifyAgainstDummy(password, signal);
      throw new Unauthorized();
    }
    const sc = this.conf.security_compliance;
    const lockoutEnabled = sc.lockout_failure_attempts !== null && !user.options.ignore_lockout_failure_attempts;
    if (lockoutEnabled && (row.failed_auth_count ?? 0) >= sc.lockout_failure_attempts) {
      const lockedUntil = (row.failed_auth_at?.getTime() ?? 0) + sc.lockout_duration * 1000;
      if (Date.now() < lockedUntil) throw new AccountLocked(user.id);
      await backend.setFailedAuth(row.local_user_id, 0, null);
    }
    const [current] = await backend.listPasswords(row.local_user_id, 1);
    const ok = current?.password_hash
      ? await this.passwordHasher.verify(password, current.password_hash, signal)
      : await this.passwordHasher.verifyAgainstDummy(password, signal);
    if (!ok) {
      await backend.incrementFailedAuth(row.local_user_id);
      if (lockoutEnabled && (row.failed_auth_count ?? 0) + 1 === sc.lockout_failure_attempts) recordLockout();
      throw new Unauthorized();
    }
    if (!user.enabled) throw new Unauthorized(`The account is disabled for user: ${user.id}.`);
    const expired = !!current?.expires_at && current.expires_at.getTime() <= Date.now() && !user.options.ignore_password_expiry;
    if (!expired && (row.failed_auth_count ?? 0) > 0) await backend.setFailedAuth(row.local_user_id, 0, null);
    return { user, backend, row, expired };
  }

  /**
   * Verifies a password for a user found by id or name. Throws Unauthorized
   * with one message for every failure a client must not tell apart.
   * `signal`: the client gone, a hash still waiting for its turn is not done
   * (ClientClosedRequest, and no failed attempt counted).
   */
  async authenticatePassword(user: User | null, password: string, signal?: AbortSignal): Promise<User> {
    const resolved = user ? await this.directories?.resolve(user.id, 'user') : null;
    if (resolved && this.directories) {
      this.checkPasswordLength(password);
      const fresh = await this.directories.user(resolved.domainId, await resolved.driver.authenticate(resolved.localId, password));
      if (!fresh.enabled) throw new Unauthorized(`The account is disabled for user: ${fresh.id}.`);
      return fresh;
    }
    const verified = await this.verifyPassword(user, password, signal);
    if (verified.expired) throw new PasswordExpired(verified.user.id);
    if (
      this.conf.security_compliance.disable_user_account_days_inactive !== null &&
      (await verified.backend.setLastActive(verified.user.id))
    ) {
      await this.invalidate();
    }
    return verified.user;
  }

  /**
   * For keystone-manage bootstrap: whether `password` is the local user's
   * current one and whether the user is stored enabled (inactivity not
   * counted); null for a user without a local entry.
   */
  async localPasswordState(
    userId: string,
    password: string,
  ): Promise<{ localUserId: number; enabled: boolean; passwordMatches: boolean } | null> {
    if (await this.directories?.resolve(userId, 'user')) return null;
    const backend = this.backendForId(userId);
    const row = await backend.getUserRow(userId);
    if (!row || row.local_user_id === null) return null;
    const [current] = await backend.listPasswords(row.local_user_id, 1);
    const passwordMatches = current?.password_hash ? await this.passwordHasher.verify(password, current.password_hash) : false;
    return { localUserId: row.local_user_id, enabled: row.enabled !== false, passwordMatches };
  }

  /**
   * POST /v3/users/{user_id}/password: the original password is checked
   * (an expired one may still be changed), then Keystone's self-service
   * rules: password_regex, lock_password, minimum_password_age,
   * unique_last_password_count. The user's tokens are revoked.
   */
  async changePassword(userId: string, originalPassword: string, newPassword: string): Promise<void> {
    await this.assertWritableUser(userId);
    const { user, backend, row } = await this.verifyPassword(await this.findUser(userId), originalPassword);
    const sc = this.conf.security_compliance;
    if (sc.disable_user_account_days_inactive !== null) await backend.setLastActive(user.id);
    validatePasswordRules(this.conf, newPassword);
    if (user.options.lock_password === true) throw new PasswordSelfServiceDisabled();
    const localUserId = row.local_user_id as number;
    const history = await backend.listPasswords(localUserId, Math.max(sc.unique_last_password_count, 1));
    const current = history[0];
    if (current?.self_service) {
      const minAge = current.created_at.getTime() + sc.minimum_password_age * DAY_MS;
      if (Date.now() < minAge) throw new PasswordAgeValidationError(sc.minimum_password_age, Math.floor((minAge - Date.now()) / DAY_MS));
    }
    this.checkPasswordLength(newPassword);
    if (sc.unique_last_password_count > 0) {
      for (const old of history.slice(0, sc.unique_last_password_count)) {
        if (old.password_hash && (await this.passwordHasher.verify(newPassword, old.password_hash))) {
          throw new PasswordHistoryValidationError(sc.unique_last_password_count);
        }
      }
    }
    const hash = await this.passwordHasher.hash(newPassword);
    await backend.transaction((repo) => this.storePassword(repo, localUserId, hash, this.passwordExpiryFor(user.options), true));
    await this.invalidate();
    await this.events.emit({ type: 'user.password_changed', userId, selfService: true });
    await this.revocation.revokeUser(userId);
  }

  /**
   * keystone-manage bootstrap run again on an existing user: the password set
   * anew unless it already matches (no history, rules or expiry: Keystone's
   * bootstrap resets it as it is), and the user enabled. A new password
   * revokes the user's tokens and drops the shared validation caches, so that
   * bootstrap is a way back after the admin password leaked. False when
   * nothing needed changing (or the user is not a local one).
   */
  async resetBootstrapUser(userId: string, password: string): Promise<boolean> {
    const state = await this.localPasswordState(userId, password);
    if (!state) return false;
    const { localUserId, passwordMatches: matches } = state;
    if (matches && state.enabled) return false;
    // Hashed before the transaction: beside a running embedded server, an open transaction holds every worker's queries.
    const newHash = matches ? null : await this.passwordHasher.hash(password);
    await this.backendForId(userId).transaction(async (repo) => {
      if (newHash !== null) await repo.insertPassword(localUserId, newHash, null, false);
      await repo.enableUser(userId);
    });
    await this.invalidate();
    if (!matches) {
      // Keystone's update_user with a password: every token issued before is revoked.
      await this.revocation.revokeUser(userId);
      await this.revocation.dropTokenCache();
    }
    return true;
  }

  // ---- groups ----------------------------------------------------------------------

  private groupFrom(row: GroupRow): Group {
    return { id: row.id, name: row.name, domainId: row.domain_id, description: row.description, extra: parseExtra(row.extra) };
  }

  private async loadGroup(id: string): Promise<Group | null> {
    const resolved = await this.directories?.resolve(id, 'group');
    if (resolved && this.directories) {
      const group = await resolved.driver.getGroup(resolved.localId);
      return group ? this.directories.group(resolved.domainId, group) : null;
    }
    const row = await this.backendForId(id).getGroupRow(id);
    return row ? this.groupFrom(row) : null;
  }

  async findGroup(id: string): Promise<Group | null> {
    if (!this.conf.identity.caching) return this.loadGroup(id);
    return this.cache.memoize(IDENTITY_CACHE_REGION, `group:${id}`, this.conf.identity.cache_time, () => this.loadGroup(id));
  }

  async getGroup(id: string): Promise<Group> {
    const g = await this.findGroup(id);
    if (!g) throw new EntityNotFound('group', id);
    return g;
  }

  async findGroupByName(name: string, domainId: string): Promise<Group | null> {
    const driver = await this.directories?.driverFor(domainId);
    if (driver && this.directories) {
      const group = await driver.getGroupByName(name);
      return group ? this.directories.group(domainId, group) : null;
    }
    const row = await this.backendForDomain(domainId).getGroupRowByName(name, domainId);
    return row ? this.groupFrom(row) : null;
  }

  async listGroups(filter: Pick<GroupListFilter, 'domainId'> = {}): Promise<Group[]> {
    const driver = await this.directories?.driverFor(filter.domainId);
    if (driver && this.directories && filter.domainId !== undefined) {
      const groups = await this.directories.groups(filter.domainId, await driver.listGroups({}));
      return groups.sort(byNameThenId);
    }
    return (await this.backendForDomain(filter.domainId).listGroupRows(filter)).map((r) => this.groupFrom(r));
  }

  /** The ids of the groups a user is a member of, unchecked (role look-ups: a user that is gone has none). */
  async groupIdsOfUser(userId: string): Promise<string[]> {
    const resolved = await this.directories?.resolve(userId, 'user');
    if (resolved && this.directories) {
      const groups = await this.directories.groups(resolved.domainId, await resolved.driver.listGroupsForUser(resolved.localId));
      return groups.map((g) => g.id);
    }
    return this.backendForId(userId).groupIdsOfUser(userId, this.conf.federation.default_authorization_ttl);
  }

  /** The ids of a group's members, unchecked (role assignment listing: a group that is gone has none). */
  async memberIdsOfGroup(groupId: string): Promise<string[]> {
    const resolved = await this.directories?.resolve(groupId, 'group');
    if (resolved && this.directories) {
      const users = await this.directories.users(resolved.domainId, (await resolved.driver.listUsersInGroup(resolved.localId)) ?? []);
      return users.map((u) => u.id);
    }
    return this.backendForId(groupId).memberIds(groupId);
  }

  async listGroupsForUser(userId: string): Promise<Group[]> {
    const user = await this.getUser(userId);
    const resolved = await this.directories?.resolve(userId, 'user');
    if (resolved && this.directories) {
      const groups = await this.directories.groups(resolved.domainId, await resolved.driver.listGroupsForUser(resolved.localId));
      return groups.sort(byNameThenId);
    }
    return (
      await this.backendForDomain(user.domainId).listGroupRows({
        memberId: userId,
        defaultTtlMinutes: this.conf.federation.default_authorization_ttl,
      })
    ).map((r) => this.groupFrom(r));
  }

  async createGroup(input: {
    id?: string;
    name: string;
    domainId: string;
    description?: string | null;
    extra?: Record<string, unknown>;
  }): Promise<Group> {
    const name = input.name.trim();
    await this.resource.getDomainRef(input.domainId);
    (await this.directories?.driverFor(input.domainId))?.assertWritable();
    if (name.length > 64) throw new StringLengthExceeded(name, 'name', 64);
    const id = input.id ?? newId();
    const conflict = () => new DuplicateEntry('group', `Duplicate entry found with name ${name} at domain ID ${input.domainId}`);
    const backend = this.backendForDomain(input.domainId);
    if (await backend.getGroupRowByName(name, input.domainId)) throw conflict();
    try {
      await backend.insertGroup({
        id,
        name,
        domain_id: input.domainId,
        description: input.description === undefined ? '' : input.description,
        extra: JSON.stringify(input.extra ?? {}),
      });
    } catch (err) {
      if (isUniqueViolation(err)) throw conflict();
      throw err;
    }
    await this.invalidate();
    return this.getGroup(id);
  }

  async updateGroup(id: string, patch: GroupPatch): Promise<Group> {
    await this.assertWritableGroup(id);
    const old = await this.getGroup(id);
    if ('domainId' in patch && patch.domainId !== old.domainId) throw new ValidationError('Cannot change Domain ID', false);
    const name = patch.name !== undefined ? patch.name.trim() : old.name;
    if (name.length > 64) throw new StringLengthExceeded(name, 'name', 64);
    const conflict = () =>
      new DuplicateEntry(
        'group',
        patch.domainId !== undefined
          ? `Duplicate entry found with name ${name} at domain ID ${patch.domainId}`
          : `Duplicate entry found with name ${name}`,
      );
    const backend = this.backendForDomain(old.domainId);
    if (name !== old.name && (await backend.getGroupRowByName(name, old.domainId))) throw conflict();
    try {
      await backend.updateGroup({
        id,
        name,
        domain_id: old.domainId,
        description: 'description' in patch ? (patch.description ?? null) : old.description,
        extra: JSON.stringify({ ...old.extra, ...(patch.extra ?? {}) }),
      });
    } catch (err) {
      if (isUniqueViolation(err)) throw conflict();
      throw err;
    }
    await this.invalidate();
    return this.getGroup(id);
  }

  /**
   * Keystone's delete_group. The event names the members: the assignment
   * manager drops the group's grants and, when it held any, revokes the
   * members' tokens.
   */
  async deleteGroup(id: string): Promise<void> {
    await this.assertWritableGroup(id);
    const group = await this.getGroup(id);
    const backend = this.backendForDomain(group.domainId);
    const memberIds = await backend.memberIds(id);
    await backend.deleteGroup(id);
    await this.invalidate();
    await this.events.emit({ type: 'group.deleted', groupId: id, domainId: group.domainId, memberIds });
  }

  async addUserToGroup(userId: string, groupId: string): Promise<void> {
    await this.assertSameBackend(userId, groupId);
    const group = await this.getGroup(groupId);
    await this.getUser(userId);
    await this.backendForDomain(group.domainId).addMember(userId, groupId);
    await this.invalidate();
    await this.events.emit({ type: 'user.added_to_group', userId, groupId });
  }

  /**
   * Keystone's _assert_user_and_group_in_same_backend: a membership lives in
   * one driver, which must hold both (a directory's then refuses the write).
   */
  private async assertSameBackend(userId: string, groupId: string): Promise<void> {
    if (!this.directories?.active) return;
    const group = await this.directories.resolve(groupId, 'group');
    const user = await this.directories.resolve(userId, 'user');
    if (!group && !user) return;
    if (group && user && group.domainId === user.domainId) {
      group.driver.assertWritable();
      return;
    }
    await this.getGroup(groupId);
    await this.getUser(userId);
    // Keystone's CrossBackendNotAllowed
    throw new Forbidden(`Group membership across backend boundaries is not allowed. Group in question is ${groupId}, user is ${userId}.`);
  }

  private notInGroup(userId: string, groupId: string): NotFound {
    return new NotFound(`User '${userId}' not found in group '${groupId}'`);
  }

  async checkUserInGroup(userId: string, groupId: string): Promise<void> {
    const resolvedGroup = await this.directories?.resolve(groupId, 'group');
    if (resolvedGroup) {
      await this.getGroup(groupId);
      await this.getUser(userId);
      const resolvedUser = await this.directories?.resolve(userId, 'user');
      const member =
        resolvedUser?.domainId === resolvedGroup.domainId &&
        (await resolvedGroup.driver.isMember(resolvedUser.localId, resolvedGroup.localId));
      if (!member) throw this.notInGroup(userId, groupId);
      return;
    }
    const group = await this.getGroup(groupId);
    await this.getUser(userId);
    if (!(await this.backendForDomain(group.domainId).isMember(userId, groupId))) throw this.notInGroup(userId, groupId);
  }

  async removeUserFromGroup(userId: string, groupId: string): Promise<void> {
    await this.assertSameBackend(userId, groupId);
    if ((await this.backendForId(groupId).removeMember(userId, groupId)) === 0) {
      await this.getGroup(groupId);
      await this.getUser(userId);
      throw this.notInGroup(userId, groupId);
    }
    await this.invalidate();
    await this.events.emit({ type: 'user.removed_from_group', userId, groupId });
    await this.revocation.revokeUser(userId);
  }

  // ---- reacting to the resource manager ------------------------------------------------

  private async onResourceEvent(event: ResourceEvent): Promise<void> {
    if (event.type === 'project.deleted') {
      await this.backendForDomain(undefined).unsetDefaultProject(event.projectId);
      await this.invalidate();
    } else if (event.type === 'domain.deleting') {
      if (this.directories && (await this.directories.driverFor(event.domainId))) {
        // a directory's entities are not ours to delete; their public ids go
        await this.directories.forgetDomain(event.domainId);
        return;
      }
      // Keystone's _domain_deleted: the domain's groups, then its users.
      for (const group of await this.listGroups({ domainId: event.domainId })) await this.deleteGroup(group.id);
      for (const user of await this.listUsers({ domainId: event.domainId })) await this.deleteUser(user.id);
    }
  }

  /** Closes the directory drivers' connections (keystone-manage, shutdown). */
  async close(): Promise<void> {
    await this.directories?.close();
  }

  async invalidate(): Promise<void> {
    await this.cache.invalidate(IDENTITY_CACHE_REGION, ASSIGNMENT_CACHE_REGION);
  }
}
