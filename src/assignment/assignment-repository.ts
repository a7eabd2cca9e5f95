/**
 * The SQL backend of roles (with their resource options in role_option),
 * implied roles and role assignments on projects, domains (table `assignment`) and the
 * system (table `system_assignment`), as Keystone 22 stores them.
 */
import type { Queryable } from '../storage/database.js';
import type { AssignmentRow, AssignmentType, RoleRow, StoredRole, SystemAssignmentType } from './assignment-types.js';
import type { AssignmentBackend, AssignmentQuery, ImpliedRolePair, RoleListFilter } from './assignment-backend.js';

const ROLE_COLUMNS = 'id, name, extra, domain_id, description';
const ASSIGNMENT_COLUMNS = 'type, actor_id, target_id, role_id, inherited';

export class AssignmentRepository implements AssignmentBackend {
  constructor(private readonly db: Queryable) {}

  transaction<T>(work: (backend: AssignmentBackend) => Promise<T>): Promise<T> {
    return this.db.tx((t) => work(new AssignmentRepository(t)));
  }

  // ---- roles --------------------------------------------------------------------------

  getRoleRow(id: string): Promise<RoleRow | null> {
    return this.db.oneOrNone<RoleRow>(`SELECT ${ROLE_COLUMNS} FROM role WHERE id = $1`, [id]);
  }

  /** The role with its options, or null, in one statement. */
  async getStoredRole(id: string): Promise<StoredRole | null> {
    return (await this.getStoredRoles([id]))[0] ?? null;
  }

  async getStoredRoles(ids: string[]): Promise<StoredRole[]> {
    if (ids.length === 0) return [];
    const found = await this.db.any<RoleRow & { options: Record<string, string | null> | null }>(
      `SELECT ${ROLE_COLUMNS},
              (SELECT json_object_agg(o.option_id, o.option_value) FROM role_option o WHERE o.role_id = role.id) AS options
         FROM role WHERE id IN ($1:csv)`,
      [ids],
    );
    return found.map(({ options, ...row }) => ({ row, options: options ?? {} }));
  }

  getRoleRowByName(name: string, domainId: string): Promise<RoleRow | null> {
    return this.db.oneOrNone<RoleRow>(`SELECT ${ROLE_COLUMNS} FROM role WHERE name = $1 AND domain_id = $2`, [name, domainId]);
  }

  listRoleRows(filter: RoleListFilter = {}): Promise<RoleRow[]> {
    const where = ['TRUE'];
    if (filter.name !== undefined) where.push('name = ${name}');
    if (filter.domainId !== undefined) where.push('domain_id = ${domainId}');
    if (filter.ids !== undefined) {
      if (filter.ids.length === 0) return Promise.resolve([]);
      where.push('id IN (${ids:csv})');
    }
    return this.db.any<RoleRow>(`SELECT ${ROLE_COLUMNS} FROM role WHERE ${where.join(' AND ')} ORDER BY name, id`, filter);
  }

  /** role id → option_id → stored JSON text */
  async roleOptions(roleIds?: string[]): Promise<Map<string, Record<string, string | null>>> {
    const out = new Map<string, Record<string, string | null>>();
    if (roleIds && roleIds.length === 0) return out;
    const rows = roleIds
      ? await this.db.any<{ role_id: string; option_id: string; option_value: string | null }>(
          'SELECT role_id, option_id, option_value FROM role_option WHERE role_id IN ($1:csv)',
          [roleIds],
        )
      : await this.db.any<{ role_id: string; option_id: string; option_value: string | null }>(
          'SELECT role_id, option_id, option_value FROM role_option',
        );
    for (const r of rows) {
      const opts = out.get(r.role_id) ?? {};
      opts[r.option_id] = r.option_value;
      out.set(r.role_id, opts);
    }
    return out;
  }

  async insertRole(row: RoleRow): Promise<void> {
    await this.db.none(`INSERT INTO role (${ROLE_COLUMNS}) VALUES ($(id), $(name), $(extra), $(domain_id), $(description))`, row);
  }

  async updateRole(row: RoleRow): Promise<void> {
    await this.db.none(
      'UPDATE role SET name = $(name), extra = $(extra), domain_id = $(domain_id), description = $(description) WHERE id = $(id)',
      row,
    );
  }

  /** Sets (JSON text) or, for null, removes each option; options not named are kept. */
  async setRoleOptions(roleId: string, options: Record<string, string | null>): Promise<void> {
    for (const [optionId, value] of Object.entries(options)) {
      if (value === null) {
        await this.db.none('DELETE FROM role_option WHERE role_id = $1 AND option_id = $2', [roleId, optionId]);
      } else {
        await this.db.none(
          `INSERT INTO role_option (role_id, option_id, option_value) VALUES ($1, $2, $3)
           ON CONFLICT (role_id, option_id) DO UPDATE SET option_value = EXCLUDED.option_value`,
          [roleId, optionId, value],
        );
      }
    }
  }

