/**
 * The SQL backend of application credentials: the application_credential, application_credential_role, access_rule and
 * application_credential_access_rule tables (Keystone's
 * application_credential/backends/sql.py). Access rules belong to a user
 * and are shared by the user's credentials; a rule in use is not deleted.
 */
import { randomUUID } from 'node:crypto';
import type { Database, Queryable } from '../storage/database.js';
import type { ApplicationCredentialBackend } from './application-credential-backend.js';
import type {
  AccessRule,
  AccessRuleFilter,
  NewApplicationCredential,
  StoredApplicationCredential,
} from './application-credential-types.js';

interface AppCredRow {
  internal_id: number;
  id: string;
  name: string;
  secret_hash: string;
  description: string | null;
  user_id: string;
  project_id: string | null;
  system: string | null;
  expires_at: Date | null;
  expires_at_text: string | null;
  unrestricted: boolean | null;
}

interface AccessRuleRow {
  id: number;
  external_id: string;
  service: string;
  path: string;
  method: string;
  user_id: string;
}

const SELECT_CREDENTIALS = `SELECT *, to_char(expires_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US') AS expires_at_text FROM application_credential`;

const ruleOf = (r: AccessRuleRow): AccessRule => ({ id: r.external_id, service: r.service, path: r.path, method: r.method });

export class ApplicationCredentialRepository implements ApplicationCredentialBackend {
  constructor(private readonly db: Database) {}

  private async withDetails(rows: AppCredRow[]): Promise<StoredApplicationCredential[]> {
    if (!rows.length) return [];
    const ids = rows.map((r) => r.internal_id);
    const roles = await this.db.any<{ cred: number; id: string; name: string | null }>(
      `SELECT acr.application_credential_id AS cred, acr.role_id AS id, r.name FROM application_credential_role acr
         LEFT JOIN role r ON r.id = acr.role_id WHERE acr.application_credential_id IN ($1:csv) ORDER BY acr.role_id`,
      [ids],
    );
    const rules = await this.db.any<AccessRuleRow & { cred: number }>(
      `SELECT aca.application_credential_id AS cred, ar.id, ar.external_id, ar.service, ar.path, ar.method, ar.user_id
         FROM application_credential_access_rule aca JOIN access_rule ar ON ar.id = aca.access_rule_id
        WHERE aca.application_credential_id IN ($1:csv) ORDER BY ar.id`,
      [ids],
    );
    return rows.map((row) => ({
      id: row.id,
      name: row.name,
      userId: row.user_id,
      projectId: row.project_id,
      system: row.system,
      description: row.description,
      expiresAt: row.expires_at ? row.expires_at.getTime() : null,
      expiresAtText: row.expires_at_text,
      unrestricted: row.unrestricted,
      secretHash: row.secret_hash,
      roles: roles.filter((r) => r.cred === row.internal_id).map((r) => ({ id: r.id, name: r.name ?? '' })),
      accessRules: rules.filter((r) => r.cred === row.internal_id).map(ruleOf),
    }));
  }

  async get(id: string): Promise<StoredApplicationCredential | null> {
    const rows = await this.db.any<AppCredRow>(`${SELECT_CREDENTIALS} WHERE id = $1`, [id]);
    return (await this.withDetails(rows))[0] ?? null;
  }

  async listForUser(userId: string, filter: { name?: string; projectId?: string } = {}): Promise<StoredApplicationCredential[]> {
    const rows = await this.db.any<AppCredRow>(
      `${SELECT_CREDENTIALS} WHERE user_id = $(userId)
         ${filter.name !== undefined ? 'AND name = $(name)' : ''} ${filter.projectId !== undefined ? 'AND project_id = $(projectId)' : ''}
        ORDER BY internal_id`,
      { userId, ...filter },
    );
    return this.withDetails(rows);
  }

  async countForUser(userId: string): Promise<number> {
    const row = await this.db.one<{ n: string }>('SELECT count(*) AS n FROM application_credential WHERE user_id = $1', [userId]);
    return Number(row.n);
  }

  async nameTaken(userId: string, name: string): Promise<boolean> {
    return (await this.db.oneOrNone('SELECT 1 FROM application_credential WHERE user_id = $1 AND name = $2', [userId, name])) !== null;
  }

