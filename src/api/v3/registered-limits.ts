/**
 * /v3/registered_limits (Keystone's api/registered_limits.py, experimental
 * in JSON-Home): the default limit of a resource of a service, optionally
 * per region. Creation takes a list; update and delete are refused while
 * project or domain limits refer to the registered limit.
 */
import type { Request, Response } from 'express';
import type { RouteTable } from '../../server/route-table.js';
import type { ProviderApi } from '../../common/provider-api.js';
import type { RegisteredLimit } from '../../limit/limit-manager.js';
import { authorize } from '../authorize.js';
import { validateBody } from '../validate-body.js';
import { entityLinks, renderCollection } from '../collection.js';
import { filterRendered, memberOr, normalizeKeys, rejectNul } from './request-input.js';
import { LIMITS_REL_STATUS } from './limits.js';
import { pathParam } from '../request-params.js';

const PROPERTIES = {
  service_id: { type: 'string', minLength: 1, maxLength: 64, pattern: '^[a-zA-Z0-9-]+$' },
  region_id: { type: ['null', 'string'] },
  resource_name: { type: 'string', minLength: 1, maxLength: 255 },
  default_limit: { type: 'integer', minimum: -1, maximum: 0x7fffffff },
  description: { type: ['string', 'null'] },
} as const;
const CREATE = {
  type: 'array',
  items: {
    type: 'object',
    properties: PROPERTIES,
    additionalProperties: false,
    required: ['service_id', 'resource_name', 'default_limit'],
  },
  minItems: 1,
} as const;
const UPDATE = { type: 'object', properties: PROPERTIES, additionalProperties: false } as const;

function render(req: Request, limit: RegisteredLimit): Record<string, unknown> {
  return { ...limit, links: entityLinks(req, `/v3/registered_limits/${limit.id}`) };
}

export function registerRegisteredLimitRoutes(routes: RouteTable, providers: ProviderApi): void {
  const { unified_limit_api: unifiedLimit } = providers;

  const list = async (req: Request, res: Response) => {
    await authorize(req, providers, 'identity:list_registered_limits');
    const rendered = filterRendered(
      req,
      (await unifiedLimit.listRegisteredLimits()).map((l) => render(req, l)),
      ['service_id', 'region_id', 'resource_name'],
    );
    res.json(renderCollection(req, 'registered_limits', rendered, unifiedLimit.listLimit()));
  };

  const show = async (req: Request, res: Response) => {
    await authorize(req, providers, 'identity:get_registered_limit');
    res.json({ registered_limit: render(req, await unifiedLimit.getRegisteredLimit(pathParam(req, 'registered_limit_id'))) });
  };

  const create = async (req: Request, res: Response) => {
    await authorize(req, providers, 'identity:create_registered_limits');
    const body = validateBody(CREATE, memberOr(req.body, 'registered_limits', {}));
    rejectNul(body);
    const created = await unifiedLimit.createRegisteredLimits(body.map((l) => normalizeKeys(l)));
    res.status(201).json({ registered_limits: created.map((l) => render(req, l)) });
  };

  const update = async (req: Request, res: Response) => {
    await authorize(req, providers, 'identity:update_registered_limit');
    const body = validateBody(UPDATE, memberOr(req.body, 'registered_limit', {}));
    rejectNul(body);
    res.json({ registered_limit: render(req, await unifiedLimit.updateRegisteredLimit(pathParam(req, 'registered_limit_id'), body)) });
  };

  const remove = async (req: Request, res: Response) => {
    await authorize(req, providers, 'identity:delete_registered_limit');
    await unifiedLimit.deleteRegisteredLimit(pathParam(req, 'registered_limit_id'));
    res.status(204).end();
  };

  routes.getAndHead('/v3/registered_limits', list, {
    policy: 'identity:list_registered_limits',
    rel: 'registered_limits',
    ...LIMITS_REL_STATUS,
  });
  routes.post('/v3/registered_limits', create, {
    policy: 'identity:create_registered_limits',
    rel: 'registered_limits',
    ...LIMITS_REL_STATUS,
  });
  routes.getAndHead('/v3/registered_limits/:registered_limit_id', show, {
    policy: 'identity:get_registered_limit',
    rel: 'registered_limit',
    ...LIMITS_REL_STATUS,
  });
  routes.patch('/v3/registered_limits/:registered_limit_id', update, {
    policy: 'identity:update_registered_limit',
    rel: 'registered_limit',
    ...LIMITS_REL_STATUS,
  });
  routes.delete('/v3/registered_limits/:registered_limit_id', remove, {
    policy: 'identity:delete_registered_limit',
    rel: 'registered_limit',
    ...LIMITS_REL_STATUS,
  });
}
