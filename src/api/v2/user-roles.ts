/**
 * A v2.0 user's roles outside a tenant's path, on the admin port (Keystone
 * Pike's OS-KSADM router):
 *
 * - GET /v2.0/users/{user_id}/roles and PUT/DELETE
 *   /v2.0/users/{user_id}/roles/OS-KSADM/{role_id}: global user roles, which
 *   Pike never implemented: 501 "User roles not supported: tenant_id
 *   required", once the caller is allowed.
 * - roleRefs (diablo's compatibility): GET lists the user's roles on each
 *   default-domain tenant as {roleId, tenantId, userId, id}, the id being
 *   the three url-encoded; POST {"role": {"tenantId", "roleId"}} grants one;
 *   DELETE /roleRefs/{id} revokes what the id encodes.
 *
 * Each is authorized by the v3 rule of the same operation: the role
 * assignment listing, create_grant and revoke_grant on the project.
 */
import type { Request } from 'express';
import { Conflict, NotImplemented, ValidationError } from '../../common/errors.js';
import type { RouteTable } from '../../server/route-table.js';
import type { ProviderApi } from '../../common/provider-api.js';
import type { ServiceKind } from '../../server/request-context.js';
import { authorize } from '../authorize.js';
import { defaultDomainId, getV2Tenant, getV2User, v2Targets } from './access.js';
import { roleV2, sendNoContent, sendV2 } from './render.js';
import { bodyObject } from './tenants.js';
import { pathParam } from '../request-params.js';

const GLOBAL_ROLES = 'User roles not supported: tenant_id required';

/** Keystone's role ref id: urlencode({'roleId', 'tenantId', 'userId'}), in that order. */
export function roleRefId(roleId: string, tenantId: string, userId: string): string {
  return new URLSearchParams({ roleId, tenantId, userId }).toString();
}

function roleRefParts(id: string): { roleId: string; tenantId: string } {
  const parsed = new URLSearchParams(id);
  const roleId = parsed.get('roleId');
  const tenantId = parsed.get('tenantId');
  if (!roleId || !tenantId) throw new ValidationError('Expecting to find tenantId and roleId in the role reference.');
  return { roleId, tenantId };
}

export function registerV2UserRoleRoutes(routes: RouteTable, providers: ProviderApi, service: ServiceKind): void {
  if (service !== 'admin') return;
  const userParam = (req: Request) => pathParam(req, 'user_id');

  routes.get(
    '/v2.0/users/:user_id/roles',
    async (req) => {
      await authorize(req, providers, 'identity:list_role_assignments', await v2Targets.user(providers, userParam(req)));
      throw new NotImplemented(GLOBAL_ROLES);
    },
    { policy: 'identity:list_role_assignments' },
  );
  routes.put(
    '/v2.0/users/:user_id/roles/OS-KSADM/:role_id',
    async (req) => {
      await authorize(req, providers, 'identity:create_grant', await v2Targets.user(providers, userParam(req)));
      throw new NotImplemented(GLOBAL_ROLES);
    },
    { policy: 'identity:create_grant' },
  );
  routes.delete(
    '/v2.0/users/:user_id/roles/OS-KSADM/:role_id',
    async (req) => {
      await authorize(req, providers, 'identity:revoke_grant', await v2Targets.user(providers, userParam(req)));
      throw new NotImplemented(GLOBAL_ROLES);
    },
    { policy: 'identity:revoke_grant' },
  );

  routes.get(
    '/v2.0/users/:user_id/roleRefs',
    async (req, res) => {
      await authorize(req, providers, 'identity:list_role_assignments', await v2Targets.user(providers, userParam(req)));
      const user = await getV2User(providers, userParam(req));
      const refs: Record<string, string>[] = [];
      for (const projectId of await providers.assignment_api.projectIdsForUser(user.id)) {
        const project = await providers.resource_api.findProject(projectId);
        // a v2.0 call: the tenants of the default domain only
        if (!project || project.isDomain || project.domainId !== defaultDomainId(providers)) continue;
        for (const role of await providers.assignment_api.rolesForUserOnProject(user.id, project.id)) {
          refs.push({ roleId: role.id, tenantId: project.id, userId: user.id, id: roleRefId(role.id, project.id, user.id) });
        }
      }
      sendV2(req, res, 200, { roles: refs });
    },
    { policy: 'identity:list_role_assignments' },
  );
  routes.post(
    '/v2.0/users/:user_id/roleRefs',
    async (req, res) => {
      const body: unknown = req.body;
      const member = body && typeof body === 'object' ? (body as Record<string, unknown>).role : undefined;
      const ref = member && typeof member === 'object' && !Array.isArray(member) ? (member as Record<string, unknown>) : {};
      const tenantId = typeof ref.tenantId === 'string' ? ref.tenantId : '';
      const roleId = typeof ref.roleId === 'string' ? ref.roleId : '';
      await authorize(req, providers, 'identity:create_grant', await v2Targets.grant(providers, tenantId, userParam(req), roleId));
      const role = bodyObject(req, 'role');
      if (typeof role.tenantId !== 'string' || typeof role.roleId !== 'string')
        throw new ValidationError('Expecting to find tenantId and roleId in role.');
      const tenant = await getV2Tenant(providers, role.tenantId);
      const user = await getV2User(providers, userParam(req));
      const granted = await providers.role_api.getRole(role.roleId);
      if ((await providers.assignment_api.listGrants({ userId: user.id }, { projectId: tenant.id })).some((r) => r.id === granted.id)) {
        throw new Conflict(`User ${user.id} already has role ${granted.id} in tenant ${tenant.id}`);
      }
      await providers.assignment_api.addGrant(granted.id, { userId: user.id }, { projectId: tenant.id });
      sendV2(req, res, 200, { role: roleV2(granted) });
    },
    { policy: 'identity:create_grant' },
  );
  routes.delete(
    '/v2.0/users/:user_id/roleRefs/:role_ref_id',
    async (req, res) => {
      const { roleId, tenantId } = roleRefParts(pathParam(req, 'role_ref_id'));
      await authorize(req, providers, 'identity:revoke_grant', await v2Targets.grant(providers, tenantId, userParam(req), roleId));
      const tenant = await getV2Tenant(providers, tenantId);
      const user = await getV2User(providers, userParam(req));
      await providers.assignment_api.deleteGrant(roleId, { userId: user.id }, { projectId: tenant.id });
      sendNoContent(res);
    },
    { policy: 'identity:revoke_grant' },
  );
}
