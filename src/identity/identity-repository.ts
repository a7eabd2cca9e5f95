/**
 * The SQL identity backend: users (user, local_user, nonlocal_user,
 * password, user_option), groups and memberships, as Keystone 22 stores them.
 */
import type { Queryable } from '../storage/database.js';
import { canMatch } from '../storage/sql-text.js';
import type { GroupRow, PasswordRow, UserRow } from './identity-types.js';
import type { FederatedObjectRow } from './federated-objects.js';
import type {
  GroupListFilter,
  IdentityBackend,
  NewFederatedUserRow,
  NewUserRow,
  PasswordExpiresFilter,
  StoredUserOption,
  UserListFilter,
  UserUpdateRow,
} from './identity-backend.js';

const USER_COLUMNS = `
  SELECT u.id, u.extra, u.enabled, u.default_project_id, u.created_at, u.last_active_at, u.domain_id,
         COALESCE(l.name, n.name, fu.display_name) AS name, l.id AS local_user_id, l.failed_auth_count, l.failed_auth_at,
         pw.expires_at AS password_expires_at, pw.created_at AS password_created_at, pw.self_service AS password_self_service`;
const USER_FROM = `
    FROM "user" u
    LEFT JOIN local_user l ON l.user_id = u.id
    LEFT JOIN nonlocal_user n ON n.user_id = u.id
    LEFT JOIN LATERAL (
      SELECT f.display_name FROM federated_user f WHERE f.user_id = u.id ORDER BY f.id LIMIT 1
    ) fu ON l.id IS NULL AND n.user_id IS NULL
    LEFT JOIN LATERAL (
      SELECT p.expires_at, p.created_at, p.self_service FROM password p
       WHERE p.local_user_id = l.id ORDER BY p.created_at DESC, p.id DESC LIMIT 1
    ) pw ON true`;
const USER_SELECT = USER_COLUMNS + USER_FROM;

/** Expiring memberships still in force: verified less than their IdP's authorization_ttl (else ${ttl}) minutes ago. */
const EXPIRING_IN_FORCE = `JOIN identity_provider i ON i.id = e.idp_id
  WHERE e.last_verified + make_interval(mins => COALESCE(NULLIF(i.authorization_ttl, 0), \${ttl})::int) > now()`;

const SQL_OPERATORS: Record<PasswordExpiresFilter['op'], string> = { lt: '<', lte: '<=', gt: '>', gte: '>=', eq: '=', neq: '<>' };

export class IdentityRepository implements IdentityBackend {
  constructor(private readonly db: Queryable) {}

  transaction<T>(work: (backend: IdentityBackend) => Promise<T>): Promise<T> {
    return this.db.tx((t) => work(new IdentityRepository(t)));
  }

  async getUserRow(id: string): Promise<UserRow | null> {
    if (!canMatch(id, 64)) return null;
    return this.db.oneOrNone<UserRow>(`${USER_SELECT} WHERE u.id = $1`, [id]);
  }

  async getUserWithOptions(id: string): Promise<{ row: UserRow; options: StoredUserOption[] } | null> {
    if (!canMatch(id, 64)) return null;
    const found = await this.db.oneOrNone<UserRow & { options: StoredUserOption[] | null }>(
      `${USER_COLUMNS},
         (SELECT json_agg(json_build_object('option_id', o.option_id, 'option_value', o.option_value))
            FROM user_option o WHERE o.user_id = u.id) AS options
       ${USER_FROM} WHERE u.id = $1`,
      [id],
    );
    if (!found) return null;
    const { options, ...row } = found;
    return { row, options: options ?? [] };
  }

  async getUserRowByName(name: string, domainId: string): Promise<UserRow | null> {
    if (!canMatch(name, 255) || !canMatch(domainId, 64)) return null;
    return this.db.oneOrNone<UserRow>(
      `${USER_SELECT} WHERE u.domain_id = $2 AND (l.name = $1 OR (l.name IS NULL AND n.name = $1)) LIMIT 1`,
      [name, domainId],
    );
  }

