/**
 * GET /v3/role_assignments as Keystone's assignment manager computes it
 * (list_role_assignments):
 *
 * - direct mode: the stored assignments matching the filters, system
 *   assignments included when no project or domain is asked for;
 * - effective mode: what actually reaches users — group assignments become
 *   one per member, OS-INHERIT assignments one per project below their
 *   target, implied roles are added (the prior role kept in `indirect`),
 *   domain-specific roles are dropped — then the role filter is applied.
 *
 * Only ids here; names and links are added by the caller.
 */
import type { IdentityManager } from '../identity/identity-manager.js';
import type { ResourceManager } from '../resource/resource-manager.js';
import type { AssignmentBackend, AssignmentQuery } from './assignment-backend.js';
import type { AssignmentListFilter, AssignmentRef, AssignmentRow, AssignmentType, Role } from './assignment-types.js';

const USER_TYPES: AssignmentType[] = ['UserProject', 'UserDomain'];
const GROUP_TYPES: AssignmentType[] = ['GroupProject', 'GroupDomain'];
const PROJECT_TYPES: AssignmentType[] = ['UserProject', 'GroupProject'];
const DOMAIN_TYPES: AssignmentType[] = ['UserDomain', 'GroupDomain'];
const ALL_TYPES: AssignmentType[] = ['UserProject', 'GroupProject', 'UserDomain', 'GroupDomain'];

/** What the lister needs from the assignment manager. */
export interface RoleLookup {
  findRole(id: string): Promise<Role | null>;
  impliedRoleMap(): Promise<Record<string, string[]>>;
  /** role ids of the actor's system grants, existing roles only */
  systemGrantRoleIds(actorId: string, kind: 'user' | 'group'): Promise<string[]>;
}

/** Keystone's driver filter: which actor × target assignment types the filters allow. */
function assignmentTypes(user: boolean, group: boolean, project: boolean, domain: boolean): AssignmentType[] {
  const actor = user ? USER_TYPES : group ? GROUP_TYPES : [];
  const target = project ? PROJECT_TYPES : domain ? DOMAIN_TYPES : [];
  if (actor.length && target.length) return actor.filter((t) => target.includes(t));
  if (actor.length) return actor;
  if (target.length) return target;
  return ALL_TYPES;
}

function refFromRow(row: AssignmentRow): AssignmentRef {
  const ref: AssignmentRef = { role_id: row.role_id };
  if (row.type === 'UserProject' || row.type === 'UserDomain') ref.user_id = row.actor_id;
  else ref.group_id = row.actor_id;
  if (row.type === 'UserProject' || row.type === 'GroupProject') ref.project_id = row.target_id;
  else ref.domain_id = row.target_id;
  if (row.inherited) ref.inherited_to_projects = 'projects';
  return ref;
}

/** A stable text for deep equality of refs (Keystone compares dicts). */
function refKey(ref: AssignmentRef): string {
  const ind = ref.indirect ?? {};
  return JSON.stringify([
    ref.user_id,
    ref.group_id,
    ref.project_id,
    ref.domain_id,
    ref.system ? 1 : 0,
    ref.role_id,
    ref.inherited_to_projects,
    ind.group_id,
    ind.project_id,
    ind.domain_id,
    ind.role_id,
    ref.indirect ? 1 : 0,
  ]);
}

function copyRef(ref: AssignmentRef): AssignmentRef {
  const out: AssignmentRef = { ...ref };
  if (ref.indirect) out.indirect = { ...ref.indirect };
  if (ref.system) out.system = { all: true };
  return out;
}

interface DriverFilter {
  roleId?: string;
  userId?: string;
  groupIds?: string[];
  domainId?: string;
  projectIds?: string[];
  inherited?: boolean;
}

export class RoleAssignmentLister {
  constructor(
    private readonly backend: AssignmentBackend,
    private readonly identity: IdentityManager,
    private readonly resource: ResourceManager,
    private readonly roles: RoleLookup,
  ) {}

  async list(filter: AssignmentListFilter): Promise<AssignmentRef[]> {
    let subtreeIds: string[] | undefined;
    if (filter.projectId && filter.includeSubtree) {
      subtreeIds = (await this.resource.listSubtree(filter.projectId)).map((p) => p.id);
    }
    if (filter.effective) return this.listEffective(filter, subtreeIds);
    return this.listDirect(filter, subtreeIds);
  }

