/**
 * Domains and projects (Keystone's resource_api): lookups (memoized), the
 * hierarchy, creation, update and deletion with Keystone's rules and
 * messages, project tags and options, and the "is this scope usable" checks
 * the auth flow needs. A domain is a project row with is_domain.
 */
import type { Cache } from '../cache/cache.js';
import type { KeystoneConfig } from '../config/options.js';
import { DuplicateEntry, EntityNotFound, Forbidden, ValidationError } from '../common/errors.js';
import { newId } from '../common/ids.js';
import type { ProjectListFilter, ResourceBackend, StoredProjectOption } from './resource-backend.js';
import {
  domainFromRow,
  projectFromRow,
  projectRefFromRow,
  ROOT_DOMAIN_ID,
  type Domain,
  type Project,
  type ProjectRef,
  type ProjectRow,
} from './resource-types.js';
import { isImmutable, PROJECT_OPTIONS, projectOptionName } from './project-options.js';
import { ResourceEvents } from './resource-events.js';
import type { RevocationPort } from './revocation-port.js';
import { isUniqueViolation } from '../storage/sql-errors.js';

export const RESOURCE_CACHE_REGION = 'resource';
/** the assignment manager's region: computed role assignments depend on the project tree */
const ASSIGNMENT_CACHE_REGION = 'assignment';

const URL_RESERVED_CHARS = ":/?#[]@!$&'()*+,;=";

export interface CreateProjectInput {
  id?: string;
  name: string;
  domainId?: string;
  parentId?: string | null;
  description?: string;
  enabled?: boolean;
  isDomain?: boolean;
  tags?: string[];
  extra?: Record<string, unknown>;
}

/** A project (or domain) to create, as the v3 API hands it over (domain_id and parent_id already defaulted). */
export interface CreateProjectRefInput {
  id?: string;
  name: string;
  domainId: string | null;
  parentId: string | null;
  description?: string | null;
  enabled?: boolean;
  isDomain?: boolean;
  tags?: string[];
  options?: Record<string, unknown>;
  extra?: Record<string, unknown>;
}

/** A PATCH of a project or domain: only the keys present change. */
export interface ProjectPatch {
  name?: string;
  description?: string | null;
  enabled?: boolean;
  domainId?: string | null;
  parentId?: string | null;
  isDomain?: boolean;
  tags?: string[];
  options?: Record<string, unknown>;
  /** free-form attributes merged into `extra` */
  extra?: Record<string, unknown>;
}

export interface TagFilters {
  tags?: string;
  tagsAny?: string;
  notTags?: string;
  notTagsAny?: string;
}

function unsafeChars(name: string): string {
  return Array.from(name)
    .filter((c) => URL_RESERVED_CHARS.includes(c))
    .join('');
}

/** A project's reference from its row, tags and stored options (option values are JSON text). */
function refWithDetails(row: ProjectRow, tags: string[], stored: StoredProjectOption[]): ProjectRef {
  const opts: Record<string, unknown> = {};
  for (const o of stored) {
    const name = projectOptionName(o.option_id);
    if (!name || o.option_value === null) continue;
    try {
      opts[name] = JSON.parse(o.option_value);
    } catch {
      opts[name] = o.option_value;
    }
  }
  return projectRefFromRow(row, tags, opts);
}

export class ResourceManager {
  /** project/domain deletions and disables, for the subsystems that keep data about them */
  readonly events = new ResourceEvents();

  constructor(
    private readonly backend: ResourceBackend,
    private readonly cache: Cache,
    private readonly conf: KeystoneConfig,
    private readonly revocation: RevocationPort,
  ) {}

  private cacheTtl(): number | null {
    return this.conf.resource.cache_time;
  }

  /** The list limit of resource collections: [resource] list_limit, else [DEFAULT] list_limit. */
  listLimit(): number | null {
    return this.conf.resource.list_limit ?? this.conf.DEFAULT.list_limit ?? null;
  }

  async invalidate(): Promise<void> {
    await this.cache.invalidate(RESOURCE_CACHE_REGION, ASSIGNMENT_CACHE_REGION);
  }

  // ---- lookups -----------------------------------------------------------

