/**
 * Keystone's assignment_api and role_api: roles (global and domain-specific,
 * with the `immutable` resource option), implied roles, grants of roles to
 * users and groups on projects, domains (OS-INHERIT inherited ones too) and
 * the system, the role assignment listing, and the effective roles of a user
 * on a project, a domain or the system (for tokens).
 *
 * Every change invalidates the assignment cache region; every removal also
 * drops cached token validations (Keystone's invalidate_token_cache), so
 * that tokens are recomputed from SQL on every node.
 *
 * It follows the identity and resource managers: a deleted user, group,
 * project or domain takes its grants with it.
 */
import type { Database } from '../storage/database.js';
import { isUniqueViolation } from '../storage/sql-errors.js';
import type { Cache } from '../cache/cache.js';
import type { KeystoneConfig } from '../config/options.js';
import { Conflict, DuplicateEntry, EntityNotFound, ValidationError } from '../common/errors.js';
import { newId } from '../common/ids.js';
import { parseExtra } from '../resource/resource-types.js';
import type { IdentityManager } from '../identity/identity-manager.js';
import type { IdentityEvent } from '../identity/identity-events.js';
import type { ResourceManager } from '../resource/resource-manager.js';
import type { ResourceEvent } from '../resource/resource-events.js';
import { NO_REVOCATION, type RevocationPort } from '../resource/revocation-port.js';
import { AssignmentRepository } from './assignment-repository.js';
import { RoleAssignmentLister } from './role-assignment-listing.js';
import { AssignmentEvents } from './assignment-events.js';
import { DomainSpecificRoleMismatch, ImpliedRoleNotFound, InvalidImpliedRole, ResourceDeleteForbidden, ResourceUpdateForbidden, RoleAssignmentNotFound } from './assignment-errors.js';
import {
  NULL_DOMAIN_ID, SYSTEM_TARGET_ID,
  type AssignmentListFilter, type AssignmentRef, type AssignmentRow, type AssignmentType, type GrantActor, type GrantTarget,
  type NamedAssignmentRef, type Role, type RoleRow, type StoredRole, type SystemAssignmentType,
} from './assignment-types.js';

export type { GrantTarget, GrantActor } from './assignment-types.js';

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
    id: row.id, name: row.name, domainId: row.domain_id === NULL_DOMAIN_ID ? null : row.domain_id,
    description: row.description, options: { ...(legacyOptions ?? {}), ...optionsFromStored(storedOptions) }, extra: rest,
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

const PROJECT_TYPES: AssignmentType[] = ['UserProject', 'GroupProject'];
const DOMAIN_TYPES: AssignmentType[] = ['UserDomain', 'GroupDomain'];

export class AssignmentManager {
  readonly repository: AssignmentRepository;
  /** role deletions and grant removals, for the managers that depend on them */
  readonly events = new AssignmentEvents();
  private readonly lister: RoleAssignmentLister;
  private revocation: RevocationPort = NO_REVOCATION;

  constructor(
    private readonly db: Database,
    private readonly cache: Cache,
    private readonly conf: KeystoneConfig,
    private readonly identity: IdentityManager,
    private readonly resource: ResourceManager,
  ) {
    this.repository = new AssignmentRepository(db);
    this.lister = new RoleAssignmentLister(this.repository, identity, resource, {
      findRole: (id) => this.findRole(id),
      impliedRoleMap: () => this.impliedRoleMap(),
      systemGrantRoleIds: async (actorId, kind) => (await this.listSystemGrants(kind === 'user' ? { userId: actorId } : { groupId: actorId })).map((r) => r.id),
    });
    identity?.events?.on((event) => this.onIdentityEvent(event));
    resource?.events?.on((event) => this.onResourceEvent(event));
  }

  /** src/server/services.ts installs src/revoke here (token cache drops on removals). */
  installRevocation(port: RevocationPort): void {
    this.revocation = port;
  }

  private ttl(): number | null {
    return this.conf.role.cache_time;
  }

  listLimit(): number | null {
    return this.conf.role.list_limit ?? this.conf.DEFAULT.list_limit ?? null;
  }

