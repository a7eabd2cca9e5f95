/**
 * Role grants for users and groups on projects and domains (Keystone's
 * project and domain grant resources and api/os_inherit.py):
 *
 *   PUT|GET|HEAD|DELETE /v3/{projects|domains}/{id}/{users|groups}/{actor_id}/roles/{role_id}
 *   GET|HEAD            /v3/{projects|domains}/{id}/{users|groups}/{actor_id}/roles
 *   PUT|GET|HEAD|DELETE /v3/OS-INHERIT/{domains|projects}/{id}/{users|groups}/{actor_id}/roles/{role_id}/inherited_to_projects
 *   GET|HEAD            /v3/OS-INHERIT/domains/{id}/{users|groups}/{actor_id}/roles/inherited_to_projects
 *
 * The policy target is built as Keystone builds it (target.role, .user or
 * .group, .project or .domain): on the plain routes a missing role, actor
 * (except on DELETE) or target is a 404 once the caller is authenticated;
 * OS-INHERIT leaves what is missing empty and lets the grant call decide.
 */
import type { Request, Response } from 'express';
import type { RouteTable } from '../../server/route-table.js';
import type { ProviderApi } from '../../common/provider-api.js';
import type { GrantActor, GrantTarget } from '../../assignment/assignment-types.js';
import { EntityNotFound } from '../../common/errors.js';
import { authorize, resolveCaller } from '../authorize.js';
import { renderCollection } from '../collection.js';
import { renderRole, roleTarget } from './roles.js';
import { userTarget } from './users.js';
import { groupTarget } from './groups.js';
import { projectTarget } from './projects.js';
import { domainTarget } from './domains.js';
import { optionalPathParam, pathParam } from '../request-params.js';

const OS_INHERIT_REL = 'https://docs.openstack.org/api/openstack-identity/3/ext/OS-INHERIT/1.0/rel/';

type TargetKind = 'project' | 'domain';
type ActorKind = 'user' | 'group';

interface GrantRoute {
  target: TargetKind;
  actor: ActorKind;
  /** an OS-INHERIT route: inherited_to_projects, lenient targets */
  inherited: boolean;
}

interface TargetIds {
  roleId?: string;
  actorId: string;
  targetId: string;
}

/**
 * Keystone's _build_enforcement_target_attr (projects), _build_enforcement_target
 * (domains) and the OS-INHERIT variant.
 */
async function buildTarget(
  providers: ProviderApi,
  route: GrantRoute,
  ids: TargetIds,
  allowMissingActor: boolean,
): Promise<Record<string, unknown>> {
  const { identity_api: identity, resource_api: resource } = providers;
  const target: Record<string, unknown> = {};
  const lenient = route.inherited;
  const addRole = async () => {
    if (ids.roleId === undefined) return;
    const role = await providers.role_api.findRole(ids.roleId);
    if (role) target.role = roleTarget(role);
    else if (lenient) target.role = {};
    else throw new EntityNotFound('role', ids.roleId);
  };
  const addActor = async () => {
    let found: Record<string, unknown> | null = null;
    if (route.actor === 'user') {
      const user = await identity.findUser(ids.actorId);
      if (user) found = userTarget(user);
    } else {
      const group = await identity.findGroup(ids.actorId);
      if (group) found = groupTarget(group);
    }
    if (found) target[route.actor] = found;
    else if (lenient) target[route.actor] = {};
    else if (!allowMissingActor) throw new EntityNotFound(route.actor, ids.actorId);
  };
  const addTarget = async () => {
    const ref = await resource.findProjectRef(ids.targetId);
    if (route.target === 'domain') {
      if (ref && ref.isDomain) target.domain = domainTarget(ref);
      else if (lenient) target.domain = {};
      else throw new EntityNotFound('domain', ids.targetId);
    } else if (ref) {
      target.project = projectTarget(ref);
    } else if (lenient) {
      target.project = {};
    } else {
      throw new EntityNotFound('project', ids.targetId);
    }
  };
  if (route.target === 'domain' && !route.inherited) {
    await addTarget();
    await addRole();
    await addActor();
  } else {
    await addRole();
    await addActor();
    await addTarget();
  }
  return target;
}

