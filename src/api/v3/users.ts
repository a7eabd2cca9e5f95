/**
 * /v3/users (Keystone's api/users.py): list with Keystone's filters, show,
 * create, update (an administrator's password reset too), delete; the
 * self-service POST /v3/users/{user_id}/password; a user's projects and
 * groups.
 */
import type { Request, Response } from 'express';
import type { RouteTable } from '../../server/route-table.js';
import type { ProviderApi } from '../../common/provider-api.js';
import type { User } from '../../identity/identity-types.js';
import type { UserPatch } from '../../identity/identity-manager.js';
import { ValidationError } from '../../common/errors.js';
import { authorize, resolveCaller } from '../authorize.js';
import { validateBody } from '../validate-body.js';
import { renderCollection } from '../collection.js';
import { PASSWORD_CHANGE, USER_CREATE, USER_UPDATE } from './identity-schemas.js';
import { renderGroup, renderUser, USER_ATTRIBUTES } from './identity-render.js';
import { renderProject } from './resource-render.js';
import {
  bodyMember,
  defaultDomainId,
  extraAttributes,
  filterRendered,
  isPlainObject,
  normalizeKeys,
  queryValue,
  rejectNul,
} from './request-input.js';
import { CollectionMemo } from '../collection-memo.js';
import { federatedFilter, passwordExpiresFilters } from './user-list-filters.js';
import { pathParam } from '../request-params.js';

/** The user as a policy target (target.user.*). */
export function userTarget(user: User): Record<string, unknown> {
  return {
    ...user.extra,
    id: user.id,
    name: user.name,
    domain_id: user.domainId,
    enabled: user.enabled,
    default_project_id: user.defaultProjectId,
    options: user.options,
  };
}

/** Keystone's _build_user_target_enforcement: the user (and group) when they exist, nothing otherwise. */
export async function userTargetFor(providers: ProviderApi, userId: string, groupId?: string): Promise<Record<string, unknown>> {
  const target: Record<string, unknown> = {};
  const user = await providers.identity_api.findUser(userId);
  if (!user) return target;
  target.user = userTarget(user);
  if (groupId) {
    const group = await providers.identity_api.findGroup(groupId);
    if (group) target.group = { ...group.extra, id: group.id, name: group.name, domain_id: group.domainId, description: group.description };
  }
  return target;
}