  async listUserRows(filter: UserListFilter): Promise<UserRow[]> {
    const where: string[] = ['TRUE'];
    const params: Record<string, unknown> = { ...filter };
    for (const v of [filter.domainId, filter.name, filter.groupId]) if (v !== undefined && !canMatch(v)) return [];
    if (filter.domainId !== undefined) where.push('u.domain_id = ${domainId}');
    if (filter.federated) {
      const { idpId, protocolId, uniqueId } = filter.federated;
      if (![idpId, protocolId, uniqueId].every((v) => v === undefined || canMatch(v))) return [];
      Object.assign(params, { idpId, protocolId, uniqueId });
      const conditions = [
        'f.user_id = u.id',
        ...(idpId !== undefined ? ['f.idp_id = ${idpId}'] : []),
        ...(protocolId !== undefined ? ['f.protocol_id = ${protocolId}'] : []),
        ...(uniqueId !== undefined ? ['f.unique_id = ${uniqueId}'] : []),
        ...(filter.name !== undefined ? ['f.display_name = ${name}'] : []),
      ];
      where.push(`EXISTS (SELECT 1 FROM federated_user f WHERE ${conditions.join(' AND ')})`);
    } else if (filter.name !== undefined) {
      // Keystone lists the local (or nonlocal) users of that name and the federated users of that display name.
      where.push(
        '(COALESCE(l.name, n.name) = ${name} OR EXISTS (SELECT 1 FROM federated_user f WHERE f.user_id = u.id AND f.display_name = ${name}))',
      );
    }
    if (filter.enabled !== undefined) where.push(filter.enabled ? 'u.enabled IS NOT FALSE' : 'u.enabled = false');
    if (filter.groupId !== undefined) where.push('u.id IN (SELECT m.user_id FROM user_group_membership m WHERE m.group_id = ${groupId})');
    if (filter.ids !== undefined) {
      params.ids = filter.ids.filter((id) => canMatch(id));
      if ((params.ids as string[]).length === 0) return [];
      where.push('u.id IN (${ids:csv})');
    }
    (filter.passwordExpires ?? []).forEach((f, i) => {
      params[`pe${i}`] = f.at;
      where.push(`EXISTS (SELECT 1 FROM password p WHERE p.local_user_id = l.id AND p.expires_at ${SQL_OPERATORS[f.op]} \${pe${i}})`);
    });
    return this.db.any<UserRow>(`${USER_SELECT} WHERE ${where.join(' AND ')} ORDER BY name, u.id`, params);
  }

  async insertUser(row: NewUserRow): Promise<number> {
    await this.db.none(
      `INSERT INTO "user" (id, extra, enabled, default_project_id, created_at, last_active_at, domain_id)
       VALUES ($(id), $(extra), $(enabled), $(default_project_id), now(), CASE WHEN $(last_active_today) THEN CURRENT_DATE ELSE NULL END, $(domain_id))`,
      { last_active_today: false, ...row },
    );
    const local = await this.db.one<{ id: number }>(
      'INSERT INTO local_user (user_id, domain_id, name, failed_auth_count) VALUES ($(id), $(domain_id), $(name), 0) RETURNING id',
      row,
    );
    return local.id;
  }

  async updateUser(row: UserUpdateRow): Promise<void> {
    await this.db.none(
      'UPDATE "user" SET extra = $(extra), enabled = $(enabled), default_project_id = $(default_project_id) WHERE id = $(id)',
      row,
    );
    await this.db.none('UPDATE local_user SET name = $(name) WHERE user_id = $(id) AND name <> $(name)', row);
    await this.db.none('UPDATE nonlocal_user SET name = $(name) WHERE user_id = $(id) AND name <> $(name)', row);
  }

