/**
 * The v2.0 tokens: POST /v2.0/tokens (passwordCredentials or token.id, with
 * tenantId or tenantName), validation (GET/HEAD with ?belongsTo), revocation
 * and the endpoints of a token, on both ports as Keystone Pike's token router
 * (the same v3 rules on either: identity:validate_token, check_token,
 * revoke_token, whose defaults let a user act on their own token). The
 * tokens are the v3 ones (providers.token_provider_api): a v2 token validates on v3 and
 * back, revoked on either is revoked on both. Only the default domain exists
 * for v2.0.
 */
import type { Request, Response } from 'express';
import { KeystoneError, TokenNotFound, Unauthorized, ValidationError } from '../../common/errors.js';
import type { RouteTable } from '../../server/route-table.js';
import type { ProviderApi } from '../../common/provider-api.js';
import type { ServiceKind } from '../../server/request-context.js';
import type { ValidatedToken } from '../../token/token-model.js';
import { auditIdsOf } from '../../token/token-model.js';
import { TokenAuthentication } from '../../auth/authenticate.js';
import { defaultDomainId, findV2Tenant } from './access.js';
import type { Project } from '../../resource/resource-types.js';
import { authorize, resolveCaller } from '../authorize.js';
import { tokenTarget } from '../v3/auth.js';
import { sendNoContent, sendV2, tenantV2 } from './render.js';
import { v2EndpointList, v2ServiceCatalog } from './catalog-render.js';
import { pathParam } from '../request-params.js';

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

/**
 * passwordCredentials as the v3 password method's payload: a name is looked
 * up in the default domain; a user id of another domain is refused by the
 * grant (userDomainId), after the same hashing time.
 */
function passwordIdentity(providers: ProviderApi, creds: unknown): Record<string, unknown> {
  if (!isObject(creds)) throw new ValidationError('Expecting to find passwordCredentials in auth.');
  const password = creds.password;
  if (typeof password !== 'string') throw new ValidationError('Expecting to find password in passwordCredentials.');
  const userId = str(creds.userId);
  const username = str(creds.username);
  if (!userId && !username) throw new ValidationError('Expecting to find username or userId in passwordCredentials.');
  const user = username ? { name: username, domain: { id: defaultDomainId(providers) }, password } : { id: userId, password };
  return { methods: ['password'], password: { user } };
}

/** A token valid for v2.0: unscoped or scoped to a default-domain tenant, of a default-domain user. */
export function assertV2Token(providers: ProviderApi, token: ValidatedToken): void {
  const domainId = defaultDomainId(providers);
  const userDomain = (token.trust?.impersonation ? token.trust.trustor : token.user)?.domain.id ?? token.user.domain.id;
  if (userDomain !== domainId) throw new TokenNotFound('Non-default domain is not supported');
  if (token.systemScope || token.domainId) throw new TokenNotFound('Non-default domain is not supported');
  if (token.project && token.project.domain.id !== domainId) throw new TokenNotFound('Non-default domain is not supported');
}

async function tenantScope(providers: ProviderApi, auth: Record<string, unknown>): Promise<string | undefined> {
  const tenantId = str(auth.tenantId);
  const tenantName = str(auth.tenantName);
  let project: Project | null;
  if (tenantId) project = await findV2Tenant(providers, tenantId);
  else if (tenantName) project = await providers.resource_api.findProjectByName(tenantName, defaultDomainId(providers));
  else return undefined;
  if (!project || project.isDomain || !project.enabled) throw new Unauthorized();
  const domain = await providers.resource_api.findDomain(project.domainId);
  if (!domain?.enabled) throw new Unauthorized();
  return project.id;
}

/**
 * POST /v2.0/tokens: the body translated to its v3 equivalent (the password
 * or token method, the tenant as a project scope, else explicitly unscoped)
 * and authenticated by the v3 path itself (src/auth/authenticate.ts), so
 * that every v3 rule holds here too: MFA rules (no receipts in v2.0: an
 * unmet rule is a 401), disabled owners, lockout and password expiry, and
 * the token method's refusals (delegated, trust- and OAuth-scoped tokens
 * are not rescoped).
 */
