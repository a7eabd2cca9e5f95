/**
 * Keystone's assignment_api: grants of roles to users and groups on projects,
 * domains (OS-INHERIT inherited ones too) and the system, the role assignment
 * listing, and the effective roles of a user on a project, a domain or the
 * system (for tokens). It extends RoleManager (role-manager.ts: Keystone's
 * role_api, roles and implied roles), so that callers keep one object.
 *
 * Every change invalidates the assignment cache region; every removal also
 * drops cached token validations (Keystone's invalidate_token_cache), so
 * that tokens are recomputed from SQL on every node.
 *
 * It follows the identity and resource managers: a deleted user, group,
 * project or domain takes its grants with it.
 */
import type { Cache } from '../cache/cache.js';
import type { KeystoneConfig } from '../config/options.js';
import { DuplicateEntry, NotFound, ValidationError } from '../common/errors.js';
import type { IdentityManager } from '../identity/identity-manager.js';
import type { IdentityEvent } from '../identity/identity-events.js';
import type { ResourceManager } from '../resource/resource-manager.js';
import type { ResourceEvent } from '../resource/resource-events.js';
import type { AssignmentBackend } from './assignment-backend.js';
import type { RevocationPort } from '../resource/revocation-port.js';
import { RoleAssignmentLister } from './role-assignment-listing.js';
import { DomainSpecificRoleMismatch, RoleAssignmentNotFound } from './assignment-errors.js';
import { ASSIGNMENT_CACHE_REGION, RoleManager } from './role-manager.js';
import {
  SYSTEM_TARGET_ID,
  type AssignmentListFilter,
  type AssignmentRef,
  type AssignmentRow,
  type AssignmentType,
  type GrantActor,
  type GrantTarget,
  type NamedAssignmentRef,
  type Role,
  type SystemAssignmentType,
} from './assignment-types.js';

export type { GrantTarget, GrantActor } from './assignment-types.js';
export { ASSIGNMENT_CACHE_REGION, ROLE_OPTIONS, roleFromRow, type RoleInput, type RolePatch } from './role-manager.js';

const PROJECT_TYPES: AssignmentType[] = ['UserProject', 'GroupProject'];
const DOMAIN_TYPES: AssignmentType[] = ['UserDomain', 'GroupDomain'];

export class AssignmentManager extends RoleManager {
  private readonly lister: RoleAssignmentLister;

  constructor(
    backend: AssignmentBackend,
    cache: Cache,
    conf: KeystoneConfig,
    private readonly identity: IdentityManager,
    private readonly resource: ResourceManager,
    revocation: RevocationPort,
  ) {
    super(backend, cache, conf, revocation);
    this.lister = new RoleAssignmentLister(backend, identity, resource, {
      findRole: (id) => this.findRole(id),
      impliedRoleMap: () => this.impliedRoleMap(),
      systemGrantRoleIds: async (actorId, kind) =>
        (await this.listSystemGrants(kind === 'user' ? { userId: actorId } : { groupId: actorId })).map((r) => r.id),
    });
    identity.events.on((event) => this.onIdentityEvent(event));
    resource.events.on((event) => this.onResourceEvent(event));
  }

  // ---- effective roles for tokens -----------------------------------------------------

  /** Effective roles for the token: implied roles expanded, domain-specific roles dropped (their implications kept). */
  private async effectiveRoles(directRoleIds: Set<string>): Promise<Role[]> {
    if (directRoleIds.size === 0) return [];
    const roles: Role[] = [];
    for (const role of await this.findRoles([...(await this.expandImpliedRoles(directRoleIds))])) {
      if (role && role.domainId === null) roles.push(role);
    }
    return roles.sort((a, b) => a.name.localeCompare(b.name));
  }

  private async actorIds(userId: string): Promise<string[]> {
    return [userId, ...(await this.identity.groupIdsOfUser(userId))];
  }

  async rolesForUserOnProject(userId: string, projectId: string): Promise<Role[]> {
    return this.cache.memoize(ASSIGNMENT_CACHE_REGION, `up:${userId}:${projectId}`, this.ttl(), async () =>
      this.rolesOfActorsOnProject(await this.actorIds(userId), projectId),
    );
  }

  /** Effective roles of users and groups on a project: direct, inherited from its parents and its domain. */
  private async rolesOfActorsOnProject(actors: string[], projectId: string): Promise<Role[]> {
    const project = await this.resource.findProject(projectId);
    if (!project || actors.length === 0) return [];
    const parents = (await this.resource.listParents(projectId)).map((p) => p.id);
    const rows = await this.backend.listAssignmentsOfAny(actors, [
      { types: PROJECT_TYPES, targetIds: [projectId], inherited: false },
      { types: PROJECT_TYPES, targetIds: parents, inherited: true },
      { types: DOMAIN_TYPES, targetIds: [project.domainId], inherited: true },
    ]);
    return this.effectiveRoles(new Set(rows.map((r) => r.role_id)));
  }

