/**
 * Keystone's role_api: roles (global and domain-specific, with the
 * `immutable` resource option) and implied roles, with the role cache.
 * AssignmentManager (assignment-manager.ts) extends it with grants, the role
 * assignment listing and the effective roles of a user; one object serves
 * as both role_api and assignment_api (src/common/provider-api.ts).
 *
 * Every change invalidates the assignment cache region; every removal also
 * drops cached token validations (Keystone's invalidate_token_cache).
 */
import { isUniqueViolation } from '../storage/sql-errors.js';
import type { Cache } from '../cache/cache.js';
import type { KeystoneConfig } from '../config/options.js';
import { Conflict, DuplicateEntry, EntityNotFound, ValidationError } from '../common/errors.js';
import { newId } from '../common/ids.js';
import { parseExtra } from '../resource/resource-types.js';
import type { RevocationPort } from '../resource/revocation-port.js';
import type { AssignmentBackend } from './assignment-backend.js';
import { AssignmentEvents } from './assignment-events.js';
import { ImpliedRoleNotFound, InvalidImpliedRole, ResourceDeleteForbidden, ResourceUpdateForbidden } from './assignment-errors.js';
import { NULL_DOMAIN_ID, type Role, type RoleRow, type StoredRole } from './assignment-types.js';

export const ASSIGNMENT_CACHE_REGION = 'assignment';

/** Keystone's role resource options: option id (role_option.option_id) ↔ name. */
export const ROLE_OPTIONS: readonly { id: string; name: string }[] = [{ id: 'IMMU', name: 'immutable' }];

function optionsFromStored(stored: Record<string, string | null>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const opt of ROLE_OPTIONS) {
    if (!(opt.id in stored)) continue;
    const text = stored[opt.id];
    try {
      out[opt.name] = text === null ? null : JSON.parse(text);
    } catch {
      out[opt.name] = text;
    }
  }
  return out;
}

/** Options by name ({immutable: true}) → option id → JSON text, null to remove. */
function optionsToStored(options: Record<string, unknown>): Record<string, string | null> {
  const out: Record<string, string | null> = {};
  for (const opt of ROLE_OPTIONS) {
    if (!(opt.name in options)) continue;
    const v = options[opt.name];
    out[opt.id] = v === null || v === undefined ? null : JSON.stringify(v);
  }
  return out;
}

export function roleFromRow(row: RoleRow, storedOptions: Record<string, string | null> = {}): Role {
  const extra = parseExtra(row.extra);
  // Roles written before options moved to role_option kept them in extra.
  const { options: legacyOptions, ...rest } = extra as { options?: Record<string, unknown> };
  return {
    id: row.id,
    name: row.name,
    domainId: row.domain_id === NULL_DOMAIN_ID ? null : row.domain_id,
    description: row.description,
    options: { ...(legacyOptions ?? {}), ...optionsFromStored(storedOptions) },
    extra: rest,
  };
}

function isImmutable(role: Role): boolean {
  return role.options.immutable === true;
}

export interface RoleInput {
  id?: string;
  name: string;
  domainId?: string | null;
  description?: string | null;
  options?: Record<string, unknown>;
  extra?: Record<string, unknown>;
}

export interface RolePatch {
  name?: string;
  domainId?: string | null;
  description?: string | null;
  options?: Record<string, unknown>;
  extra?: Record<string, unknown>;
}

export class RoleManager {
  /** role deletions and grant removals, for the managers that depend on them */
  readonly events = new AssignmentEvents();

  constructor(
    protected readonly backend: AssignmentBackend,
    protected readonly cache: Cache,
    protected readonly conf: KeystoneConfig,
    /** token cache drops on removals */
    protected readonly revocation: RevocationPort,
  ) {}

  protected ttl(): number | null {
    return this.conf.role.cache_time;
  }

  listLimit(): number | null {
    return this.conf.role.list_limit ?? this.conf.DEFAULT.list_limit ?? null;
  }

  // ---- roles --------------------------------------------------------------------------

  private async storedRole(id: string): Promise<StoredRole | null> {
    if (!this.conf.role.caching) return this.backend.getStoredRole(id);
    return this.cache.memoize(ASSIGNMENT_CACHE_REGION, `role-v2:${id}`, this.ttl(), () => this.backend.getStoredRole(id));
  }

  async findRole(id: string): Promise<Role | null> {
    const stored = await this.storedRole(id);
    return stored ? roleFromRow(stored.row, stored.options) : null;
  }

