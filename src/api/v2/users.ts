/**
 * /v2.0/users on the admin port: show, find by name, list, and OS-KSADM's
 * create / update / delete with the password, enabled and default tenant
 * (tenantId) sub-resources. Users of the default domain only.
 *
 * Authorized by the v3 rules (identity:list_users, get_user, create_user,
 * update_user, delete_user). A user's default tenant (tenantId) makes them a
 * member of it, as Keystone's v2.0 did: the role of [DEFAULT] member_role_id
 * (`_member_`, created when missing) on that tenant, which needs
 * identity:create_grant as on v3; a new default tenant takes that role off the
 * former one (identity:revoke_grant). The diablo paths without OS-KSADM
 * (/password, /tenant, /enabled) are served beside the OS-KSADM ones, and
 * `OS-KSADM:password` stands for `password`.
 */
import type { Request, Response } from 'express';
import { EntityNotFound, ValidationError } from '../../common/errors.js';
import type { RouteTable } from '../../server/route-table.js';
import type { ProviderApi } from '../../common/provider-api.js';
import type { ServiceKind } from '../../server/request-context.js';
import type { UserPatch } from '../../identity/identity-manager.js';
import { authorize } from '../authorize.js';
import { defaultDomainId, getV2Tenant, getV2User, v2Targets } from './access.js';
import { sendNoContent, sendV2, userV2 } from './render.js';
import { bodyObject, optionalBool } from './tenants.js';
import { pathParam, queryString } from '../request-params.js';

const USER_FIELDS = new Set(['id', 'name', 'username', 'password', 'enabled', 'tenantId', 'domain_id', 'default_project_id', 'options']);

function userExtra(user: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(user).filter(([k]) => !USER_FIELDS.has(k)));
}

/**
 * A v2 client's new default tenant: Keystone's v2 also made the user a member
 * of it (add_user_to_project: the [DEFAULT] member_role_id role), a grant
 * authorized as v3's PUT /v3/projects/{p}/users/{u}/roles/{member_role_id}.
 */
async function joinTenant(req: Request, providers: ProviderApi, userId: string, tenantId: string): Promise<void> {
  const memberRoleId = providers.conf.DEFAULT.member_role_id;
  await authorize(req, providers, 'identity:create_grant', await v2Targets.grant(providers, tenantId, userId, memberRoleId));
  await providers.assignment_api.addUserToProject(tenantId, userId);
}

/** The former default tenant: the member role off it when the user holds it (as v3's DELETE of that grant). */
async function leaveTenant(req: Request, providers: ProviderApi, userId: string, tenantId: string): Promise<void> {
  const memberRoleId = providers.conf.DEFAULT.member_role_id;
  await authorize(req, providers, 'identity:revoke_grant', await v2Targets.grant(providers, tenantId, userId, memberRoleId));
  await providers.assignment_api.removeUserFromProject(tenantId, userId);
}

/** Keystone's _normalize_OSKSADM_password_on_request. */
function normalizePassword(user: Record<string, unknown>): Record<string, unknown> {
  if (!('OS-KSADM:password' in user)) return user;
  const { 'OS-KSADM:password': password, ...rest } = user;
  return { ...rest, password };
}

const CREATE_USER = ['identity:create_user', 'identity:create_grant'];
const UPDATE_USER_AND_TENANT = ['identity:update_user', 'identity:create_grant', 'identity:revoke_grant'];

function tenantIdOf(user: Record<string, unknown>): string | null | undefined {
  const value = user.tenantId ?? user.default_project_id;
  if (value === undefined) return undefined;
  if (value === null || value === '') return null;
  if (typeof value !== 'string') throw new ValidationError('tenantId must be a string.');
  return value;
}

