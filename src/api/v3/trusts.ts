/**
 * /v3/OS-TRUST/trusts (Keystone's api/trusts.py): create (the caller is the
 * trustor; roles by id or name, held by the trustor on the project;
 * redelegation from a trust-scoped token), list (all, or by trustor or
 * trustee), show, delete, and the trust's roles. Tokens of delegated
 * methods (application credentials unless
 * [security_compliance] allow_insecure_application_credential_trust_escalation,
 * OAuth1, EC2) cannot touch trusts.
 */
import type { Request } from 'express';
import type { RouteTable } from '../../server/route-table.js';
import type { ProviderApi } from '../../common/provider-api.js';
import type { Caller } from '../../auth/caller.js';
import { EntityNotFound, ForbiddenAction } from '../../common/errors.js';
import { isoTime } from '../../common/time.js';
import { authorize } from '../authorize.js';
import { parameterTypes, validateBody, type BodyOf } from '../validate-body.js';
import { entityLinks, renderCollection } from '../collection.js';
import { renderRole } from './roles.js';
import { isDelegatedMethod } from '../../trust/delegation.js';
import type { Trust } from '../../trust/trust-types.js';
import { parseExpiresAt, resolveRoleRefs, ROLE_REFS } from './delegation-input.js';
import { pathParam, queryString } from '../request-params.js';

const REL = 'https://docs.openstack.org/api/openstack-identity/3/ext/OS-TRUST/1.0/rel/';

const TRUST_CREATE = {
  type: 'object',
  properties: {
    trustor_user_id: { type: 'string', minLength: 1, maxLength: 64 },
    trustee_user_id: { type: 'string', minLength: 1, maxLength: 64 },
    impersonation: { type: 'boolean' },
    project_id: { anyOf: [parameterTypes.id, { type: 'null' }] },
    remaining_uses: { type: ['integer', 'null'], minimum: 1 },
    expires_at: { type: ['null', 'string'] },
    allow_redelegation: { type: ['boolean', 'null'] },
    redelegation_count: { type: ['integer', 'null'], minimum: 0 },
    roles: ROLE_REFS,
  },
  required: ['trustor_user_id', 'trustee_user_id', 'impersonation'],
  additionalProperties: true,
} as const;

/** The keys Keystone keeps as columns (or computes); everything else is kept in `extra`. */
const NOT_EXTRA = new Set([
  'id',
  'trustor_user_id',
  'trustee_user_id',
  'project_id',
  'impersonation',
  'expires_at',
  'remaining_uses',
  'deleted_at',
  'redelegated_trust_id',
  'redelegation_count',
  'allow_redelegation',
  'roles',
  'roles_links',
  'links',
  'extra',
]);

/** The trust's columns as Keystone's to_dict gives them (expires_at to the second, .000000Z). */
function trustAttributes(trust: Trust): Record<string, unknown> {
  return {
    ...trust.extra,
    id: trust.id,
    trustor_user_id: trust.trustorUserId,
    trustee_user_id: trust.trusteeUserId,
    project_id: trust.projectId,
    impersonation: trust.impersonation,
    expires_at: trust.expiresAt ? isoTime(new Date(Math.floor(trust.expiresAt.getTime() / 1000) * 1000)) : null,
    remaining_uses: trust.remainingUses,
    deleted_at: trust.deletedAt ? isoTime(trust.deletedAt) : null,
    redelegated_trust_id: trust.redelegatedTrustId,
    redelegation_count: trust.redelegationCount,
  };
}

/** The trust as a policy target (target.trust.*): its attributes and role ids. */
export function trustTarget(trust: Trust): Record<string, unknown> {
  return { ...trustAttributes(trust), roles: trust.roleIds.map((id) => ({ id })) };
}

/** Keystone's quirk: roles_links.self is {base}/v3/{trust_id}/roles. */
function rolesLinks(req: Request, trust: Trust) {
  return { self: `${req.keystone.baseUrl}/v3/${trust.id}/roles`, next: null, previous: null };
}

async function trustRoles(req: Request, providers: ProviderApi, trust: Trust): Promise<Record<string, unknown>[]> {
  const roles: Record<string, unknown>[] = [];
  for (const id of trust.roleIds) {
    const role = await providers.role_api.findRole(id);
    if (role) roles.push(renderRole(req, role));
  }
  return roles;
}

