/**
 * /v2.0/tenants: the caller's tenants (public port, any valid token), every
 * default-domain tenant (admin port, admin), one tenant, a user's roles on a
 * tenant, and OS-KSADM's create / update / delete and role grants (admin port).
 *
 * Authorized by the v3 rules: identity:get_auth_projects (the caller's own
 * tenants, as GET /v3/auth/projects), list_projects, get_project,
 * create_project, update_project, delete_project, list_grants, create_grant,
 * revoke_grant (a user's roles on a tenant, with v3's target: the role, the
 * user, the project) and list_role_assignments (a tenant's users).
 */
import type { Request } from 'express';
import { Conflict, ValidationError, EntityNotFound } from '../../common/errors.js';
import type { RouteTable } from '../../server/route-table.js';
import type { ProviderApi } from '../../common/provider-api.js';
import type { ServiceKind } from '../../server/request-context.js';
import type { Project } from '../../resource/resource-types.js';
import { authorize } from '../authorize.js';
import { defaultDomainId, findV2Tenant, getV2Tenant, getV2User, v2Targets } from './access.js';
import { roleV2, sendNoContent, sendV2, tenantV2 } from './render.js';
import { pathParam, queryString } from '../request-params.js';

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The `key` object of the body (400 when missing). */
export function bodyObject(req: Request, key: string): Record<string, unknown> {
  const body: unknown = req.body;
  if (!isObject(body) || !isObject(body[key])) throw new ValidationError(`Expecting to find ${key} in request body.`);
  return body[key];
}

export function optionalBool(value: unknown, name: string): boolean | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'boolean') return value;
  if (value === 'true' || value === 'True') return true;
  if (value === 'false' || value === 'False') return false;
  throw new ValidationError(`${name} must be a boolean.`);
}

const TENANT_FIELDS = new Set(['id', 'name', 'description', 'enabled', 'domain_id', 'parent_id', 'is_domain', 'tags']);

function tenantExtra(tenant: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(tenant).filter(([k]) => !TENANT_FIELDS.has(k)));
}

function listBody(tenants: Project[]): Record<string, unknown> {
  return { tenants: tenants.map(tenantV2), tenants_links: [] };
}

async function myTenants(req: Request, providers: ProviderApi): Promise<Project[]> {
  const caller = await authorize(req, providers, 'identity:get_auth_projects');
  if (!caller.userId) return [];
  const ids = await providers.assignment_api.projectIdsForUser(caller.userId);
  const tenants: Project[] = [];
  for (const id of ids) {
    const tenant = await findV2Tenant(providers, id);
    if (tenant) tenants.push(tenant);
  }
  return tenants;
}

