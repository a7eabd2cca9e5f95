/**
 * Keystone's catalog_api: regions (a tree: parents must exist, no cycles, a
 * region deletes its children and is refused while it or a child has
 * endpoints), services (deleting one deletes its endpoints), endpoints, the
 * OS-EP-FILTER project associations and endpoint groups, and the v3 catalog
 * of a token: enabled services and endpoints, URL templates filled
 * ($(project_id)s, %(tenant_id)s, $(user_id)s …; see url-template.ts), an
 * endpoint whose template cannot be filled left out, the project's endpoint
 * filter applied.
 *
 * Every change invalidates the catalog cache region (which memoized token
 * validations depend on).
 */
import { isUniqueViolation } from '../storage/sql-errors.js';
import type { Cache } from '../cache/cache.js';
import type { KeystoneConfig } from '../config/options.js';
import { DuplicateEntry, NotFound } from '../common/errors.js';
import { newId } from '../common/ids.js';
import { parseExtra } from '../resource/resource-types.js';
import type { ResourceEvents } from '../resource/resource-events.js';
import { CatalogEvents } from './catalog-events.js';
import type { CatalogBackend, EndpointGroupRow, EndpointRow, RegionRow, ServiceRow } from './catalog-backend.js';
import type { CatalogEntry, Endpoint, EndpointGroup, EndpointInterface, Region, Service } from './catalog-types.js';
import {
  CircularRegionHierarchyError,
  EndpointGroupNotFound,
  EndpointNotFound,
  ExpectingToFind,
  RegionDeletionError,
  RegionNotFound,
  ServiceNotFound,
  assertLength,
} from './catalog-errors.js';
import { fillUrlTemplate, MalformedEndpoint, type TemplateValue } from './url-template.js';

export const CATALOG_CACHE_REGION = 'catalog';

export function regionFromRow(row: RegionRow): Region {
  return { id: row.id, description: row.description, parentRegionId: row.parent_region_id, extra: parseExtra(row.extra) };
}
export function serviceFromRow(row: ServiceRow): Service {
  const extra = parseExtra(row.extra);
  const { name, description, ...rest } = extra as { name?: string; description?: string };
  return { id: row.id, type: row.type ?? '', enabled: row.enabled, name: name ?? '', description, extra: rest };
}
export function endpointFromRow(row: EndpointRow): Endpoint {
  return {
    id: row.id,
    interface: row.interface as EndpointInterface,
    serviceId: row.service_id,
    url: row.url,
    enabled: row.enabled,
    regionId: row.region_id,
    legacyEndpointId: row.legacy_endpoint_id,
    extra: parseExtra(row.extra),
  };
}
export function endpointGroupFromRow(row: EndpointGroupRow): EndpointGroup {
  return { id: row.id, name: row.name, description: row.description, filters: parseExtra(row.filters) };
}

/** Fills "$(name)s" / "%(name)s" placeholders; null when the template cannot be filled. */
export function formatEndpointUrl(template: string, values: Record<string, string | undefined>): string | null {
  try {
    return fillUrlTemplate(template, values, ['tenant_id', 'project_id']);
  } catch (err) {
    if (err instanceof MalformedEndpoint) return null;
    throw err;
  }
}

export interface RegionInput {
  id?: string;
  description?: string | null;
  parentRegionId?: string | null;
  extra?: Record<string, unknown>;
}
export interface RegionPatch {
  description?: string | null;
  parentRegionId?: string | null;
  extra?: Record<string, unknown>;
}
export interface ServicePatch {
  type?: string;
  name?: string;
  description?: string;
  enabled?: boolean;
  extra?: Record<string, unknown>;
}
export interface EndpointPatch {
  interface?: EndpointInterface;
  serviceId?: string;
  url?: string;
  regionId?: string | null;
  enabled?: boolean;
  extra?: Record<string, unknown>;
}
export interface EndpointGroupInput {
  name: string;
  description?: string | null;
  filters: Record<string, unknown>;
}

