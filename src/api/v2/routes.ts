/** The v2.0 API (deprecated upstream, served here on the v3 data and tokens): every registrar of src/api/v2. */
import type { RouteTable } from '../../server/route-table.js';
import type { ProviderApi } from '../../common/provider-api.js';
import type { ServiceKind } from '../../server/request-context.js';
import { registerV2TokenRoutes } from './tokens.js';
import { registerV2TenantRoutes } from './tenants.js';
import { registerV2UserRoutes } from './users.js';
import { registerV2KsadmRoutes } from './ksadm.js';
import { registerV2Ec2Routes } from './ec2.js';
import { registerV2ExtensionRoutes } from './extensions.js';
import { registerV2CertificateRoutes } from './certificates.js';
import { registerV2UserRoleRoutes } from './user-roles.js';

export function registerV2Routes(routes: RouteTable, providers: ProviderApi, service: ServiceKind): void {
  registerV2TokenRoutes(routes, providers, service);
  registerV2TenantRoutes(routes, providers, service);
  registerV2UserRoutes(routes, providers, service);
  registerV2KsadmRoutes(routes, providers, service);
  registerV2Ec2Routes(routes, providers, service);
  registerV2ExtensionRoutes(routes, providers, service);
  registerV2CertificateRoutes(routes);
  registerV2UserRoleRoutes(routes, providers, service);
}