  /** Deletes the role (its options and implications go with it) and every assignment of it. */
  async deleteRole(id: string): Promise<number> {
    await this.db.none('DELETE FROM assignment WHERE role_id = $1', [id]);
    await this.db.none('DELETE FROM system_assignment WHERE role_id = $1', [id]);
    const r = await this.db.result('DELETE FROM role WHERE id = $1', [id]);
    return r.rowCount;
  }

  // ---- implied roles ------------------------------------------------------------------

  listImpliedRolePairs(): Promise<ImpliedRolePair[]> {
    return this.db.any('SELECT prior_role_id, implied_role_id FROM implied_role ORDER BY prior_role_id, implied_role_id');
  }

  listImpliedRoleIds(priorRoleId: string): Promise<string[]> {
    return this.db.map(
      'SELECT implied_role_id FROM implied_role WHERE prior_role_id = $1 ORDER BY implied_role_id',
      [priorRoleId],
      (r: { implied_role_id: string }) => r.implied_role_id,
    );
  }

  async impliedRoleExists(priorRoleId: string, impliedRoleId: string): Promise<boolean> {
    const r = await this.db.oneOrNone<unknown>('SELECT 1 FROM implied_role WHERE prior_role_id = $1 AND implied_role_id = $2', [
      priorRoleId,
      impliedRoleId,
    ]);
    return r !== null;
  }

  /** false when the pair was already there */
  async insertImpliedRole(priorRoleId: string, impliedRoleId: string): Promise<boolean> {
    const r = await this.db.result('INSERT INTO implied_role (prior_role_id, implied_role_id) VALUES ($1, $2) ON CONFLICT DO NOTHING', [
      priorRoleId,
      impliedRoleId,
    ]);
    return r.rowCount > 0;
  }

  async deleteImpliedRole(priorRoleId: string, impliedRoleId: string): Promise<number> {
    const r = await this.db.result('DELETE FROM implied_role WHERE prior_role_id = $1 AND implied_role_id = $2', [
      priorRoleId,
      impliedRoleId,
    ]);
    return r.rowCount;
  }

  // ---- assignments --------------------------------------------------------------------

  private static tableOf(row: Pick<AssignmentRow, 'type'>): string {
    return row.type.endsWith('System') ? 'system_assignment' : 'assignment';
  }

  /** Silent when the grant exists already, as Keystone's grant APIs are. */
  async insertAssignment(row: AssignmentRow): Promise<void> {
    await this.db.none(
      `INSERT INTO ${AssignmentRepository.tableOf(row)} (${ASSIGNMENT_COLUMNS}) VALUES ($(type), $(actor_id), $(target_id), $(role_id), $(inherited)) ON CONFLICT DO NOTHING`,
      row,
    );
  }

  async deleteAssignment(row: AssignmentRow): Promise<number> {
    const r = await this.db.result(
      `DELETE FROM ${AssignmentRepository.tableOf(row)} WHERE type = $(type) AND actor_id = $(actor_id) AND target_id = $(target_id) AND role_id = $(role_id) AND inherited = $(inherited)`,
      row,
    );
    return r.rowCount;
  }

  /**
   * Keystone's check_grant_role_id: the actor, the target (any project or
   * any domain assignment type), the role and the inherited flag.
   */
  async assignmentExists(
    actorId: string,
    targetId: string,
    types: AssignmentType[] | SystemAssignmentType[],
    roleId: string,
    inherited: boolean,
  ): Promise<boolean> {
    const table = types[0].endsWith('System') ? 'system_assignment' : 'assignment';
    const r = await this.db.oneOrNone<unknown>(
      `SELECT 1 FROM ${table} WHERE actor_id = $1 AND target_id = $2 AND type IN ($3:csv) AND role_id = $4 AND inherited = $5 LIMIT 1`,
      [actorId, targetId, types, roleId, inherited],
    );
    return r !== null;
  }

  /** Role ids granted to the actor on the target (Keystone's list_grant_role_ids). */
  listGrantRoleIds(
    actorId: string,
    targetId: string,
    types: AssignmentType[] | SystemAssignmentType[],
    inherited: boolean,
  ): Promise<string[]> {
    const table = types[0].endsWith('System') ? 'system_assignment' : 'assignment';
    return this.db.map(
      `SELECT DISTINCT role_id FROM ${table} WHERE actor_id = $1 AND target_id = $2 AND type IN ($3:csv) AND inherited = $4 ORDER BY role_id`,
      [actorId, targetId, types, inherited],
      (r: { role_id: string }) => r.role_id,
    );
  }