  private async refsFromRows(rows: ProjectRow[]): Promise<ProjectRef[]> {
    const ids = rows.map((r) => r.id);
    const [tags, options] = await Promise.all([this.backend.tagsOf(ids), this.backend.optionsOf(ids)]);
    return rows.map((row) => refWithDetails(row, tags.get(row.id) ?? [], options.get(row.id) ?? []));
  }

  private async loadRef(id: string): Promise<ProjectRef | null> {
    const found = await this.backend.getProjectWithDetails(id);
    return found ? refWithDetails(found.row, found.tags, found.options) : null;
  }

  /** A project or a domain by id (memoized in the resource region). */
  async findProjectRef(id: string): Promise<ProjectRef | null> {
    if (!this.conf.resource.caching) return this.loadRef(id);
    return this.cache.memoize(RESOURCE_CACHE_REGION, `ref:${id}`, this.cacheTtl(), () => this.loadRef(id));
  }

  /** Keystone's get_project: projects and projects acting as domains; ProjectNotFound otherwise. */
  async getProjectRef(id: string): Promise<ProjectRef> {
    const ref = await this.findProjectRef(id);
    if (!ref) throw new EntityNotFound('project', id);
    return ref;
  }

  /** Keystone's get_domain: DomainNotFound unless the row acts as a domain. */
  async getDomainRef(id: string): Promise<ProjectRef> {
    const ref = await this.findProjectRef(id);
    if (!ref || !ref.isDomain) throw new EntityNotFound('domain', id);
    return ref;
  }

  async findProject(id: string): Promise<Project | null> {
    const ref = await this.findProjectRef(id);
    if (!ref || ref.isDomain) return null;
    return {
      id: ref.id,
      name: ref.name,
      description: ref.description ?? '',
      enabled: ref.enabled,
      domainId: ref.domainId as string,
      parentId: ref.parentId,
      isDomain: false,
      tags: ref.tags,
      extra: ref.extra,
    };
  }

  async getProject(id: string): Promise<Project> {
    const p = await this.findProject(id);
    if (!p) throw new EntityNotFound('project', id);
    return p;
  }

  async findDomain(id: string): Promise<Domain | null> {
    const ref = await this.findProjectRef(id);
    if (!ref || !ref.isDomain) return null;
    return { id: ref.id, name: ref.name, description: ref.description ?? '', enabled: ref.enabled, tags: ref.tags, extra: ref.extra };
  }

  async getDomain(id: string): Promise<Domain> {
    const d = await this.findDomain(id);
    if (!d) throw new EntityNotFound('domain', id);
    return d;
  }

  async findDomainByName(name: string): Promise<Domain | null> {
    const row = await this.backend.getProjectRowByName(name, ROOT_DOMAIN_ID);
    return row ? domainFromRow(row) : null;
  }

  async getDomainByName(name: string): Promise<Domain> {
    const d = await this.findDomainByName(name);
    if (!d) throw new EntityNotFound('domain', name);
    return d;
  }

  async findProjectByName(name: string, domainId: string): Promise<Project | null> {
    const row = await this.backend.getProjectRowByName(name, domainId);
    return row && !row.is_domain ? projectFromRow(row) : null;
  }

  async listProjects(filter: ProjectListFilter = {}): Promise<Project[]> {
    const rows = await this.backend.listProjectRows({ ...filter, isDomain: filter.isDomain ?? false });
    const tags = await this.backend.tagsOf(rows.map((r) => r.id));
    return rows.map((r) => projectFromRow(r, tags.get(r.id) ?? []));
  }

  async listDomains(filter: { name?: string; enabled?: boolean } = {}): Promise<Domain[]> {
    const rows = await this.backend.listProjectRows({ ...filter, domainId: ROOT_DOMAIN_ID, isDomain: true });
    return rows.map((r) => domainFromRow(r));
  }

  /** Projects and domains as the v3 API lists them, with Keystone's tag filters applied. */
  async listProjectRefs(filter: { isDomain?: boolean; ids?: string[] } & TagFilters = {}): Promise<ProjectRef[]> {
    let rows = await this.backend.listProjectRows({ isDomain: filter.isDomain, ids: filter.ids });
    const split = (v: string) => v.split(',');
    if (filter.tags !== undefined || filter.tagsAny !== undefined || filter.notTags !== undefined || filter.notTagsAny !== undefined) {
      const tagsById = await this.backend.allTags();
      const has = (id: string, tag: string) => tagsById.get(id)?.has(tag) ?? false;
      rows = rows.filter((r) => {
        if (filter.tags !== undefined && !split(filter.tags).every((t) => has(r.id, t))) return false;
        if (filter.tagsAny !== undefined && !split(filter.tagsAny).some((t) => has(r.id, t))) return false;
        if (filter.notTags !== undefined && split(filter.notTags).every((t) => has(r.id, t))) return false;
        if (filter.notTagsAny !== undefined && split(filter.notTagsAny).some((t) => has(r.id, t))) return false;
        return true;
      });
    }
    return this.refsFromRows(rows);
  }

