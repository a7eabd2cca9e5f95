/** The v2.0 API (deprecated upstream, served here on the v3 data and tokens): every registrar of src/api/v2. */
import type { RouteTable } from '../../server/route-table.js';
import type { Services } from '../../server/services.js';
import type { ServiceKind } from '../../server/request-context.js';
import { registerV2TokenRoutes } from './tokens.js';
import { registerV2TenantRoutes } from './tenants.js';
import { registerV2UserRoutes } from './users.js';
import { registerV2KsadmRoutes } from './ksadm.js';
import { registerV2Ec2Routes } from './ec2.js';
import { registerV2ExtensionRoutes } from './extensions.js';

export function registerV2Routes(routes: RouteTable, services: Services, service: ServiceKind): void {
  registerV2TokenRoutes(routes, services, service);
  registerV2TenantRoutes(routes, services, service);
  registerV2UserRoutes(routes, services, service);
  registerV2KsadmRoutes(routes, services, service);
  registerV2Ec2Routes(routes, services, service);
  registerV2ExtensionRoutes(routes, services, service);
}