  /** false when (user, name) is taken (a concurrent create). */
  async insert(cred: NewApplicationCredential): Promise<boolean> {
    return this.db.tx(async (t: Queryable) => {
      const inserted = await t.oneOrNone<{ internal_id: number }>(
        `INSERT INTO application_credential (id, name, secret_hash, description, user_id, project_id, system, expires_at, unrestricted)
         VALUES ($(id), $(name), $(secretHash), $(description), $(userId), $(projectId), NULL, $(expiresAt)::timestamptz, $(unrestricted))
         ON CONFLICT ON CONSTRAINT duplicate_app_cred_constraint DO NOTHING RETURNING internal_id`,
        cred,
      );
      if (!inserted) return false;
      for (const roleId of new Set(cred.roleIds)) {
        await t.none('INSERT INTO application_credential_role (application_credential_id, role_id) VALUES ($1, $2)', [
          inserted.internal_id,
          roleId,
        ]);
      }
      for (const rule of cred.accessRules) {
        const ruleId = await ApplicationCredentialRepository.accessRuleFor(t, cred.userId, rule);
        await t.none(
          'INSERT INTO application_credential_access_rule (application_credential_id, access_rule_id) VALUES ($1, $2) ON CONFLICT DO NOTHING',
          [inserted.internal_id, ruleId],
        );
      }
      return true;
    });
  }

  /** The user's rule with this id, or with this service, path and method, or a new one. */
  private static async accessRuleFor(
    t: Queryable,
    userId: string,
    rule: { id: string; service?: string; path?: string; method?: string },
  ): Promise<number> {
    const byId = await t.oneOrNone<AccessRuleRow>('SELECT * FROM access_rule WHERE external_id = $1 AND user_id = $2', [rule.id, userId]);
    if (byId) return byId.id;
    const same = await t.oneOrNone<AccessRuleRow>(
      'SELECT * FROM access_rule WHERE user_id = $1 AND service = $2 AND path = $3 AND method = $4',
      [userId, rule.service ?? null, rule.path ?? null, rule.method ?? null],
    );
    if (same) return same.id;
    const taken = await t.oneOrNone<unknown>('SELECT 1 FROM access_rule WHERE external_id = $1', [rule.id]);
    const externalId = taken ? randomUUID().replace(/-/g, '') : rule.id;
    const row = await t.one<{ id: number }>(
      'INSERT INTO access_rule (external_id, user_id, service, path, method) VALUES ($1, $2, $3, $4, $5) RETURNING id',
      [externalId, userId, rule.service ?? null, rule.path ?? null, rule.method ?? null],
    );
    return row.id;
  }

  async accessRuleExists(userId: string, externalId: string): Promise<boolean> {
    return (await this.db.oneOrNone('SELECT 1 FROM access_rule WHERE external_id = $1 AND user_id = $2', [externalId, userId])) !== null;
  }

  async delete(id: string): Promise<boolean> {
    const r = await this.db.result('DELETE FROM application_credential WHERE id = $1', [id]);
    return r.rowCount > 0;
  }

  /** The ids deleted. */
  async deleteForUser(userId: string, projectId?: string): Promise<string[]> {
    const rows =
      projectId === undefined
        ? await this.db.any<{ id: string }>('DELETE FROM application_credential WHERE user_id = $1 RETURNING id', [userId])
        : await this.db.any<{ id: string }>('DELETE FROM application_credential WHERE user_id = $1 AND project_id = $2 RETURNING id', [
            userId,
            projectId,
          ]);
    return rows.map((r) => r.id);
  }

  async getAccessRule(externalId: string): Promise<(AccessRule & { userId: string }) | null> {
    const row = await this.db.oneOrNone<AccessRuleRow>('SELECT * FROM access_rule WHERE external_id = $1', [externalId]);
    return row ? { ...ruleOf(row), userId: row.user_id } : null;
  }

  async listAccessRules(userId: string, filter: AccessRuleFilter = {}): Promise<AccessRule[]> {
    const where = ['user_id = $(userId)'];
    for (const k of ['service', 'path', 'method'] as const) if (filter[k] !== undefined) where.push(`${k} = $(${k})`);
    const rows = await this.db.any<AccessRuleRow>(`SELECT * FROM access_rule WHERE ${where.join(' AND ')} ORDER BY id`, {
      userId,
      ...filter,
    });
    return rows.map(ruleOf);
  }

  /** 'in-use' when a credential still holds it. */
  async deleteAccessRule(externalId: string): Promise<'deleted' | 'missing' | 'in-use'> {
    return this.db.tx(async (t: Queryable) => {
      const row = await t.oneOrNone<{ id: number }>('SELECT id FROM access_rule WHERE external_id = $1 FOR UPDATE', [externalId]);
      if (!row) return 'missing';
      const used = await t.oneOrNone<unknown>('SELECT 1 FROM application_credential_access_rule WHERE access_rule_id = $1 LIMIT 1', [
        row.id,
      ]);
      if (used) return 'in-use';
      await t.none('DELETE FROM access_rule WHERE id = $1', [row.id]);
      return 'deleted';
    });
  }

  async deleteAccessRulesForUser(userId: string): Promise<void> {
    await this.db.none('DELETE FROM access_rule WHERE user_id = $1', [userId]);
  }
}