  /** Roles by id (null where none): memoized one by one with a cache, else read in one statement. */
  async findRoles(ids: string[]): Promise<(Role | null)[]> {
    if (this.conf.cache.enabled && this.conf.role.caching) return Promise.all(ids.map((id) => this.findRole(id)));
    const byId = new Map((await this.backend.getStoredRoles(ids)).map((s) => [s.row.id, s]));
    return ids.map((id) => {
      const stored = byId.get(id);
      return stored ? roleFromRow(stored.row, stored.options) : null;
    });
  }

  async getRole(id: string): Promise<Role> {
    const r = await this.findRole(id);
    if (!r) throw new EntityNotFound('role', id);
    return r;
  }

  async findRoleByName(name: string, domainId: string | null = null): Promise<Role | null> {
    const row = await this.backend.getRoleRowByName(name, domainId ?? NULL_DOMAIN_ID);
    if (!row) return null;
    return roleFromRow(row, (await this.backend.roleOptions([row.id])).get(row.id));
  }

  private async rolesFromRows(rows: RoleRow[]): Promise<Role[]> {
    const options = await this.backend.roleOptions(rows.map((r) => r.id));
    return rows.map((r) => roleFromRow(r, options.get(r.id)));
  }

  /** Roles by name and domain; domainId null (or undefined) lists the global roles. */
  async listRoles(filter: { name?: string; domainId?: string | null } = {}): Promise<Role[]> {
    return this.rolesFromRows(await this.backend.listRoleRows({ name: filter.name, domainId: filter.domainId ?? NULL_DOMAIN_ID }));
  }

  /** The roles of these ids that exist (Keystone's list_roles_from_ids). */
  async listRolesFromIds(ids: string[]): Promise<Role[]> {
    return this.rolesFromRows(await this.backend.listRoleRows({ ids: [...new Set(ids)] }));
  }

  private static duplicateRole(name: string, domainId: string | null | undefined): DuplicateEntry {
    return new DuplicateEntry(
      'role',
      domainId ? `Duplicate entry found with name ${name} at domain ID ${domainId}` : `Duplicate entry found with name ${name}`,
    );
  }

  async createRole(input: RoleInput): Promise<Role> {
    const domainId = input.domainId ?? NULL_DOMAIN_ID;
    if (await this.backend.getRoleRowByName(input.name, domainId)) throw RoleManager.duplicateRole(input.name, input.domainId);
    const id = input.id ?? newId();
    if (await this.backend.getRoleRow(id)) throw new DuplicateEntry('role', `Duplicate entry found with ID ${id}`);
    try {
      await this.backend.transaction(async (repo) => {
        await repo.insertRole({
          id,
          name: input.name,
          extra: JSON.stringify(input.extra ?? {}),
          domain_id: domainId,
          description: input.description ?? null,
        });
        const options = Object.fromEntries(Object.entries(optionsToStored(input.options ?? {})).filter(([, v]) => v !== null));
        await repo.setRoleOptions(id, options);
      });
    } catch (err) {
      if (isUniqueViolation(err)) throw RoleManager.duplicateRole(input.name, input.domainId);
      throw err;
    }
    await this.invalidate();
    return this.getRole(id);
  }

  /**
   * Keystone's update_role: an immutable role only accepts turning
   * `immutable` off; domain_id cannot change; `patchKeys` are the keys the
   * client sent (the immutable check counts them).
   */
  async updateRole(id: string, patch: RolePatch, patchKeys: string[]): Promise<Role> {
    const original = await this.getRole(id);
    if (isImmutable(original)) {
      const newOptions = patch.options ?? {};
      if (patchKeys.length > 1 || !('immutable' in newOptions) || !(newOptions.immutable === false || newOptions.immutable === null)) {
        throw new ResourceUpdateForbidden('role', id);
      }
    }
    if (patchKeys.includes('domain_id') && (patch.domainId ?? null) !== original.domainId) {
      throw new ValidationError('Update of `domain_id` is not allowed.', false);
    }
    const name = patch.name ?? original.name;
    const domainId = original.domainId ?? NULL_DOMAIN_ID;
    if (name !== original.name) {
      const other = await this.backend.getRoleRowByName(name, domainId);
      if (other && other.id !== id) throw RoleManager.duplicateRole(name, patchKeys.includes('domain_id') ? patch.domainId : undefined);
    }
    const extra = { ...original.extra, ...(patch.extra ?? {}) };
    try {
      await this.backend.transaction(async (repo) => {
        await repo.updateRole({
          id,
          name,
          domain_id: domainId,
          extra: JSON.stringify(extra),
          description: 'description' in patch ? (patch.description ?? null) : original.description,
        });
        if (patch.options) await repo.setRoleOptions(id, optionsToStored(patch.options));
      });
    } catch (err) {
      if (isUniqueViolation(err)) throw RoleManager.duplicateRole(name, undefined);
      throw err;
    }
    await this.invalidate();
    return this.getRole(id);
  }