export class CatalogManager {
  /** Deletions, for the rooms that refer to regions, services and endpoints (endpoint policy). */
  readonly events = new CatalogEvents();

  /** The catalog follows the resource manager (`resourceEvents`): a deleted project loses its endpoint filter. */
  constructor(
    private readonly backend: CatalogBackend,
    private readonly cache: Cache,
    private readonly conf: KeystoneConfig,
    resourceEvents: Pick<ResourceEvents, 'on'>,
  ) {
    resourceEvents.on(async (event) => {
      if (event.type === 'project.deleted') {
        await this.backend.deleteProjectAssociations(event.projectId);
        await this.invalidate();
      }
    });
  }

  listLimit(): number | null {
    return this.conf.catalog.list_limit ?? this.conf.DEFAULT.list_limit ?? null;
  }

  // ---- regions ----------------------------------------------------------------------------

  async findRegion(id: string): Promise<Region | null> {
    const row = await this.backend.getRegionRow(id);
    return row ? regionFromRow(row) : null;
  }

  async getRegion(id: string): Promise<Region> {
    const row = await this.backend.getRegionRow(id);
    if (!row) throw new RegionNotFound(id);
    return regionFromRow(row);
  }

  async listRegions(): Promise<Region[]> {
    return (await this.backend.listRegionRows()).map(regionFromRow);
  }

  /** For bootstrap: the region, created when missing. */
  async ensureRegion(id: string, description = ''): Promise<Region> {
    const existing = await this.backend.getRegionRow(id);
    if (existing) return regionFromRow(existing);
    await this.backend.insertRegion({ id, description, parent_region_id: null, extra: '{}' });
    await this.invalidate();
    return this.getRegion(id);
  }

  /** Keystone's create_region: a new id, an existing parent (RegionNotFound naming the parent). */
  async createRegion(input: RegionInput): Promise<Region> {
    const id = input.id || newId();
    assertLength(id, 'id', 255);
    assertLength(input.description, 'description', 255);
    assertLength(input.parentRegionId, 'parent_region_id', 255);
    if (await this.backend.getRegionRow(id)) throw new DuplicateEntry('region', `Duplicate ID, ${id}`);
    const parent = input.parentRegionId ?? null;
    if (parent !== null && !(await this.backend.getRegionRow(parent))) throw new RegionNotFound(parent);
    try {
      await this.backend.insertRegion({
        id,
        description: input.description ?? '',
        parent_region_id: parent,
        extra: JSON.stringify(input.extra ?? {}),
      });
    } catch (err) {
      if (isUniqueViolation(err)) throw new DuplicateEntry('region', `Duplicate ID, ${id}`);
      throw err;
    }
    await this.invalidate();
    return this.getRegion(id);
  }

  /** Keystone's update_region: the new parent must exist and must not make a cycle. */
  async updateRegion(id: string, patch: RegionPatch): Promise<Region> {
    assertLength(patch.description, 'description', 255);
    const newParent = patch.parentRegionId;
    if (newParent !== undefined && newParent !== null && !(await this.backend.getRegionRow(newParent))) throw new RegionNotFound(newParent);
    const current = await this.getRegion(id);
    const parent = newParent === undefined ? current.parentRegionId : newParent;
    let walk = parent;
    const seen = new Set<string>();
    while (walk) {
      if (walk === id) throw new CircularRegionHierarchyError(walk);
      if (seen.has(walk)) break;
      seen.add(walk);
      walk = (await this.backend.getRegionRow(walk))?.parent_region_id ?? null;
    }
    const description = patch.description === undefined ? current.description : (patch.description ?? '');
    await this.backend.updateRegion({
      id,
      description,
      parent_region_id: parent,
      extra: JSON.stringify({ ...current.extra, ...(patch.extra ?? {}) }),
    });
    await this.invalidate();
    return this.getRegion(id);
  }

