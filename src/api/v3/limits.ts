/**
 * /v3/limits and /v3/limits/model (Keystone's api/limits.py, experimental
 * in JSON-Home): project and domain limits overriding registered limits.
 * Creation takes a list; the list is narrowed to what the caller's scope
 * covers (everything for the system, the domain and its projects for a
 * domain, the project for a project).
 */
import type { Request, Response } from 'express';
import type { RouteTable } from '../../server/route-table.js';
import type { ProviderApi } from '../../common/provider-api.js';
import type { Limit } from '../../limit/limit-manager.js';
import { authorize, resolveCaller } from '../authorize.js';
import { validateBody } from '../validate-body.js';
import { entityLinks, renderCollection } from '../collection.js';
import { filterRendered, memberOr, normalizeKeys, rejectNul } from './request-input.js';
import { domainTarget } from './domains.js';
import { projectTarget } from './projects.js';
import { pathParam } from '../request-params.js';

const ID_STRING = { type: 'string', minLength: 1, maxLength: 64, pattern: '^[a-zA-Z0-9-]+$' } as const;
const RESOURCE_NAME = { type: 'string', minLength: 1, maxLength: 255 } as const;
const LIMIT_VALUE = { type: 'integer', minimum: -1, maximum: 0x7fffffff } as const;
const DESCRIPTION = { type: ['string', 'null'] } as const;

const PROJECT_LIMIT = {
  properties: {
    project_id: ID_STRING,
    service_id: ID_STRING,
    region_id: { type: 'string' },
    resource_name: RESOURCE_NAME,
    resource_limit: LIMIT_VALUE,
    description: DESCRIPTION,
  },
  required: ['project_id', 'service_id', 'resource_name', 'resource_limit'],
  additionalProperties: false,
} as const;
const DOMAIN_LIMIT = {
  properties: {
    domain_id: ID_STRING,
    service_id: ID_STRING,
    region_id: { type: 'string' },
    resource_name: RESOURCE_NAME,
    resource_limit: LIMIT_VALUE,
    description: DESCRIPTION,
  },
  required: ['domain_id', 'service_id', 'resource_name', 'resource_limit'],
  additionalProperties: false,
} as const;
const LIMIT_CREATE = { type: 'array', items: { type: 'object', oneOf: [PROJECT_LIMIT, DOMAIN_LIMIT] }, minItems: 1 } as const;
const LIMIT_UPDATE = {
  type: 'object',
  properties: { resource_limit: LIMIT_VALUE, description: DESCRIPTION },
  additionalProperties: false,
} as const;

export const LIMITS_REL_STATUS = { status: 'experimental' } as const;

function renderLimit(req: Request, limit: Limit): Record<string, unknown> {
  return { ...limit, links: entityLinks(req, `/v3/limits/${limit.id}`) };
}

export function registerLimitRoutes(routes: RouteTable, providers: ProviderApi): void {
  const { unified_limit_api: unifiedLimit, resource_api: resource } = providers;

  /** Keystone's _build_limit_enforcement_target: the limit with its project or domain; nothing when missing. */
  const limitTarget = async (id: string): Promise<Record<string, unknown>> => {
    const limit = await unifiedLimit.findLimit(id);
    if (!limit) return {};
    const target: Record<string, unknown> = { ...limit };
    if (limit.project_id) {
      const project = await resource.findProjectRef(limit.project_id);
      if (!project) return {};
      target.project = projectTarget(project);
    } else if (limit.domain_id) {
      const domain = await resource.findProjectRef(limit.domain_id);
      if (!domain) return {};
      target.domain = domainTarget(domain);
    }
    return { limit: target };
  };

  const model = async (req: Request, res: Response) => {
    await authorize(req, providers, 'identity:get_limit_model');
    res.json({ model: unifiedLimit.getModel() });
  };

  const list = async (req: Request, res: Response) => {
    const caller = await authorize(req, providers, 'identity:list_limits');
    let limits = await unifiedLimit.listLimits();
    if (caller.systemScope || caller.isAdminToken) {
      // everything
    } else if (caller.domainId) {
      const projectIds = new Set((await resource.listProjects({ domainId: caller.domainId })).map((p) => p.id));
      limits = limits.filter((l) => (l.project_id ? projectIds.has(l.project_id) : l.domain_id === caller.domainId));
    } else if (caller.projectId) {
      limits = limits.filter((l) => l.project_id === caller.projectId);
    } else {
      limits = [];
    }
    const rendered = filterRendered(
      req,
      limits.map((l) => renderLimit(req, l)),
      ['service_id', 'region_id', 'resource_name', 'project_id', 'domain_id'],
    );
    res.json(renderCollection(req, 'limits', rendered, unifiedLimit.listLimit()));
  };

  const show = async (req: Request, res: Response) => {
    const id = pathParam(req, 'limit_id');
    await resolveCaller(req, providers);
    await authorize(req, providers, 'identity:get_limit', await limitTarget(id));
    res.json({ limit: renderLimit(req, await unifiedLimit.getLimit(id)) });
  };

  const create = async (req: Request, res: Response) => {
    await authorize(req, providers, 'identity:create_limits');
    const body = validateBody(LIMIT_CREATE, memberOr(req.body, 'limits', {}));
    rejectNul(body);
    const created = await unifiedLimit.createLimits(body.map((l) => normalizeKeys(l)));
    res.status(201).json({ limits: created.map((l) => renderLimit(req, l)) });
  };

  /** The limit as the default target (404 once authenticated when it does not exist). */
  const memberTarget = async (req: Request): Promise<Record<string, unknown>> => {
    await resolveCaller(req, providers);
    return { limit: { ...(await unifiedLimit.getLimit(pathParam(req, 'limit_id'))) } };
  };

  const update = async (req: Request, res: Response) => {
    const id = pathParam(req, 'limit_id');
    await authorize(req, providers, 'identity:update_limit', await memberTarget(req));
    const body = validateBody(LIMIT_UPDATE, memberOr(req.body, 'limit', {}));
    rejectNul(body);
    res.json({ limit: renderLimit(req, await unifiedLimit.updateLimit(id, body)) });
  };

  const remove = async (req: Request, res: Response) => {
    await authorize(req, providers, 'identity:delete_limit', await memberTarget(req));
    await unifiedLimit.deleteLimit(pathParam(req, 'limit_id'));
    res.status(204).end();
  };

  routes.getAndHead('/v3/limits/model', model, { policy: 'identity:get_limit_model', rel: 'limit_model', ...LIMITS_REL_STATUS });
  routes.getAndHead('/v3/limits', list, { policy: 'identity:list_limits', rel: 'limits', ...LIMITS_REL_STATUS });
  routes.post('/v3/limits', create, { policy: 'identity:create_limits', rel: 'limits', ...LIMITS_REL_STATUS });
  routes.getAndHead('/v3/limits/:limit_id', show, { policy: 'identity:get_limit', rel: 'limit', ...LIMITS_REL_STATUS });
  routes.patch('/v3/limits/:limit_id', update, { policy: 'identity:update_limit', rel: 'limit', ...LIMITS_REL_STATUS });
  routes.delete('/v3/limits/:limit_id', remove, { policy: 'identity:delete_limit', rel: 'limit', ...LIMITS_REL_STATUS });
}
