/**
 * /v3/auth (Keystone's api/auth.py): POST/GET/HEAD/DELETE /v3/auth/tokens,
 * GET /v3/auth/catalog, /v3/auth/projects, /v3/auth/domains, /v3/auth/system.
 *
 * Order of checks for the token endpoints, as Keystone's enforce_call:
 * X-Auth-Token (401) → X-Subject-Token (404) → policy (403).
 */
import type { Request, Response } from 'express';
import type { RouteTable } from '../../server/route-table.js';
import type { ProviderApi } from '../../common/provider-api.js';
import { Forbidden } from '../../common/errors.js';
import { TokenAuthentication } from '../../auth/authenticate.js';
import { securityForbidden } from '../../auth/auth-errors.js';
import type { ValidatedToken } from '../../token/token-model.js';
import { ACCESS_RULES_HEADER } from '../../token/token-manager.js';
import { authorize, enforcePolicy, resolveCaller } from '../authorize.js';
import { renderCollection } from '../collection.js';
import { renderDomain, renderProject } from './resource-render.js';
import { registerFederatedAuthRoutes } from './federation-auth.js';
import { registerWebSsoRoutes } from './federation-websso.js';
import { attemptedRefusal } from '../../server/handed-over.js';

const FEDERATION_REL = 'https://docs.openstack.org/api/openstack-identity/3/ext/OS-FEDERATION/1.0/rel/';

/** oslo's strutils.bool_from_string */
export function boolFromString(value: unknown): boolean {
  return typeof value === 'string' && ['1', 't', 'true', 'on', 'y', 'yes'].includes(value.trim().toLowerCase());
}

function includeCatalog(req: Request): boolean {
  return !Object.prototype.hasOwnProperty.call(req.query, 'nocatalog');
}

/** The policy target of a subject token (Keystone's target.token). */
export function tokenTarget(token: ValidatedToken): Record<string, unknown> {
  return { token: { user_id: token.userId, user: { domain: { id: token.user.domain.id } } } };
}

export const AUTH_CATALOG_PATH = '/v3/auth/catalog';

/** GET /v3/auth/catalog's body: {"catalog": …, "links": {"self": …}}, around the catalog serialized once (TokenManager.catalogJson). */
export function authCatalogBody(catalogJson: string, baseUrl: string): string {
  return `{"catalog":${catalogJson},"links":{"self":${JSON.stringify(`${baseUrl}${AUTH_CATALOG_PATH}`)}}}`;
}

function sendJson(res: Response, status: number, body: string | Buffer, headers: Record<string, string> = {}): void {
  res.status(status);
  for (const [k, v] of Object.entries(headers)) res.setHeader(k, v);
  res.setHeader('Content-Type', 'application/json');
  res.setHeader('Content-Length', Buffer.byteLength(body));
  if (res.req.method === 'HEAD') res.end();
  else res.end(body);
}

/**
 * POST /v3/auth/tokens's one issue path (the route and the issue fast path, src/server/fast-path-issue.ts): the body
 * authenticated, the token minted through every check, and its body serialized.
 */
export function tokenIssuer(
  providers: ProviderApi,
  authentication = new TokenAuthentication(providers),
): (req: Request, body: unknown, withCatalog: boolean) => Promise<IssuedToken> {
  return async (req, body, withCatalog) => {
    const token = await authentication.authenticate(req, body, { receipts: true });
    return { token, body: JSON.stringify(await providers.token_provider_api.renderBody(token, withCatalog)) };
  };
}

export interface IssuedToken {
  token: ValidatedToken;
  body: string;
}