  /** The region and its children, refused while any of them has endpoints. */
  async deleteRegion(id: string): Promise<void> {
    await this.getRegion(id);
    const tree: string[] = [id];
    for (let i = 0; i < tree.length; i++) {
      for (const child of await this.backend.childRegionIds(tree[i])) if (!tree.includes(child)) tree.push(child);
    }
    if (await this.backend.regionsWithEndpoints(tree)) throw new RegionDeletionError(id);
    await this.backend.transaction(async (repo) => {
      // Children first: parent_region_id is not a foreign key, but keep the order meaningful.
      await repo.deleteRegions([...tree].reverse());
    });
    await this.invalidate();
    await this.events.emit({ type: 'regions.deleted', regionIds: tree });
  }

  // ---- services ---------------------------------------------------------------------------

  async findService(id: string): Promise<Service | null> {
    const row = await this.backend.getServiceRow(id);
    return row ? serviceFromRow(row) : null;
  }

  async getService(id: string): Promise<Service> {
    const s = await this.findService(id);
    if (!s) throw new ServiceNotFound(id);
    return s;
  }

  async listServices(): Promise<Service[]> {
    return (await this.backend.listServiceRows()).map(serviceFromRow);
  }

  /** Keystone's create_service: enabled and name default to true and "". */
  async createService(input: {
    id?: string;
    type: string;
    name?: string;
    description?: string;
    enabled?: boolean;
    extra?: Record<string, unknown>;
  }): Promise<Service> {
    const id = input.id ?? newId();
    assertLength(input.type, 'type', 255);
    const extra = {
      ...(input.extra ?? {}),
      name: input.name ?? '',
      ...(input.description !== undefined ? { description: input.description } : {}),
    };
    await this.backend.insertService({ id, type: input.type, enabled: input.enabled ?? true, extra: JSON.stringify(extra) });
    await this.invalidate();
    return serviceFromRow((await this.backend.getServiceRow(id)) as ServiceRow);
  }

  async updateService(id: string, patch: ServicePatch): Promise<Service> {
    const row = await this.backend.getServiceRow(id);
    if (!row) throw new ServiceNotFound(id);
    assertLength(patch.type, 'type', 255);
    const extra: Record<string, unknown> = { ...parseExtra(row.extra), ...(patch.extra ?? {}) };
    if (patch.name !== undefined) extra.name = patch.name;
    if (patch.description !== undefined) extra.description = patch.description;
    await this.backend.updateService({
      id,
      type: patch.type ?? row.type,
      enabled: patch.enabled ?? row.enabled,
      extra: JSON.stringify(extra),
    });
    await this.invalidate();
    return this.getService(id);
  }

  /** The service and its endpoints. */
  async deleteService(id: string): Promise<void> {
    const endpointIds = (await this.backend.listEndpointRows()).filter((e) => e.service_id === id).map((e) => e.id);
    const deleted = await this.backend.transaction((repo) => repo.deleteService(id));
    if (deleted === 0) throw new ServiceNotFound(id);
    await this.invalidate();
    await this.events.emit({ type: 'service.deleted', serviceId: id, endpointIds });
  }

  // ---- endpoints --------------------------------------------------------------------------

  async findEndpoint(id: string): Promise<Endpoint | null> {
    const row = await this.backend.getEndpointRow(id);
    return row ? endpointFromRow(row) : null;
  }

  async getEndpoint(id: string): Promise<Endpoint> {
    const e = await this.findEndpoint(id);
    if (!e) throw new EndpointNotFound(id);
    return e;
  }

  async listEndpoints(): Promise<Endpoint[]> {
    return (await this.backend.listEndpointRows()).map(endpointFromRow);
  }

