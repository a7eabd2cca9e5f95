/**
 * /v3/regions (Keystone's api/regions.py): list (parent_region_id filter),
 * show, create with a generated id (POST) or the client's (PUT
 * /v3/regions/{region_id}), update (a new parent must exist and must not
 * close a cycle), delete (children too; refused while endpoints use any).
 */
import type { Request, Response } from 'express';
import type { RouteTable } from '../../server/route-table.js';
import type { ProviderApi } from '../../common/provider-api.js';
import type { RegionPatch } from '../../catalog/catalog-manager.js';
import { ValidationError } from '../../common/errors.js';
import { authorize } from '../authorize.js';
import { validateBody } from '../validate-body.js';
import { renderCollection } from '../collection.js';
import { extraAttributes, filterRendered, normalizeKeys, rejectNul } from './request-input.js';
import { bodyMemberOrNull, renderRegion } from './catalog-render.js';
import { pathParam } from '../request-params.js';

const REGION_PROPERTIES = {
  description: { type: ['string', 'null'] },
  id: { type: 'string' },
  parent_region_id: { type: ['string', 'null'] },
} as const;
const REGION_CREATE = { type: 'object', properties: REGION_PROPERTIES, additionalProperties: true } as const;
const REGION_UPDATE = { type: 'object', properties: REGION_PROPERTIES, minProperties: 1, additionalProperties: true } as const;
const REGION_ATTRIBUTES = ['id', 'description', 'parent_region_id', 'links'] as const;

export function registerRegionRoutes(routes: RouteTable, providers: ProviderApi): void {
  const { catalog_api: catalog } = providers;

  const list = async (req: Request, res: Response) => {
    await authorize(req, providers, 'identity:list_regions');
    const rendered = filterRendered(
      req,
      (await catalog.listRegions()).map((r) => renderRegion(req, r)),
      ['parent_region_id'],
    );
    res.json(renderCollection(req, 'regions', rendered, catalog.listLimit()));
  };

  const show = async (req: Request, res: Response) => {
    await authorize(req, providers, 'identity:get_region');
    res.json({ region: renderRegion(req, await catalog.getRegion(pathParam(req, 'region_id'))) });
  };

  const create = (withId: boolean) => async (req: Request, res: Response) => {
    await authorize(req, providers, 'identity:create_region');
    const body = validateBody(REGION_CREATE, bodyMemberOrNull(req.body, 'region'));
    rejectNul(body);
    const region = normalizeKeys(body);
    let id = region.id || undefined;
    if (withId) {
      const urlId = pathParam(req, 'region_id');
      if (region.id === undefined) id = urlId;
      else if (region.id !== urlId) throw new ValidationError(`Conflicting region IDs specified: "${urlId}" != "${region.id}"`, false);
    }
    const created = await catalog.createRegion({
      id,
      description: region.description,
      parentRegionId: region.parent_region_id,
      extra: extraAttributes(region, REGION_ATTRIBUTES),
    });
    res.status(201).json({ region: renderRegion(req, created) });
  };

  const update = async (req: Request, res: Response) => {
    const id = pathParam(req, 'region_id');
    await authorize(req, providers, 'identity:update_region');
    const body = validateBody(REGION_UPDATE, bodyMemberOrNull(req.body, 'region'));
    rejectNul(body);
    if (body.id !== undefined && body.id !== id) throw new ValidationError('Cannot change ID', false);
    const patch: RegionPatch = { extra: extraAttributes(body, REGION_ATTRIBUTES) };
    if ('description' in body) patch.description = body.description ?? null;
    if ('parent_region_id' in body) patch.parentRegionId = body.parent_region_id ?? null;
    res.json({ region: renderRegion(req, await catalog.updateRegion(id, patch)) });
  };

  const remove = async (req: Request, res: Response) => {
    await authorize(req, providers, 'identity:delete_region');
    await catalog.deleteRegion(pathParam(req, 'region_id'));
    res.status(204).end();
  };

  routes.getAndHead('/v3/regions', list, { policy: 'identity:list_regions', rel: 'regions' });
  routes.post('/v3/regions', create(false), { policy: 'identity:create_region', rel: 'regions' });
  routes.getAndHead('/v3/regions/:region_id', show, { policy: 'identity:get_region', rel: 'region' });
  routes.put('/v3/regions/:region_id', create(true), { policy: 'identity:create_region', rel: 'region' });
  routes.patch('/v3/regions/:region_id', update, { policy: 'identity:update_region', rel: 'region' });
  routes.delete('/v3/regions/:region_id', remove, { policy: 'identity:delete_region', rel: 'region' });
}
