/**
 * What the resource manager asks of its storage (Keystone's resource driver
 * interface, resource/backends/base.py): projects and domains (a domain is
 * a project row with is_domain), their tags and resource options. The SQL
 * backend is resource-repository.ts.
 */
import type { ProjectRow } from './resource-types.js';

export interface ProjectListFilter {
  domainId?: string;
  parentId?: string;
  name?: string;
  enabled?: boolean;
  isDomain?: boolean;
  ids?: string[];
}

/** A project option as stored: option id (project_option.option_id) and its JSON text. */
export interface StoredProjectOption {
  option_id: string;
  option_value: string | null;
}

export interface ResourceBackend {
  /** Runs `work` as one unit against a backend bound to it (a SQL transaction). */
  transaction<T>(work: (backend: ResourceBackend) => Promise<T>): Promise<T>;

  /** null for the root row that domains hang from */
  getProjectRow(id: string): Promise<ProjectRow | null>;
  /** The row with its tags (sorted) and options, in one statement: a login reads its project and domain. */
  getProjectWithDetails(id: string): Promise<{ row: ProjectRow; tags: string[]; options: StoredProjectOption[] } | null>;
  getProjectRowByName(name: string, domainId: string): Promise<ProjectRow | null>;
  /** by name, then id; never the root row */
  listProjectRows(filter: ProjectListFilter): Promise<ProjectRow[]>;
  insertProject(row: ProjectRow): Promise<void>;
  updateProject(row: ProjectRow): Promise<void>;
  deleteProject(id: string): Promise<void>;
  hasChildren(id: string): Promise<boolean>;
  /** Ancestors of a project, nearest first (excluding the project itself and the root row; domains included). */
  listAncestorRows(id: string): Promise<ProjectRow[]>;
  /** Descendants of a project (excluding itself), parents before children. */
  listDescendantRows(id: string): Promise<ProjectRow[]>;

  /** project id → its tags, by name */
  tagsOf(projectIds: string[]): Promise<Map<string, string[]>>;
  /** Every tag of every project, for the tags / tags-any / not-tags / not-tags-any list filters. */
  allTags(): Promise<Map<string, Set<string>>>;
  replaceTags(projectId: string, tags: string[]): Promise<void>;
  optionsOf(projectIds: string[]): Promise<Map<string, StoredProjectOption[]>>;
  /** null removes the option */
  setOption(projectId: string, optionId: string, value: string | null): Promise<void>;
}