  /** Keystone's _assert_region_exists / _assert_service_exists. */
  private async assertReferences(regionId: string | null | undefined, serviceId: string | undefined): Promise<void> {
    if (regionId !== undefined && regionId !== null && !(await this.backend.getRegionRow(regionId)))
      throw new ExpectingToFind('endpoint region_id', 'region table');
    if (serviceId !== undefined && !(await this.backend.getServiceRow(serviceId)))
      throw new ExpectingToFind('endpoint service_id', 'service table');
  }

  async createEndpoint(input: {
    id?: string;
    interface: EndpointInterface;
    serviceId: string;
    url: string;
    regionId?: string | null;
    enabled?: boolean;
    extra?: Record<string, unknown>;
    legacyEndpointId?: string | null;
  }): Promise<Endpoint> {
    await this.assertReferences(input.regionId, input.serviceId);
    const id = input.id ?? newId();
    await this.backend.insertEndpoint({
      id,
      legacy_endpoint_id: input.legacyEndpointId ?? null,
      interface: input.interface,
      service_id: input.serviceId,
      url: input.url,
      extra: JSON.stringify(input.extra ?? {}),
      enabled: input.enabled ?? true,
      region_id: input.regionId ?? null,
    });
    await this.invalidate();
    return endpointFromRow((await this.backend.getEndpointRow(id)) as EndpointRow);
  }

  async updateEndpoint(id: string, patch: EndpointPatch): Promise<Endpoint> {
    await this.assertReferences(patch.regionId, patch.serviceId);
    const row = await this.backend.getEndpointRow(id);
    if (!row) throw new EndpointNotFound(id);
    await this.backend.updateEndpoint({
      id,
      legacy_endpoint_id: row.legacy_endpoint_id,
      interface: patch.interface ?? row.interface,
      service_id: patch.serviceId ?? row.service_id,
      url: patch.url ?? row.url,
      extra: JSON.stringify({ ...parseExtra(row.extra), ...(patch.extra ?? {}) }),
      enabled: patch.enabled ?? row.enabled,
      region_id: patch.regionId === undefined ? row.region_id : patch.regionId,
    });
    await this.invalidate();
    return this.getEndpoint(id);
  }

  /** For keystone-manage bootstrap: the endpoint's URL as given, no checks. */
  async updateEndpointUrl(id: string, url: string): Promise<void> {
    await this.backend.updateEndpointUrl(id, url);
    await this.invalidate();
  }

  async deleteEndpoint(id: string): Promise<void> {
    const deleted = await this.backend.transaction((repo) => repo.deleteEndpoint(id));
    if (deleted === 0) throw new EndpointNotFound(id);
    await this.invalidate();
    await this.events.emit({ type: 'endpoint.deleted', endpointId: id });
  }

  // ---- OS-EP-FILTER -----------------------------------------------------------------------

  async addEndpointToProject(endpointId: string, projectId: string): Promise<void> {
    if (!(await this.backend.addProjectEndpoint(endpointId, projectId))) throw new DuplicateEntry('project_endpoint', 'Duplicate entry');
    await this.invalidate();
  }

  async checkEndpointInProject(endpointId: string, projectId: string): Promise<void> {
    if (!(await this.backend.projectEndpointExists(endpointId, projectId)))
      throw new NotFound(`Endpoint ${endpointId} not found in project ${projectId}`);
  }

  async removeEndpointFromProject(endpointId: string, projectId: string): Promise<void> {
    if ((await this.backend.removeProjectEndpoint(endpointId, projectId)) === 0)
      throw new NotFound(`Endpoint ${endpointId} not found in project ${projectId}`);
    await this.invalidate();
  }

  listProjectIdsForEndpoint(endpointId: string): Promise<string[]> {
    return this.backend.projectIdsOfEndpoint(endpointId);
  }

  async getEndpointGroup(id: string): Promise<EndpointGroup> {
    const row = await this.backend.getEndpointGroupRow(id);
    if (!row) throw new EndpointGroupNotFound(id);
    return endpointGroupFromRow(row);
  }

