/**
 * /v3/roles (Keystone's api/roles.py RoleResource): global roles and
 * domain-specific ones (domain_id), with the `immutable` resource option.
 * A missing role is told only after policy allowed the caller to read roles
 * (no existence leak); domain roles are decided by the *_domain_role rules
 * with the role as target.
 */
import type { Request, Response } from 'express';
import type { RouteTable } from '../../server/route-table.js';
import type { ProviderApi } from '../../common/provider-api.js';
import type { Role } from '../../assignment/assignment-types.js';
import type { RolePatch } from '../../assignment/assignment-manager.js';
import { SchemaValidationError, ValidationError } from '../../common/errors.js';
import { authorize, resolveCaller } from '../authorize.js';
import { parameterTypes, validateBody, type BodyOf } from '../validate-body.js';
import { entityLinks, renderCollection } from '../collection.js';
import { bodyMember, extraAttributes, filterRendered, isPlainObject, normalizeKeys, queryValue, rejectNul } from './request-input.js';
import { StringLengthExceeded } from '../../catalog/catalog-errors.js';
import { pathParam } from '../request-params.js';

export const ROLE_ATTRIBUTES = ['id', 'name', 'domain_id', 'description', 'options', 'links'] as const;

const ROLE_OPTIONS_SCHEMA = {
  type: 'object',
  properties: { immutable: { type: ['boolean', 'null'] } },
  additionalProperties: false,
} as const;

const ROLE_PROPERTIES = {
  name: parameterTypes.name,
  description: { type: 'string' },
  options: ROLE_OPTIONS_SCHEMA,
  domain_id: { type: ['string', 'null'] },
} as const;

const ROLE_CREATE = { type: 'object', properties: ROLE_PROPERTIES, required: ['name'], additionalProperties: true } as const;
const ROLE_UPDATE = { type: 'object', properties: ROLE_PROPERTIES, minProperties: 1, additionalProperties: true } as const;

/** The role as Keystone renders it: its free-form attributes, then id, name, domain_id, description, options, links. */
export function renderRole(req: Request, role: Role): Record<string, unknown> {
  return {
    ...role.extra,
    id: role.id,
    name: role.name,
    domain_id: role.domainId,
    description: role.description,
    options: role.options,
    links: entityLinks(req, `/v3/roles/${role.id}`),
  };
}

/** The role as a policy target (target.role.*). */
export function roleTarget(role: Role): Record<string, unknown> {
  return { ...role.extra, id: role.id, name: role.name, domain_id: role.domainId, description: role.description, options: role.options };
}

/** Role rows are varchar(255) names and descriptions. */
function checkLengths(body: BodyOf<typeof ROLE_UPDATE>): void {
  if (typeof body.description === 'string' && body.description.length > 255)
    throw new StringLengthExceeded(body.description, 'description', 255);
  if (typeof body.domain_id === 'string' && body.domain_id.length > 64)
    throw new SchemaValidationError(`Invalid input for field 'domain_id': '${body.domain_id}' is too long`);
}

export function registerRoleRoutes(routes: RouteTable, providers: ProviderApi): void {
  const list = async (req: Request, res: Response) => {
    const domainFilter = queryValue(req, 'domain_id');
    await authorize(req, providers, domainFilter ? 'identity:list_domain_roles' : 'identity:list_roles');
    // Without ?domain_id, only global roles (Keystone adds a domain_id=None filter).
    const roles = await providers.role_api.listRoles({ domainId: domainFilter ? domainFilter : null });
    const rendered = filterRendered(
      req,
      roles.map((r) => renderRole(req, r)),
      ['name', 'domain_id'],
    );
    res.json(renderCollection(req, 'roles', rendered, providers.role_api.listLimit()));
  };

  /** Keystone enforces get_role (or the *_domain_role rule for a domain role) before telling a role is missing. */
  const loadForAction = async (req: Request, id: string, action: 'get' | 'update' | 'delete'): Promise<Role> => {
    await resolveCaller(req, providers);
    const role = await providers.role_api.findRole(id);
    if (!role || !role.domainId) {
      await authorize(req, providers, `identity:${action}_role`);
      if (!role) return providers.role_api.getRole(id);
      return role;
    }
    await authorize(req, providers, `identity:${action}_domain_role`, { role: roleTarget(role) });
    return role;
  };

  const show = async (req: Request, res: Response) => {
    const role = await loadForAction(req, pathParam(req, 'role_id'), 'get');
    res.json({ role: renderRole(req, role) });
  };

  const create = async (req: Request, res: Response) => {
    const member = bodyMember(req.body, 'role');
    const isDomainRole = isPlainObject(member) && Boolean(member.domain_id);
    await authorize(req, providers, isDomainRole ? 'identity:create_domain_role' : 'identity:create_role');
    const body = validateBody(ROLE_CREATE, member);
    rejectNul(body);
    checkLengths(body);
    const role = normalizeKeys(body);
    const created = await providers.role_api.createRole({
      name: role.name,
      domainId: role.domain_id ?? null,
      description: role.description ?? null,
      options: role.options,
      extra: extraAttributes(role, ROLE_ATTRIBUTES),
    });
    res.status(201).json({ role: renderRole(req, created) });
  };

  const update = async (req: Request, res: Response) => {
    const id = pathParam(req, 'role_id');
    await loadForAction(req, id, 'update');
    const body = validateBody(ROLE_UPDATE, bodyMember(req.body, 'role'));
    rejectNul(body);
    checkLengths(body);
    if (body.id !== undefined && body.id !== null && body.id !== id) throw new ValidationError('Cannot change ID', false);
    const patch: RolePatch = { extra: extraAttributes(body, ROLE_ATTRIBUTES) };
    if (body.name !== undefined) patch.name = body.name;
    if ('description' in body) patch.description = body.description ?? null;
    if (body.options !== undefined) patch.options = body.options;
    if ('domain_id' in body) patch.domainId = body.domain_id ?? null;
    res.json({ role: renderRole(req, await providers.role_api.updateRole(id, patch, Object.keys(body))) });
  };

  const remove = async (req: Request, res: Response) => {
    const id = pathParam(req, 'role_id');
    await loadForAction(req, id, 'delete');
    await providers.role_api.deleteRole(id);
    res.status(204).end();
  };

  routes.getAndHead('/v3/roles', list, { policy: ['identity:list_roles', 'identity:list_domain_roles'], rel: 'roles' });
  routes.post('/v3/roles', create, { policy: ['identity:create_role', 'identity:create_domain_role'], rel: 'roles' });
  routes.getAndHead('/v3/roles/:role_id', show, { policy: ['identity:get_role', 'identity:get_domain_role'], rel: 'role' });
  routes.patch('/v3/roles/:role_id', update, { policy: ['identity:update_role', 'identity:update_domain_role'], rel: 'role' });
  routes.delete('/v3/roles/:role_id', remove, { policy: ['identity:delete_role', 'identity:delete_domain_role'], rel: 'role' });
}