  async enableUser(id: string): Promise<void> {
    await this.db.none('UPDATE "user" SET enabled = true WHERE id = $1', [id]);
  }

  async deleteUser(id: string): Promise<void> {
    await this.db.none('DELETE FROM "user" WHERE id = $1', [id]);
  }

  async unsetDefaultProject(projectId: string): Promise<void> {
    await this.db.none('UPDATE "user" SET default_project_id = NULL WHERE default_project_id = $1', [projectId]);
  }

  /** Newest first. */
  listPasswords(localUserId: number, limit = 100): Promise<PasswordRow[]> {
    return this.db.any<PasswordRow>(
      'SELECT id, local_user_id, self_service, password_hash, created_at, expires_at FROM password WHERE local_user_id = $1 ORDER BY created_at DESC, id DESC LIMIT $2',
      [localUserId, limit],
    );
  }

  async insertPassword(localUserId: number, hash: string | null, expiresAt: Date | null, selfService: boolean): Promise<void> {
    await this.db.none(
      'INSERT INTO password (local_user_id, password_hash, created_at, expires_at, self_service) VALUES ($1, $2, now(), $3, $4)',
      [localUserId, hash, expiresAt, selfService],
    );
  }

  /**
   * Before a new password is added, as Keystone's password setter: keep the
   * newest `keep` passwords, and expire every kept one not yet expired.
   */
  async retirePasswords(localUserId: number, keep: number): Promise<void> {
    await this.db.none(
      `DELETE FROM password WHERE local_user_id = $1 AND id NOT IN (
         SELECT id FROM password WHERE local_user_id = $1 ORDER BY created_at DESC, id DESC LIMIT $2)`,
      [localUserId, keep],
    );
    await this.db.none('UPDATE password SET expires_at = now() WHERE local_user_id = $1 AND (expires_at IS NULL OR expires_at > now())', [
      localUserId,
    ]);
  }

  async setFailedAuth(localUserId: number, count: number, at: Date | null): Promise<void> {
    await this.db.none('UPDATE local_user SET failed_auth_count = $2, failed_auth_at = $3 WHERE id = $1', [localUserId, count, at]);
  }

  /** Counts one failure atomically (concurrent guesses on several workers are each counted once). */
  incrementFailedAuth(localUserId: number): Promise<{ failed_auth_count: number }> {
    return this.db.one(
      'UPDATE local_user SET failed_auth_count = COALESCE(failed_auth_count, 0) + 1, failed_auth_at = now() WHERE id = $1 RETURNING failed_auth_count',
      [localUserId],
    );
  }

  /** Returns true when the date moved (once a day at most). */
  async setLastActive(userId: string): Promise<boolean> {
    const result = await this.db.result(
      'UPDATE "user" SET last_active_at = CURRENT_DATE WHERE id = $1 AND (last_active_at IS NULL OR last_active_at < CURRENT_DATE)',
      [userId],
    );
    return result.rowCount > 0;
  }

  async optionsOfUsers(userIds: string[]): Promise<Map<string, StoredUserOption[]>> {
    const map = new Map<string, StoredUserOption[]>();
    if (userIds.length === 0) return map;
    const rows = await this.db.any<{ user_id: string; option_id: string; option_value: string | null }>(
      'SELECT user_id, option_id, option_value FROM user_option WHERE user_id IN ($1:csv)',
      [userIds],
    );
    for (const r of rows) map.set(r.user_id, [...(map.get(r.user_id) ?? []), { option_id: r.option_id, option_value: r.option_value }]);
    return map;
  }

  async setOption(userId: string, optionId: string, value: string | null): Promise<void> {
    if (value === null) {
      await this.db.none('DELETE FROM user_option WHERE user_id = $1 AND option_id = $2', [userId, optionId]);
      return;
    }
    await this.db.none(
      `INSERT INTO user_option (user_id, option_id, option_value) VALUES ($1, $2, $3)
       ON CONFLICT (user_id, option_id) DO UPDATE SET option_value = EXCLUDED.option_value`,
      [userId, optionId, value],
    );
  }