export function registerUserRoutes(routes: RouteTable, providers: ProviderApi): void {
  const { identity_api: identity } = providers;
  const lists = new CollectionMemo(() => providers.token_provider_api.currentVersionSync(), providers.conf.cache.expiration_time);

  const list = async (req: Request, res: Response) => {
    const scoped = await resolveCaller(req, providers);
    const caller = await authorize(req, providers, 'identity:list_users', scoped.domainId ? { domain_id: scoped.domainId } : undefined);
    await lists.send(req, res, caller.domainId ?? '', async () => {
      const passwordExpires = passwordExpiresFilters(req);
      // Exact domain_id and name filters narrow the query; every filter is applied to the rendered users below too.
      const domainId = caller.domainId ?? queryValue(req, 'domain_id');
      const name = queryValue(req, 'name');
      let users = await identity.listUsers({ domainId, name, passwordExpires, federated: federatedFilter(req) });
      if (caller.domainId) users = users.filter((u) => u.domainId === caller.domainId);
      const rendered = filterRendered(
        req,
        users.map((u) => renderUser(req, u)),
        ['domain_id', 'name'],
        ['enabled'],
      );
      return renderCollection(req, 'users', rendered, identity.listLimit());
    });
  };

  const show = async (req: Request, res: Response) => {
    const id = pathParam(req, 'user_id');
    await authorize(req, providers, 'identity:get_user', await userTargetFor(providers, id));
    const user = await identity.getUser(id);
    res.json({ user: renderUser(req, user, { federated: await identity.federatedObjectsOfUser(id) }) });
  };

  const create = async (req: Request, res: Response) => {
    const member = bodyMember(req.body, 'user');
    const caller = await authorize(req, providers, 'identity:create_user', { user: isPlainObject(member) ? member : {} });
    const body = validateBody(USER_CREATE, member);
    rejectNul(body);
    const user = normalizeKeys(body);
    const domainId = user.domain_id || defaultDomainId(caller, providers.conf);
    const created = await identity.createUser({
      name: user.name,
      domainId,
      ...('password' in user ? { password: user.password ?? null } : {}),
      enabled: user.enabled,
      defaultProjectId: user.default_project_id ?? null,
      options: user.options,
      federated: user.federated,
      extra: extraAttributes(user, USER_ATTRIBUTES),
    });
    // Keystone answers with the `federated` the request carried, as it carried it
    res.status(201).json({ user: renderUser(req, created, { federated: user.federated }) });
  };

  const update = async (req: Request, res: Response) => {
    const id = pathParam(req, 'user_id');
    await authorize(req, providers, 'identity:update_user', await userTargetFor(providers, id));
    await identity.getUser(id);
    const body = validateBody(USER_UPDATE, bodyMember(req.body, 'user'));
    rejectNul(body);
    if (body.id !== undefined && body.id !== null && body.id !== id) throw new ValidationError('Cannot change ID', false);
    const patch: UserPatch = { extra: extraAttributes(body, USER_ATTRIBUTES) };
    if (body.name !== undefined) patch.name = body.name;
    if (body.domain_id !== undefined) patch.domainId = body.domain_id;
    if (body.enabled !== undefined) patch.enabled = body.enabled;
    if ('default_project_id' in body) patch.defaultProjectId = body.default_project_id ?? null;
    if ('password' in body) patch.password = body.password ?? null;
    if (body.options !== undefined) patch.options = body.options;
    if (body.federated !== undefined) patch.federated = body.federated;
    const updated = await identity.updateUser(id, patch);
    const federated = body.federated?.length ? body.federated : await identity.federatedObjectsOfUser(id);
    res.json({ user: renderUser(req, updated, { includeExtraDict: true, federated }) });
  };

  const remove = async (req: Request, res: Response) => {
    const id = pathParam(req, 'user_id');
    await authorize(req, providers, 'identity:delete_user', await userTargetFor(providers, id));
    await identity.deleteUser(id);
    res.status(204).end();
  };

  /** Self-service: no token needed; the original password proves who is asking. */
  const changePassword = async (req: Request, res: Response) => {
    const body = validateBody(PASSWORD_CHANGE, bodyMember(req.body, 'user'));
    rejectNul(body);
    await identity.changePassword(pathParam(req, 'user_id'), body.original_password, body.password);
    res.status(204).end();
  };

  const projects = async (req: Request, res: Response) => {
    const id = pathParam(req, 'user_id');
    await authorize(req, providers, 'identity:list_user_projects', await userTargetFor(providers, id));
    await identity.getUser(id);
    const ids = await providers.assignment_api.projectIdsForUser(id);
    const refs = ids.length ? await providers.resource_api.listProjectRefs({ ids }) : [];
    const rendered = filterRendered(
      req,
      refs.map((p) => renderProject(req, p)),
      ['domain_id', 'name'],
      ['enabled'],
    );
    res.json(renderCollection(req, 'projects', rendered, null));
  };

  const groups = async (req: Request, res: Response) => {
    const id = pathParam(req, 'user_id');
    const caller = await authorize(req, providers, 'identity:list_groups_for_user', await userTargetFor(providers, id));
    let list = await identity.listGroupsForUser(id);
    if (caller.domainId) list = list.filter((g) => g.domainId === caller.domainId);
    const rendered = filterRendered(
      req,
      list.map((g) => renderGroup(req, g, { membership: true })),
      ['name'],
    );
    res.json(renderCollection(req, 'groups', rendered, identity.listLimit()));
  };

  routes.getAndHead('/v3/users', list, { policy: 'identity:list_users', rel: 'users' });
  routes.post('/v3/users', create, { policy: 'identity:create_user', rel: 'users' });
  routes.getAndHead('/v3/users/:user_id', show, { policy: 'identity:get_user', rel: 'user' });
  routes.patch('/v3/users/:user_id', update, { policy: 'identity:update_user', rel: 'user' });
  routes.delete('/v3/users/:user_id', remove, { policy: 'identity:delete_user', rel: 'user' });
  routes.post('/v3/users/:user_id/password', changePassword, {
    public: 'self-service: the original password proves the caller (Keystone unenforced)',
    rel: 'user_change_password',
  });
  routes.getAndHead('/v3/users/:user_id/projects', projects, { policy: 'identity:list_user_projects', rel: 'user_projects' });
  routes.getAndHead('/v3/users/:user_id/groups', groups, { policy: 'identity:list_groups_for_user', rel: 'user_groups' });
}
