/**
 * The SQL catalog backend: regions, services, endpoints, OS-EP-FILTER
 * endpoint groups and project associations, as Keystone 22 stores them.
 */
import type { Queryable } from '../storage/database.js';
import type { CatalogBackend, EndpointGroupRow, EndpointRow, RegionRow, ServiceRow } from './catalog-backend.js';

const ENDPOINT_COLUMNS = 'id, legacy_endpoint_id, interface, service_id, url, extra, enabled, region_id';

export class CatalogRepository implements CatalogBackend {
  constructor(private readonly db: Queryable) {}

  transaction<T>(work: (backend: CatalogBackend) => Promise<T>): Promise<T> {
    return this.db.tx((t) => work(new CatalogRepository(t)));
  }

  // ---- regions ----------------------------------------------------------------------------

  getRegionRow(id: string): Promise<RegionRow | null> {
    return this.db.oneOrNone<RegionRow>('SELECT id, description, parent_region_id, extra FROM region WHERE id = $1', [id]);
  }
  listRegionRows(): Promise<RegionRow[]> {
    return this.db.any<RegionRow>('SELECT id, description, parent_region_id, extra FROM region ORDER BY id');
  }
  async insertRegion(row: RegionRow): Promise<void> {
    await this.db.none(
      'INSERT INTO region (id, description, parent_region_id, extra) VALUES ($(id), $(description), $(parent_region_id), $(extra))',
      row,
    );
  }
  async updateRegion(row: RegionRow): Promise<void> {
    await this.db.none(
      'UPDATE region SET description = $(description), parent_region_id = $(parent_region_id), extra = $(extra) WHERE id = $(id)',
      row,
    );
  }
  async deleteRegions(ids: string[]): Promise<void> {
    if (ids.length) await this.db.none('DELETE FROM region WHERE id IN ($1:csv)', [ids]);
  }
  childRegionIds(id: string): Promise<string[]> {
    return this.db.map('SELECT id FROM region WHERE parent_region_id = $1 ORDER BY id', [id], (r: { id: string }) => r.id);
  }
  async regionsWithEndpoints(ids: string[]): Promise<boolean> {
    if (!ids.length) return false;
    const r = await this.db.oneOrNone<unknown>('SELECT 1 FROM endpoint WHERE region_id IN ($1:csv) LIMIT 1', [ids]);
    return r !== null;
  }

  // ---- services ---------------------------------------------------------------------------

  getServiceRow(id: string): Promise<ServiceRow | null> {
    return this.db.oneOrNone<ServiceRow>('SELECT id, type, enabled, extra FROM service WHERE id = $1', [id]);
  }
  listServiceRows(): Promise<ServiceRow[]> {
    return this.db.any<ServiceRow>('SELECT id, type, enabled, extra FROM service ORDER BY id');
  }
  async insertService(row: ServiceRow): Promise<void> {
    await this.db.none('INSERT INTO service (id, type, enabled, extra) VALUES ($(id), $(type), $(enabled), $(extra))', row);
  }
  async updateService(row: ServiceRow): Promise<void> {
    await this.db.none('UPDATE service SET type = $(type), enabled = $(enabled), extra = $(extra) WHERE id = $(id)', row);
  }
  /** The service and its endpoints (with their project associations). */
  async deleteService(id: string): Promise<number> {
    await this.db.none('DELETE FROM project_endpoint WHERE endpoint_id IN (SELECT id FROM endpoint WHERE service_id = $1)', [id]);
    await this.db.none('DELETE FROM endpoint WHERE service_id = $1', [id]);
    return (await this.db.result('DELETE FROM service WHERE id = $1', [id])).rowCount;
  }

  // ---- endpoints --------------------------------------------------------------------------

  getEndpointRow(id: string): Promise<EndpointRow | null> {
    return this.db.oneOrNone<EndpointRow>(`SELECT ${ENDPOINT_COLUMNS} FROM endpoint WHERE id = $1`, [id]);
  }
  listEndpointRows(): Promise<EndpointRow[]> {
    return this.db.any<EndpointRow>(`SELECT ${ENDPOINT_COLUMNS} FROM endpoint ORDER BY id`);
  }
  async insertEndpoint(row: EndpointRow): Promise<void> {
    await this.db.none(
      `INSERT INTO endpoint (${ENDPOINT_COLUMNS})
       VALUES ($(id), $(legacy_endpoint_id), $(interface), $(service_id), $(url), $(extra), $(enabled), $(region_id))`,
      row,
    );
  }
  async updateEndpoint(row: EndpointRow): Promise<void> {
    await this.db.none(
      `UPDATE endpoint SET legacy_endpoint_id = $(legacy_endpoint_id), interface = $(interface), service_id = $(service_id), url = $(url),
       extra = $(extra), enabled = $(enabled), region_id = $(region_id) WHERE id = $(id)`,
      row,
    );
  }
  async updateEndpointUrl(id: string, url: string): Promise<void> {
    await this.db.none('UPDATE endpoint SET url = $2 WHERE id = $1', [id, url]);
  }
  /** The endpoint and its project associations. */
  async deleteEndpoint(id: string): Promise<number> {
    await this.db.none('DELETE FROM project_endpoint WHERE endpoint_id = $1', [id]);
    return (await this.db.result('DELETE FROM endpoint WHERE id = $1', [id])).rowCount;
  }

  // ---- OS-EP-FILTER -----------------------------------------------------------------------