  /** Keystone's delete_role: refused for immutable roles; the role's assignments and implications go too. */
  async deleteRole(id: string): Promise<void> {
    const role = await this.getRole(id);
    if (isImmutable(role)) throw new ResourceDeleteForbidden('role', id);
    const holders = await this.backend.queryAssignments({ types: ['UserProject'], roleId: id });
    await this.events.emit({
      type: 'role.deleting',
      roleId: id,
      userProjects: holders.map((h) => ({ userId: h.actor_id, projectId: h.target_id })),
    });
    await this.backend.transaction((repo) => repo.deleteRole(id));
    await this.invalidate();
    await this.events.emit({ type: 'role.deleted', roleId: id });
    // "Invalidating the token cache because role … has been removed."
    await this.revocation.dropTokenCache();
  }

  // ---- implied roles ------------------------------------------------------------------

  /** For keystone-manage bootstrap: idempotent, no checks. */
  async createImpliedRole(priorRoleId: string, impliedRoleId: string): Promise<void> {
    await this.backend.insertImpliedRole(priorRoleId, impliedRoleId);
    await this.invalidate();
  }

  /**
   * The API's create_implied_role: both roles must exist, the implied role's
   * name must not be in [assignment] prohibited_implied_role, a global role
   * cannot imply a domain-specific one, and the pair must be new.
   * Cycles are allowed, as in Keystone; expansion walks each one once.
   */
  async addImpliedRole(priorRoleId: string, impliedRoleId: string): Promise<void> {
    const implied = await this.getRole(impliedRoleId);
    const prior = await this.getRole(priorRoleId);
    if (this.conf.assignment.prohibited_implied_role.includes(implied.name)) {
      throw new InvalidImpliedRole(impliedRoleId);
    }
    if (prior.domainId === null && implied.domainId !== null) {
      throw new InvalidImpliedRole(
        impliedRoleId,
        this.conf.DEFAULT.insecure_debug ? 'Global role cannot imply a domain-specific role' : undefined,
      );
    }
    if (!(await this.backend.insertImpliedRole(priorRoleId, impliedRoleId))) {
      throw new Conflict('Conflict occurred attempting to store implied_role - Duplicate entry.');
    }
    await this.invalidate();
  }

  async checkImpliedRole(priorRoleId: string, impliedRoleId: string): Promise<void> {
    if (!(await this.backend.impliedRoleExists(priorRoleId, impliedRoleId))) throw new ImpliedRoleNotFound(priorRoleId, impliedRoleId);
  }

  async deleteImpliedRole(priorRoleId: string, impliedRoleId: string): Promise<void> {
    if ((await this.backend.deleteImpliedRole(priorRoleId, impliedRoleId)) === 0) throw new ImpliedRoleNotFound(priorRoleId, impliedRoleId);
    await this.invalidate();
    await this.revocation.dropTokenCache();
  }

  /** The roles a role implies directly. */
  async listImpliedRoles(priorRoleId: string): Promise<Role[]> {
    const ids = await this.backend.listImpliedRoleIds(priorRoleId);
    const roles: Role[] = [];
    for (const id of ids) roles.push(await this.getRole(id));
    return roles;
  }

  /** Every implication (prior role id → implied role ids). */
  async listRoleInferenceRules(): Promise<{ priorRoleId: string; impliedRoleId: string }[]> {
    return (await this.backend.listImpliedRolePairs()).map((p) => ({ priorRoleId: p.prior_role_id, impliedRoleId: p.implied_role_id }));
  }

  /** prior role id → the role ids it implies directly */
  async impliedRoleMap(): Promise<Record<string, string[]>> {
    return this.cache.memoize(ASSIGNMENT_CACHE_REGION, 'implied-map', this.ttl(), async () => {
      const map: Record<string, string[]> = {};
      for (const p of await this.backend.listImpliedRolePairs()) (map[p.prior_role_id] ??= []).push(p.implied_role_id);
      return map;
    });
  }

  /** The role ids plus every role they imply, transitively. */
  async expandImpliedRoles(roleIds: Iterable<string>): Promise<string[]> {
    const map = await this.impliedRoleMap();
    const seen = new Set<string>();
    const stack = [...roleIds];
    while (stack.length) {
      const id = stack.pop() as string;
      if (seen.has(id)) continue;
      seen.add(id);
      for (const implied of map[id] ?? []) stack.push(implied);
    }
    return [...seen];
  }

  invalidate(): Promise<void> {
    return this.cache.invalidate(ASSIGNMENT_CACHE_REGION);
  }
}
