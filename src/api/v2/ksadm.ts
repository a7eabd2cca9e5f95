/**
 * OS-KSADM on the admin port: global roles (/v2.0/OS-KSADM/roles), services
 * (/v2.0/OS-KSADM/services) and endpoints (/v2.0/endpoints). A v2 endpoint
 * ({region, service_id, publicurl, adminurl, internalurl}) is stored as up
 * to three v3 endpoints sharing its id (their legacy_endpoint_id column),
 * and listed merged back.
 *
 * Authorized by the v3 rules of the same operations (identity:list_roles,
 * get_role, create_role, delete_role, *_service, list_endpoints,
 * create_endpoint, delete_endpoint).
 */
import { EntityNotFound, ValidationError } from '../../common/errors.js';
import { newId } from '../../common/ids.js';
import type { RouteTable } from '../../server/route-table.js';
import type { ProviderApi } from '../../common/provider-api.js';
import type { ServiceKind } from '../../server/request-context.js';
import type { Endpoint, Service } from '../../catalog/catalog-types.js';
import { authorize } from '../authorize.js';
import { roleV2, sendNoContent, sendV2 } from './render.js';
import { bodyObject } from './tenants.js';
import { pathParam } from '../request-params.js';

const SERVICE_KEY = 'OS-KSADM:service';
const INTERFACES = ['public', 'admin', 'internal'] as const;

function serviceV2(s: Service): Record<string, unknown> {
  return { id: s.id, type: s.type, name: s.name, description: s.description ?? '', enabled: s.enabled };
}

/** The v2 endpoint id: shared by the three v3 endpoints made from one v2 endpoint (the legacy_endpoint_id column, as Keystone's migration kept it). */
const legacyIdOf = (e: Endpoint): string => e.legacyEndpointId ?? e.id;

function endpointsV2(endpoints: Endpoint[]): Record<string, unknown>[] {
  const merged = new Map<string, Record<string, unknown>>();
  for (const e of endpoints) {
    const id = legacyIdOf(e);
    let v2 = merged.get(id);
    if (!v2) {
      v2 = { id, region: e.regionId, service_id: e.serviceId, enabled: e.enabled };
      merged.set(id, v2);
    }
    v2[`${e.interface}url`] = e.url;
  }
  return [...merged.values()];
}