  /** Ancestors nearest first, domains excluded. */
  async listParents(projectId: string): Promise<Project[]> {
    const rows = await this.backend.listAncestorRows(projectId);
    return rows.filter((r) => !r.is_domain).map((r) => projectFromRow(r));
  }

  async listSubtree(projectId: string): Promise<Project[]> {
    const rows = await this.backend.listDescendantRows(projectId);
    return rows.map((r) => projectFromRow(r));
  }

  /** Keystone's list_project_parents: every ancestor nearest first, the domain included. */
  async listParentRefs(projectId: string): Promise<ProjectRef[]> {
    await this.getProjectRef(projectId);
    return this.refsFromRows(await this.backend.listAncestorRows(projectId));
  }

  /** Keystone's list_projects_in_subtree: every descendant, parents before children. */
  async listSubtreeRefs(projectId: string): Promise<ProjectRef[]> {
    await this.getProjectRef(projectId);
    return this.refsFromRows(await this.backend.listDescendantRows(projectId));
  }

  /** {parent: {grandparent: … {domain: null}}}, or null for a root. */
  async parentsAsIds(project: ProjectRef): Promise<Record<string, unknown> | null> {
    const parents = await this.backend.listAncestorRows(project.id);
    let tree: Record<string, unknown> | null = null;
    for (const p of [...parents].reverse()) tree = { [p.id]: tree };
    return tree;
  }

  /** {child: {grandchild: null, …}, …}, or null for a leaf. */
  async subtreeAsIds(projectId: string): Promise<Record<string, unknown> | null> {
    await this.getProjectRef(projectId);
    const rows = await this.backend.listDescendantRows(projectId);
    const byParent = new Map<string, string[]>();
    for (const r of rows) if (r.parent_id) byParent.set(r.parent_id, [...(byParent.get(r.parent_id) ?? []), r.id]);
    const build = (id: string, depth: number): Record<string, unknown> | null => {
      const children = byParent.get(id);
      if (!children || depth > 100) return null;
      return Object.fromEntries(children.map((c) => [c, build(c, depth + 1)]));
    };
    return build(projectId, 0);
  }

  /** True when the project, every parent and its domain are enabled. */
  async isProjectUsable(project: Project): Promise<boolean> {
    if (!project.enabled) return false;
    const domain = await this.findDomain(project.domainId);
    if (!domain || !domain.enabled) return false;
    for (const parent of await this.listParents(project.id)) if (!parent.enabled) return false;
    return true;
  }

  // ---- creation ------------------------------------------------------------

  private assertUrlSafe(setting: string, entity: 'Project' | 'Domain', name: string): void {
    if (setting === 'off') return;
    const chars = unsafeChars(name);
    if (chars) throw new ValidationError(`${entity} name cannot contain the following reserved characters: ${chars}`, false);
  }

  private assertNotFederated(id: string, name: string | undefined): void {
    // [federation] federated_domain_name is not an option here: Keystone's default name is reserved.
    const reserved = 'federated';
    if (name !== undefined && name.toLowerCase() === reserved) throw new ValidationError(`Domain cannot be named ${name}`, false);
    if (id.toLowerCase() === reserved) throw new ValidationError(`Domain cannot have ID ${id}`, false);
  }

  private conflictMessage(isDomain: boolean, name: string, id: string): DuplicateEntry {
    return isDomain
      ? new DuplicateEntry('project', `it is not permitted to have two projects acting as domains with the same name: ${name}`)
      : new DuplicateEntry(
          'project',
          `it is not permitted to have two projects with either the same name or same id in the same domain: name is ${name}, project id ${id}`,
        );
  }

