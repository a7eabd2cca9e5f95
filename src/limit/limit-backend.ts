/**
 * What the unified limit manager asks of its storage (Keystone's limit
 * driver interface, limit/backends/base.py): registered limits (a default
 * per service, region and resource) and project or domain limits, each
 * pointing at its registered limit. The SQL backend is limit-repository.ts.
 */

export interface RegisteredLimitRow {
  internal_id: number;
  id: string;
  service_id: string | null;
  region_id: string | null;
  resource_name: string | null;
  default_limit: number;
  description: string | null;
}

/** A limit row joined with its registered limit's service, region and resource. */
export interface LimitRow {
  id: string;
  project_id: string | null;
  domain_id: string | null;
  resource_limit: number;
  description: string | null;
  registered_limit_internal_id: number | null;
  service_id: string | null;
  region_id: string | null;
  resource_name: string | null;
}

export interface NewLimitRow {
  id: string;
  project_id: string | null;
  domain_id: string | null;
  resource_limit: number;
  description: string | null;
  /** the registered limit's internal_id */
  registered_limit_id: number;
}

/** A limit's owner: a project or a domain. */
export interface LimitOwner {
  projectId?: string;
  domainId?: string;
}

export interface LimitBackend {
  /** Runs `work` as one unit against a backend bound to it (a SQL transaction). */
  transaction<T>(work: (backend: LimitBackend) => Promise<T>): Promise<T>;

  /** in creation order */
  listRegisteredLimitRows(): Promise<RegisteredLimitRow[]>;
  getRegisteredLimitRow(id: string): Promise<RegisteredLimitRow | null>;
  /** The registered limit of a service, resource and region (null region: the one without). */
  findRegisteredLimitRow(serviceId: string, resourceName: string, regionId: string | null): Promise<RegisteredLimitRow | null>;
  insertRegisteredLimit(row: Omit<RegisteredLimitRow, 'internal_id'>): Promise<void>;
  updateRegisteredLimit(row: RegisteredLimitRow): Promise<void>;
  /** how many were deleted (0 or 1) */
  deleteRegisteredLimit(id: string): Promise<number>;
  /** whether a project or domain limit points at it */
  registeredLimitInUse(internalId: number): Promise<boolean>;

  /** in creation order */
  listLimitRows(): Promise<LimitRow[]>;
  getLimitRow(id: string): Promise<LimitRow | null>;
  /** The limit of a project or a domain for a registered limit. */
  limitExists(registeredInternalId: number, owner: LimitOwner): Promise<boolean>;
  insertLimit(row: NewLimitRow): Promise<void>;
  updateLimit(id: string, resourceLimit: number, description: string | null): Promise<void>;
  /** how many were deleted (0 or 1) */
  deleteLimit(id: string): Promise<number>;
  /** A deleted project or domain: its limits. */
  deleteLimitsOf(owner: LimitOwner): Promise<void>;
}
