/**
 * /v3/endpoints (Keystone's api/endpoints.py): list (interface, service_id
 * and region_id filters), show, create, update, delete. The legacy
 * `region` attribute names the region when region_id is absent and creates
 * it when missing, as Keystone does for clients of the v2 era; URL
 * templates are checked against Keystone's whitelist at creation.
 * The endpoint is the policy target of show, update and delete, so a
 * missing one is a 404 once the caller is authenticated.
 */
import type { Request, Response } from 'express';
import type { RouteTable } from '../../server/route-table.js';
import type { ProviderApi } from '../../common/provider-api.js';
import type { EndpointPatch } from '../../catalog/catalog-manager.js';
import { ValidationError } from '../../common/errors.js';
import { authorize, resolveCaller } from '../authorize.js';
import { parameterTypes, validateBody, type BodyOf } from '../validate-body.js';
import { renderCollection } from '../collection.js';
import { extraAttributes, filterRendered, normalizeKeys, rejectNul } from './request-input.js';
import { bodyMemberOrNull, endpointTarget, renderEndpoint } from './catalog-render.js';
import { isValidEndpointUrl } from '../../catalog/url-template.js';
import { URLValidationError } from '../../catalog/catalog-errors.js';
import { pathParam } from '../request-params.js';

const ENDPOINT_PROPERTIES = {
  enabled: { type: 'boolean' },
  interface: { type: 'string', enum: ['admin', 'internal', 'public'] },
  region_id: { type: 'string' },
  region: { type: 'string' },
  service_id: { type: 'string' },
  url: parameterTypes.url,
} as const;
const ENDPOINT_CREATE = {
  type: 'object',
  properties: ENDPOINT_PROPERTIES,
  required: ['interface', 'service_id', 'url'],
  additionalProperties: true,
} as const;
const ENDPOINT_UPDATE = { type: 'object', properties: ENDPOINT_PROPERTIES, minProperties: 1, additionalProperties: true } as const;
const ENDPOINT_ATTRIBUTES = [
  'id',
  'interface',
  'region_id',
  'region',
  'service_id',
  'url',
  'legacy_endpoint_id',
  'enabled',
  'links',
] as const;

export function registerEndpointRoutes(routes: RouteTable, providers: ProviderApi): void {
  const { catalog_api: catalog } = providers;

  /**
   * Keystone's _validate_endpoint_region: without region_id, the legacy
   * `region` names the region, created when it does not exist.
   */
  const regionOf = async (body: BodyOf<typeof ENDPOINT_UPDATE>): Promise<string | undefined> => {
    // loose: a normalized `region-id` or `region` is not validated and may be null (Keystone reads None as absent)
    if (body.region_id != null) return body.region_id;
    if (body.region == null) return undefined;
    if (!(await catalog.findRegion(body.region))) await catalog.createRegion({ id: body.region });
    return body.region;
  };

  /** The endpoint as target: loaded once authenticated (404 when missing), then policy. */
  const authorizeOnEndpoint = async (req: Request, action: string) => {
    await resolveCaller(req, providers);
    const endpoint = await catalog.getEndpoint(pathParam(req, 'endpoint_id'));
    await authorize(req, providers, action, { endpoint: endpointTarget(endpoint) });
    return endpoint;
  };

  const list = async (req: Request, res: Response) => {
    await authorize(req, providers, 'identity:list_endpoints');
    const rendered = filterRendered(
      req,
      (await catalog.listEndpoints()).map((e) => renderEndpoint(req, e)),
      ['interface', 'service_id', 'region_id'],
    );
    res.json(renderCollection(req, 'endpoints', rendered, catalog.listLimit()));
  };

  const show = async (req: Request, res: Response) => {
    const endpoint = await authorizeOnEndpoint(req, 'identity:get_endpoint');
    res.json({ endpoint: renderEndpoint(req, endpoint) });
  };

  const create = async (req: Request, res: Response) => {
    await authorize(req, providers, 'identity:create_endpoint');
    const body = validateBody(ENDPOINT_CREATE, bodyMemberOrNull(req.body, 'endpoint'));
    rejectNul(body);
    if (!isValidEndpointUrl(body.url)) throw new URLValidationError(body.url);
    const endpoint = normalizeKeys(body);
    const regionId = await regionOf(endpoint);
    const created = await catalog.createEndpoint({
      interface: endpoint.interface,
      serviceId: endpoint.service_id,
      url: endpoint.url,
      regionId: regionId ?? null,
      enabled: endpoint.enabled,
      extra: extraAttributes(endpoint, ENDPOINT_ATTRIBUTES),
    });
    res.status(201).json({ endpoint: renderEndpoint(req, created) });
  };

  const update = async (req: Request, res: Response) => {
    const id = pathParam(req, 'endpoint_id');
    await authorizeOnEndpoint(req, 'identity:update_endpoint');
    const body = validateBody(ENDPOINT_UPDATE, bodyMemberOrNull(req.body, 'endpoint'));
    rejectNul(body);
    if (body.id !== undefined && body.id !== null && body.id !== id) throw new ValidationError('Cannot change ID', false);
    const patch: EndpointPatch = { extra: extraAttributes(body, ENDPOINT_ATTRIBUTES) };
    const regionId = await regionOf(body);
    if (regionId !== undefined) patch.regionId = regionId;
    if (body.interface !== undefined) patch.interface = body.interface;
    if (body.service_id !== undefined) patch.serviceId = body.service_id;
    if (body.url !== undefined) patch.url = body.url;
    if (body.enabled !== undefined) patch.enabled = body.enabled;
    res.json({ endpoint: renderEndpoint(req, await catalog.updateEndpoint(id, patch)) });
  };

  const remove = async (req: Request, res: Response) => {
    await authorizeOnEndpoint(req, 'identity:delete_endpoint');
    await catalog.deleteEndpoint(pathParam(req, 'endpoint_id'));
    res.status(204).end();
  };

  routes.getAndHead('/v3/endpoints', list, { policy: 'identity:list_endpoints', rel: 'endpoints' });
  routes.post('/v3/endpoints', create, { policy: 'identity:create_endpoint', rel: 'endpoints' });
  routes.getAndHead('/v3/endpoints/:endpoint_id', show, { policy: 'identity:get_endpoint', rel: 'endpoint' });
  routes.patch('/v3/endpoints/:endpoint_id', update, { policy: 'identity:update_endpoint', rel: 'endpoint' });
  routes.delete('/v3/endpoints/:endpoint_id', remove, { policy: 'identity:delete_endpoint', rel: 'endpoint' });
}