  // ---- shadow users (federation) ---------------------------------------------------

  async getFederatedUserRow(idpId: string, protocolId: string, uniqueId: string): Promise<UserRow | null> {
    if (!canMatch(idpId, 64) || !canMatch(protocolId, 64) || !canMatch(uniqueId, 255)) return null;
    return this.db.oneOrNone<UserRow>(
      `${USER_SELECT} WHERE u.id = (SELECT f.user_id FROM federated_user f WHERE f.idp_id = $1 AND f.protocol_id = $2 AND f.unique_id = $3)`,
      [idpId, protocolId, uniqueId],
    );
  }

  async insertFederatedUser(row: NewFederatedUserRow): Promise<void> {
    await this.db.tx(async (t) => {
      await t.none(
        `INSERT INTO "user" (id, extra, enabled, domain_id, created_at, last_active_at)
         VALUES ($(id), $(extra), true, $(domain_id), now(), CASE WHEN $(last_active_today) THEN CURRENT_DATE END)
         ON CONFLICT (id) DO NOTHING`,
        row,
      );
      await t.none(
        `INSERT INTO federated_user (user_id, idp_id, protocol_id, unique_id, display_name)
         VALUES ($(id), $(idp_id), $(protocol_id), $(unique_id), $(display_name))
         ON CONFLICT (idp_id, protocol_id, unique_id) DO NOTHING`,
        row,
      );
    });
  }

  federatedObjectsOfUser(userId: string): Promise<FederatedObjectRow[]> {
    if (!canMatch(userId, 64)) return Promise.resolve([]);
    return this.db.any<FederatedObjectRow>('SELECT idp_id, protocol_id, unique_id FROM federated_user WHERE user_id = $1 ORDER BY id', [
      userId,
    ]);
  }

  async replaceFederatedObjects(userId: string, rows: readonly FederatedObjectRow[], displayName: string): Promise<void> {
    await this.db.tx(async (t) => {
      await t.none('DELETE FROM federated_user WHERE user_id = $1', [userId]);
      for (const row of rows) {
        await t.none('INSERT INTO federated_user (user_id, idp_id, protocol_id, unique_id, display_name) VALUES ($1, $2, $3, $4, $5)', [
          userId,
          row.idp_id,
          row.protocol_id,
          row.unique_id,
          displayName,
        ]);
      }
    });
  }

  async updateFederatedDisplayName(idpId: string, protocolId: string, uniqueId: string, displayName: string | null): Promise<boolean> {
    const result = await this.db.result(
      `UPDATE federated_user SET display_name = $4
        WHERE idp_id = $1 AND protocol_id = $2 AND unique_id = $3 AND display_name IS DISTINCT FROM $4`,
      [idpId, protocolId, uniqueId, displayName],
    );
    return result.rowCount > 0;
  }

  async verifyExpiringMembership(userId: string, groupId: string, idpId: string, defaultTtlMinutes: number): Promise<boolean> {
    return this.db.tx(async (t) => {
      const before = await t.oneOrNone<{ was_active: boolean; mins: number }>(
        `SELECT COALESCE(e.last_verified + make_interval(mins => ttl.mins) > now(), false) AS was_active, ttl.mins
           FROM (SELECT COALESCE(NULLIF(i.authorization_ttl, 0), $4)::int AS mins FROM identity_provider i WHERE i.id = $3) ttl
           LEFT JOIN expiring_user_group_membership e ON e.user_id = $1 AND e.group_id = $2 AND e.idp_id = $3`,
        [userId, groupId, idpId, defaultTtlMinutes],
      );
      await t.none(
        `INSERT INTO expiring_user_group_membership (user_id, group_id, idp_id, last_verified) VALUES ($1, $2, $3, now())
         ON CONFLICT (user_id, group_id, idp_id) DO UPDATE SET last_verified = now()`,
        [userId, groupId, idpId],
      );
      return before !== null && before.mins > 0 && !before.was_active;
    });
  }