async function issueV2Token(req: Request, providers: ProviderApi, authentication: TokenAuthentication): Promise<ValidatedToken> {
  const body: unknown = req.body;
  if (!isObject(body) || !isObject(body.auth)) throw new ValidationError('Expecting to find auth in request body.');
  const auth = body.auth;
  if (auth.tenantId !== undefined && auth.tenantName !== undefined) {
    throw new ValidationError('Expecting to find either tenantId or tenantName, not both.');
  }
  let identity: Record<string, unknown>;
  if (isObject(auth.token)) {
    const id = str(auth.token.id);
    if (!id) throw new ValidationError('Expecting to find id in token.');
    try {
      assertV2Token(providers, await providers.token_provider_api.validateToken(id));
    } catch (err) {
      if (err instanceof KeystoneError && err.code < 500) throw new Unauthorized();
      throw err;
    }
    identity = { methods: ['token'], token: { id } };
  } else if ('passwordCredentials' in auth) {
    identity = passwordIdentity(providers, auth.passwordCredentials);
  } else {
    throw new ValidationError('Expecting to find passwordCredentials or token in auth.');
  }
  const projectId = await tenantScope(providers, auth);
  const scope = projectId ? { project: { id: projectId } } : 'unscoped';
  try {
    return await authentication.authenticate(
      req,
      { auth: { identity, scope } },
      { receipts: false, userDomainId: defaultDomainId(providers) },
    );
  } catch (err) {
    // no role on the tenant, a disabled user…: Keystone's v2 answered 401
    if (err instanceof KeystoneError && (err.code === 401 || err.code === 404)) throw new Unauthorized();
    throw err;
  }
}

/** The access body of a token (Keystone's v2 token format). */
export async function v2AccessBody(providers: ProviderApi, token: ValidatedToken, includeCatalog = true): Promise<Record<string, unknown>> {
  const tokenBody: Record<string, unknown> = {
    id: token.id,
    issued_at: token.issuedAt,
    expires: token.expiresAt,
    audit_ids: auditIdsOf(token),
  };
  const access: Record<string, unknown> = { token: tokenBody };
  if (token.project) {
    const project = await findV2Tenant(providers, token.project.id);
    tokenBody.tenant = project ? tenantV2(project) : { id: token.project.id, name: token.project.name, enabled: true, description: null };
    if (includeCatalog)
      access.serviceCatalog = v2ServiceCatalog(await providers.catalog_api.getV3Catalog(token.catalogUserId, token.project.id));
  }
  const user = token.trust?.impersonation && token.trust.trustor ? token.trust.trustor : token.user;
  access.user = {
    id: user.id,
    name: user.name,
    username: user.name,
    roles_links: [],
    roles: token.roles.map((r) => ({ name: r.name })),
  };
  access.metadata = { is_admin: 0, roles: token.roles.map((r) => r.id) };
  if (token.trust) {
    access.trust = {
      id: token.trust.id,
      trustee_user_id: token.trust.trusteeUserId,
      trustor_user_id: token.trust.trustorUserId,
      impersonation: token.trust.impersonation,
    };
  }
  return { access };
}

/**
 * The token named in the path, valid for v2.0 (404 otherwise), once the
 * policy allowed `rule` on it (v3's target.token: its user), with
 * ?belongsTo checked last. The order is v3's: 401, 404, 403.
 */
async function v2TokenOf(req: Request, providers: ProviderApi, rule: string): Promise<ValidatedToken> {
  await resolveCaller(req, providers);
  const token = await providers.token_provider_api.validateToken(pathParam(req, 'token_id'));
  assertV2Token(providers, token);
  await authorize(req, providers, rule, tokenTarget(token));
  const belongsTo = req.query.belongsTo;
  // Keystone's v2 answered a token of another tenant with 401 (as Tempest's v2 tests expect)
  if (belongsTo !== undefined && (typeof belongsTo !== 'string' || token.project?.id !== belongsTo)) throw new Unauthorized();
  return token;
}

export function registerV2TokenRoutes(routes: RouteTable, providers: ProviderApi, _service: ServiceKind): void {
  const authentication = new TokenAuthentication(providers);
  routes.post(
    '/v2.0/tokens',
    async (req, res) => {
      const token = await issueV2Token(req, providers, authentication);
      sendV2(req, res, 200, await v2AccessBody(providers, token));
    },
    { public: 'authentication: the request carries its own proof of identity' },
  );
  const validate = async (req: Request, res: Response) => {
    const token = await v2TokenOf(req, providers, req.method === 'HEAD' ? 'identity:check_token' : 'identity:validate_token');
    sendV2(req, res, 200, await v2AccessBody(providers, token));
  };
  routes.get('/v2.0/tokens/:token_id', validate, { policy: 'identity:validate_token' });
  routes.head('/v2.0/tokens/:token_id', validate, { policy: 'identity:check_token' });
  routes.delete(
    '/v2.0/tokens/:token_id',
    async (req, res) => {
      const token = await v2TokenOf(req, providers, 'identity:revoke_token');
      await providers.token_provider_api.revokeToken(token.id);
      sendNoContent(res);
    },
    { policy: 'identity:revoke_token' },
  );
  routes.get(
    '/v2.0/tokens/:token_id/endpoints',
    async (req, res) => {
      const token = await v2TokenOf(req, providers, 'identity:validate_token');
      const catalog = token.project ? await providers.catalog_api.getV3Catalog(token.catalogUserId, token.project.id) : [];
      sendV2(req, res, 200, { endpoints: v2EndpointList(catalog), endpoints_links: [] });
    },
    { policy: 'identity:validate_token' },
  );
}
