/**
 * The assignment, catalog, policy-blob and unified-limit routes, registered
 * together: roles and implied roles, grants (project, domain, OS-INHERIT,
 * system), role assignments, regions, services, endpoints, OS-EP-FILTER,
 * /v3/policies, registered limits and limits.
 */
import type { RouteTable } from '../../server/route-table.js';
import type { Services } from '../../server/services.js';
import { registerRoleRoutes } from './roles.js';
import { registerImpliedRoleRoutes } from './implied-roles.js';
import { registerGrantRoutes } from './grants.js';
import { registerSystemGrantRoutes } from './system-grants.js';
import { registerRoleAssignmentRoutes } from './role-assignments.js';
import { registerRegionRoutes } from './regions.js';
import { registerServiceRoutes } from './services.js';
import { registerEndpointRoutes } from './endpoints.js';
import { registerEndpointFilterRoutes } from './endpoint-filter.js';
import { registerPolicyRoutes } from './policies.js';
import { registerRegisteredLimitRoutes } from './registered-limits.js';
import { registerLimitRoutes } from './limits.js';

export function registerAssignmentAndCatalogRoutes(routes: RouteTable, services: Services): void {
  registerRoleRoutes(routes, services);
  registerImpliedRoleRoutes(routes, services);
  registerGrantRoutes(routes, services);
  registerSystemGrantRoutes(routes, services);
  registerRoleAssignmentRoutes(routes, services);
  registerRegionRoutes(routes, services);
  registerServiceRoutes(routes, services);
  registerEndpointRoutes(routes, services);
  registerEndpointFilterRoutes(routes, services);
  registerPolicyRoutes(routes, services);
  registerRegisteredLimitRoutes(routes, services);
  registerLimitRoutes(routes, services);
}