  // ---- roles --------------------------------------------------------------------------

  private async storedRole(id: string): Promise<StoredRole | null> {
    if (!this.conf.role.caching) return this.repository.getStoredRole(id);
    return this.cache.memoize(ASSIGNMENT_CACHE_REGION, `role-v2:${id}`, this.ttl(), () => this.repository.getStoredRole(id));
  }

  async findRole(id: string): Promise<Role | null> {
    const stored = await this.storedRole(id);
    return stored ? roleFromRow(stored.row, stored.options) : null;
  }

  async getRole(id: string): Promise<Role> {
    const r = await this.findRole(id);
    if (!r) throw new EntityNotFound('role', id);
    return r;
  }

  async findRoleByName(name: string, domainId: string | null = null): Promise<Role | null> {
    const row = await this.repository.getRoleRowByName(name, domainId ?? NULL_DOMAIN_ID);
    if (!row) return null;
    return roleFromRow(row, (await this.repository.roleOptions([row.id])).get(row.id));
  }

  private async rolesFromRows(rows: RoleRow[]): Promise<Role[]> {
    const options = await this.repository.roleOptions(rows.map((r) => r.id));
    return rows.map((r) => roleFromRow(r, options.get(r.id)));
  }

  /** Roles by name and domain; domainId null (or undefined) lists the global roles. */
  async listRoles(filter: { name?: string; domainId?: string | null } = {}): Promise<Role[]> {
    return this.rolesFromRows(await this.repository.listRoleRows({ name: filter.name, domainId: filter.domainId ?? NULL_DOMAIN_ID }));
  }

  /** The roles of these ids that exist (Keystone's list_roles_from_ids). */
  async listRolesFromIds(ids: string[]): Promise<Role[]> {
    return this.rolesFromRows(await this.repository.listRoleRows({ ids: [...new Set(ids)] }));
  }

  private static duplicateRole(name: string, domainId: string | null | undefined): DuplicateEntry {
    return new DuplicateEntry('role', domainId ? `Duplicate entry found with name ${name} at domain ID ${domainId}` : `Duplicate entry found with name ${name}`);
  }

  async createRole(input: RoleInput): Promise<Role> {
    const domainId = input.domainId ?? NULL_DOMAIN_ID;
    if (await this.repository.getRoleRowByName(input.name, domainId)) throw AssignmentManager.duplicateRole(input.name, input.domainId);
    const id = input.id ?? newId();
    if (await this.repository.getRoleRow(id)) throw new DuplicateEntry('role', `Duplicate entry found with ID ${id}`);
    try {
      await this.db.tx(async (t) => {
        const repo = new AssignmentRepository(t);
        await repo.insertRole({ id, name: input.name, extra: JSON.stringify(input.extra ?? {}), domain_id: domainId, description: input.description ?? null });
        const options = optionsToStored(input.options ?? {});
        for (const k of Object.keys(options)) if (options[k] === null) delete options[k];
        await repo.setRoleOptions(id, options);
      });
    } catch (err) {
      if (isUniqueViolation(err)) throw AssignmentManager.duplicateRole(input.name, input.domainId);
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
      const other = await this.repository.getRoleRowByName(name, domainId);
      if (other && other.id !== id) throw AssignmentManager.duplicateRole(name, patchKeys.includes('domain_id') ? patch.domainId : undefined);
    }
    const extra = { ...original.extra, ...(patch.extra ?? {}) };
    try {
      await this.db.tx(async (t) => {
        const repo = new AssignmentRepository(t);
        await repo.updateRole({
          id, name, domain_id: domainId, extra: JSON.stringify(extra),
          description: 'description' in patch ? patch.description ?? null : original.description,
        });
        if (patch.options) await repo.setRoleOptions(id, optionsToStored(patch.options));
      });
    } catch (err) {
      if (isUniqueViolation(err)) throw AssignmentManager.duplicateRole(name, undefined);
      throw err;
    }
    await this.invalidate();
    return this.getRole(id);
  }