export function registerV2KsadmRoutes(routes: RouteTable, providers: ProviderApi, service: ServiceKind): void {
  if (service !== 'admin') return;

  // ---- roles
  routes.getAndHead(
    '/v2.0/OS-KSADM/roles',
    async (req, res) => {
      await authorize(req, providers, 'identity:list_roles');
      const roles = (await providers.role_api.listRoles({ domainId: null })).filter((r) => r.domainId === null);
      sendV2(req, res, 200, { roles: roles.map(roleV2), roles_links: [] });
    },
    { policy: 'identity:list_roles' },
  );
  routes.getAndHead(
    '/v2.0/OS-KSADM/roles/:role_id',
    async (req, res) => {
      await authorize(req, providers, 'identity:get_role');
      sendV2(req, res, 200, { role: roleV2(await providers.role_api.getRole(pathParam(req, 'role_id'))) });
    },
    { policy: 'identity:get_role' },
  );
  routes.post(
    '/v2.0/OS-KSADM/roles',
    async (req, res) => {
      await authorize(req, providers, 'identity:create_role');
      const role = bodyObject(req, 'role');
      if (typeof role.name !== 'string' || role.name.trim() === '') throw new ValidationError('Expecting to find name in role.');
      const created = await providers.role_api.createRole({
        id: typeof role.id === 'string' && role.id ? role.id : undefined,
        name: role.name,
        description: typeof role.description === 'string' ? role.description : null,
      });
      sendV2(req, res, 200, { role: roleV2(created) });
    },
    { policy: 'identity:create_role' },
  );
  routes.delete(
    '/v2.0/OS-KSADM/roles/:role_id',
    async (req, res) => {
      await authorize(req, providers, 'identity:delete_role');
      await providers.role_api.getRole(pathParam(req, 'role_id'));
      await providers.role_api.deleteRole(pathParam(req, 'role_id'));
      sendNoContent(res);
    },
    { policy: 'identity:delete_role' },
  );

  // ---- services
  routes.getAndHead(
    '/v2.0/OS-KSADM/services',
    async (req, res) => {
      await authorize(req, providers, 'identity:list_services');
      sendV2(req, res, 200, { 'OS-KSADM:services': (await providers.catalog_api.listServices()).map(serviceV2) });
    },
    { policy: 'identity:list_services' },
  );
  routes.getAndHead(
    '/v2.0/OS-KSADM/services/:service_id',
    async (req, res) => {
      await authorize(req, providers, 'identity:get_service');
      sendV2(req, res, 200, { [SERVICE_KEY]: serviceV2(await providers.catalog_api.getService(pathParam(req, 'service_id'))) });
    },
    { policy: 'identity:get_service' },
  );
  routes.post(
    '/v2.0/OS-KSADM/services',
    async (req, res) => {
      await authorize(req, providers, 'identity:create_service');
      const body = bodyObject(req, SERVICE_KEY);
      if (typeof body.type !== 'string' || body.type === '') throw new ValidationError(`Expecting to find type in ${SERVICE_KEY}.`);
      const created = await providers.catalog_api.createService({
        type: body.type,
        name: typeof body.name === 'string' ? body.name : '',
        description: typeof body.description === 'string' ? body.description : '',
        enabled: typeof body.enabled === 'boolean' ? body.enabled : true,
      });
      sendV2(req, res, 200, { [SERVICE_KEY]: serviceV2(created) });
    },
    { policy: 'identity:create_service' },
  );
  routes.delete(
    '/v2.0/OS-KSADM/services/:service_id',
    async (req, res) => {
      await authorize(req, providers, 'identity:delete_service');
      await providers.catalog_api.deleteService(pathParam(req, 'service_id'));
      sendNoContent(res);
    },
    { policy: 'identity:delete_service' },
  );

  // ---- endpoints
  routes.getAndHead(
    '/v2.0/endpoints',
    async (req, res) => {
      await authorize(req, providers, 'identity:list_endpoints');
      sendV2(req, res, 200, { endpoints: endpointsV2(await providers.catalog_api.listEndpoints()), endpoints_links: [] });
    },
    { policy: 'identity:list_endpoints' },
  );
  routes.post(
    '/v2.0/endpoints',
    async (req, res) => {
      await authorize(req, providers, 'identity:create_endpoint');
      const body = bodyObject(req, 'endpoint');
      if (typeof body.service_id !== 'string' || body.service_id === '')
        throw new ValidationError('Expecting to find service_id in endpoint.');
      await providers.catalog_api.getService(body.service_id);
      const urls: [(typeof INTERFACES)[number], string][] = [];
      for (const i of INTERFACES) {
        const url = body[`${i}url`];
        if (url === undefined || url === null || url === '') continue;
        if (typeof url !== 'string') throw new ValidationError(`${i}url must be a string.`);
        urls.push([i, url]);
      }
      if (urls.length === 0) throw new ValidationError('Expecting to find publicurl, adminurl or internalurl in endpoint.');
      const region = typeof body.region === 'string' && body.region !== '' ? body.region : null;
      if (region) await providers.catalog_api.ensureRegion(region);
      const legacyId = newId();
      const created: Endpoint[] = [];
      for (const [i, url] of urls) {
        created.push(
          await providers.catalog_api.createEndpoint({
            interface: i,
            serviceId: body.service_id,
            url,
            regionId: region,
            enabled: typeof body.enabled === 'boolean' ? body.enabled : true,
            legacyEndpointId: legacyId,
          }),
        );
      }
      sendV2(req, res, 200, { endpoint: endpointsV2(created)[0] });
    },
    { policy: 'identity:create_endpoint' },
  );
  routes.delete(
    '/v2.0/endpoints/:endpoint_id',
    async (req, res) => {
      await authorize(req, providers, 'identity:delete_endpoint');
      const id = pathParam(req, 'endpoint_id');
      const matching = (await providers.catalog_api.listEndpoints()).filter((e) => legacyIdOf(e) === id);
      if (matching.length === 0) throw new EntityNotFound('endpoint', id);
      for (const e of matching) await providers.catalog_api.deleteEndpoint(e.id);
      sendNoContent(res);
    },
    { policy: 'identity:delete_endpoint' },
  );
}