export function registerAuthRoutes(routes: RouteTable, providers: ProviderApi): void {
  const { token_provider_api: tokens, conf } = providers;
  const authentication = new TokenAuthentication(providers);
  const issue = tokenIssuer(providers, authentication);

  routes.post(
    '/v3/auth/tokens',
    async (req, res) => {
      // authenticated already by the issue fast path, which failed: its error is the answer (no second attempt)
      const attempted = attemptedRefusal(req);
      if (attempted) throw attempted.error;
      const { token, body } = await issue(req, req.body, includeCatalog(req));
      sendJson(res, 201, body, { 'X-Subject-Token': token.id });
    },
    { public: 'authentication: the request carries its own proof of identity', rel: 'auth_tokens' },
  );

  const validate = async (req: Request, res: Response) => {
    const caller = await resolveCaller(req, providers);
    const windowSeconds = boolFromString(req.query.allow_expired) ? conf.token.allow_expired_window : 0;
    const subject = req.keystone.subjectToken;
    const action = req.method === 'HEAD' ? 'identity:check_token' : 'identity:validate_token';
    // No subject: the policy decides without a target first (Keystone's order), then 404.
    if (!subject) enforcePolicy(providers, action, {}, caller, req);
    const rules = req.headers[ACCESS_RULES_HEADER];
    const { token, body } = await tokens.validatedBody(subject, {
      windowSeconds,
      includeCatalog: includeCatalog(req),
      accessRulesSupport: typeof rules === 'string' ? rules : null,
    });
    enforcePolicy(providers, action, tokenTarget(token), caller, req);
    sendJson(res, 200, body, { 'X-Subject-Token': subject as string });
  };
  routes.get('/v3/auth/tokens', validate, { policy: 'identity:validate_token', rel: 'auth_tokens' });
  routes.head('/v3/auth/tokens', validate, { policy: 'identity:check_token', rel: 'auth_tokens' });

  routes.delete(
    '/v3/auth/tokens',
    async (req, res) => {
      const caller = await resolveCaller(req, providers);
      const subject = req.keystone.subjectToken;
      if (!subject) enforcePolicy(providers, 'identity:revoke_token', {}, caller, req);
      const token = await tokens.validateToken(subject);
      enforcePolicy(providers, 'identity:revoke_token', tokenTarget(token), caller, req);
      await tokens.revokeToken(subject as string);
      res.status(204).end();
    },
    { policy: 'identity:revoke_token', rel: 'auth_tokens' },
  );

  routes.getAndHead(
    AUTH_CATALOG_PATH,
    async (req, res) => {
      const caller = await authorize(req, providers, 'identity:get_auth_catalog');
      if (!caller.projectId)
        throw securityForbidden(conf.DEFAULT.insecure_debug, 'A project-scoped token is required to produce a service catalog.');
      sendJson(res, 200, authCatalogBody(await tokens.catalogJson(caller.userId as string, caller.projectId), req.keystone.baseUrl));
    },
    { policy: 'identity:get_auth_catalog', rel: 'auth_catalog' },
  );

  // The scopes a token may ask for: its user's, and a federated token's mapped groups' (Keystone's group_ids).
  const authProjects = async (req: Request, res: Response) => {
    const caller = await authorize(req, providers, 'identity:get_auth_projects');
    const ids = caller.userId ? await providers.assignment_api.projectIdsForUser(caller.userId, caller.groupIds) : [];
    const refs = ids.length ? await providers.resource_api.listProjectRefs({ ids, isDomain: false }) : [];
    const projects = refs.sort((a, b) => a.name.localeCompare(b.name)).map((ref) => renderProject(req, ref));
    sendJson(res, 200, JSON.stringify(renderCollection(req, 'projects', projects, null)));
  };
  routes.getAndHead('/v3/auth/projects', authProjects, { policy: 'identity:get_auth_projects', rel: 'auth_projects' });
  routes.getAndHead('/v3/OS-FEDERATION/projects', authProjects, { policy: 'identity:get_auth_projects', rel: `${FEDERATION_REL}projects` });

  const authDomains = async (req: Request, res: Response) => {
    const caller = await authorize(req, providers, 'identity:get_auth_domains');
    const ids = caller.userId ? await providers.assignment_api.domainIdsForUser(caller.userId, caller.groupIds) : [];
    const refs = ids.length ? await providers.resource_api.listProjectRefs({ ids, isDomain: true }) : [];
    const domains = refs.sort((a, b) => a.name.localeCompare(b.name)).map((ref) => renderDomain(req, ref));
    sendJson(res, 200, JSON.stringify(renderCollection(req, 'domains', domains, null)));
  };
  routes.getAndHead('/v3/auth/domains', authDomains, { policy: 'identity:get_auth_domains', rel: 'auth_domains' });
  routes.getAndHead('/v3/OS-FEDERATION/domains', authDomains, { policy: 'identity:get_auth_domains', rel: `${FEDERATION_REL}domains` });

  registerFederatedAuthRoutes(routes, providers, authentication);
  registerWebSsoRoutes(routes, providers, authentication);

  routes.getAndHead(
    '/v3/auth/system',
    async (req, res) => {
      const caller = await authorize(req, providers, 'identity:get_auth_system');
      const roles = caller.userId ? await providers.assignment_api.rolesForUserOnSystem(caller.userId) : [];
      const body = { system: roles.length ? [{ all: true }] : [], links: { self: `${req.keystone.baseUrl}/v3/auth/system` } };
      sendJson(res, 200, JSON.stringify(body));
    },
    { policy: 'identity:get_auth_system', rel: 'auth_system' },
  );

  routes.getAndHead(
    '/v3/auth/tokens/OS-PKI/revoked',
    () => {
      // Deprecated and unsupported in Keystone 22: 403 (410 when revoke_by_id is off).
      throw new Forbidden();
    },
    {
      public: 'deprecated and unsupported (OS-PKI): always 403, as Keystone 22',
      rel: 'https://docs.openstack.org/api/openstack-identity/3/ext/OS-PKI/1.0/rel/revocations',
    },
  );
}
