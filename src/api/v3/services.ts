/**
 * /v3/services (Keystone's api/services.py): list (type and name filters),
 * show, create (enabled defaults to true, name to ""), update, delete (its
 * endpoints go with it).
 */
import type { Request, Response } from 'express';
import type { RouteTable } from '../../server/route-table.js';
import type { ProviderApi } from '../../common/provider-api.js';
import type { ServicePatch } from '../../catalog/catalog-manager.js';
import { ValidationError } from '../../common/errors.js';
import { authorize } from '../authorize.js';
import { parameterTypes, validateBody } from '../validate-body.js';
import { renderCollection } from '../collection.js';
import { extraAttributes, filterRendered, normalizeKeys, rejectNul } from './request-input.js';
import { bodyMemberOrNull, renderService } from './catalog-render.js';
import { pathParam } from '../request-params.js';

const SERVICE_PROPERTIES = {
  enabled: { type: 'boolean' },
  name: parameterTypes.name,
  type: { type: 'string', minLength: 1, maxLength: 255 },
} as const;
const SERVICE_CREATE = { type: 'object', properties: SERVICE_PROPERTIES, required: ['type'], additionalProperties: true } as const;
const SERVICE_UPDATE = { type: 'object', properties: SERVICE_PROPERTIES, minProperties: 1, additionalProperties: true } as const;
const SERVICE_ATTRIBUTES = ['id', 'type', 'enabled', 'name', 'description', 'links'] as const;

export function registerServiceRoutes(routes: RouteTable, providers: ProviderApi): void {
  const { catalog_api: catalog } = providers;

  const list = async (req: Request, res: Response) => {
    await authorize(req, providers, 'identity:list_services');
    const rendered = filterRendered(
      req,
      (await catalog.listServices()).map((s) => renderService(req, s)),
      ['type', 'name'],
    );
    res.json(renderCollection(req, 'services', rendered, catalog.listLimit()));
  };

  const show = async (req: Request, res: Response) => {
    await authorize(req, providers, 'identity:get_service');
    res.json({ service: renderService(req, await catalog.getService(pathParam(req, 'service_id'))) });
  };

  const create = async (req: Request, res: Response) => {
    await authorize(req, providers, 'identity:create_service');
    const body = validateBody(SERVICE_CREATE, bodyMemberOrNull(req.body, 'service'));
    rejectNul(body);
    const service = normalizeKeys(body);
    const extra = extraAttributes(service, SERVICE_ATTRIBUTES);
    // description is free-form in Keystone (kept with the extras); anything JSON goes.
    if ('description' in service) extra.description = service.description;
    const created = await catalog.createService({ type: service.type, name: service.name, enabled: service.enabled, extra });
    res.status(201).json({ service: renderService(req, created) });
  };

  const update = async (req: Request, res: Response) => {
    const id = pathParam(req, 'service_id');
    await authorize(req, providers, 'identity:update_service');
    const body = validateBody(SERVICE_UPDATE, bodyMemberOrNull(req.body, 'service'));
    rejectNul(body);
    if (body.id !== undefined && body.id !== null && body.id !== id) throw new ValidationError('Cannot change ID', false);
    const extra = extraAttributes(body, SERVICE_ATTRIBUTES);
    if ('description' in body) extra.description = body.description;
    const patch: ServicePatch = { extra };
    if (body.type !== undefined) patch.type = body.type;
    if (body.name !== undefined) patch.name = body.name;
    if (body.enabled !== undefined) patch.enabled = body.enabled;
    res.json({ service: renderService(req, await catalog.updateService(id, patch)) });
  };

  const remove = async (req: Request, res: Response) => {
    await authorize(req, providers, 'identity:delete_service');
    await catalog.deleteService(pathParam(req, 'service_id'));
    res.status(204).end();
  };

  routes.getAndHead('/v3/services', list, { policy: 'identity:list_services', rel: 'services' });
  routes.post('/v3/services', create, { policy: 'identity:create_service', rel: 'services' });
  routes.getAndHead('/v3/services/:service_id', show, { policy: 'identity:get_service', rel: 'service' });
  routes.patch('/v3/services/:service_id', update, { policy: 'identity:update_service', rel: 'service' });
  routes.delete('/v3/services/:service_id', remove, { policy: 'identity:delete_service', rel: 'service' });
}