  async listEndpointGroups(): Promise<EndpointGroup[]> {
    return (await this.backend.listEndpointGroupRows()).map(endpointGroupFromRow);
  }

  async createEndpointGroup(input: EndpointGroupInput): Promise<EndpointGroup> {
    const id = newId();
    assertLength(input.name, 'name', 255);
    await this.backend.insertEndpointGroup({
      id,
      name: input.name,
      description: input.description ?? null,
      filters: JSON.stringify(input.filters),
    });
    await this.invalidate();
    return this.getEndpointGroup(id);
  }

  async updateEndpointGroup(id: string, patch: Partial<EndpointGroupInput>): Promise<EndpointGroup> {
    const current = await this.getEndpointGroup(id);
    assertLength(patch.name, 'name', 255);
    await this.backend.updateEndpointGroup({
      id,
      name: patch.name ?? current.name,
      description: patch.description === undefined ? current.description : patch.description,
      filters: JSON.stringify(patch.filters ?? current.filters),
    });
    await this.invalidate();
    return this.getEndpointGroup(id);
  }

  async deleteEndpointGroup(id: string): Promise<void> {
    const deleted = await this.backend.transaction((repo) => repo.deleteEndpointGroup(id));
    if (deleted === 0) throw new EndpointGroupNotFound(id);
    await this.invalidate();
  }

  /** The endpoints an endpoint group's filters select. */
  async endpointsInGroup(groupId: string): Promise<Endpoint[]> {
    const group = await this.getEndpointGroup(groupId);
    return (await this.listEndpoints()).filter((e) => endpointMatches(e, group.filters));
  }

  async addEndpointGroupToProject(groupId: string, projectId: string): Promise<void> {
    if (!(await this.backend.addProjectEndpointGroup(groupId, projectId))) {
      throw new DuplicateEntry('project_endpoint_group', 'Duplicate entry');
    }
    await this.invalidate();
  }

  async checkEndpointGroupInProject(groupId: string, projectId: string): Promise<void> {
    if (!(await this.backend.projectEndpointGroupExists(groupId, projectId)))
      throw new NotFound('Endpoint Group Project Association not found');
  }

  async removeEndpointGroupFromProject(groupId: string, projectId: string): Promise<void> {
    if ((await this.backend.removeProjectEndpointGroup(groupId, projectId)) === 0)
      throw new NotFound('Endpoint Group Project Association not found');
    await this.invalidate();
  }

  listProjectIdsForEndpointGroup(groupId: string): Promise<string[]> {
    return this.backend.projectIdsOfEndpointGroup(groupId);
  }

  async listEndpointGroupsForProject(projectId: string): Promise<EndpointGroup[]> {
    const groups: EndpointGroup[] = [];
    for (const id of await this.backend.endpointGroupIdsOfProject(projectId)) {
      const row = await this.backend.getEndpointGroupRow(id);
      if (row) groups.push(endpointGroupFromRow(row));
    }
    return groups;
  }

  /** Keystone's list_endpoints_for_project: associated endpoints, then those of the project's endpoint groups. */
  async listEndpointsForProject(projectId: string): Promise<Endpoint[]> {
    const filter = await this.backend.endpointFilterOfProject(projectId);
    const ids = filter.endpointIds;
    const groups = filter.endpointGroups.map(endpointGroupFromRow);
    // Most projects have no filter: no need to read every endpoint to learn that.
    if (ids.length === 0 && groups.length === 0) return [];
    const all = await this.listEndpoints();
    const byId = new Map(all.map((e) => [e.id, e]));
    const chosen = new Map<string, Endpoint>();
    for (const id of ids) {
      const e = byId.get(id);
      if (e) chosen.set(id, e);
    }
    for (const group of groups) {
      for (const e of all) if (!chosen.has(e.id) && endpointMatches(e, group.filters)) chosen.set(e.id, e);
    }
    return [...chosen.values()];
  }

