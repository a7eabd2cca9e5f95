/**
 * The assignment, catalog, policy-blob and unified-limit routes, registered
 * together: roles and implied roles, grants (project, domain, OS-INHERIT,
 * system), role assignments, regions, services, endpoints, OS-EP-FILTER,
 * /v3/policies, OS-ENDPOINT-POLICY, registered limits and limits.
 */
import type { RouteTable } from '../../server/route-table.js';
import type { ProviderApi } from '../../common/provider-api.js';
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
import { registerEndpointPolicyRoutes } from './endpoint-policy.js';
import { registerRegisteredLimitRoutes } from './registered-limits.js';
import { registerLimitRoutes } from './limits.js';

export function registerAssignmentAndCatalogRoutes(routes: RouteTable, providers: ProviderApi): void {
  registerRoleRoutes(routes, providers);
  registerImpliedRoleRoutes(routes, providers);
  registerGrantRoutes(routes, providers);
  registerSystemGrantRoutes(routes, providers);
  registerRoleAssignmentRoutes(routes, providers);
  registerRegionRoutes(routes, providers);
  registerServiceRoutes(routes, providers);
  registerEndpointRoutes(routes, providers);
  registerEndpointFilterRoutes(routes, providers);
  registerPolicyRoutes(routes, providers);
  registerEndpointPolicyRoutes(routes, providers);
  registerRegisteredLimitRoutes(routes, providers);
  registerLimitRoutes(routes, providers);
}
