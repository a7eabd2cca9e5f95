/**
 * Role inference (Keystone's RoleImplication* resources and
 * api/role_inferences.py): /v3/roles/{prior_role_id}/implies[/{implied_role_id}]
 * and GET /v3/role_inferences. Both roles are looked up as the policy
 * target, so a missing one is a 404 once the caller is authenticated.
 * HEAD of an implication answers 204, as Keystone documents it.
 */
import type { Request, Response } from 'express';
import type { RouteTable } from '../../server/route-table.js';
import type { ProviderApi } from '../../common/provider-api.js';
import type { Role } from '../../assignment/assignment-types.js';
import { authorize, resolveCaller } from '../authorize.js';
import { roleTarget } from './roles.js';
import { pathParam } from '../request-params.js';

function roleRef(req: Request, role: Pick<Role, 'id' | 'name'>): Record<string, unknown> {
  return { id: role.id, links: { self: `${req.keystone.baseUrl}/v3/roles/${role.id}` }, name: role.name };
}

export function registerImpliedRoleRoutes(routes: RouteTable, providers: ProviderApi): void {
  /** Keystone's _build_enforcement_target_ref: the prior role (404s). */
  const priorTarget = async (req: Request): Promise<{ prior: Role; target: Record<string, unknown> }> => {
    await resolveCaller(req, providers);
    const prior = await providers.role_api.getRole(pathParam(req, 'prior_role_id'));
    return { prior, target: { prior_role: roleTarget(prior) } };
  };

  /** ...and the implied one, on the routes that name it (404s). */
  const pairTarget = async (req: Request): Promise<{ prior: Role; implied: Role; target: Record<string, unknown> }> => {
    const { prior, target } = await priorTarget(req);
    const implied = await providers.role_api.getRole(pathParam(req, 'implied_role_id'));
    return { prior, implied, target: { ...target, implied_role: roleTarget(implied) } };
  };

  const inferenceBody = async (req: Request, prior: Role, implied: Role) => {
    await providers.role_api.checkImpliedRole(prior.id, implied.id);
    return {
      role_inference: { prior_role: roleRef(req, prior), implies: roleRef(req, implied) },
      links: { self: `${req.keystone.baseUrl}/v3/roles/${prior.id}/implies/${implied.id}` },
    };
  };

  const list = async (req: Request, res: Response) => {
    const t = await priorTarget(req);
    await authorize(req, providers, 'identity:list_implied_roles', t.target);
    const implied = await providers.role_api.listImpliedRoles(t.prior.id);
    res.json({
      role_inference: { prior_role: roleRef(req, t.prior), implies: implied.map((r) => roleRef(req, r)) },
      links: { self: `${req.keystone.baseUrl}/v3/roles/${t.prior.id}/implies` },
    });
  };

  const show = async (req: Request, res: Response) => {
    const t = await pairTarget(req);
    await authorize(req, providers, 'identity:get_implied_role', t.target);
    res.json(await inferenceBody(req, t.prior, t.implied));
  };

  const check = async (req: Request, res: Response) => {
    const t = await pairTarget(req);
    // As Keystone: HEAD needs check_implied_role and get_implied_role.
    await authorize(req, providers, 'identity:check_implied_role', t.target);
    await authorize(req, providers, 'identity:get_implied_role', t.target);
    await providers.role_api.checkImpliedRole(t.prior.id, t.implied.id);
    res.status(204).end();
  };

  const create = async (req: Request, res: Response) => {
    const t = await pairTarget(req);
    await authorize(req, providers, 'identity:create_implied_role', t.target);
    await providers.role_api.addImpliedRole(t.prior.id, t.implied.id);
    res.status(201).json(await inferenceBody(req, t.prior, t.implied));
  };

  const remove = async (req: Request, res: Response) => {
    const t = await pairTarget(req);
    await authorize(req, providers, 'identity:delete_implied_role', t.target);
    await providers.role_api.deleteImpliedRole(t.prior.id, t.implied.id);
    res.status(204).end();
  };

  const inferences = async (req: Request, res: Response) => {
    await authorize(req, providers, 'identity:list_role_inference_rules');
    const rules = await providers.role_api.listRoleInferenceRules();
    const roles = new Map<string, Role>();
    const roleOf = async (id: string) => {
      let role = roles.get(id);
      if (!role) {
        role = await providers.role_api.getRole(id);
        roles.set(id, role);
      }
      return role;
    };
    const byPrior = new Map<string, Record<string, unknown>[]>();
    for (const rule of rules) {
      const implies = byPrior.get(rule.priorRoleId) ?? [];
      implies.push(roleRef(req, await roleOf(rule.impliedRoleId)));
      byPrior.set(rule.priorRoleId, implies);
    }
    const out: Record<string, unknown>[] = [];
    for (const [priorId, implies] of byPrior) out.push({ prior_role: roleRef(req, await roleOf(priorId)), implies });
    res.json({ role_inferences: out });
  };

  routes.getAndHead('/v3/roles/:prior_role_id/implies', list, { policy: 'identity:list_implied_roles', rel: 'implied_roles' });
  // HEAD first: express would otherwise answer it with the GET route.
  routes.head('/v3/roles/:prior_role_id/implies/:implied_role_id', check, {
    policy: ['identity:check_implied_role', 'identity:get_implied_role'],
    rel: 'implied_role',
  });
  routes.get('/v3/roles/:prior_role_id/implies/:implied_role_id', show, { policy: 'identity:get_implied_role', rel: 'implied_role' });
  routes.put('/v3/roles/:prior_role_id/implies/:implied_role_id', create, { policy: 'identity:create_implied_role', rel: 'implied_role' });
  routes.delete('/v3/roles/:prior_role_id/implies/:implied_role_id', remove, {
    policy: 'identity:delete_implied_role',
    rel: 'implied_role',
  });
  routes.getAndHead('/v3/role_inferences', inferences, { policy: 'identity:list_role_inference_rules', rel: 'role_inferences' });
}
