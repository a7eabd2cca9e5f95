/**
 * Who is calling, and may they: the handlers' one entry to authentication
 * and policy.
 *
 *   resolveCaller(req, providers)  → the Caller behind X-Auth-Token (or the
 *       [DEFAULT] admin_token), resolved once per request; 401 Unauthorized
 *       when the header is missing or the token is invalid, expired or
 *       revoked.
 *   authorize(req, providers, action, target?)  → the same Caller, after the
 *       policy rule `action` allowed it (403 ForbiddenAction otherwise).
 *
 * As Keystone's RBAC enforcer: the admin_token bypasses policy entirely
 * (Keystone's is_admin context); everyone else goes through enforcePolicy(),
 * which asks providers.enforcer (src/rbac's PolicyEnforcer).
 *
 * Every route declares its rules or that it is public (src/server/route-table.ts);
 * a handler that decides a rule its route did not declare is a programming
 * error (UndeclaredRule, a 500), whoever the caller is, so that the route
 * table always tells the truth about who may call what.
 */
import type { Request } from 'express';
import { ForbiddenAction, KeystoneError, Unauthorized } from '../common/errors.js';
import { policyCredentials, type Caller } from '../auth/caller.js';
import type { ProviderApi } from '../common/provider-api.js';

const ADMIN_TOKEN_CALLER: Caller = Object.freeze({
  roles: [],
  isAdminToken: true,
  isAdminProject: true,
  auditIds: [],
  methods: [],
});

const resolved = new WeakMap<Request, Promise<Caller>>();

async function resolve(req: Request, providers: ProviderApi): Promise<Caller> {
  const ctx = req.keystone;
  if (ctx.isAdminToken) return ADMIN_TOKEN_CALLER;
  if (!ctx.authToken) throw new Unauthorized();
  try {
    // As Keystone's AuthContextMiddleware.fetch_token: its own callers are validated as by a client
    // that understands access rules (1.0), whatever the request says, and no rule is enforced here.
    return await providers.token_provider_api.callerFor(ctx.authToken, undefined, '1.0');
  } catch (err) {
    // TokenNotFound, a deleted user, a disabled project…: the request is simply not authenticated.
    if (err instanceof KeystoneError && err.code < 500) throw new Unauthorized();
    throw err;
  }
}

/** The caller of the request, validated once per request (401 when there is none). */
export function resolveCaller(req: Request, providers: ProviderApi): Promise<Caller> {
  let caller = resolved.get(req);
  if (!caller) {
    caller = resolve(req, providers);
    resolved.set(req, caller);
  }
  return caller;
}

/**
 * The dict the rules read, as Keystone's enforce_call builds it: the view
 * arguments at the top (`%(user_id)s`), the handler's target under
 * `target` (`%(target.user.domain_id)s`), the JSON body under
 * `request_body`.
 */
function policyDict(target: Record<string, unknown>, req?: Request): Record<string, unknown> {
  if (!req) return { target };
  const dict: Record<string, unknown> = { ...(req.params as Record<string, unknown>), target };
  const body: unknown = req.body;
  if (body && typeof body === 'object' && !Array.isArray(body) && Object.keys(body).length > 0) dict.request_body = body;
  return dict;
}

/** A handler decided a rule its route did not declare (or its route is declared public). */
export class UndeclaredRule extends Error {
  constructor(route: string, action: string, rules: readonly string[] | null) {
    super(`${route} authorizes with ${action}, but its route declares ${rules ? rules.join(', ') : 'that it is public'}`);
    this.name = 'UndeclaredRule';
  }
}

/** Refuses a rule the matched route did not declare (requests outside the route table carry no declaration). */
export function assertDeclaredRule(req: Request, action: string): void {
  const access = req.keystone.routeAccess;
  if (access && !access.rules?.includes(action)) throw new UndeclaredRule(access.route, action, access.rules);
  req.keystone.decidedRule = action;
}

function decide(providers: ProviderApi, action: string, target: Record<string, unknown>, caller: Caller, req?: Request): boolean {
  if (req) assertDeclaredRule(req, action);
  if (caller.isAdminToken) return true;
  return providers.enforcer.enforce(action, policyDict(target, req), policyCredentials(caller));
}

/** The decision, synchronously (for the validation fast path). */
export function policyAllowsNow(providers: ProviderApi, action: string, target: Record<string, unknown>, caller: Caller): boolean {
  return decide(providers, action, target, caller);
}

/** Decides `action` for the caller on `target` (Keystone's target: {user: …}, {token: …}); 403 when refused. */
export function enforcePolicy(
  providers: ProviderApi,
  action: string,
  target: Record<string, unknown>,
  caller: Caller,
  req?: Request,
): void {
  if (!decide(providers, action, target, caller, req)) throw new ForbiddenAction(action);
}

/** The caller, once policy rule `action` allowed it on `target` (Keystone's enforce_call). */
export async function authorize(
  req: Request,
  providers: ProviderApi,
  action: string,
  target: Record<string, unknown> = {},
): Promise<Caller> {
  assertDeclaredRule(req, action);
  const caller = await resolveCaller(req, providers);
  enforcePolicy(providers, action, target, caller, req);
  return caller;
}
