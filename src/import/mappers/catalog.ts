import type { TableMapping } from '../table-mapping.js';

/** Regions, services, endpoints, endpoint groups and the project filters (OS-EP-FILTER). */
export const CATALOG_TABLES: readonly TableMapping[] = [
  { table: 'region', key: ['id'] },
  { table: 'service', key: ['id'] },
  { table: 'endpoint', key: ['id'] },
  { table: 'endpoint_group', key: ['id'] },
  { table: 'project_endpoint', key: ['endpoint_id', 'project_id'] },
  { table: 'project_endpoint_group', key: ['endpoint_group_id', 'project_id'] },
];
