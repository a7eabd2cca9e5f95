/**
 * Who is calling, and may they: the handlers' one entry to authentication
 * and policy.
 *
 *   resolveCaller(req, services)  → the Caller behind X-Auth-Token (or the
 *       [DEFAULT] admin_token), resolved once per request; 401 Unauthorized
 *       when the header is missing or the token is invalid, expired or
 *       revoked.
 *   authorize(req, services, action, target?)  → the same Caller, after the
 *       policy rule `action` allowed it (403 ForbiddenAction otherwise).
 *
 * As Keystone's RBAC enforcer: the admin_token bypasses policy entirely
 * (Keystone's is_admin context); everyone else goes through enforcePolicy().
 */
import type { Request } from 'express';
import { ForbiddenAction, KeystoneError, Unauthorized } from '../common/errors.js';
import { policyCredentials, type Caller } from '../auth/caller.js';
import type { Services } from '../server/services.js';

const ADMIN_TOKEN_CALLER: Caller = Object.freeze({
  roles: [],
  isAdminToken: true,
  isAdminProject: true,
  auditIds: [],
  methods: [],
}) as Caller;

const resolved = new WeakMap<Request, Promise<Caller>>();

async function resolve(req: Request, services: Services): Promise<Caller> {
  const ctx = req.keystone;
  if (ctx.isAdminToken) return ADMIN_TOKEN_CALLER;
  if (!ctx.authToken) throw new Unauthorized();
  try {
    const rules = req.headers['openstack-identity-access-rules'];
    return await services.token.callerFor(ctx.authToken, undefined, typeof rules === 'string' ? rules : null);
  } catch (err) {
    // TokenNotFound, a deleted user, a disabled project…: the request is simply not authenticated.
    if (err instanceof KeystoneError && err.code < 500) throw new Unauthorized();
    throw err;
  }
}

/** The caller of the request, validated once per request (401 when there is none). */
export function resolveCaller(req: Request, services: Services): Promise<Caller> {
  let caller = resolved.get(req);
  if (!caller) {
    caller = resolve(req, services);
    resolved.set(req, caller);
  }
  return caller;
}

/** What src/policy's PolicyEnforcer offers (oslo.policy's enforce / authorize). */
interface PolicyEngine {
  authorize?(action: string, target: Record<string, unknown>, creds: Record<string, unknown>): unknown;
  enforce?(action: string, target: Record<string, unknown>, creds: Record<string, unknown>): unknown;
}

/** Keystone's default rules that need no role: any authenticated caller. */
const OPEN_TO_ANY_CALLER = new Set(['identity:get_auth_catalog', 'identity:get_auth_projects', 'identity:get_auth_domains', 'identity:get_auth_system']);

const hasRole = (caller: Caller, name: string) => caller.roles.some((r) => r.name === name);

/**
 * INTERIM, until src/policy's enforcer is installed as services.policy:
 * Keystone's defaults for the rules of the auth endpoints (token subject,
 * service role, system reader), and for everything else only callers with
 * the admin role or a system-scoped token.
 */
function interimPolicy(action: string, target: Record<string, unknown>, caller: Caller): boolean {
  if (OPEN_TO_ANY_CALLER.has(action)) return true;
  const admin = hasRole(caller, 'admin');
  const systemReader = caller.systemScope === 'all' && hasRole(caller, 'reader');
  const tokenUserId = (target.token as { user_id?: string } | undefined)?.user_id;
  const tokenSubject = tokenUserId !== undefined && tokenUserId === caller.userId;
  switch (action) {
    case 'identity:check_token': return admin || systemReader || tokenSubject;
    case 'identity:validate_token': return admin || systemReader || hasRole(caller, 'service') || tokenSubject;
    case 'identity:revoke_token': return admin || tokenSubject;
    case 'identity:list_revoke_events': return admin || hasRole(caller, 'service');
    default: return admin || caller.systemScope === 'all';
  }
}

function policyEngine(services: Services): PolicyEngine | undefined {
  return (services as unknown as { policy?: PolicyEngine }).policy;
}

/**
 * The decision when it can be made synchronously (the admin_token, the
 * interim rules, or an engine whose enforce() answers a boolean at once);
 * undefined when it needs enforcePolicy(). For the validation fast path.
 */
export function policyAllowsNow(services: Services, action: string, target: Record<string, unknown>, caller: Caller): boolean | undefined {
  if (caller.isAdminToken) return true;
  const engine = policyEngine(services);
  if (!engine) return interimPolicy(action, target, caller);
  if (typeof engine.authorize === 'function' || typeof engine.enforce !== 'function') return undefined;
  const result = engine.enforce(action, target, policyCredentials(caller));
  return typeof result === 'boolean' ? result : undefined;
}

/** Decides `action` for the caller: through src/policy when installed, else the interim rules above. */
export async function enforcePolicy(services: Services, action: string, target: Record<string, unknown>, caller: Caller): Promise<void> {
  if (caller.isAdminToken) return;
  const engine = policyEngine(services);
  let allowed: boolean;
  if (engine && typeof engine.authorize === 'function') {
    const result = await engine.authorize(action, target, policyCredentials(caller));
    allowed = result !== false;
  } else if (engine && typeof engine.enforce === 'function') {
    allowed = (await engine.enforce(action, target, policyCredentials(caller))) !== false;
  } else {
    allowed = interimPolicy(action, target, caller);
  }
  if (!allowed) throw new ForbiddenAction(action);
}

/** The caller, once policy rule `action` allowed it on `target` (Keystone's enforce_call). */
export async function authorize(req: Request, services: Services, action: string, target: Record<string, unknown> = {}): Promise<Caller> {
  const caller = await resolveCaller(req, services);
  await enforcePolicy(services, action, target, caller);
  return caller;
}