  // ---- the catalog of a token -------------------------------------------------------------

  /** Services and endpoints as rows, memoized (the expensive part of every token body). */
  private async catalogSource(): Promise<{ services: Service[]; endpoints: Endpoint[] }> {
    const load = async () => ({ services: await this.listServices(), endpoints: await this.listEndpoints() });
    if (!this.conf.catalog.caching) return load();
    return this.cache.memoize(CATALOG_CACHE_REGION, 'source', this.conf.catalog.cache_time, load);
  }

  /**
   * The enabled endpoint ids a project's catalog is filtered to, or null
   * when the project has no endpoint filter (no associated endpoint, no
   * endpoint group selecting any).
   */
  private async endpointFilter(projectId: string): Promise<string[] | null> {
    const load = async () => {
      const endpoints = await this.listEndpointsForProject(projectId);
      return { ids: endpoints.length ? endpoints.filter((e) => e.enabled).map((e) => e.id) : null };
    };
    const result = this.conf.catalog.caching
      ? await this.cache.memoize(CATALOG_CACHE_REGION, `filter:${projectId}`, this.conf.catalog.cache_time, load)
      : await load();
    return result.ids;
  }

  private templateValues(userId: string, projectId: string | null): Record<string, TemplateValue | undefined> {
    const server = this.conf.eventlet_server;
    return {
      user_id: userId,
      project_id: projectId ?? undefined,
      tenant_id: projectId ?? undefined,
      public_bind_host: server.public_bind_host,
      admin_bind_host: server.admin_bind_host,
      public_port: server.public_port,
      admin_port: server.admin_port,
      public_endpoint: this.conf.DEFAULT.public_endpoint ?? 'None',
    };
  }

  private returnAllEndpointsIfNoFilter(): boolean {
    return this.conf.endpoint_filter.return_all_endpoints_if_no_filter;
  }

  /** The v3 catalog of a token for this user and project (null: domain or system scope). */
  async getV3Catalog(userId: string, projectId: string | null): Promise<CatalogEntry[]> {
    const { services, endpoints } = await this.catalogSource();
    const values = this.templateValues(userId, projectId);
    let catalog: CatalogEntry[] = [];
    for (const service of services) {
      if (!service.enabled) continue;
      const entries: CatalogEntry['endpoints'] = [];
      for (const e of endpoints) {
        if (e.serviceId !== service.id || !e.enabled) continue;
        let url: string | null;
        try {
          url = fillUrlTemplate(e.url, values, ['tenant_id', 'project_id']);
        } catch (err) {
          if (err instanceof MalformedEndpoint) continue;
          throw err;
        }
        if (!url) continue;
        entries.push({ ...e.extra, id: e.id, interface: e.interface, region_id: e.regionId, url, region: e.regionId });
      }
      catalog.push({ endpoints: entries, id: service.id, type: service.type, name: service.name });
    }
    const filter = projectId ? await this.endpointFilter(projectId) : null;
    if (filter) {
      const allowed = new Set(filter);
      catalog = catalog
        .map((s) => ({ ...s, endpoints: s.endpoints.filter((e) => allowed.has(e.id)) }))
        .filter((s) => s.endpoints.length > 0);
    } else if (!this.returnAllEndpointsIfNoFilter()) {
      return [];
    }
    return catalog;
  }

  invalidate(): Promise<void> {
    return this.cache.invalidate(CATALOG_CACHE_REGION);
  }
}

/** An endpoint group filter: every key equal (service_id, region_id, interface). */
export function endpointMatches(e: Endpoint, filters: Record<string, unknown>): boolean {
  const view: Record<string, unknown> = {
    ...e.extra,
    id: e.id,
    interface: e.interface,
    service_id: e.serviceId,
    region_id: e.regionId,
    url: e.url,
    enabled: e.enabled,
  };
  return Object.entries(filters).every(([k, v]) => view[k] === v);
}