  /** Keystone's delete_role: refused for immutable roles; the role's assignments and implications go too. */
  async deleteRole(id: string): Promise<void> {
    const role = await this.getRole(id);
    if (isImmutable(role)) throw new ResourceDeleteForbidden('role', id);
    const holders = await this.repository.queryAssignments({ types: ['UserProject'], roleId: id });
    await this.events.emit({ type: 'role.deleting', roleId: id, userProjects: holders.map((h) => ({ userId: h.actor_id, projectId: h.target_id })) });
    await this.db.tx(async (t) => {
      await new AssignmentRepository(t).deleteRole(id);
    });
    await this.invalidate();
    await this.events.emit({ type: 'role.deleted', roleId: id });
    // "Invalidating the token cache because role … has been removed."
    await this.revocation.dropTokenCache();
  }

  // ---- implied roles ------------------------------------------------------------------

  /** For keystone-manage bootstrap: idempotent, no checks. */
  async createImpliedRole(priorRoleId: string, impliedRoleId: string): Promise<void> {
    await this.repository.insertImpliedRole(priorRoleId, impliedRoleId);
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
      throw new InvalidImpliedRole(impliedRoleId, this.conf.DEFAULT.insecure_debug ? 'Global role cannot imply a domain-specific role' : undefined);
    }
    if (!(await this.repository.insertImpliedRole(priorRoleId, impliedRoleId))) {
      throw new Conflict('Conflict occurred attempting to store implied_role - Duplicate entry.');
    }
    await this.invalidate();
  }

  async checkImpliedRole(priorRoleId: string, impliedRoleId: string): Promise<void> {
    if (!(await this.repository.impliedRoleExists(priorRoleId, impliedRoleId))) throw new ImpliedRoleNotFound(priorRoleId, impliedRoleId);
  }

  async deleteImpliedRole(priorRoleId: string, impliedRoleId: string): Promise<void> {
    if ((await this.repository.deleteImpliedRole(priorRoleId, impliedRoleId)) === 0) throw new ImpliedRoleNotFound(priorRoleId, impliedRoleId);
    await this.invalidate();
    await this.revocation.dropTokenCache();
  }

  /** The roles a role implies directly. */
  async listImpliedRoles(priorRoleId: string): Promise<Role[]> {
    const ids = await this.repository.listImpliedRoleIds(priorRoleId);
    const roles: Role[] = [];
    for (const id of ids) roles.push(await this.getRole(id));
    return roles;
  }

  /** Every implication (prior role id → implied role ids). */
  async listRoleInferenceRules(): Promise<{ priorRoleId: string; impliedRoleId: string }[]> {
    return (await this.repository.listImpliedRolePairs()).map((p) => ({ priorRoleId: p.prior_role_id, impliedRoleId: p.implied_role_id }));
  }

  /** prior role id → the role ids it implies directly */
  async impliedRoleMap(): Promise<Record<string, string[]>> {
    return this.cache.memoize(ASSIGNMENT_CACHE_REGION, 'implied-map', this.ttl(), async () => {
      const map: Record<string, string[]> = {};
      for (const p of await this.repository.listImpliedRolePairs()) (map[p.prior_role_id] ??= []).push(p.implied_role_id);
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

  // ---- effective roles for tokens -----------------------------------------------------

  /** Effective roles for the token: implied roles expanded, domain-specific roles dropped (their implications kept). */
  private async effectiveRoles(directRoleIds: Set<string>): Promise<Role[]> {
    if (directRoleIds.size === 0) return [];
    const roles: Role[] = [];
    for (const id of await this.expandImpliedRoles(directRoleIds)) {
      const role = await this.findRole(id);
      if (role && role.domainId === null) roles.push(role);
    }
    return roles.sort((a, b) => a.name.localeCompare(b.name));
  }

  private async actorIds(userId: string): Promise<string[]> {
    return [userId, ...(await this.identity.groupIdsOfUser(userId))];
  }

  async rolesForUserOnProject(userId: string, projectId: string): Promise<Role[]> {
    return this.cache.memoize(ASSIGNMENT_CACHE_REGION, `up:${userId}:${projectId}`, this.ttl(), async () => {
      const actors = await this.actorIds(userId);
      const project = await this.resource.findProject(projectId);
      if (!project) return [];
      const parents = (await this.resource.listParents(projectId)).map((p) => p.id);
      const rows: AssignmentRow[] = [
        ...(await this.repository.listAssignments(PROJECT_TYPES, actors, [projectId], false)),
        ...(await this.repository.listAssignments(PROJECT_TYPES, actors, parents, true)),
        ...(await this.repository.listAssignments(DOMAIN_TYPES, actors, [project.domainId], true)),
      ];
      return this.effectiveRoles(new Set(rows.map((r) => r.role_id)));
    });
  }

  async rolesForUserOnDomain(userId: string, domainId: string): Promise<Role[]> {
    return this.cache.memoize(ASSIGNMENT_CACHE_REGION, `ud:${userId}:${domainId}`, this.ttl(), async () => {
      const actors = await this.actorIds(userId);
      const rows = await this.repository.listAssignments(DOMAIN_TYPES, actors, [domainId], false);
      return this.effectiveRoles(new Set(rows.map((r) => r.role_id)));
    });
  }

  async rolesForUserOnSystem(userId: string): Promise<Role[]> {
    return this.cache.memoize(ASSIGNMENT_CACHE_REGION, `us:${userId}`, this.ttl(), async () => {
      const actors = await this.actorIds(userId);
      const rows = await this.repository.listSystemAssignments(['UserSystem', 'GroupSystem'], actors);
      return this.effectiveRoles(new Set(rows.map((r) => r.role_id)));
    });
  }

  /** Project ids on which the user has any effective role. */
  async projectIdsForUser(userId: string): Promise<string[]> {
    const actors = await this.actorIds(userId);
    const rows = await this.repository.listTargetsOfActors(actors);
    const ids = new Set<string>();
    for (const r of rows) {
      if (r.type === 'UserProject' || r.type === 'GroupProject') {
        if (!r.inherited) ids.add(r.target_id);
        else for (const child of await this.resource.listSubtree(r.target_id)) ids.add(child.id);
      } else if (r.inherited) {
        for (const p of await this.resource.listProjects({ domainId: r.target_id })) ids.add(p.id);
      }
    }
    return [...ids];
  }

  /** Domain ids on which the user has any (non-inherited) role. */
  async domainIdsForUser(userId: string): Promise<string[]> {
    const actors = await this.actorIds(userId);
    const rows = await this.repository.listTargetsOfActors(actors);
    return [...new Set(rows.filter((r) => (r.type === 'UserDomain' || r.type === 'GroupDomain') && !r.inherited).map((r) => r.target_id))];
  }

  // ---- grants -------------------------------------------------------------------------

  grantRow(roleId: string, actor: GrantActor, target: GrantTarget, inherited: boolean): AssignmentRow {
    const actorKind = actor.userId ? 'User' : 'Group';
    const actorId = (actor.userId ?? actor.groupId) as string;
    if (target.system) return { type: `${actorKind}System`, actor_id: actorId, target_id: SYSTEM_TARGET_ID, role_id: roleId, inherited };
    if (target.projectId) return { type: `${actorKind}Project`, actor_id: actorId, target_id: target.projectId, role_id: roleId, inherited };
    return { type: `${actorKind}Domain`, actor_id: actorId, target_id: target.domainId as string, role_id: roleId, inherited };
  }

  /** For bootstrap and tests: stores the grant, no checks. */
  async createGrant(roleId: string, actor: GrantActor, target: GrantTarget, inherited = false): Promise<void> {
    await this.repository.insertAssignment(this.grantRow(roleId, actor, target, inherited));
    await this.invalidate();
  }

  /** Keystone's get_project/get_domain as the grant APIs check targets. */
  private async assertTarget(target: GrantTarget): Promise<void> {
    if (target.domainId) await this.resource.getDomainRef(target.domainId);
    if (target.projectId) await this.resource.getProjectRef(target.projectId);
  }

  /**
   * Keystone's create_grant (project or domain): the role and the target must
   * exist; a domain-specific role only on projects of its domain. Silent when
   * the grant exists already.
   */
  async addGrant(roleId: string, actor: GrantActor, target: GrantTarget, inherited = false): Promise<void> {
    const role = await this.getRole(roleId);
    if (target.domainId) await this.resource.getDomainRef(target.domainId);
    if (target.projectId) {
      const project = await this.resource.getProjectRef(target.projectId);
      if (role.domainId && project.domainId !== role.domainId) throw new DomainSpecificRoleMismatch(target.projectId, roleId);
    }
    await this.repository.insertAssignment(this.grantRow(roleId, actor, target, inherited));
    await this.invalidate();
  }

  private notFound(roleId: string, actor: GrantActor, target: GrantTarget): RoleAssignmentNotFound {
    return new RoleAssignmentNotFound(roleId, (actor.userId ?? actor.groupId) as string, target.system ? SYSTEM_TARGET_ID : (target.projectId ?? target.domainId) as string);
  }

  private async grantExists(roleId: string, actor: GrantActor, target: GrantTarget, inherited: boolean): Promise<boolean> {
    const actorId = (actor.userId ?? actor.groupId) as string;
    const targetId = (target.projectId ?? target.domainId) as string;
    return this.repository.assignmentExists(actorId, targetId, target.domainId ? DOMAIN_TYPES : PROJECT_TYPES, roleId, inherited);
  }

  /** Keystone's get_grant: the role, the target, then the grant (RoleAssignmentNotFound). */
  async checkGrant(roleId: string, actor: GrantActor, target: GrantTarget, inherited = false): Promise<Role> {
    const role = await this.getRole(roleId);
    await this.assertTarget(target);
    if (!(await this.grantExists(roleId, actor, target, inherited))) throw this.notFound(roleId, actor, target);
    return role;
  }

  /** Keystone's list_grants: the roles granted to the actor on the target. */
  async listGrants(actor: GrantActor, target: GrantTarget, inherited = false): Promise<Role[]> {
    await this.assertTarget(target);
    const actorId = (actor.userId ?? actor.groupId) as string;
    const targetId = (target.projectId ?? target.domainId) as string;
    const ids = await this.repository.listGrantRoleIds(actorId, targetId, target.domainId ? DOMAIN_TYPES : PROJECT_TYPES, inherited);
    return this.listRolesFromIds(ids);
  }

  /** Keystone's delete_grant: the role, the grant, the target; then cached tokens are recomputed. */
  async deleteGrant(roleId: string, actor: GrantActor, target: GrantTarget, inherited = false): Promise<void> {
    await this.getRole(roleId);
    if (!(await this.grantExists(roleId, actor, target, inherited))) throw this.notFound(roleId, actor, target);
    await this.assertTarget(target);
    if ((await this.repository.deleteAssignment(this.grantRow(roleId, actor, target, inherited))) === 0) throw this.notFound(roleId, actor, target);
    await this.invalidate();
    await this.events.emit({ type: 'grant.deleted', roleId, ...actor, ...target, inherited });
    // REVOCATION: Keystone invalidates the token cache; roles are recomputed at the next validation.
    await this.revocation.dropTokenCache();
  }

  // ---- system grants ------------------------------------------------------------------

  private static systemType(actor: GrantActor): SystemAssignmentType {
    return actor.userId ? 'UserSystem' : 'GroupSystem';
  }

  /** Keystone's create_system_grant_for_user/group: global roles only. */
  async addSystemGrant(roleId: string, actor: GrantActor): Promise<void> {
    const role = await this.getRole(roleId);
    if (role.domainId) {
      throw new ValidationError(`Role ${roleId} is a domain-specific role. Unable to use a domain-specific role in a system assignment.`, false);
    }
    await this.repository.insertAssignment(this.grantRow(roleId, actor, { system: true }, false));
    await this.invalidate();
  }

  async checkSystemGrant(roleId: string, actor: GrantActor): Promise<void> {
    const actorId = (actor.userId ?? actor.groupId) as string;
    if (!(await this.repository.assignmentExists(actorId, SYSTEM_TARGET_ID, [AssignmentManager.systemType(actor)], roleId, false))) {
      throw this.notFound(roleId, actor, { system: true });
    }
  }

  async listSystemGrants(actor: GrantActor): Promise<Role[]> {
    const actorId = (actor.userId ?? actor.groupId) as string;
    return this.listRolesFromIds(await this.repository.listGrantRoleIds(actorId, SYSTEM_TARGET_ID, [AssignmentManager.systemType(actor)], false));
  }

  async deleteSystemGrant(roleId: string, actor: GrantActor): Promise<void> {
    if ((await this.repository.deleteAssignment(this.grantRow(roleId, actor, { system: true }, false))) === 0) {
      throw this.notFound(roleId, actor, { system: true });
    }
    await this.invalidate();
    await this.events.emit({ type: 'grant.deleted', roleId, ...actor, system: true, inherited: false });
    await this.revocation.dropTokenCache();
  }

  // ---- role assignments ---------------------------------------------------------------

  /** GET /v3/role_assignments (see role-assignment-listing.ts). */
  listRoleAssignments(filter: AssignmentListFilter): Promise<AssignmentRef[]> {
    return this.lister.list(filter);
  }

  /**
   * Keystone's _get_names_from_role_assignments: names of the top-level
   * actor, target and role; a user or group gone from the backend gets
   * empty names, a missing project, domain or role is a 404.
   */
  async addNames(refs: AssignmentRef[]): Promise<NamedAssignmentRef[]> {
    const domainNames = new Map<string, string>();
    const domainName = async (id: string) => {
      let name = domainNames.get(id);
      if (name === undefined) {
        name = (await this.resource.getDomainRef(id)).name;
        domainNames.set(id, name);
      }
      return name;
    };
    const out: NamedAssignmentRef[] = [];
    for (const ref of refs) {
      const named: NamedAssignmentRef = { ...ref };
      if (ref.domain_id !== undefined) named.domain_name = await domainName(ref.domain_id);
      if (ref.user_id !== undefined) {
        const user = await this.identity.findUser(ref.user_id);
        named.user_name = user?.name ?? '';
        named.user_domain_id = user?.domainId ?? '';
        named.user_domain_name = user ? await domainName(user.domainId) : '';
      }
      if (ref.group_id !== undefined) {
        const group = await this.identity.findGroup(ref.group_id);
        named.group_name = group?.name ?? '';
        named.group_domain_id = group?.domainId ?? '';
        named.group_domain_name = group ? await domainName(group.domainId) : '';
      }
      if (ref.project_id !== undefined) {
        const project = await this.resource.getProjectRef(ref.project_id);
        named.project_name = project.name;
        const projectDomainId = project.domainId ?? project.id;
        named.project_domain_id = projectDomainId;
        named.project_domain_name = await domainName(projectDomainId);
      }
      const role = await this.getRole(ref.role_id);
      named.role_name = role.name;
      if (role.domainId !== null) {
        named.role_domain_id = role.domainId;
        named.role_domain_name = await domainName(role.domainId);
      }
      out.push(named);
    }
    return out;
  }

  // ---- following identity and resource ------------------------------------------------

  private async onIdentityEvent(event: IdentityEvent): Promise<void> {
    if (event.type === 'user.deleted') {
      await this.repository.deleteAssignmentsOfActor(event.userId, ['UserProject', 'UserDomain'], ['UserSystem']);
      await this.invalidate();
    } else if (event.type === 'group.deleted') {
      await this.repository.deleteAssignmentsOfActor(event.groupId, ['GroupProject', 'GroupDomain'], ['GroupSystem']);
      await this.invalidate();
    } else if (event.type === 'user.added_to_group' || event.type === 'user.removed_from_group') {
      await this.invalidate();
    }
  }

  private async onResourceEvent(event: ResourceEvent): Promise<void> {
    if (event.type === 'project.deleted') {
      await this.repository.deleteAssignmentsOnTarget(event.projectId, PROJECT_TYPES);
      await this.invalidate();
    } else if (event.type === 'domain.deleted') {
      await this.repository.deleteAssignmentsOnTarget(event.domainId, DOMAIN_TYPES);
      await this.invalidate();
    }
  }

  invalidate(): Promise<void> {
    return this.cache.invalidate(ASSIGNMENT_CACHE_REGION);
  }
}