export function registerV2TenantRoutes(routes: RouteTable, providers: ProviderApi, service: ServiceKind): void {
  if (service !== 'admin') {
    routes.getAndHead(
      '/v2.0/tenants',
      async (req, res) => {
        sendV2(req, res, 200, listBody(await myTenants(req, providers)));
      },
      {
        policy: 'identity:get_auth_projects',
      },
    );
    return;
  }
  const tenantParam = (req: Request) => pathParam(req, 'tenant_id');
  const userParam = (req: Request) => pathParam(req, 'user_id');
  const roleParam = (req: Request) => pathParam(req, 'role_id');
  routes.getAndHead(
    '/v2.0/tenants',
    async (req, res) => {
      await authorize(req, providers, 'identity:list_projects', v2Targets.defaultDomain(providers));
      const name = queryString(req, 'name');
      if (name !== undefined) {
        const tenant = await providers.resource_api.findProjectByName(name, defaultDomainId(providers));
        if (!tenant) throw new EntityNotFound('project', name);
        sendV2(req, res, 200, { tenant: tenantV2(tenant) });
        return;
      }
      const tenants = await providers.resource_api.listProjects({ domainId: defaultDomainId(providers) });
      sendV2(req, res, 200, listBody(tenants));
    },
    { policy: 'identity:list_projects' },
  );
  routes.getAndHead(
    '/v2.0/tenants/:tenant_id',
    async (req, res) => {
      await authorize(req, providers, 'identity:get_project', await v2Targets.project(providers, tenantParam(req)));
      sendV2(req, res, 200, { tenant: tenantV2(await getV2Tenant(providers, tenantParam(req))) });
    },
    { policy: 'identity:get_project' },
  );
  routes.post(
    '/v2.0/tenants',
    async (req, res) => {
      const body: unknown = req.body;
      const member = isObject(body) && isObject(body.tenant) ? body.tenant : {};
      await authorize(req, providers, 'identity:create_project', { project: { ...member, domain_id: defaultDomainId(providers) } });
      const tenant = bodyObject(req, 'tenant');
      if (typeof tenant.name !== 'string' || tenant.name.trim() === '') throw new ValidationError('Expecting to find name in tenant.');
      const created = await providers.resource_api.createProject({
        id: typeof tenant.id === 'string' && tenant.id ? tenant.id : undefined,
        name: tenant.name,
        domainId: defaultDomainId(providers),
        description: typeof tenant.description === 'string' ? tenant.description : '',
        enabled: optionalBool(tenant.enabled, 'enabled') ?? true,
        extra: tenantExtra(tenant),
      });
      sendV2(req, res, 200, { tenant: tenantV2(created) });
    },
    { policy: 'identity:create_project' },
  );
  const update = async (req: Request, res: import('express').Response) => {
    await authorize(req, providers, 'identity:update_project', await v2Targets.project(providers, tenantParam(req)));
    const current = await getV2Tenant(providers, pathParam(req, 'tenant_id'));
    const tenant = bodyObject(req, 'tenant');
    if (tenant.id !== undefined && tenant.id !== current.id) throw new ValidationError('Cannot change tenant ID.');
    const patch: Record<string, unknown> = {};
    if (typeof tenant.name === 'string') patch.name = tenant.name;
    if (tenant.description !== undefined)
      // eslint-disable-next-line @typescript-eslint/no-base-to-string -- v2 has always stored any description as its text; kept
      patch.description = tenant.description === null ? null : String(tenant.description);
    const enabled = optionalBool(tenant.enabled, 'enabled');
    if (enabled !== undefined) patch.enabled = enabled;
    const extra = tenantExtra(tenant);
    if (Object.keys(extra).length) patch.extra = extra;
    await providers.resource_api.updateProjectRef(current.id, patch, Object.keys(patch));
    sendV2(req, res, 200, { tenant: tenantV2(await getV2Tenant(providers, current.id)) });
  };
  routes.post('/v2.0/tenants/:tenant_id', update, { policy: 'identity:update_project' });
  routes.put('/v2.0/tenants/:tenant_id', update, { policy: 'identity:update_project' });
  routes.delete(
    '/v2.0/tenants/:tenant_id',
    async (req, res) => {
      await authorize(req, providers, 'identity:delete_project', await v2Targets.project(providers, tenantParam(req)));
      await getV2Tenant(providers, pathParam(req, 'tenant_id'));
      await providers.resource_api.deleteProjectRef(pathParam(req, 'tenant_id'));
      sendNoContent(res);
    },
    { policy: 'identity:delete_project' },
  );
  routes.getAndHead(
    '/v2.0/tenants/:tenant_id/users/:user_id/roles',
    async (req, res) => {
      await authorize(req, providers, 'identity:list_grants', await v2Targets.grantList(providers, tenantParam(req), userParam(req)));
      const tenant = await getV2Tenant(providers, pathParam(req, 'tenant_id'));
      const user = await getV2User(providers, pathParam(req, 'user_id'));
      const roles = await providers.assignment_api.rolesForUserOnProject(user.id, tenant.id);
      sendV2(req, res, 200, { roles: roles.map(roleV2), roles_links: [] });
    },
    { policy: 'identity:list_grants' },
  );
  routes.put(
    '/v2.0/tenants/:tenant_id/users/:user_id/roles/OS-KSADM/:role_id',
    async (req, res) => {
      await authorize(
        req,
        providers,
        'identity:create_grant',
        await v2Targets.grant(providers, tenantParam(req), userParam(req), roleParam(req)),
      );
      const tenant = await getV2Tenant(providers, pathParam(req, 'tenant_id'));
      const user = await getV2User(providers, pathParam(req, 'user_id'));
      const role = await providers.role_api.getRole(pathParam(req, 'role_id'));
      if ((await providers.assignment_api.listGrants({ userId: user.id }, { projectId: tenant.id })).some((r) => r.id === role.id)) {
        throw new Conflict(`User ${user.id} already has role ${role.id} in tenant ${tenant.id}`);
      }
      await providers.assignment_api.addGrant(role.id, { userId: user.id }, { projectId: tenant.id });
      sendV2(req, res, 200, { role: roleV2(role) });
    },
    { policy: 'identity:create_grant' },
  );
  routes.delete(
    '/v2.0/tenants/:tenant_id/users/:user_id/roles/OS-KSADM/:role_id',
    async (req, res) => {
      await authorize(
        req,
        providers,
        'identity:revoke_grant',
        await v2Targets.grant(providers, tenantParam(req), userParam(req), roleParam(req)),
      );
      const tenant = await getV2Tenant(providers, pathParam(req, 'tenant_id'));
      const user = await getV2User(providers, pathParam(req, 'user_id'));
      await providers.assignment_api.deleteGrant(pathParam(req, 'role_id'), { userId: user.id }, { projectId: tenant.id });
      sendNoContent(res);
    },
    { policy: 'identity:revoke_grant' },
  );
  routes.getAndHead(
    '/v2.0/tenants/:tenant_id/users',
    async (req, res) => {
      await authorize(req, providers, 'identity:list_role_assignments', v2Targets.defaultDomain(providers));
      const tenant = await getV2Tenant(providers, pathParam(req, 'tenant_id'));
      const refs = await providers.assignment_api.listRoleAssignments({ projectId: tenant.id, effective: true });
      const ids = [...new Set(refs.map((r) => r.user_id).filter((id): id is string => !!id))];
      const users = [];
      for (const id of ids) {
        const user = await providers.identity_api.findUser(id);
        if (user && user.domainId === defaultDomainId(providers))
          users.push({
            id: user.id,
            name: user.name,
            username: user.name,
            enabled: user.enabled,
            ...(user.extra.email ? { email: user.extra.email } : {}),
          });
      }
      sendV2(req, res, 200, { users, users_links: [] });
    },
    { policy: 'identity:list_role_assignments' },
  );
}