  /** Keystone's driver list_role_assignments: every filter optional, ANDed. */
  queryAssignments(q: AssignmentQuery): Promise<AssignmentRow[]> {
    const where = ['type IN (${types:csv})'];
    if (q.roleId !== undefined) where.push('role_id = ${roleId}');
    if (q.actorIds !== undefined) {
      if (q.actorIds.length === 0) return Promise.resolve([]);
      where.push('actor_id IN (${actorIds:csv})');
    }
    if (q.targetIds !== undefined) {
      if (q.targetIds.length === 0) return Promise.resolve([]);
      where.push('target_id IN (${targetIds:csv})');
    }
    if (q.inherited !== undefined) where.push('inherited = ${inherited}');
    return this.db.any<AssignmentRow>(
      `SELECT ${ASSIGNMENT_COLUMNS} FROM assignment WHERE ${where.join(' AND ')} ORDER BY type, actor_id, target_id, role_id, inherited`,
      q,
    );
  }

  /** Assignments of any of the actors on any of the targets. */
  listAssignments(types: AssignmentType[], actorIds: string[], targetIds: string[], inherited?: boolean): Promise<AssignmentRow[]> {
    return this.queryAssignments({ types, actorIds, targetIds, inherited });
  }

  listAssignmentsOfAny(
    actorIds: string[],
    selections: { types: AssignmentType[]; targetIds: string[]; inherited: boolean }[],
  ): Promise<AssignmentRow[]> {
    const wanted = selections.filter((s) => s.types.length > 0 && s.targetIds.length > 0);
    if (actorIds.length === 0 || wanted.length === 0) return Promise.resolve([]);
    const params: Record<string, unknown> = { actorIds };
    const any = wanted.map((s, i) => {
      Object.assign(params, {
        [`types${String(i)}`]: s.types,
        [`targets${String(i)}`]: s.targetIds,
        [`inherited${String(i)}`]: s.inherited,
      });
      return `(type IN (\${types${String(i)}:csv}) AND target_id IN (\${targets${String(i)}:csv}) AND inherited = \${inherited${String(i)}})`;
    });
    return this.db.any<AssignmentRow>(
      `SELECT ${ASSIGNMENT_COLUMNS} FROM assignment WHERE actor_id IN (\${actorIds:csv}) AND (${any.join(' OR ')})
        ORDER BY type, actor_id, target_id, role_id, inherited`,
      params,
    );
  }

  listSystemAssignments(types: SystemAssignmentType[], actorIds: string[]): Promise<AssignmentRow[]> {
    if (actorIds.length === 0) return Promise.resolve([]);
    return this.db.any<AssignmentRow>(
      `SELECT ${ASSIGNMENT_COLUMNS} FROM system_assignment WHERE type IN ($1:csv) AND actor_id IN ($2:csv) ORDER BY type, actor_id, role_id`,
      [types, actorIds],
    );
  }

  /** Every system assignment (Keystone's list_all_system_grants). */
  listAllSystemAssignments(): Promise<AssignmentRow[]> {
    return this.db.any<AssignmentRow>(`SELECT ${ASSIGNMENT_COLUMNS} FROM system_assignment ORDER BY type, actor_id, role_id`);
  }

  /** Targets (projects or domains) where any of the actors holds any role, directly or inherited. */
  listTargetsOfActors(actorIds: string[]): Promise<AssignmentRow[]> {
    if (actorIds.length === 0) return Promise.resolve([]);
    return this.db.any<AssignmentRow>(`SELECT ${ASSIGNMENT_COLUMNS} FROM assignment WHERE actor_id IN ($1:csv)`, [actorIds]);
  }

  /** A deleted user or group: its grants everywhere, the system included. Returns how many were deleted. */
  async deleteAssignmentsOfActor(actorId: string, types: AssignmentType[], systemTypes: SystemAssignmentType[]): Promise<number> {
    const onTargets = await this.db.result('DELETE FROM assignment WHERE actor_id = $1 AND type IN ($2:csv)', [actorId, types]);
    const onSystem = await this.db.result('DELETE FROM system_assignment WHERE actor_id = $1 AND type IN ($2:csv)', [actorId, systemTypes]);
    return onTargets.rowCount + onSystem.rowCount;
  }

  /** A deleted project or domain: the grants on it. */
  async deleteAssignmentsOnTarget(targetId: string, types: AssignmentType[]): Promise<void> {
    await this.db.none('DELETE FROM assignment WHERE target_id = $1 AND type IN ($2:csv)', [targetId, types]);
  }
}
