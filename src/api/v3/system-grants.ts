/**
 * Role grants on the system (Keystone's api/system.py):
 *
 *   GET|HEAD            /v3/system/{users|groups}/{actor_id}/roles
 *   PUT|GET|HEAD|DELETE /v3/system/{users|groups}/{actor_id}/roles/{role_id}
 *
 * The role and the actor are the policy target (404 when missing, except
 * the actor on DELETE). Domain-specific roles cannot be granted here.
 */
import type { Request, Response } from 'express';
import type { RouteTable } from '../../server/route-table.js';
import type { ProviderApi } from '../../common/provider-api.js';
import type { GrantActor } from '../../assignment/assignment-types.js';
import { EntityNotFound } from '../../common/errors.js';
import { authorize, resolveCaller } from '../authorize.js';
import { renderCollection } from '../collection.js';
import { renderRole, roleTarget } from './roles.js';
import { userTarget } from './users.js';
import { groupTarget } from './groups.js';
import { optionalPathParam, pathParam } from '../request-params.js';

type ActorKind = 'user' | 'group';

export function registerSystemGrantRoutes(routes: RouteTable, providers: ProviderApi): void {
  const { assignment_api: assignment, identity_api: identity } = providers;

  const target = async (req: Request, actor: ActorKind, allowMissingActor: boolean): Promise<Record<string, unknown>> => {
    await resolveCaller(req, providers);
    const out: Record<string, unknown> = {};
    const roleId = optionalPathParam(req, 'role_id');
    if (roleId !== undefined) out.role = roleTarget(await providers.role_api.getRole(roleId));
    const actorId = pathParam(req, `${actor}_id`);
    if (actor === 'user') {
      const user = await identity.findUser(actorId);
      if (user) out.user = userTarget(user);
      else if (!allowMissingActor) throw new EntityNotFound('user', actorId);
    } else {
      const group = await identity.findGroup(actorId);
      if (group) out.group = groupTarget(group);
      else if (!allowMissingActor) throw new EntityNotFound('group', actorId);
    }
    return out;
  };

  const actorOf = (req: Request, actor: ActorKind): GrantActor =>
    actor === 'user' ? { userId: pathParam(req, 'user_id') } : { groupId: pathParam(req, 'group_id') };

  const list = (actor: ActorKind) => async (req: Request, res: Response) => {
    await authorize(req, providers, `identity:list_system_grants_for_${actor}`, await target(req, actor, false));
    const roles = await assignment.listSystemGrants(actorOf(req, actor));
    res.json(
      renderCollection(
        req,
        'roles',
        roles.map((r) => renderRole(req, r)),
        null,
      ),
    );
  };

  const grant = (actor: ActorKind, action: 'check' | 'create' | 'revoke') => async (req: Request, res: Response) => {
    await authorize(req, providers, `identity:${action}_system_grant_for_${actor}`, await target(req, actor, action === 'revoke'));
    const roleId = pathParam(req, 'role_id');
    if (action === 'check') await assignment.checkSystemGrant(roleId, actorOf(req, actor));
    else if (action === 'create') await assignment.addSystemGrant(roleId, actorOf(req, actor));
    else await assignment.deleteSystemGrant(roleId, actorOf(req, actor));
    res.status(204).end();
  };

  for (const actor of ['user', 'group'] as const) {
    const base = `/v3/system/${actor}s/:${actor}_id/roles`;
    routes.getAndHead(base, list(actor), { policy: `identity:list_system_grants_for_${actor}`, rel: `system_${actor}_roles` });
    routes.getAndHead(`${base}/:role_id`, grant(actor, 'check'), {
      policy: `identity:check_system_grant_for_${actor}`,
      rel: `system_${actor}_role`,
    });
    routes.put(`${base}/:role_id`, grant(actor, 'create'), {
      policy: `identity:create_system_grant_for_${actor}`,
      rel: `system_${actor}_role`,
    });
    routes.delete(`${base}/:role_id`, grant(actor, 'revoke'), {
      policy: `identity:revoke_system_grant_for_${actor}`,
      rel: `system_${actor}_role`,
    });
  }
}