  /** Keystone's create_domain: the domain_name_url_safe rule, then create_project with is_domain. */
  async createDomainRef(input: Omit<CreateProjectRefInput, 'domainId' | 'parentId' | 'isDomain'>): Promise<ProjectRef> {
    this.assertUrlSafe(this.conf.resource.domain_name_url_safe, 'Domain', input.name);
    return this.createProjectRef({ ...input, domainId: null, parentId: null, isDomain: true });
  }

  /** Keystone's create_project, with its constraints and messages (domain_id and parent_id defaulted by the caller). */
  async createProjectRef(input: CreateProjectRefInput): Promise<ProjectRef> {
    const id = input.id ?? newId();
    this.assertUrlSafe(this.conf.resource.project_name_url_safe, 'Project', input.name);
    const name = input.name.trim();
    const isDomain = input.isDomain ?? false;
    const parentId = input.parentId || input.domainId || null;
    let domainId: string;
    if (isDomain) {
      this.assertNotFederated(id, name);
      if (parentId) throw new ValidationError('only root projects are allowed to act as domains.', false);
      domainId = ROOT_DOMAIN_ID;
    } else {
      if (!input.domainId) throw new EntityNotFound('domain', String(input.domainId));
      const domain = await this.getDomainRef(input.domainId);
      const parent = await this.getProjectRef(parentId as string);
      if (parent.isDomain) {
        if (parent.id !== domain.id) {
          throw new ValidationError(
            `Cannot create project, the parent (${parent.id}) is acting as a domain, but this project's domain id (${domain.id}) does not match the parent's id.`,
            false,
          );
        }
      } else if (parent.domainId !== domain.id) {
        throw new ValidationError(
          `Cannot create project, since it specifies its domain_id ${domain.id}, but specifies a parent in a different domain (${parent.domainId}).`,
          false,
        );
      }
      const parentsList = [...(await this.backend.listAncestorRows(parent.id)).map((r) => projectRefFromRow(r)), parent];
      for (const ref of parentsList) {
        if (!ref.enabled) throw new ValidationError(`cannot create a project in a branch containing a disabled project: ${ref.id}`, false);
      }
      if (parentsList.length + 1 > this.conf.DEFAULT.max_project_tree_depth + 1) {
        throw new Forbidden(`Max hierarchy depth reached for ${parent.id} branch.`);
      }
      domainId = domain.id;
    }
    try {
      await this.backend.transaction(async (repo) => {
        if (await repo.getProjectRow(id)) throw this.conflictMessage(isDomain, name, id);
        await repo.insertProject({
          id,
          name,
          extra: JSON.stringify(input.extra ?? {}),
          description: input.description === undefined ? '' : input.description,
          enabled: input.enabled ?? true,
          domain_id: domainId,
          parent_id: isDomain ? null : parentId,
          is_domain: isDomain,
        });
        if (input.tags?.length)
          await repo.replaceTags(
            id,
            input.tags.map((t2) => t2.trim()),
          );
        await this.writeOptions(repo, id, input.options ?? {});
      });
    } catch (err) {
      if (isUniqueViolation(err)) throw this.conflictMessage(isDomain, name, id);
      throw err;
    }
    await this.invalidate();
    return this.getProjectRef(id);
  }

  private async writeOptions(repo: ResourceBackend, id: string, options: Record<string, unknown>): Promise<void> {
    for (const [name, value] of Object.entries(options)) {
      const spec = PROJECT_OPTIONS[name as keyof typeof PROJECT_OPTIONS];
      if (spec) await repo.setOption(id, spec.id, value === null || value === undefined ? null : JSON.stringify(value));
    }
  }

  async createDomain(input: Omit<CreateProjectInput, 'domainId' | 'parentId' | 'isDomain'>): Promise<Domain> {
    const ref = await this.createDomainRef({
      id: input.id,
      name: input.name,
      description: input.description,
      enabled: input.enabled,
      tags: input.tags,
      extra: input.extra,
    });
    return this.getDomain(ref.id);
  }

  async createProject(input: CreateProjectInput): Promise<Project> {
    const domainId =
      input.domainId ??
      (input.parentId ? ((await this.getProjectRef(input.parentId)).domainId ?? input.parentId) : this.conf.identity.default_domain_id);
    const ref = await this.createProjectRef({
      id: input.id,
      name: input.name,
      domainId,
      parentId: input.parentId ?? domainId,
      description: input.description,
      enabled: input.enabled,
      isDomain: input.isDomain,
      tags: input.tags,
      extra: input.extra,
    });
    return this.getProject(ref.id);
  }