async function renderTrust(req: Request, providers: ProviderApi, trust: Trust): Promise<Record<string, unknown>> {
  return {
    ...trustAttributes(trust),
    roles: await trustRoles(req, providers, trust),
    roles_links: rolesLinks(req, trust),
    links: entityLinks(req, `/v3/OS-TRUST/trusts/${trust.id}`),
  };
}

/** Keystone's _check_delegated_token: delegated tokens cannot manage trusts (trust-scoped ones can). */
function refuseDelegatedToken(providers: ProviderApi, caller: Caller): void {
  if (!isDelegatedMethod(providers.conf, caller)) return;
  if (
    caller.methods.includes('application_credential') &&
    providers.conf.security_compliance.allow_insecure_application_credential_trust_escalation
  )
    return;
  throw new ForbiddenAction('Delegated tokens cannot manage trusts.');
}

/** The trust of the path, looked up before policy (a missing or used-up trust is a 404, never a 403). */
async function authorizeOnTrust(req: Request, providers: ProviderApi, action: string): Promise<{ caller: Caller; trust: Trust }> {
  const trust = await providers.trust_api.getTrust(pathParam(req, 'trust_id'));
  const caller = await authorize(req, providers, action, { trust: trustTarget(trust) });
  return { caller, trust };
}

/** "policies are not loaded for the is_admin context": the admin_token has no relation to any trust. */
function refuseAdminToken(caller: Caller): void {
  if (caller.isAdminToken) throw new ForbiddenAction('Requested user has no relation to this trust');
}

/** The trustor's effective roles on the trust's project (the original trustor's along a redelegation chain). */
async function trustorRoleIds(providers: ProviderApi, body: BodyOf<typeof TRUST_CREATE>): Promise<Set<string>> {
  if (body.project_id === undefined || body.project_id === null || body.project_id === '') return new Set();
  let trustorId = body.trustor_user_id;
  let projectId = body.project_id;
  for (let next = body.redelegated_trust_id, depth = 0; typeof next === 'string' && next && depth < 100; depth++) {
    const original = await providers.trust_api.getTrust(next);
    trustorId = original.trustorUserId;
    projectId = original.projectId ?? projectId;
    next = original.redelegatedTrustId ?? undefined;
  }
  if (!(await providers.resource_api.findProject(body.project_id))) throw new EntityNotFound('project', body.project_id);
  return new Set((await providers.assignment_api.rolesForUserOnProject(trustorId, projectId)).map((r) => r.id));
}

async function createTrust(req: Request, providers: ProviderApi): Promise<Record<string, unknown>> {
  const raw = (req.body as { trust?: unknown } | undefined)?.trust ?? {};
  const caller = await authorize(req, providers, 'identity:create_trust', { trust: raw });
  const body = validateBody(TRUST_CREATE, raw);
  refuseDelegatedToken(providers, caller);
  if (body.project_id && !body.roles?.length) throw new ForbiddenAction('At least one role should be specified');
  if (caller.userId !== body.trustor_user_id) throw new ForbiddenAction('The authenticated user should match the trustor');
  await providers.identity_api.getUser(body.trustee_user_id);
  const roleIds = await resolveRoleRefs(providers, body.roles ?? []);
  const held = await trustorRoleIds(providers, body);
  for (const id of roleIds) if (!held.has(id)) throw new EntityNotFound('role', id);
  const expiresAt = parseExpiresAt(body.expires_at)?.date ?? null;
  // Keystone's _find_redelegated_trust: a trust-scoped caller redelegates its trust
  const redelegated = caller.trustId ? await providers.trust_api.getTrust(caller.trustId) : null;
  const extra: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(body)) if (!NOT_EXTRA.has(k)) extra[k] = v;
  const trust = await providers.trust_api.createTrust(
    {
      trustorUserId: body.trustor_user_id,
      trusteeUserId: body.trustee_user_id,
      projectId: body.project_id || null,
      impersonation: body.impersonation,
      expiresAt,
      remainingUses: body.remaining_uses ?? null,
      allowRedelegation: body.allow_redelegation === true,
      redelegationCount: body.redelegation_count ?? null,
      roleIds,
      extra,
    },
    redelegated,
  );
  return renderTrust(req, providers, trust);
}

