/**
 * What the catalog manager asks of its storage (Keystone's catalog driver
 * interface, catalog/backends/base.py, with OS-EP-FILTER's): regions,
 * services, endpoints, endpoint groups and their project associations.
 * The SQL backend is catalog-repository.ts.
 */

export interface RegionRow {
  id: string;
  description: string;
  parent_region_id: string | null;
  extra: string;
}
export interface ServiceRow {
  id: string;
  type: string | null;
  enabled: boolean;
  extra: string;
}
export interface EndpointRow {
  id: string;
  legacy_endpoint_id: string | null;
  interface: string;
  service_id: string;
  url: string;
  extra: string;
  enabled: boolean;
  region_id: string | null;
}
export interface EndpointGroupRow {
  id: string;
  name: string;
  description: string | null;
  filters: string;
}

export interface CatalogBackend {
  /** Runs `work` as one unit against a backend bound to it (a SQL transaction). */
  transaction<T>(work: (backend: CatalogBackend) => Promise<T>): Promise<T>;

  // ---- regions ----------------------------------------------------------------------------
  getRegionRow(id: string): Promise<RegionRow | null>;
  /** by id */
  listRegionRows(): Promise<RegionRow[]>;
  insertRegion(row: RegionRow): Promise<void>;
  updateRegion(row: RegionRow): Promise<void>;
  deleteRegions(ids: string[]): Promise<void>;
  childRegionIds(id: string): Promise<string[]>;
  /** whether any endpoint is in one of the regions */
  regionsWithEndpoints(ids: string[]): Promise<boolean>;

  // ---- services ---------------------------------------------------------------------------
  getServiceRow(id: string): Promise<ServiceRow | null>;
  /** by id */
  listServiceRows(): Promise<ServiceRow[]>;
  insertService(row: ServiceRow): Promise<void>;
  updateService(row: ServiceRow): Promise<void>;
  /** The service and its endpoints (with their project associations); returns how many services were deleted (0 or 1). */
  deleteService(id: string): Promise<number>;

  // ---- endpoints --------------------------------------------------------------------------
  getEndpointRow(id: string): Promise<EndpointRow | null>;
  /** by id */
  listEndpointRows(): Promise<EndpointRow[]>;
  insertEndpoint(row: EndpointRow): Promise<void>;
  updateEndpoint(row: EndpointRow): Promise<void>;
  updateEndpointUrl(id: string, url: string): Promise<void>;
  /** The endpoint and its project associations; returns how many endpoints were deleted (0 or 1). */
  deleteEndpoint(id: string): Promise<number>;

  // ---- OS-EP-FILTER -----------------------------------------------------------------------
  /** false when the association existed already */
  addProjectEndpoint(endpointId: string, projectId: string): Promise<boolean>;
  projectEndpointExists(endpointId: string, projectId: string): Promise<boolean>;
  /** how many were removed (0 or 1) */
  removeProjectEndpoint(endpointId: string, projectId: string): Promise<number>;
  endpointIdsOfProject(projectId: string): Promise<string[]>;
  projectIdsOfEndpoint(endpointId: string): Promise<string[]>;
  /** A deleted project: its endpoint and endpoint group associations. */
  deleteProjectAssociations(projectId: string): Promise<void>;
  getEndpointGroupRow(id: string): Promise<EndpointGroupRow | null>;
  /** by name, then id */
  listEndpointGroupRows(): Promise<EndpointGroupRow[]>;
  insertEndpointGroup(row: EndpointGroupRow): Promise<void>;
  updateEndpointGroup(row: EndpointGroupRow): Promise<void>;
  /** The group and its project associations; returns how many groups were deleted (0 or 1). */
  deleteEndpointGroup(id: string): Promise<number>;
  /** false when the association existed already */
  addProjectEndpointGroup(groupId: string, projectId: string): Promise<boolean>;
  projectEndpointGroupExists(groupId: string, projectId: string): Promise<boolean>;
  /** how many were removed (0 or 1) */
  removeProjectEndpointGroup(groupId: string, projectId: string): Promise<number>;
  endpointGroupIdsOfProject(projectId: string): Promise<string[]>;
  /** A project's endpoint filter in one statement: its endpoint ids and its endpoint groups, each sorted by id. */
  endpointFilterOfProject(projectId: string): Promise<{ endpointIds: string[]; endpointGroups: EndpointGroupRow[] }>;
  projectIdsOfEndpointGroup(groupId: string): Promise<string[]>;
}