export function registerGrantRoutes(routes: RouteTable, providers: ProviderApi): void {
  const { assignment_api: assignment } = providers;

  const idsOf = (req: Request, route: GrantRoute): TargetIds => ({
    roleId: optionalPathParam(req, 'role_id'),
    actorId: pathParam(req, `${route.actor}_id`),
    targetId: pathParam(req, `${route.target}_id`),
  });
  const actorOf = (route: GrantRoute, ids: TargetIds): GrantActor =>
    route.actor === 'user' ? { userId: ids.actorId } : { groupId: ids.actorId };
  const targetOf = (route: GrantRoute, ids: TargetIds): GrantTarget =>
    route.target === 'project' ? { projectId: ids.targetId } : { domainId: ids.targetId };

  const grant = (route: GrantRoute, action: 'check' | 'create' | 'revoke') => async (req: Request, res: Response) => {
    await resolveCaller(req, providers);
    const ids = idsOf(req, route);
    const target = await buildTarget(providers, route, ids, action === 'revoke');
    await authorize(req, providers, `identity:${action}_grant`, target);
    const roleId = pathParam(req, 'role_id');
    if (action === 'check') await assignment.checkGrant(roleId, actorOf(route, ids), targetOf(route, ids), route.inherited);
    else if (action === 'create') await assignment.addGrant(roleId, actorOf(route, ids), targetOf(route, ids), route.inherited);
    else await assignment.deleteGrant(roleId, actorOf(route, ids), targetOf(route, ids), route.inherited);
    res.status(204).end();
  };

  const list = (route: GrantRoute) => async (req: Request, res: Response) => {
    await resolveCaller(req, providers);
    const ids = idsOf(req, route);
    const target = await buildTarget(providers, route, ids, false);
    await authorize(req, providers, 'identity:list_grants', target);
    const roles = await assignment.listGrants(actorOf(route, ids), targetOf(route, ids), route.inherited);
    res.json(
      renderCollection(
        req,
        'roles',
        roles.map((r) => renderRole(req, r)),
        null,
      ),
    );
  };

  for (const targetKind of ['project', 'domain'] as const) {
    for (const actor of ['user', 'group'] as const) {
      const route: GrantRoute = { target: targetKind, actor, inherited: false };
      const base = `/v3/${targetKind}s/:${targetKind}_id/${actor}s/:${actor}_id/roles`;
      const rel = `${targetKind}_${actor}_role`;
      routes.getAndHead(base, list(route), { policy: 'identity:list_grants', rel: `${rel}s` });
      routes.getAndHead(`${base}/:role_id`, grant(route, 'check'), { policy: 'identity:check_grant', rel });
      routes.put(`${base}/:role_id`, grant(route, 'create'), { policy: 'identity:create_grant', rel });
      routes.delete(`${base}/:role_id`, grant(route, 'revoke'), { policy: 'identity:revoke_grant', rel });

      const inherited: GrantRoute = { target: targetKind, actor, inherited: true };
      const inheritBase = `/v3/OS-INHERIT/${targetKind}s/:${targetKind}_id/${actor}s/:${actor}_id/roles`;
      const inheritRel = `${OS_INHERIT_REL}${targetKind}_${actor}_role_inherited_to_projects`;
      routes.getAndHead(`${inheritBase}/:role_id/inherited_to_projects`, grant(inherited, 'check'), {
        policy: 'identity:check_grant',
        rel: inheritRel,
      });
      routes.put(`${inheritBase}/:role_id/inherited_to_projects`, grant(inherited, 'create'), {
        policy: 'identity:create_grant',
        rel: inheritRel,
      });
      routes.delete(`${inheritBase}/:role_id/inherited_to_projects`, grant(inherited, 'revoke'), {
        policy: 'identity:revoke_grant',
        rel: inheritRel,
      });
      if (targetKind === 'domain') {
        routes.getAndHead(`${inheritBase}/inherited_to_projects`, list(inherited), {
          policy: 'identity:list_grants',
          rel: `${OS_INHERIT_REL}domain_${actor}_roles_inherited_to_projects`,
        });
      }
    }
  }
}