async function listTrusts(req: Request, providers: ProviderApi): Promise<Record<string, unknown>> {
  const trustor = queryString(req, 'trustor_user_id') || undefined;
  const trustee = queryString(req, 'trustee_user_id') || undefined;
  let caller: Caller;
  if (trustor) caller = await authorize(req, providers, 'identity:list_trusts_for_trustor', { trust: { trustor_user_id: trustor } });
  else if (trustee) caller = await authorize(req, providers, 'identity:list_trusts_for_trustee', { trust: { trustee_user_id: trustee } });
  else caller = await authorize(req, providers, 'identity:list_trusts');
  refuseDelegatedToken(providers, caller);
  let trusts: Trust[] = [];
  if (Object.keys(req.query).length === 0) trusts = await providers.trust_api.listTrusts();
  else if (trustor) trusts = await providers.trust_api.listTrusts({ trustorUserId: trustor });
  else if (trustee) trusts = await providers.trust_api.listTrusts({ trusteeUserId: trustee });
  const rendered = trusts.map((t) => ({ ...trustAttributes(t), links: entityLinks(req, `/v3/OS-TRUST/trusts/${t.id}`) }));
  return renderCollection(req, 'trusts', rendered, providers.conf.DEFAULT.list_limit);
}

export function registerTrustRoutes(routes: RouteTable, providers: ProviderApi): void {
  routes.post(
    '/v3/OS-TRUST/trusts',
    async (req, res) => {
      res.status(201).json({ trust: await createTrust(req, providers) });
    },
    { policy: 'identity:create_trust', rel: `${REL}trusts` },
  );
  routes.getAndHead(
    '/v3/OS-TRUST/trusts',
    async (req, res) => {
      res.json(await listTrusts(req, providers));
    },
    { policy: ['identity:list_trusts', 'identity:list_trusts_for_trustor', 'identity:list_trusts_for_trustee'], rel: `${REL}trusts` },
  );
  routes.getAndHead(
    '/v3/OS-TRUST/trusts/:trust_id',
    async (req, res) => {
      const { caller, trust } = await authorizeOnTrust(req, providers, 'identity:get_trust');
      refuseDelegatedToken(providers, caller);
      refuseAdminToken(caller);
      res.json({ trust: await renderTrust(req, providers, trust) });
    },
    { policy: 'identity:get_trust', rel: `${REL}trust` },
  );
  routes.delete(
    '/v3/OS-TRUST/trusts/:trust_id',
    async (req, res) => {
      const { caller, trust } = await authorizeOnTrust(req, providers, 'identity:delete_trust');
      refuseDelegatedToken(providers, caller);
      await providers.trust_api.deleteTrust(trust.id);
      res.status(204).end();
    },
    { policy: 'identity:delete_trust', rel: `${REL}trust` },
  );
  routes.getAndHead(
    '/v3/OS-TRUST/trusts/:trust_id/roles',
    async (req, res) => {
      const { caller, trust } = await authorizeOnTrust(req, providers, 'identity:list_roles_for_trust');
      refuseAdminToken(caller);
      refuseDelegatedToken(providers, caller);
      res.json({ roles: await trustRoles(req, providers, trust), links: rolesLinks(req, trust) });
    },
    { policy: 'identity:list_roles_for_trust', rel: `${REL}trust_roles` },
  );
  routes.getAndHead(
    '/v3/OS-TRUST/trusts/:trust_id/roles/:role_id',
    async (req, res) => {
      const { caller, trust } = await authorizeOnTrust(req, providers, 'identity:get_role_for_trust');
      refuseAdminToken(caller);
      refuseDelegatedToken(providers, caller);
      const roleId = pathParam(req, 'role_id');
      if (!trust.roleIds.includes(roleId)) throw new EntityNotFound('role', roleId);
      const role = await providers.role_api.findRole(roleId);
      if (!role) throw new EntityNotFound('role', roleId);
      res.json({ role: renderRole(req, role) });
    },
    { policy: 'identity:get_role_for_trust', rel: `${REL}trust_role` },
  );
}