  // ---- update --------------------------------------------------------------

  private assertImmutableUpdate(original: ProjectRef, patchKeys: string[], options: Record<string, unknown> | undefined): void {
    if (!isImmutable(original.options)) return;
    const value = options?.immutable;
    if (patchKeys.length > 1 || !options || !('immutable' in options) || (value !== false && value !== null)) {
      const type = original.isDomain ? 'domain' : 'project';
      throw new Forbidden(`Unable to update immutable ${type} resource: \`${original.id}. Set resource option "immutable" to false first.`);
    }
  }

  /**
   * Keystone's update_project / update_domain. `patchKeys` are the keys the
   * request carried (for the immutable rule, which counts them).
   */
  async updateProjectRef(id: string, patch: ProjectPatch, patchKeys: string[], asDomain = false): Promise<ProjectRef> {
    const row = await this.backend.getProjectRow(id);
    if (!row || (asDomain && !row.is_domain)) throw new EntityNotFound(asDomain ? 'domain' : 'project', id);
    const original = (await this.refsFromRows([row]))[0];
    if ('domainId' in patch && patch.domainId !== original.domainId) throw new ValidationError('Cannot change Domain ID', false);
    this.assertImmutableUpdate(original, patchKeys, patch.options);
    if (original.isDomain) this.assertNotFederated(id, patch.name);
    let name = original.name;
    if (patch.name !== undefined && patch.name !== original.name) {
      this.assertUrlSafe(
        original.isDomain ? this.conf.resource.domain_name_url_safe : this.conf.resource.project_name_url_safe,
        original.isDomain ? 'Domain' : 'Project',
        patch.name,
      );
      name = patch.name.trim();
    }
    if ('parentId' in patch && patch.parentId !== original.parentId) throw new Forbidden('Update of `parent_id` is not allowed.');
    if ('isDomain' in patch && patch.isDomain !== original.isDomain)
      throw new ValidationError('Update of `is_domain` is not allowed.', false);
    // As Keystone: a patch without `enabled` counts as enabling (so the parents check runs for disabled projects).
    const enabled = patch.enabled ?? true;
    if (!original.enabled && enabled) {
      for (const parent of await this.backend.listAncestorRows(id)) {
        if (parent.enabled === false) throw new Forbidden(`Cannot enable project ${id} since it has disabled parents`);
      }
    }
    const disabling = original.enabled && patch.enabled === false;
    if (disabling && !original.isDomain) {
      const subtree = await this.backend.listDescendantRows(id);
      if (subtree.some((p) => p.enabled !== false))
        throw new Forbidden(`Cannot disable project ${id} since its subtree contains enabled projects.`);
    }
    try {
      await this.backend.transaction(async (repo) => {
        await repo.updateProject({
          id,
          name,
          extra: JSON.stringify({ ...original.extra, ...(patch.extra ?? {}) }),
          description: patch.description !== undefined ? patch.description : original.description,
          enabled: patch.enabled !== undefined ? patch.enabled : original.enabled,
          domain_id: row.domain_id,
          parent_id: row.parent_id,
          is_domain: row.is_domain,
        });
        if (patch.tags !== undefined)
          await repo.replaceTags(
            id,
            patch.tags.map((tag) => tag.trim()),
          );
        if (patch.options !== undefined) await this.writeOptions(repo, id, patch.options);
      });
    } catch (err) {
      if (isUniqueViolation(err)) throw this.conflictMessage(original.isDomain, name, id);
      throw err;
    }
    await this.invalidate();
    if (disabling) {
      await this.events.emit(original.isDomain ? { type: 'domain.disabled', domainId: id } : { type: 'project.disabled', projectId: id });
      await this.revocation.dropTokenCache();
    }
    return this.getProjectRef(id);
  }

  // ---- tags ----------------------------------------------------------------

  async listProjectTags(projectId: string): Promise<string[]> {
    return (await this.getProjectRef(projectId)).tags;
  }

  async getProjectTag(projectId: string, tag: string): Promise<string> {
    const ref = await this.getProjectRef(projectId);
    if (!ref.tags.includes(tag)) throw new EntityNotFound('project tag', tag);
    return tag;
  }

