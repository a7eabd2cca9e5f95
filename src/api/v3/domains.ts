/**
 * /v3/domains (Keystone's api/domains.py DomainResource): list with the
 * name and enabled filters, show, create (explicit_domain_id too), update,
 * and delete of a disabled domain with everything in it.
 */
import type { Request, Response } from 'express';
import type { RouteTable } from '../../server/route-table.js';
import type { ProviderApi } from '../../common/provider-api.js';
import type { ProjectRef } from '../../resource/resource-types.js';
import { ValidationError } from '../../common/errors.js';
import { authorize } from '../authorize.js';
import { validateBody } from '../validate-body.js';
import { renderCollection } from '../collection.js';
import { DOMAIN_CREATE, DOMAIN_UPDATE } from './resource-schemas.js';
import { renderDomain, PROJECT_ATTRIBUTES } from './resource-render.js';
import { bodyMember, extraAttributes, filterRendered, normalizeKeys, rejectNul } from './request-input.js';
import { pathParam } from '../request-params.js';

/** The domain as a policy target (target.domain.*). */
export function domainTarget(ref: ProjectRef): Record<string, unknown> {
  return {
    ...ref.extra,
    id: ref.id,
    name: ref.name,
    description: ref.description,
    enabled: ref.enabled,
    tags: ref.tags,
    options: ref.options,
  };
}

const DOMAIN_OWN = [...PROJECT_ATTRIBUTES, 'explicit_domain_id'];

function knownOptions(options: Record<string, unknown> | undefined): Record<string, unknown> | undefined {
  if (!options) return undefined;
  return 'immutable' in options ? { immutable: options.immutable } : {};
}

export function registerDomainRoutes(routes: RouteTable, providers: ProviderApi): void {
  const { resource_api: resource } = providers;

  const list = async (req: Request, res: Response) => {
    await authorize(req, providers, 'identity:list_domains');
    const domains = (await resource.listProjectRefs({ isDomain: true })).map((d) => renderDomain(req, d));
    res.json(renderCollection(req, 'domains', filterRendered(req, domains, ['name'], ['enabled']), resource.listLimit()));
  };

  const show = async (req: Request, res: Response) => {
    const id = pathParam(req, 'domain_id');
    const found = await resource.findProjectRef(id);
    await authorize(req, providers, 'identity:get_domain', found?.isDomain ? { domain: domainTarget(found) } : {});
    res.json({ domain: renderDomain(req, await resource.getDomainRef(id)) });
  };

  const create = async (req: Request, res: Response) => {
    await authorize(req, providers, 'identity:create_domain');
    const body = validateBody(DOMAIN_CREATE, bodyMember(req.body, 'domain'));
    rejectNul(body);
    let id: string | undefined;
    if (body.explicit_domain_id !== undefined && body.explicit_domain_id !== null) {
      if (typeof body.explicit_domain_id !== 'string' || !/^[0-9a-f]{32}$/.test(body.explicit_domain_id)) {
        throw new ValidationError('Domain ID does not conform to required UUID format.', false);
      }
      id = body.explicit_domain_id;
    }
    const domain = normalizeKeys(body);
    const ref = await resource.createDomainRef({
      id,
      name: domain.name,
      description: domain.description,
      enabled: domain.enabled,
      tags: domain.tags,
      options: knownOptions(domain.options),
      extra: extraAttributes(domain, DOMAIN_OWN),
    });
    res.status(201).json({ domain: renderDomain(req, ref) });
  };

  const update = async (req: Request, res: Response) => {
    const id = pathParam(req, 'domain_id');
    const existing = await resource.getDomainRef(id);
    await authorize(req, providers, 'identity:update_domain', { domain: domainTarget(existing) });
    const body = validateBody(DOMAIN_UPDATE, bodyMember(req.body, 'domain'));
    rejectNul(body);
    // Keystone updates a domain as a project acting as one: is_domain, domain_id and parent_id join the patch.
    const patchKeys = [...Object.keys(body), 'is_domain', 'domain_id', 'parent_id'];
    const ref = await resource.updateProjectRef(
      id,
      {
        ...(body.name !== undefined ? { name: body.name } : {}),
        ...('description' in body ? { description: body.description ?? null } : {}),
        ...(body.enabled !== undefined ? { enabled: body.enabled } : {}),
        ...(body.tags !== undefined ? { tags: body.tags } : {}),
        ...(body.options !== undefined ? { options: knownOptions(body.options) } : {}),
        extra: extraAttributes(body, DOMAIN_OWN),
      },
      patchKeys,
      true,
    );
    res.json({ domain: renderDomain(req, ref) });
  };

  const remove = async (req: Request, res: Response) => {
    const id = pathParam(req, 'domain_id');
    const existing = await resource.getDomainRef(id);
    await authorize(req, providers, 'identity:delete_domain', { domain: domainTarget(existing) });
    await resource.deleteDomain(id);
    res.status(204).end();
  };

  routes.getAndHead('/v3/domains', list, { policy: 'identity:list_domains', rel: 'domains' });
  routes.post('/v3/domains', create, { policy: 'identity:create_domain', rel: 'domains' });
  routes.getAndHead('/v3/domains/:domain_id', show, { policy: 'identity:get_domain', rel: 'domain' });
  routes.patch('/v3/domains/:domain_id', update, { policy: 'identity:update_domain', rel: 'domain' });
  routes.delete('/v3/domains/:domain_id', remove, { policy: 'identity:delete_domain', rel: 'domain' });
}