  // ---- groups and memberships -------------------------------------------------

  groupIdsOfUser(userId: string, defaultTtlMinutes = 0): Promise<string[]> {
    return this.db.map(
      `SELECT group_id FROM user_group_membership WHERE user_id = $1
       UNION SELECT e.group_id FROM expiring_user_group_membership e ${EXPIRING_IN_FORCE.replace('${ttl}', '$2')} AND e.user_id = $1`,
      [userId, defaultTtlMinutes],
      (r: { group_id: string }) => r.group_id,
    );
  }

  async getGroupRow(id: string): Promise<GroupRow | null> {
    if (!canMatch(id, 64)) return null;
    return this.db.oneOrNone<GroupRow>('SELECT id, domain_id, name, description, extra FROM "group" WHERE id = $1', [id]);
  }

  async getGroupRowByName(name: string, domainId: string): Promise<GroupRow | null> {
    if (!canMatch(name, 64) || !canMatch(domainId, 64)) return null;
    return this.db.oneOrNone<GroupRow>('SELECT id, domain_id, name, description, extra FROM "group" WHERE name = $1 AND domain_id = $2', [
      name,
      domainId,
    ]);
  }

  async listGroupRows(filter: GroupListFilter = {}): Promise<GroupRow[]> {
    const where = ['TRUE'];
    for (const v of [filter.domainId, filter.memberId]) if (v !== undefined && !canMatch(v)) return [];
    if (filter.domainId !== undefined) where.push('g.domain_id = ${domainId}');
    if (filter.memberId !== undefined)
      where.push(
        `(g.id IN (SELECT m.group_id FROM user_group_membership m WHERE m.user_id = \${memberId})
          OR g.id IN (SELECT e.group_id FROM expiring_user_group_membership e ${EXPIRING_IN_FORCE} AND e.user_id = \${memberId}))`,
      );
    return this.db.any<GroupRow>(
      `SELECT g.id, g.domain_id, g.name, g.description, g.extra FROM "group" g WHERE ${where.join(' AND ')} ORDER BY g.name, g.id`,
      { ...filter, ttl: filter.defaultTtlMinutes ?? 0 },
    );
  }

  async insertGroup(row: GroupRow): Promise<void> {
    await this.db.none(
      'INSERT INTO "group" (id, domain_id, name, description, extra) VALUES ($(id), $(domain_id), $(name), $(description), $(extra))',
      row,
    );
  }

  async updateGroup(row: GroupRow): Promise<void> {
    await this.db.none('UPDATE "group" SET name = $(name), description = $(description), extra = $(extra) WHERE id = $(id)', row);
  }

  async deleteGroup(id: string): Promise<void> {
    await this.db.none('DELETE FROM "group" WHERE id = $1', [id]);
  }

  memberIds(groupId: string): Promise<string[]> {
    return this.db.map('SELECT user_id FROM user_group_membership WHERE group_id = $1', [groupId], (r: { user_id: string }) => r.user_id);
  }

  async isMember(userId: string, groupId: string): Promise<boolean> {
    return (
      (await this.db.oneOrNone('SELECT 1 FROM user_group_membership WHERE user_id = $1 AND group_id = $2', [userId, groupId])) !== null
    );
  }

  async addMember(userId: string, groupId: string): Promise<void> {
    await this.db.none('INSERT INTO user_group_membership (user_id, group_id) VALUES ($1, $2) ON CONFLICT DO NOTHING', [userId, groupId]);
  }

  /** Returns how many memberships were removed (0 or 1). */
  async removeMember(userId: string, groupId: string): Promise<number> {
    const result = await this.db.result('DELETE FROM user_group_membership WHERE user_id = $1 AND group_id = $2', [userId, groupId]);
    return result.rowCount;
  }
}