  private assertTagsMutable(ref: ProjectRef, verb: 'create' | 'update' | 'delete'): void {
    if (isImmutable(ref.options)) {
      throw new Forbidden(
        `Cannot ${verb} project tags for ${ref.id}, project is immutable. Set "immutable" option to false before creating project tags.`,
      );
    }
  }

  async addProjectTag(projectId: string, tag: string): Promise<string> {
    const ref = await this.getProjectRef(projectId);
    this.assertTagsMutable(ref, 'create');
    const name = tag.trim();
    await this.updateProjectRef(projectId, { tags: [...ref.tags, name] }, ['tags']);
    return name;
  }

  async replaceProjectTags(projectId: string, tags: string[]): Promise<string[]> {
    const ref = await this.getProjectRef(projectId);
    this.assertTagsMutable(ref, 'update');
    const list = tags.map((t) => t.trim());
    await this.updateProjectRef(projectId, { tags: list }, ['tags']);
    return list;
  }

  async deleteProjectTag(projectId: string, tag: string): Promise<void> {
    const ref = await this.getProjectRef(projectId);
    this.assertTagsMutable(ref, 'delete');
    if (!ref.tags.includes(tag)) throw new EntityNotFound('project tag', tag);
    await this.updateProjectRef(projectId, { tags: ref.tags.filter((t) => t !== tag) }, ['tags']);
  }

  // ---- deletion --------------------------------------------------------------

  /** Keystone's delete_project: a project acting as a domain is deleted as a domain. */
  async deleteProjectRef(id: string): Promise<void> {
    const row = await this.backend.getProjectRow(id);
    if (!row) throw new EntityNotFound('project', id);
    const ref = (await this.refsFromRows([row]))[0];
    if (ref.isDomain) {
      await this.deleteDomainRef(ref);
      return;
    }
    this.assertDeletable(ref);
    if (await this.backend.hasChildren(id)) {
      throw new Forbidden(
        `Cannot delete the project ${id} since it is not a leaf in the hierarchy. Use the cascade option if you want to delete a whole subtree.`,
      );
    }
    await this.removeProject(ref);
    await this.revocation.dropTokenCache();
  }

  private assertDeletable(ref: ProjectRef): void {
    if (isImmutable(ref.options)) {
      throw new Forbidden(
        `Unable to delete immutable ${ref.isDomain ? 'domain' : 'project'} resource: \`${ref.id}. Set resource option "immutable" to false first.`,
      );
    }
  }

  private async removeProject(ref: ProjectRef): Promise<void> {
    await this.backend.deleteProject(ref.id);
    await this.invalidate();
    await this.events.emit({ type: 'project.deleted', projectId: ref.id, domainId: ref.domainId });
    await this.revocation.revokeProject(ref.id);
  }

  /** Keystone's delete_domain: only a disabled domain; its projects, then its users and groups, go with it. */
  async deleteDomain(id: string): Promise<void> {
    const row = await this.backend.getProjectRow(id);
    if (!row || !row.is_domain) throw new EntityNotFound('domain', id);
    await this.deleteDomainRef((await this.refsFromRows([row]))[0]);
  }

  private async deleteDomainRef(domain: ProjectRef): Promise<void> {
    this.assertDeletable(domain);
    if (domain.enabled) throw new Forbidden('Cannot delete a domain that is enabled, please disable it first.');
    const projects = await this.refsFromRows(await this.backend.listProjectRows({ domainId: domain.id, isDomain: false }));
    for (const p of projects) this.assertDeletable(p);
    // Leaves first, so that no parent_id is left dangling.
    const depthOf = new Map<string, number>();
    const byId = new Map(projects.map((p) => [p.id, p]));
    const depth = (p: ProjectRef, seen = 0): number => {
      if (depthOf.has(p.id)) return depthOf.get(p.id) as number;
      const parent = p.parentId ? byId.get(p.parentId) : undefined;
      const d = parent && seen < 100 ? depth(parent, seen + 1) + 1 : 0;
      depthOf.set(p.id, d);
      return d;
    };
    for (const p of [...projects].sort((a, b) => depth(b) - depth(a))) await this.removeProject(p);
    await this.events.emit({ type: 'domain.deleting', domainId: domain.id });
    await this.backend.deleteProject(domain.id);
    await this.invalidate();
    await this.events.emit({ type: 'domain.deleted', domainId: domain.id });
    await this.revocation.dropTokenCache();
  }
}
