/**
 * A user's OS-OAUTH1 access tokens (api/users.py): list, show, delete, and
 * the roles each delegates. A token issued through delegation (a trust, an
 * application credential, OAuth1 itself…) cannot manage them. Deleting one
 * revokes the tokens issued through it; deleting a token of another user
 * is a 401, as Keystone's "User IDs do not match". Keystone authorizes the
 * deletion with identity:ec2_delete_credential.
 */
import type { Request } from 'express';
import type { RouteTable } from '../../server/route-table.js';
import type { ProviderApi } from '../../common/provider-api.js';
import type { Caller } from '../../auth/caller.js';
import { EntityNotFound, NotFound } from '../../common/errors.js';
import { securityForbidden, securityUnauthorized } from '../../auth/auth-errors.js';
import { isDelegatedMethod } from '../../trust/delegation.js';
import type { AccessToken } from '../../oauth1/oauth1-manager.js';
import type { Role } from '../../assignment/assignment-types.js';
import { authorize } from '../authorize.js';
import { entityLinks, renderCollection } from '../collection.js';
import { pathParam } from '../request-params.js';

const REL = 'https://docs.openstack.org/api/openstack-identity/3/ext/OS-OAUTH1/1.0/rel/';
const PARAMS = { access_token_id: 'https://docs.openstack.org/api/openstack-identity/3/ext/OS-OAUTH1/1.0/param/access_token_id' };
const BASE = '/v3/users/:user_id/OS-OAUTH1/access_tokens';

function render(req: Request, t: AccessToken): Record<string, unknown> {
  const self = `${req.keystone.baseUrl}/v3/users/${t.authorizingUserId}/OS-OAUTH1/access_tokens/${t.id}`;
  return {
    id: t.id,
    authorizing_user_id: t.authorizingUserId,
    project_id: t.projectId,
    consumer_id: t.consumerId,
    expires_at: t.expiresAt,
    links: { roles: `${self}/roles`, self },
  };
}

/** Keystone's _format_role_entity: the role without description (nor enabled). */
function renderRole(req: Request, role: Role): Record<string, unknown> {
  return {
    ...role.extra,
    id: role.id,
    name: role.name,
    domain_id: role.domainId,
    options: role.options,
    links: entityLinks(req, `/v3/roles/${role.id}`),
  };
}

export function registerOauth1AccessTokenRoutes(routes: RouteTable, providers: ProviderApi): void {
  const { oauth_api: oauth, role_api: roles } = providers;
  const { insecure_debug: insecureDebug } = providers.conf.DEFAULT;

  const refuseDelegated = (caller: Caller) => {
    if (caller.trustId || isDelegatedMethod(providers.conf, caller))
      throw securityForbidden(insecureDebug, 'Cannot manage OAuth access tokens with a token issued via delegation.');
  };
  /** the user's access token; another user's is a 404 (`mismatch`: Keystone's answer for the role routes) */
  const tokenOf = async (req: Request, mismatch: 'not-found' | 'unauthorized' = 'not-found'): Promise<AccessToken> => {
    const token = await oauth.getAccessToken(pathParam(req, 'access_token_id'));
    if (token.authorizingUserId !== pathParam(req, 'user_id')) {
      // Keystone raises a bare NotFound, whose message keeps its unfilled placeholder
      throw mismatch === 'not-found'
        ? new NotFound('Could not find: %(target)s.')
        : securityUnauthorized(insecureDebug, 'User IDs do not match');
    }
    return token;
  };
  const roleOf = async (id: string): Promise<Role> => {
    const role = await roles.findRole(id);
    if (!role) throw new EntityNotFound('role', id);
    return role;
  };

  routes.getAndHead(
    BASE,
    async (req, res) => {
      refuseDelegated(await authorize(req, providers, 'identity:list_access_tokens'));
      const tokens = await oauth.listAccessTokens(pathParam(req, 'user_id'));
      res.json(
        renderCollection(
          req,
          'access_tokens',
          tokens.map((t) => render(req, t)),
          providers.conf.DEFAULT.list_limit,
        ),
      );
    },
    { policy: 'identity:list_access_tokens', rel: `${REL}user_access_tokens` },
  );
  routes.getAndHead(
    `${BASE}/:access_token_id`,
    async (req, res) => {
      refuseDelegated(await authorize(req, providers, 'identity:get_access_token'));
      res.json({ access_token: render(req, await tokenOf(req)) });
    },
    { policy: 'identity:get_access_token', rel: `${REL}user_access_token`, params: PARAMS },
  );
  routes.delete(
    `${BASE}/:access_token_id`,
    async (req, res) => {
      refuseDelegated(await authorize(req, providers, 'identity:ec2_delete_credential'));
      await oauth.deleteAccessToken(pathParam(req, 'user_id'), pathParam(req, 'access_token_id'));
      res.status(204).end();
    },
    { policy: 'identity:ec2_delete_credential', rel: `${REL}user_access_token`, params: PARAMS },
  );
  routes.getAndHead(
    `${BASE}/:access_token_id/roles`,
    async (req, res) => {
      await authorize(req, providers, 'identity:list_access_token_roles');
      const token = await tokenOf(req);
      const list = await Promise.all(token.roleIds.map(roleOf));
      res.json(
        renderCollection(
          req,
          'roles',
          list.map((r) => renderRole(req, r)),
          providers.conf.DEFAULT.list_limit,
        ),
      );
    },
    { policy: 'identity:list_access_token_roles', rel: `${REL}user_access_token_roles`, params: PARAMS },
  );
  routes.getAndHead(
    `${BASE}/:access_token_id/roles/:role_id`,
    async (req, res) => {
      await authorize(req, providers, 'identity:get_access_token_role');
      const token = await tokenOf(req, 'unauthorized');
      const roleId = pathParam(req, 'role_id');
      if (!token.roleIds.includes(roleId)) throw new EntityNotFound('role', roleId);
      res.json({ role: renderRole(req, await roleOf(roleId)) });
    },
    { policy: 'identity:get_access_token_role', rel: `${REL}user_access_token_role`, params: PARAMS },
  );
}