  /** Keystone's driver list_role_assignments. */
  private async driverList(f: DriverFilter): Promise<AssignmentRef[]> {
    const group = f.groupIds !== undefined && f.groupIds.length > 0;
    const project = f.projectIds !== undefined && f.projectIds.length > 0;
    const q: AssignmentQuery = {
      types: assignmentTypes(f.userId !== undefined, group, project, f.domainId !== undefined),
      roleId: f.roleId,
      inherited: f.inherited,
    };
    if (project) q.targetIds = f.projectIds;
    else if (f.domainId !== undefined) q.targetIds = [f.domainId];
    if (group) q.actorIds = f.groupIds;
    else if (f.userId !== undefined) q.actorIds = [f.userId];
    return (await this.backend.queryAssignments(q)).map(refFromRow);
  }

  private static projectsOfInterest(projectId: string | undefined, subtreeIds: string[] | undefined): string[] | undefined {
    if (!projectId) return undefined;
    return subtreeIds && subtreeIds.length ? [...subtreeIds, projectId] : [projectId];
  }

  private async listDirect(f: AssignmentListFilter, subtreeIds: string[] | undefined): Promise<AssignmentRef[]> {
    const groupIds = f.groupId ? [f.groupId] : undefined;
    const projectIds = RoleAssignmentLister.projectsOfInterest(f.projectId, subtreeIds);
    let out: AssignmentRef[] = [];
    if (!f.system) {
      out = await this.driverList({
        roleId: f.roleId,
        userId: f.userId,
        groupIds,
        domainId: f.domainId,
        projectIds,
        inherited: f.inherited,
      });
    }
    if (f.system || (!f.projectId && !f.domainId)) {
      let system: AssignmentRef[];
      if (f.userId) {
        system = (await this.roles.systemGrantRoleIds(f.userId, 'user')).map((roleId) => ({
          system: { all: true },
          user_id: f.userId,
          role_id: roleId,
        }));
      } else if (f.groupId) {
        system = (await this.roles.systemGrantRoleIds(f.groupId, 'group')).map((roleId) => ({
          system: { all: true },
          group_id: f.groupId,
          role_id: roleId,
        }));
      } else {
        system = (await this.backend.listAllSystemAssignments()).map((row) => {
          const ref: AssignmentRef = { role_id: row.role_id, system: { all: true } };
          if (row.type === 'GroupSystem') ref.group_id = row.actor_id;
          else ref.user_id = row.actor_id;
          return ref;
        });
      }
      if (f.roleId) system = system.filter((a) => a.role_id === f.roleId);
      out = out.concat(system);
    }
    return out;
  }

  /** Keystone's list_role_assignments_for_actor: direct and inherited refs that can affect the target. */
  private async forActor(a: {
    inherited?: boolean;
    userId?: string;
    groupIds?: string[];
    projectId?: string;
    subtreeIds?: string[];
    domainId?: string;
  }): Promise<AssignmentRef[]> {
    const projectIds = RoleAssignmentLister.projectsOfInterest(a.projectId, a.subtreeIds);
    let nonInherited: AssignmentRef[] = [];
    if (a.inherited !== true) {
      nonInherited = await this.driverList({ domainId: a.domainId, projectIds, userId: a.userId, groupIds: a.groupIds, inherited: false });
    }
    let inherited: AssignmentRef[] = [];
    if (a.inherited !== false) {
      if (a.projectId) {
        // Keystone's get_project: a missing project is a 404 in effective mode.
        const project = await this.resource.getProjectRef(a.projectId);
        const projectDomainId = project.domainId ?? project.id;
        inherited = inherited.concat(
          await this.driverList({ domainId: projectDomainId, userId: a.userId, groupIds: a.groupIds, inherited: true }),
        );
        let sourceIds = (await this.resource.listParents(a.projectId)).map((p) => p.id);
        if (a.subtreeIds && a.subtreeIds.length && projectIds) sourceIds = sourceIds.concat(projectIds);
        if (sourceIds.length) {
          inherited = inherited.concat(
            await this.driverList({ projectIds: sourceIds, userId: a.userId, groupIds: a.groupIds, inherited: true }),
          );
        }
      } else {
        inherited = await this.driverList({ userId: a.userId, groupIds: a.groupIds, inherited: true });
      }
    }
    return nonInherited.concat(inherited);
  }

  private async listEffective(f: AssignmentListFilter, subtreeIds: string[] | undefined): Promise<AssignmentRef[]> {
    // A group filter, or inherited assignments on a domain, can never match in effective mode.
    if (f.groupId || (f.domainId && f.inherited)) return [];
    const inherited = f.domainId ? false : f.inherited;
    const source = f.sourceFromGroupIds;
    const direct = await this.forActor({
      userId: f.userId,
      groupIds: source,
      projectId: f.projectId,
      subtreeIds,
      domainId: f.domainId,
      inherited,
    });
    let fromGroups: AssignmentRef[] = [];
    if (!source && f.userId) {
      const groupIds = await this.identity.groupIdsOfUser(f.userId);
      if (groupIds.length) {
        fromGroups = await this.forActor({ projectId: f.projectId, subtreeIds, groupIds, domainId: f.domainId, inherited });
      }
    }
    let refs: AssignmentRef[] = [];
    const expandGroups = source === undefined;
    for (const ref of direct.concat(fromGroups)) {
      refs = refs.concat(await this.expandIndirect(ref, f.userId, f.projectId, subtreeIds, expandGroups));
    }
    refs = await this.addImpliedRoles(refs);
    if (f.stripDomainRoles !== false) refs = await this.stripDomainRoles(refs);
    if (f.roleId) refs = refs.filter((r) => r.role_id === f.roleId);
    return refs;
  }

