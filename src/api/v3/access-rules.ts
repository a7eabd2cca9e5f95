/**
 * /v3/users/{user_id}/access_rules (Keystone's api/users.py): the access
 * rules a user's application credentials carry, listed (?service=, ?path=,
 * ?method=), shown and deleted (403 while a credential uses one).
 */
import type { Request } from 'express';
import type { RouteTable } from '../../server/route-table.js';
import type { ProviderApi } from '../../common/provider-api.js';
import type { Caller } from '../../auth/caller.js';
import { authorize } from '../authorize.js';
import { entityLinks, renderCollection } from '../collection.js';
import { userTarget } from './users.js';
import { refuseDelegatedToken } from './application-credentials.js';
import type { AccessRule } from '../../application-credential/application-credential-types.js';
import { pathParam, queryString } from '../request-params.js';

const render = (req: Request, rule: AccessRule) => ({ ...rule, links: entityLinks(req, `/v3/access_rules/${rule.id}`) });

/** Keystone's _build_user_target_enforcement: {user} when the user exists, and the path's user_id. */
async function authorizeOnUser(req: Request, providers: ProviderApi, action: string): Promise<Caller> {
  const userId = pathParam(req, 'user_id');
  const user = await providers.identity_api.findUser(userId);
  const target: Record<string, unknown> = { user_id: userId };
  if (user) target.user = userTarget(user);
  const caller = await authorize(req, providers, action, target);
  refuseDelegatedToken(providers, caller);
  return caller;
}

export function registerAccessRuleRoutes(routes: RouteTable, providers: ProviderApi): void {
  const manager = providers.application_credential_api;
  routes.getAndHead(
    '/v3/users/:user_id/access_rules',
    async (req, res) => {
      await authorizeOnUser(req, providers, 'identity:list_access_rules');
      const filter: Record<string, string> = {};
      for (const k of ['service', 'path', 'method']) {
        const value = queryString(req, k);
        if (value !== undefined) filter[k] = value;
      }
      const rules = await manager.listAccessRules(pathParam(req, 'user_id'), filter);
      res.json(
        renderCollection(
          req,
          'access_rules',
          rules.map((r) => render(req, r)),
          providers.conf.DEFAULT.list_limit,
        ),
      );
    },
    { policy: 'identity:list_access_rules', rel: 'access_rules' },
  );
  routes.getAndHead(
    '/v3/users/:user_id/access_rules/:access_rule_id',
    async (req, res) => {
      await authorizeOnUser(req, providers, 'identity:get_access_rule');
      const rule = await manager.getAccessRule(pathParam(req, 'user_id'), pathParam(req, 'access_rule_id'));
      res.json({ access_rule: render(req, rule) });
    },
    { policy: 'identity:get_access_rule', rel: 'access_rule' },
  );
  routes.delete(
    '/v3/users/:user_id/access_rules/:access_rule_id',
    async (req, res) => {
      await authorizeOnUser(req, providers, 'identity:delete_access_rule');
      await manager.deleteAccessRule(pathParam(req, 'user_id'), pathParam(req, 'access_rule_id'));
      res.status(204).end();
    },
    { policy: 'identity:delete_access_rule', rel: 'access_rule' },
  );
}
