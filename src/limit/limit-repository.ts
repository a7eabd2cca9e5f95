/**
 * The SQL backend of unified limits: registered limits (a default per service, region
 * and resource) and project or domain limits, each pointing at its
 * registered limit (limit.registered_limit_id holds registered_limit's
 * internal_id in this schema).
 */
import type { Queryable } from '../storage/database.js';
import type { LimitBackend, LimitOwner, LimitRow, NewLimitRow, RegisteredLimitRow } from './limit-backend.js';

const LIMIT_SELECT = `SELECT l.id, l.project_id, l.domain_id, l.resource_limit, l.description, l.registered_limit_id AS registered_limit_internal_id,
  r.service_id, r.region_id, r.resource_name
  FROM "limit" l LEFT JOIN registered_limit r ON r.internal_id = l.registered_limit_id`;

export class LimitRepository implements LimitBackend {
  constructor(private readonly db: Queryable) {}

  transaction<T>(work: (backend: LimitBackend) => Promise<T>): Promise<T> {
    return this.db.tx((t) => work(new LimitRepository(t)));
  }

  listRegisteredLimitRows(): Promise<RegisteredLimitRow[]> {
    return this.db.any<RegisteredLimitRow>('SELECT * FROM registered_limit ORDER BY internal_id');
  }
  getRegisteredLimitRow(id: string): Promise<RegisteredLimitRow | null> {
    return this.db.oneOrNone<RegisteredLimitRow>('SELECT * FROM registered_limit WHERE id = $1', [id]);
  }
  /** The registered limit of a service, resource and region (null region: the one without). */
  findRegisteredLimitRow(serviceId: string, resourceName: string, regionId: string | null): Promise<RegisteredLimitRow | null> {
    return this.db.oneOrNone<RegisteredLimitRow>(
      'SELECT * FROM registered_limit WHERE service_id = $1 AND resource_name = $2 AND region_id IS NOT DISTINCT FROM $3 ORDER BY internal_id LIMIT 1',
      [serviceId, resourceName, regionId],
    );
  }
  async insertRegisteredLimit(row: Omit<RegisteredLimitRow, 'internal_id'>): Promise<void> {
    await this.db.none(
      `INSERT INTO registered_limit (id, service_id, region_id, resource_name, default_limit, description)
       VALUES ($(id), $(service_id), $(region_id), $(resource_name), $(default_limit), $(description))`,
      row,
    );
  }
  async updateRegisteredLimit(row: RegisteredLimitRow): Promise<void> {
    await this.db.none(
      `UPDATE registered_limit SET service_id = $(service_id), region_id = $(region_id), resource_name = $(resource_name),
       default_limit = $(default_limit), description = $(description) WHERE id = $(id)`,
      row,
    );
  }
  async deleteRegisteredLimit(id: string): Promise<number> {
    return (await this.db.result('DELETE FROM registered_limit WHERE id = $1', [id])).rowCount;
  }
  async registeredLimitInUse(internalId: number): Promise<boolean> {
    return (await this.db.oneOrNone('SELECT 1 FROM "limit" WHERE registered_limit_id = $1 LIMIT 1', [internalId])) !== null;
  }

  listLimitRows(): Promise<LimitRow[]> {
    return this.db.any<LimitRow>(`${LIMIT_SELECT} ORDER BY l.internal_id`);
  }
  getLimitRow(id: string): Promise<LimitRow | null> {
    return this.db.oneOrNone<LimitRow>(`${LIMIT_SELECT} WHERE l.id = $1`, [id]);
  }
  /** The limit of a project or a domain for a registered limit. */
  async limitExists(registeredInternalId: number, owner: LimitOwner): Promise<boolean> {
    const r = owner.projectId
      ? await this.db.oneOrNone<unknown>('SELECT 1 FROM "limit" WHERE registered_limit_id = $1 AND project_id = $2 LIMIT 1', [
          registeredInternalId,
          owner.projectId,
        ])
      : await this.db.oneOrNone<unknown>('SELECT 1 FROM "limit" WHERE registered_limit_id = $1 AND domain_id = $2 LIMIT 1', [
          registeredInternalId,
          owner.domainId,
        ]);
    return r !== null;
  }
  async insertLimit(row: NewLimitRow): Promise<void> {
    await this.db.none(
      `INSERT INTO "limit" (id, project_id, domain_id, resource_limit, description, registered_limit_id)
       VALUES ($(id), $(project_id), $(domain_id), $(resource_limit), $(description), $(registered_limit_id))`,
      row,
    );
  }
  async updateLimit(id: string, resourceLimit: number, description: string | null): Promise<void> {
    await this.db.none('UPDATE "limit" SET resource_limit = $2, description = $3 WHERE id = $1', [id, resourceLimit, description]);
  }
  async deleteLimit(id: string): Promise<number> {
    return (await this.db.result('DELETE FROM "limit" WHERE id = $1', [id])).rowCount;
  }
  async deleteLimitsOf(owner: LimitOwner): Promise<void> {
    if (owner.projectId) await this.db.none('DELETE FROM "limit" WHERE project_id = $1', [owner.projectId]);
    if (owner.domainId) await this.db.none('DELETE FROM "limit" WHERE domain_id = $1', [owner.domainId]);
  }
}
