/** The SQL resource backend: projects, domains, project tags and project options. */
import type { Queryable } from '../storage/database.js';
import { ROOT_DOMAIN_ID, type ProjectRow } from './resource-types.js';
import { canMatch } from '../storage/sql-text.js';
import type { ProjectListFilter, ResourceBackend, StoredProjectOption } from './resource-backend.js';

const COLUMNS = 'id, name, extra, description, enabled, domain_id, parent_id, is_domain';

export class ResourceRepository implements ResourceBackend {
  constructor(private readonly db: Queryable) {}

  transaction<T>(work: (backend: ResourceBackend) => Promise<T>): Promise<T> {
    return this.db.tx((t) => work(new ResourceRepository(t)));
  }

  async getProjectRow(id: string): Promise<ProjectRow | null> {
    if (!canMatch(id, 64) || id === ROOT_DOMAIN_ID) return null;
    return this.db.oneOrNone<ProjectRow>(`SELECT ${COLUMNS} FROM project WHERE id = $1`, [id]);
  }

  async getProjectWithDetails(id: string): Promise<{ row: ProjectRow; tags: string[]; options: StoredProjectOption[] } | null> {
    if (!canMatch(id, 64) || id === ROOT_DOMAIN_ID) return null;
    const found = await this.db.oneOrNone<ProjectRow & { tags: string[]; options: StoredProjectOption[] | null }>(
      `SELECT ${COLUMNS},
              ARRAY(SELECT t.name FROM project_tag t WHERE t.project_id = project.id ORDER BY t.name) AS tags,
              (SELECT json_agg(json_build_object('option_id', o.option_id, 'option_value', o.option_value))
                 FROM project_option o WHERE o.project_id = project.id) AS options
         FROM project WHERE id = $1`,
      [id],
    );
    if (!found) return null;
    const { tags, options, ...row } = found;
    return { row, tags, options: options ?? [] };
  }

  async getProjectRowByName(name: string, domainId: string): Promise<ProjectRow | null> {
    if (!canMatch(name, 64) || !canMatch(domainId, 64)) return null;
    return this.db.oneOrNone<ProjectRow>(`SELECT ${COLUMNS} FROM project WHERE name = $1 AND domain_id = $2 AND id <> $3`, [
      name,
      domainId,
      ROOT_DOMAIN_ID,
    ]);
  }

  async listProjectRows(filter: ProjectListFilter): Promise<ProjectRow[]> {
    const where: string[] = ['id <> ${root}'];
    for (const v of [filter.domainId, filter.parentId, filter.name]) if (v !== undefined && !canMatch(v)) return [];
    if (filter.domainId !== undefined) where.push('domain_id = ${domainId}');
    if (filter.parentId !== undefined) where.push('parent_id = ${parentId}');
    if (filter.name !== undefined) where.push('name = ${name}');
    if (filter.enabled !== undefined) where.push(filter.enabled ? 'enabled IS NOT FALSE' : 'enabled = false');
    if (filter.isDomain !== undefined) where.push('is_domain = ${isDomain}');
    if (filter.ids !== undefined) {
      const ids = filter.ids.filter((id) => canMatch(id));
      if (ids.length === 0) return [];
      where.push('id IN (${ids:csv})');
      return this.db.any<ProjectRow>(`SELECT ${COLUMNS} FROM project WHERE ${where.join(' AND ')} ORDER BY name, id`, {
        ...filter,
        ids,
        root: ROOT_DOMAIN_ID,
      });
    }
    return this.db.any<ProjectRow>(`SELECT ${COLUMNS} FROM project WHERE ${where.join(' AND ')} ORDER BY name, id`, {
      ...filter,
      root: ROOT_DOMAIN_ID,
    });
  }

  async insertProject(row: ProjectRow): Promise<void> {
    await this.db.none(
      `INSERT INTO project (${COLUMNS}) VALUES ($(id), $(name), $(extra), $(description), $(enabled), $(domain_id), $(parent_id), $(is_domain))`,
      row,
    );
  }

  async updateProject(row: ProjectRow): Promise<void> {
    await this.db.none(
      `UPDATE project SET name = $(name), extra = $(extra), description = $(description), enabled = $(enabled), parent_id = $(parent_id) WHERE id = $(id)`,
      row,
    );
  }

  async deleteProject(id: string): Promise<void> {
    await this.db.none('DELETE FROM project WHERE id = $1', [id]);
  }

