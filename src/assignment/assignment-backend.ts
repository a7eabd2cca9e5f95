/**
 * What the role and assignment managers ask of their storage (Keystone's
 * role and assignment driver interfaces, role/backends/base.py and
 * assignment/backends/base.py): roles with their options, implied roles,
 * and grants on projects, domains and the system. The SQL backend is
 * assignment-repository.ts.
 */
import type { AssignmentRow, AssignmentType, RoleRow, StoredRole, SystemAssignmentType } from './assignment-types.js';

/** Keystone's driver-level filter of role assignments (assignment/backends/sql.py list_role_assignments). */
export interface AssignmentQuery {
  roleId?: string;
  /** actor ids (users or groups) */
  actorIds?: string[];
  /** target ids (projects or domains) */
  targetIds?: string[];
  types: AssignmentType[];
  inherited?: boolean;
}

export interface RoleListFilter {
  name?: string;
  domainId?: string;
  ids?: string[];
}

export interface ImpliedRolePair {
  prior_role_id: string;
  implied_role_id: string;
}

export interface AssignmentBackend {
  /** Runs `work` as one unit against a backend bound to it (a SQL transaction). */
  transaction<T>(work: (backend: AssignmentBackend) => Promise<T>): Promise<T>;

  // ---- roles --------------------------------------------------------------------------
  getRoleRow(id: string): Promise<RoleRow | null>;
  /** The role with its options, or null. */
  getStoredRole(id: string): Promise<StoredRole | null>;
  /** The roles of these ids that exist, with their options, in one statement. */
  getStoredRoles(ids: string[]): Promise<StoredRole[]>;
  getRoleRowByName(name: string, domainId: string): Promise<RoleRow | null>;
  /** by name, then id */
  listRoleRows(filter?: RoleListFilter): Promise<RoleRow[]>;
  /** role id → option_id → stored JSON text; every role's when no ids are given */
  roleOptions(roleIds?: string[]): Promise<Map<string, Record<string, string | null>>>;
  insertRole(row: RoleRow): Promise<void>;
  updateRole(row: RoleRow): Promise<void>;
  /** Sets (JSON text) or, for null, removes each option; options not named are kept. */
  setRoleOptions(roleId: string, options: Record<string, string | null>): Promise<void>;
  /** Deletes the role (its options and implications go with it) and every assignment of it; returns 0 when there was none. */
  deleteRole(id: string): Promise<number>;

  // ---- implied roles ------------------------------------------------------------------
  listImpliedRolePairs(): Promise<ImpliedRolePair[]>;
  listImpliedRoleIds(priorRoleId: string): Promise<string[]>;
  impliedRoleExists(priorRoleId: string, impliedRoleId: string): Promise<boolean>;
  /** false when the pair was already there */
  insertImpliedRole(priorRoleId: string, impliedRoleId: string): Promise<boolean>;
  /** how many were deleted (0 or 1) */
  deleteImpliedRole(priorRoleId: string, impliedRoleId: string): Promise<number>;

  // ---- assignments --------------------------------------------------------------------
  /** Silent when the grant exists already, as Keystone's grant APIs are. */
  insertAssignment(row: AssignmentRow): Promise<void>;
  /** how many were deleted (0 or 1) */
  deleteAssignment(row: AssignmentRow): Promise<number>;
  /**
   * Keystone's check_grant_role_id: the actor, the target (any project or
   * any domain assignment type), the role and the inherited flag.
   */
  assignmentExists(
    actorId: string,
    targetId: string,
    types: AssignmentType[] | SystemAssignmentType[],
    roleId: string,
    inherited: boolean,
  ): Promise<boolean>;
  /** Role ids granted to the actor on the target (Keystone's list_grant_role_ids). */
  listGrantRoleIds(
    actorId: string,
    targetId: string,
    types: AssignmentType[] | SystemAssignmentType[],
    inherited: boolean,
  ): Promise<string[]>;
  /** Keystone's driver list_role_assignments: every filter optional, ANDed. */
  queryAssignments(q: AssignmentQuery): Promise<AssignmentRow[]>;
  /** Assignments of any of the actors on any of the targets. */
  listAssignments(types: AssignmentType[], actorIds: string[], targetIds: string[], inherited?: boolean): Promise<AssignmentRow[]>;
  /** The actors' assignments matching any of the selections, in one statement (a project's direct and inherited roles). */
  listAssignmentsOfAny(
    actorIds: string[],
    selections: { types: AssignmentType[]; targetIds: string[]; inherited: boolean }[],
  ): Promise<AssignmentRow[]>;
  listSystemAssignments(types: SystemAssignmentType[], actorIds: string[]): Promise<AssignmentRow[]>;
  /** Every system assignment (Keystone's list_all_system_grants). */
  listAllSystemAssignments(): Promise<AssignmentRow[]>;
  /** Targets (projects or domains) where any of the actors holds any role, directly or inherited. */
  listTargetsOfActors(actorIds: string[]): Promise<AssignmentRow[]>;
  /** A deleted user or group: its grants everywhere, the system included. Returns how many were deleted. */
  deleteAssignmentsOfActor(actorId: string, types: AssignmentType[], systemTypes: SystemAssignmentType[]): Promise<number>;
  /** A deleted project or domain: the grants on it. */
  deleteAssignmentsOnTarget(targetId: string, types: AssignmentType[]): Promise<void>;
}
