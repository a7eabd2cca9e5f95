/**
 * /v3/groups (Keystone's api/groups.py): list, show, create, update, delete,
 * the members of a group (with the user list filters) and membership
 * checks, additions and removals.
 */
import type { Request, Response } from 'express';
import type { RouteTable } from '../../server/route-table.js';
import type { ProviderApi } from '../../common/provider-api.js';
import type { Group } from '../../identity/identity-types.js';
import type { GroupPatch } from '../../identity/identity-manager.js';
import { ValidationError } from '../../common/errors.js';
import { authorize, resolveCaller } from '../authorize.js';
import { validateBody } from '../validate-body.js';
import { renderCollection } from '../collection.js';
import { GROUP_CREATE, GROUP_UPDATE } from './identity-schemas.js';
import { GROUP_ATTRIBUTES, renderGroup, renderUser } from './identity-render.js';
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
import { passwordExpiresFilters } from './user-list-filters.js';
import { userTarget } from './users.js';
import { pathParam } from '../request-params.js';

/** The group as a policy target (target.group.*). */
export function groupTarget(group: Group): Record<string, unknown> {
  return { ...group.extra, id: group.id, name: group.name, domain_id: group.domainId, description: group.description };
}

async function groupTargetFor(providers: ProviderApi, groupId: string): Promise<Record<string, unknown>> {
  const group = await providers.identity_api.findGroup(groupId);
  return group ? { group: groupTarget(group) } : {};
}

/** The group and the user, each when it exists (UserGroupCRUDResource's target). */
async function membershipTargetFor(providers: ProviderApi, groupId: string, userId: string): Promise<Record<string, unknown>> {
  const target = await groupTargetFor(providers, groupId);
  const user = await providers.identity_api.findUser(userId);
  if (user) target.user = userTarget(user);
  return target;
}

export function registerGroupRoutes(routes: RouteTable, providers: ProviderApi): void {
  const { identity_api: identity } = providers;

  const list = async (req: Request, res: Response) => {
    const scoped = await resolveCaller(req, providers);
    const caller = await authorize(
      req,
      providers,
      'identity:list_groups',
      scoped.domainId ? { group: { domain_id: scoped.domainId } } : undefined,
    );
    let groups = await identity.listGroups({ domainId: caller.domainId ?? queryValue(req, 'domain_id') });
    if (caller.domainId) groups = groups.filter((g) => g.domainId === caller.domainId);
    const rendered = filterRendered(
      req,
      groups.map((g) => renderGroup(req, g)),
      ['domain_id', 'name'],
    );
    res.json(renderCollection(req, 'groups', rendered, identity.listLimit()));
  };

  const show = async (req: Request, res: Response) => {
    const id = pathParam(req, 'group_id');
    await authorize(req, providers, 'identity:get_group', await groupTargetFor(providers, id));
    res.json({ group: renderGroup(req, await identity.getGroup(id)) });
  };

  const create = async (req: Request, res: Response) => {
    const member = bodyMember(req.body, 'group');
    const caller = await authorize(req, providers, 'identity:create_group', { group: isPlainObject(member) ? member : {} });
    const body = validateBody(GROUP_CREATE, member);
    rejectNul(body);
    const group = normalizeKeys(body);
    const created = await identity.createGroup({
      name: group.name,
      domainId: group.domain_id || defaultDomainId(caller, providers.conf),
      description: group.description,
      extra: extraAttributes(group, GROUP_ATTRIBUTES),
    });
    res.status(201).json({ group: renderGroup(req, created) });
  };

  const update = async (req: Request, res: Response) => {
    const id = pathParam(req, 'group_id');
    await authorize(req, providers, 'identity:update_group', await groupTargetFor(providers, id));
    const body = validateBody(GROUP_UPDATE, bodyMember(req.body, 'group'));
    rejectNul(body);
    if (body.id !== undefined && body.id !== null && body.id !== id) throw new ValidationError('Cannot change ID', false);
    const patch: GroupPatch = { extra: extraAttributes(body, GROUP_ATTRIBUTES) };
    if (body.name !== undefined) patch.name = body.name;
    if (body.domain_id !== undefined) patch.domainId = body.domain_id;
    if ('description' in body) patch.description = body.description ?? null;
    res.json({ group: renderGroup(req, await identity.updateGroup(id, patch)) });
  };

  const remove = async (req: Request, res: Response) => {
    const id = pathParam(req, 'group_id');
    // As Keystone: the group is loaded as the target before enforcement, so a missing group is a 404.
    const group = await identity.getGroup(id);
    await authorize(req, providers, 'identity:delete_group', { group: groupTarget(group) });
    await identity.deleteGroup(id);
    res.status(204).end();
  };

  const members = async (req: Request, res: Response) => {
    const id = pathParam(req, 'group_id');
    const target = await groupTargetFor(providers, id);
    const caller = await authorize(req, providers, 'identity:list_users_in_group', Object.keys(target).length ? target : undefined);
    await identity.getGroup(id);
    const passwordExpires = passwordExpiresFilters(req);
    let users = await identity.listUsers({ groupId: id, passwordExpires });
    if (caller.domainId) users = users.filter((u) => u.domainId === caller.domainId);
    const rendered = filterRendered(
      req,
      users.map((u) => renderUser(req, u)),
      ['domain_id', 'name'],
      ['enabled'],
    );
    res.json(renderCollection(req, 'users', rendered, identity.listLimit()));
  };

  const membership = (action: 'check' | 'add' | 'remove') => async (req: Request, res: Response) => {
    const groupId = pathParam(req, 'group_id');
    const userId = pathParam(req, 'user_id');
    const policy = { check: 'identity:check_user_in_group', add: 'identity:add_user_to_group', remove: 'identity:remove_user_from_group' }[
      action
    ];
    await authorize(req, providers, policy, await membershipTargetFor(providers, groupId, userId));
    if (action === 'check') await identity.checkUserInGroup(userId, groupId);
    else if (action === 'add') await identity.addUserToGroup(userId, groupId);
    else await identity.removeUserFromGroup(userId, groupId);
    res.status(204).end();
  };

  routes.getAndHead('/v3/groups', list, { policy: 'identity:list_groups', rel: 'groups' });
  routes.post('/v3/groups', create, { policy: 'identity:create_group', rel: 'groups' });
  routes.getAndHead('/v3/groups/:group_id', show, { policy: 'identity:get_group', rel: 'group' });
  routes.patch('/v3/groups/:group_id', update, { policy: 'identity:update_group', rel: 'group' });
  routes.delete('/v3/groups/:group_id', remove, { policy: 'identity:delete_group', rel: 'group' });
  routes.getAndHead('/v3/groups/:group_id/users', members, { policy: 'identity:list_users_in_group', rel: 'group_users' });
  routes.getAndHead('/v3/groups/:group_id/users/:user_id', membership('check'), {
    policy: 'identity:check_user_in_group',
    rel: 'group_user',
  });
  routes.put('/v3/groups/:group_id/users/:user_id', membership('add'), { policy: 'identity:add_user_to_group', rel: 'group_user' });
  routes.delete('/v3/groups/:group_id/users/:user_id', membership('remove'), {
    policy: 'identity:remove_user_from_group',
    rel: 'group_user',
  });
}