  private async groupMembers(groupId: string): Promise<string[]> {
    return this.identity.memberIdsOfGroup(groupId);
  }

  private async expandGroup(ref: AssignmentRef, userId: string | undefined): Promise<AssignmentRef[]> {
    const toUser = (uid: string): AssignmentRef => {
      const out = copyRef(ref);
      out.user_id = uid;
      out.indirect = { ...(out.indirect ?? {}), group_id: out.group_id };
      delete out.group_id;
      return out;
    };
    if (userId) return [toUser(userId)];
    return (await this.groupMembers(ref.group_id as string)).map(toUser);
  }

  private async expandIndirect(
    ref: AssignmentRef,
    userId: string | undefined,
    projectId: string | undefined,
    subtreeIds: string[] | undefined,
    expandGroups: boolean,
  ): Promise<AssignmentRef[]> {
    if (ref.inherited_to_projects === 'projects') return this.expandInherited(ref, userId, projectId, subtreeIds, expandGroups);
    if (ref.group_id !== undefined && expandGroups) return this.expandGroup(ref, userId);
    return [ref];
  }

  private async expandInherited(
    ref: AssignmentRef,
    userId: string | undefined,
    projectId: string | undefined,
    subtreeIds: string[] | undefined,
    expandGroups: boolean,
  ): Promise<AssignmentRef[]> {
    let projectIds: string[];
    if (projectId) {
      projectIds = [projectId];
      if (subtreeIds && subtreeIds.length) {
        projectIds = projectIds.concat(subtreeIds);
        if (ref.project_id && projectIds.includes(ref.project_id)) {
          projectIds = (await this.resource.listSubtree(ref.project_id)).map((p) => p.id);
        }
      }
    } else if (ref.domain_id) {
      projectIds = (await this.resource.listProjects({ domainId: ref.domain_id })).map((p) => p.id);
    } else {
      projectIds = (await this.resource.listSubtree(ref.project_id as string)).map((p) => p.id);
    }
    const onProject = (base: AssignmentRef, pid: string): AssignmentRef => {
      const out = copyRef(base);
      const indirect = { ...(out.indirect ?? {}) };
      if (out.project_id) indirect.project_id = out.project_id;
      else indirect.domain_id = out.domain_id;
      delete out.domain_id;
      out.indirect = indirect;
      out.project_id = pid;
      delete out.inherited_to_projects;
      return out;
    };
    const out: AssignmentRef[] = [];
    if (ref.group_id !== undefined && expandGroups) {
      for (const member of await this.expandGroup(ref, userId)) for (const pid of projectIds) out.push(onProject(member, pid));
    } else {
      for (const pid of projectIds) out.push(onProject(ref, pid));
    }
    return out;
  }

  /** Keystone's add_implied_roles: one more ref per implied role, transitively, cycles walked once. */
  private async addImpliedRoles(refs: AssignmentRef[]): Promise<AssignmentRef[]> {
    const map = await this.roles.impliedRoleMap();
    const toCheck = [...refs];
    const results = [...refs];
    const checked = new Set<string>();
    while (toCheck.length) {
      const next = toCheck.pop() as AssignmentRef;
      checked.add(refKey(next));
      for (const impliedId of map[next.role_id] ?? []) {
        const implied = copyRef(next);
        implied.role_id = impliedId;
        implied.indirect = { ...(implied.indirect ?? {}), role_id: next.role_id };
        if (checked.has(refKey(implied))) continue;
        results.push(implied);
        toCheck.push(implied);
      }
    }
    return results;
  }

  private async stripDomainRoles(refs: AssignmentRef[]): Promise<AssignmentRef[]> {
    const global = new Map<string, boolean>();
    const out: AssignmentRef[] = [];
    for (const ref of refs) {
      let isGlobal = global.get(ref.role_id);
      if (isGlobal === undefined) {
        const role = await this.roles.findRole(ref.role_id);
        isGlobal = role !== null && role.domainId === null;
        global.set(ref.role_id, isGlobal);
      }
      if (isGlobal) out.push(ref);
    }
    return out;
  }
}