  /** false when the association existed already */
  async addProjectEndpoint(endpointId: string, projectId: string): Promise<boolean> {
    const r = await this.db.result('INSERT INTO project_endpoint (endpoint_id, project_id) VALUES ($1, $2) ON CONFLICT DO NOTHING', [
      endpointId,
      projectId,
    ]);
    return r.rowCount > 0;
  }
  async projectEndpointExists(endpointId: string, projectId: string): Promise<boolean> {
    return (
      (await this.db.oneOrNone('SELECT 1 FROM project_endpoint WHERE endpoint_id = $1 AND project_id = $2', [endpointId, projectId])) !==
      null
    );
  }
  async removeProjectEndpoint(endpointId: string, projectId: string): Promise<number> {
    return (await this.db.result('DELETE FROM project_endpoint WHERE endpoint_id = $1 AND project_id = $2', [endpointId, projectId]))
      .rowCount;
  }
  endpointIdsOfProject(projectId: string): Promise<string[]> {
    return this.db.map(
      'SELECT endpoint_id FROM project_endpoint WHERE project_id = $1 ORDER BY endpoint_id',
      [projectId],
      (r: { endpoint_id: string }) => r.endpoint_id,
    );
  }
  projectIdsOfEndpoint(endpointId: string): Promise<string[]> {
    return this.db.map(
      'SELECT project_id FROM project_endpoint WHERE endpoint_id = $1 ORDER BY project_id',
      [endpointId],
      (r: { project_id: string }) => r.project_id,
    );
  }
  /** A deleted project: its endpoint and endpoint group associations. */
  async deleteProjectAssociations(projectId: string): Promise<void> {
    await this.db.none('DELETE FROM project_endpoint WHERE project_id = $1', [projectId]);
    await this.db.none('DELETE FROM project_endpoint_group WHERE project_id = $1', [projectId]);
  }

  getEndpointGroupRow(id: string): Promise<EndpointGroupRow | null> {
    return this.db.oneOrNone<EndpointGroupRow>('SELECT id, name, description, filters FROM endpoint_group WHERE id = $1', [id]);
  }
  listEndpointGroupRows(): Promise<EndpointGroupRow[]> {
    return this.db.any<EndpointGroupRow>('SELECT id, name, description, filters FROM endpoint_group ORDER BY name, id');
  }
  async insertEndpointGroup(row: EndpointGroupRow): Promise<void> {
    await this.db.none(
      'INSERT INTO endpoint_group (id, name, description, filters) VALUES ($(id), $(name), $(description), $(filters))',
      row,
    );
  }
  async updateEndpointGroup(row: EndpointGroupRow): Promise<void> {
    await this.db.none(
      'UPDATE endpoint_group SET name = $(name), description = $(description), filters = $(filters) WHERE id = $(id)',
      row,
    );
  }
  async deleteEndpointGroup(id: string): Promise<number> {
    await this.db.none('DELETE FROM project_endpoint_group WHERE endpoint_group_id = $1', [id]);
    return (await this.db.result('DELETE FROM endpoint_group WHERE id = $1', [id])).rowCount;
  }
  async addProjectEndpointGroup(groupId: string, projectId: string): Promise<boolean> {
    const r = await this.db.result(
      'INSERT INTO project_endpoint_group (endpoint_group_id, project_id) VALUES ($1, $2) ON CONFLICT DO NOTHING',
      [groupId, projectId],
    );
    return r.rowCount > 0;
  }
  async projectEndpointGroupExists(groupId: string, projectId: string): Promise<boolean> {
    return (
      (await this.db.oneOrNone('SELECT 1 FROM project_endpoint_group WHERE endpoint_group_id = $1 AND project_id = $2', [
        groupId,
        projectId,
      ])) !== null
    );
  }
  async removeProjectEndpointGroup(groupId: string, projectId: string): Promise<number> {
    return (
      await this.db.result('DELETE FROM project_endpoint_group WHERE endpoint_group_id = $1 AND project_id = $2', [groupId, projectId])
    ).rowCount;
  }
  endpointGroupIdsOfProject(projectId: string): Promise<string[]> {
    return this.db.map(
      'SELECT endpoint_group_id FROM project_endpoint_group WHERE project_id = $1 ORDER BY endpoint_group_id',
      [projectId],
      (r: { endpoint_group_id: string }) => r.endpoint_group_id,
    );
  }
  async endpointFilterOfProject(projectId: string): Promise<{ endpointIds: string[]; endpointGroups: EndpointGroupRow[] }> {
    const rows = await this.db.any<{ kind: 'endpoint' | 'group'; id: string; name: string; description: string | null; filters: string }>(
      `SELECT 'endpoint' AS kind, endpoint_id AS id, NULL AS name, NULL AS description, NULL AS filters
         FROM project_endpoint WHERE project_id = $1
       UNION ALL
       SELECT 'group', g.id, g.name, g.description, g.filters
         FROM project_endpoint_group p JOIN endpoint_group g ON g.id = p.endpoint_group_id WHERE p.project_id = $1
       ORDER BY kind, id`,
      [projectId],
    );
    const endpointIds: string[] = [];
    const endpointGroups: EndpointGroupRow[] = [];
    for (const { kind, ...row } of rows) {
      if (kind === 'endpoint') endpointIds.push(row.id);
      else endpointGroups.push(row);
    }
    return { endpointIds, endpointGroups };
  }
  projectIdsOfEndpointGroup(groupId: string): Promise<string[]> {
    return this.db.map(
      'SELECT project_id FROM project_endpoint_group WHERE endpoint_group_id = $1 ORDER BY project_id',
      [groupId],
      (r: { project_id: string }) => r.project_id,
    );
  }
}