export function registerV2UserRoutes(routes: RouteTable, providers: ProviderApi, service: ServiceKind): void {
  if (service !== 'admin') return;
  const userParam = (req: Request) => pathParam(req, 'user_id');

  routes.getAndHead(
    '/v2.0/users',
    async (req, res) => {
      await authorize(req, providers, 'identity:list_users', v2Targets.defaultDomain(providers));
      const name = queryString(req, 'name');
      if (name !== undefined) {
        const user = await providers.identity_api.findUserByName(name, defaultDomainId(providers));
        if (!user) throw new EntityNotFound('user', name);
        sendV2(req, res, 200, { user: userV2(user) });
        return;
      }
      const users = await providers.identity_api.listUsers({ domainId: defaultDomainId(providers) });
      sendV2(req, res, 200, { users: users.map(userV2), users_links: [] });
    },
    { policy: 'identity:list_users' },
  );
  routes.getAndHead(
    '/v2.0/users/:user_id',
    async (req, res) => {
      await authorize(req, providers, 'identity:get_user', await v2Targets.user(providers, userParam(req)));
      sendV2(req, res, 200, { user: userV2(await getV2User(providers, userParam(req))) });
    },
    { policy: 'identity:get_user' },
  );
  routes.post(
    '/v2.0/users',
    async (req, res) => {
      const body: unknown = req.body;
      const member = body && typeof body === 'object' ? (body as Record<string, unknown>).user : undefined;
      const userTarget = member && typeof member === 'object' && !Array.isArray(member) ? (member as Record<string, unknown>) : {};
      await authorize(req, providers, 'identity:create_user', { user: { ...userTarget, domain_id: defaultDomainId(providers) } });
      const user = normalizePassword(bodyObject(req, 'user'));
      const name = user.name ?? user.username;
      if (typeof name !== 'string' || name.trim() === '') throw new ValidationError('Expecting to find name in user.');
      if (user.password !== undefined && user.password !== null && typeof user.password !== 'string')
        throw new ValidationError('password must be a string.');
      const tenantId = tenantIdOf(user);
      if (tenantId) await getV2Tenant(providers, tenantId);
      const created = await providers.identity_api.createUser({
        id: typeof user.id === 'string' && user.id ? user.id : undefined,
        name,
        domainId: defaultDomainId(providers),
        password: typeof user.password === 'string' ? user.password : undefined,
        enabled: optionalBool(user.enabled, 'enabled') ?? true,
        defaultProjectId: tenantId ?? null,
        extra: userExtra(user),
      });
      if (tenantId) await joinTenant(req, providers, created.id, tenantId);
      sendV2(req, res, 200, { user: userV2(created) });
    },
    { policy: CREATE_USER },
  );

  const update = (pick: (user: Record<string, unknown>) => UserPatch) => async (req: Request, res: Response) => {
    await authorize(req, providers, 'identity:update_user', await v2Targets.user(providers, userParam(req)));
    const current = await getV2User(providers, userParam(req));
    const user = normalizePassword(bodyObject(req, 'user'));
    if (typeof user.id === 'string' && user.id !== current.id) throw new ValidationError('Cannot change user ID.');
    const patch = pick(user);
    if (patch.defaultProjectId) await getV2Tenant(providers, patch.defaultProjectId);
    const updated = await providers.identity_api.updateUser(current.id, patch);
    // Keystone's v2.0 update_user: a changed default tenant moves the member role from the former one to the new one
    if (patch.defaultProjectId && patch.defaultProjectId !== current.defaultProjectId) {
      if (current.defaultProjectId) await leaveTenant(req, providers, current.id, current.defaultProjectId);
      await joinTenant(req, providers, current.id, patch.defaultProjectId);
    }
    sendV2(req, res, 200, { user: userV2(updated) });
  };
  const enabledPatch = (user: Record<string, unknown>): UserPatch => {
    const enabled = optionalBool(user.enabled, 'enabled');
    return enabled === undefined ? {} : { enabled };
  };
  const tenantPatch = (user: Record<string, unknown>): UserPatch => {
    const tenantId = tenantIdOf(user);
    return tenantId === undefined ? {} : { defaultProjectId: tenantId };
  };
  const passwordPatch = (user: Record<string, unknown>): UserPatch => {
    if (typeof user.password !== 'string') throw new ValidationError('Expecting to find password in user.');
    return { password: user.password };
  };
  routes.put(
    '/v2.0/users/:user_id',
    update((user) => {
      const patch: UserPatch = { ...enabledPatch(user), ...tenantPatch(user) };
      const name = user.name ?? user.username;
      if (typeof name === 'string') patch.name = name;
      if (typeof user.password === 'string') patch.password = user.password;
      const extra = userExtra(user);
      if (Object.keys(extra).length) patch.extra = extra;
      return patch;
    }),
    { policy: UPDATE_USER_AND_TENANT },
  );
  routes.put('/v2.0/users/:user_id/OS-KSADM/password', update(passwordPatch), { policy: 'identity:update_user' });
  routes.put('/v2.0/users/:user_id/password', update(passwordPatch), { policy: 'identity:update_user' });
  routes.put('/v2.0/users/:user_id/OS-KSADM/enabled', update(enabledPatch), { policy: 'identity:update_user' });
  routes.put('/v2.0/users/:user_id/enabled', update(enabledPatch), { policy: 'identity:update_user' });
  routes.put('/v2.0/users/:user_id/OS-KSADM/tenant', update(tenantPatch), { policy: UPDATE_USER_AND_TENANT });
  routes.put('/v2.0/users/:user_id/tenant', update(tenantPatch), { policy: UPDATE_USER_AND_TENANT });
  routes.delete(
    '/v2.0/users/:user_id',
    async (req, res) => {
      await authorize(req, providers, 'identity:delete_user', await v2Targets.user(providers, userParam(req)));
      await getV2User(providers, userParam(req));
      await providers.identity_api.deleteUser(userParam(req));
      sendNoContent(res);
    },
    { policy: 'identity:delete_user' },
  );
}