  async rolesForUserOnDomain(userId: string, domainId: string): Promise<Role[]> {
    return this.cache.memoize(ASSIGNMENT_CACHE_REGION, `ud:${userId}:${domainId}`, this.ttl(), async () =>
      this.rolesOfActorsOnDomain(await this.actorIds(userId), domainId),
    );
  }

  private async rolesOfActorsOnDomain(actors: string[], domainId: string): Promise<Role[]> {
    if (actors.length === 0) return [];
    const rows = await this.backend.listAssignments(DOMAIN_TYPES, actors, [domainId], false);
    return this.effectiveRoles(new Set(rows.map((r) => r.role_id)));
  }

  /**
   * Keystone's get_roles_for_groups: the effective roles of the groups (a federated token's, from the
   * mapping) on a project or a domain; none without groups.
   */
  async rolesForGroups(groupIds: readonly string[], target: { projectId: string } | { domainId: string }): Promise<Role[]> {
    const actors = [...new Set(groupIds)].sort();
    if (actors.length === 0) return [];
    const key = 'projectId' in target ? `gp:${target.projectId}:${actors.join(',')}` : `gd:${target.domainId}:${actors.join(',')}`;
    return this.cache.memoize(ASSIGNMENT_CACHE_REGION, key, this.ttl(), () =>
      'projectId' in target ? this.rolesOfActorsOnProject(actors, target.projectId) : this.rolesOfActorsOnDomain(actors, target.domainId),
    );
  }

  async rolesForUserOnSystem(userId: string): Promise<Role[]> {
    return this.cache.memoize(ASSIGNMENT_CACHE_REGION, `us:${userId}`, this.ttl(), async () => {
      const actors = await this.actorIds(userId);
      const rows = await this.backend.listSystemAssignments(['UserSystem', 'GroupSystem'], actors);
      return this.effectiveRoles(new Set(rows.map((r) => r.role_id)));
    });
  }