  async hasChildren(id: string): Promise<boolean> {
    const row = await this.db.oneOrNone<unknown>('SELECT 1 FROM project WHERE parent_id = $1 LIMIT 1', [id]);
    return row !== null;
  }

  /** Ancestors of a project, nearest first (excluding the project itself and the root row; domains included). */
  listAncestorRows(id: string): Promise<ProjectRow[]> {
    if (!canMatch(id, 64)) return Promise.resolve([]);
    return this.db.any<ProjectRow>(
      `WITH RECURSIVE up(${COLUMNS}, depth) AS (
         SELECT ${COLUMNS}, 0 FROM project WHERE id = $1
         UNION ALL
         SELECT p.id, p.name, p.extra, p.description, p.enabled, p.domain_id, p.parent_id, p.is_domain, up.depth + 1
           FROM project p JOIN up ON p.id = up.parent_id WHERE up.depth < 100
       ) SELECT ${COLUMNS} FROM up WHERE id <> $1 AND id <> $2 ORDER BY depth`,
      [id, ROOT_DOMAIN_ID],
    );
  }

  /** Descendants of a project (excluding itself), parents before children. */
  listDescendantRows(id: string): Promise<ProjectRow[]> {
    if (!canMatch(id, 64)) return Promise.resolve([]);
    return this.db.any<ProjectRow>(
      `WITH RECURSIVE down(${COLUMNS}, depth) AS (
         SELECT ${COLUMNS}, 0 FROM project WHERE parent_id = $1
         UNION ALL
         SELECT p.id, p.name, p.extra, p.description, p.enabled, p.domain_id, p.parent_id, p.is_domain, down.depth + 1
           FROM project p JOIN down ON p.parent_id = down.id WHERE down.depth < 100
       ) SELECT ${COLUMNS} FROM down ORDER BY depth, name`,
      [id],
    );
  }

  async tagsOf(projectIds: string[]): Promise<Map<string, string[]>> {
    const map = new Map<string, string[]>();
    if (projectIds.length === 0) return map;
    const rows = await this.db.any<{ project_id: string; name: string }>(
      'SELECT project_id, name FROM project_tag WHERE project_id IN ($1:csv) ORDER BY name',
      [projectIds],
    );
    for (const r of rows) map.set(r.project_id, [...(map.get(r.project_id) ?? []), r.name]);
    return map;
  }

  /** Every tag of every project, for the tags / tags-any / not-tags / not-tags-any list filters. */
  async allTags(): Promise<Map<string, Set<string>>> {
    const map = new Map<string, Set<string>>();
    const rows = await this.db.any<{ project_id: string; name: string }>('SELECT project_id, name FROM project_tag');
    for (const r of rows) {
      let set = map.get(r.project_id);
      if (!set) map.set(r.project_id, (set = new Set()));
      set.add(r.name);
    }
    return map;
  }

  async replaceTags(projectId: string, tags: string[]): Promise<void> {
    await this.db.none('DELETE FROM project_tag WHERE project_id = $1', [projectId]);
    for (const tag of new Set(tags)) await this.db.none('INSERT INTO project_tag (project_id, name) VALUES ($1, $2)', [projectId, tag]);
  }

  async optionsOf(projectIds: string[]): Promise<Map<string, StoredProjectOption[]>> {
    const map = new Map<string, StoredProjectOption[]>();
    if (projectIds.length === 0) return map;
    const rows = await this.db.any<{ project_id: string; option_id: string; option_value: string | null }>(
      'SELECT project_id, option_id, option_value FROM project_option WHERE project_id IN ($1:csv)',
      [projectIds],
    );
    for (const r of rows)
      map.set(r.project_id, [...(map.get(r.project_id) ?? []), { option_id: r.option_id, option_value: r.option_value }]);
    return map;
  }

  async setOption(projectId: string, optionId: string, value: string | null): Promise<void> {
    if (value === null) {
      await this.db.none('DELETE FROM project_option WHERE project_id = $1 AND option_id = $2', [projectId, optionId]);
      return;
    }
    await this.db.none(
      `INSERT INTO project_option (project_id, option_id, option_value) VALUES ($1, $2, $3)
       ON CONFLICT (project_id, option_id) DO UPDATE SET option_value = EXCLUDED.option_value`,
      [projectId, optionId, value],
    );
  }
}