  /** Project ids on which the user (or one of the groups of a federated token, `extraGroupIds`) has any effective role. */
  async projectIdsForUser(userId: string, extraGroupIds: readonly string[] = []): Promise<string[]> {
    const actors = [...new Set([...(await this.actorIds(userId)), ...extraGroupIds])];
    const rows = await this.backend.listTargetsOfActors(actors);
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

  /** Domain ids on which the user (or one of `extraGroupIds`) has any (non-inherited) role. */
  async domainIdsForUser(userId: string, extraGroupIds: readonly string[] = []): Promise<string[]> {
    const actors = [...new Set([...(await this.actorIds(userId)), ...extraGroupIds])];
    const rows = await this.backend.listTargetsOfActors(actors);
    return [...new Set(rows.filter((r) => (r.type === 'UserDomain' || r.type === 'GroupDomain') && !r.inherited).map((r) => r.target_id))];
  }

  // ---- grants -------------------------------------------------------------------------

  grantRow(roleId: string, actor: GrantActor, target: GrantTarget, inherited: boolean): AssignmentRow {
    const actorKind = actor.userId ? 'User' : 'Group';
    const actorId = (actor.userId ?? actor.groupId) as string;
    if (target.system) return { type: `${actorKind}System`, actor_id: actorId, target_id: SYSTEM_TARGET_ID, role_id: roleId, inherited };
    if (target.projectId)
      return { type: `${actorKind}Project`, actor_id: actorId, target_id: target.projectId, role_id: roleId, inherited };
    return { type: `${actorKind}Domain`, actor_id: actorId, target_id: target.domainId as string, role_id: roleId, inherited };
  }

  /** For bootstrap and tests: stores the grant, no checks. */
  async createGrant(roleId: string, actor: GrantActor, target: GrantTarget, inherited = false): Promise<void> {
    await this.backend.insertAssignment(this.grantRow(roleId, actor, target, inherited));
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
    await this.backend.insertAssignment(this.grantRow(roleId, actor, target, inherited));
    await this.invalidate();
  }

  private notFound(roleId: string, actor: GrantActor, target: GrantTarget): RoleAssignmentNotFound {
    return new RoleAssignmentNotFound(
      roleId,
      (actor.userId ?? actor.groupId) as string,
      target.system ? SYSTEM_TARGET_ID : ((target.projectId ?? target.domainId) as string),
    );
  }

  private async grantExists(roleId: string, actor: GrantActor, target: GrantTarget, inherited: boolean): Promise<boolean> {
    const actorId = (actor.userId ?? actor.groupId) as string;
    const targetId = (target.projectId ?? target.domainId) as string;
    return this.backend.assignmentExists(actorId, targetId, target.domainId ? DOMAIN_TYPES : PROJECT_TYPES, roleId, inherited);
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
    const ids = await this.backend.listGrantRoleIds(actorId, targetId, target.domainId ? DOMAIN_TYPES : PROJECT_TYPES, inherited);
    return this.listRolesFromIds(ids);
  }

  /** Keystone's delete_grant: the role, the grant, the target; then cached tokens are recomputed. */
  async deleteGrant(roleId: string, actor: GrantActor, target: GrantTarget, inherited = false): Promise<void> {
    await this.getRole(roleId);
    if (!(await this.grantExists(roleId, actor, target, inherited))) throw this.notFound(roleId, actor, target);
    await this.assertTarget(target);
    if ((await this.backend.deleteAssignment(this.grantRow(roleId, actor, target, inherited))) === 0)
      throw this.notFound(roleId, actor, target);
    await this.invalidate();
    await this.events.emit({ type: 'grant.deleted', roleId, ...actor, ...target, inherited });
    // REVOCATION: Keystone invalidates the token cache; roles are recomputed at the next validation.
    await this.revocation.dropTokenCache();
  }

  // ---- v2.0 default tenants -----------------------------------------------------------

  /**
   * Keystone's ensure_default_role: the role of [DEFAULT] member_role_id,
   * created with member_role_name when missing (a concurrent creation is not
   * an error). Its id.
   */
  async ensureMemberRole(): Promise<string> {
    const { member_role_id: id, member_role_name: name } = this.conf.DEFAULT;
    if (!(await this.findRole(id))) {
      try {
        await this.createRole({ id, name });
      } catch (err) {
        if (!(err instanceof DuplicateEntry)) throw err;
      }
    }
    return id;
  }

  /** Keystone's add_user_to_project (v2.0's default tenant): the member role on the project, silent when held already. */
  async addUserToProject(projectId: string, userId: string): Promise<void> {
    await this.resource.getProjectRef(projectId);
    await this.addGrant(await this.ensureMemberRole(), { userId }, { projectId });
  }

  /** The member role off a former default tenant; false when there was none to remove (not an error, as Keystone's v2.0). */
  async removeUserFromProject(projectId: string, userId: string): Promise<boolean> {
    try {
      await this.deleteGrant(this.conf.DEFAULT.member_role_id, { userId }, { projectId });
      return true;
    } catch (err) {
      if (err instanceof NotFound) return false;
      throw err;
    }
  }

  // ---- system grants ------------------------------------------------------------------

  private static systemType(actor: GrantActor): SystemAssignmentType {
    return actor.userId ? 'UserSystem' : 'GroupSystem';
  }

  /** Keystone's create_system_grant_for_user/group: global roles only. */
  async addSystemGrant(roleId: string, actor: GrantActor): Promise<void> {
    const role = await this.getRole(roleId);
    if (role.domainId) {
      throw new ValidationError(
        `Role ${roleId} is a domain-specific role. Unable to use a domain-specific role in a system assignment.`,
        false,
      );
    }
    await this.backend.insertAssignment(this.grantRow(roleId, actor, { system: true }, false));
    await this.invalidate();
  }

  async checkSystemGrant(roleId: string, actor: GrantActor): Promise<void> {
    const actorId = (actor.userId ?? actor.groupId) as string;
    if (!(await this.backend.assignmentExists(actorId, SYSTEM_TARGET_ID, [AssignmentManager.systemType(actor)], roleId, false))) {
      throw this.notFound(roleId, actor, { system: true });
    }
  }

  async listSystemGrants(actor: GrantActor): Promise<Role[]> {
    const actorId = (actor.userId ?? actor.groupId) as string;
    return this.listRolesFromIds(
      await this.backend.listGrantRoleIds(actorId, SYSTEM_TARGET_ID, [AssignmentManager.systemType(actor)], false),
    );
  }

  async deleteSystemGrant(roleId: string, actor: GrantActor): Promise<void> {
    if ((await this.backend.deleteAssignment(this.grantRow(roleId, actor, { system: true }, false))) === 0) {
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
      await this.backend.deleteAssignmentsOfActor(event.userId, ['UserProject', 'UserDomain'], ['UserSystem']);
      await this.invalidate();
    } else if (event.type === 'group.deleted') {
      const held = await this.backend.deleteAssignmentsOfActor(event.groupId, ['GroupProject', 'GroupDomain'], ['GroupSystem']);
      await this.invalidate();
      // Keystone's delete_group: the members' tokens are revoked when the group held roles.
      if (held > 0) for (const userId of event.memberIds) await this.revocation.revokeUser(userId);
    } else if (event.type === 'user.added_to_group' || event.type === 'user.removed_from_group') {
      await this.invalidate();
    }
  }

  private async onResourceEvent(event: ResourceEvent): Promise<void> {
    if (event.type === 'project.deleted') {
      await this.backend.deleteAssignmentsOnTarget(event.projectId, PROJECT_TYPES);
      await this.invalidate();
    } else if (event.type === 'domain.deleted') {
      await this.backend.deleteAssignmentsOnTarget(event.domainId, DOMAIN_TYPES);
      await this.invalidate();
    }
  }
}
