/**
 * Who may call the v2.0 API, and what it can see.
 *
 * Who: the same policy engine as v3, with the rule of each operation's v3
 * equivalent and the target v3 builds for it (v2Targets below), so that a
 * policy file, `[oslo_policy] enforce_scope` and `enforce_new_defaults` act
 * on v2.0 exactly as on v3. Each v2.0 route declares its rule(s) in the route
 * table; authorize() refuses any other. Under Keystone's default policy (the
 * deprecated rules ORed in) the `admin` role is still what v2.0 clients need,
 * as Keystone's v2 admin_required asked.
 *
 * What: the default domain, the only one v2.0 knows (a user or tenant of any
 * other domain is simply not found).
 */
import type { Request } from 'express';
import { EntityNotFound, KeystoneError } from '../../common/errors.js';
import type { ProviderApi } from '../../common/provider-api.js';
import type { Caller } from '../../auth/caller.js';
import type { Project } from '../../resource/resource-types.js';
import type { User } from '../../identity/identity-types.js';
import { ec2CredentialId } from '../../credential/credential-manager.js';
import { authorize } from '../authorize.js';
import { userTargetFor } from '../v3/users.js';
import { projectTargetFor } from '../v3/projects.js';
import { roleTarget } from '../v3/roles.js';
import { optionalPathParam, pathParam } from '../request-params.js';

export const defaultDomainId = (providers: ProviderApi) => providers.conf.identity.default_domain_id;

/** A tenant of the default domain, or null. */
export async function findV2Tenant(providers: ProviderApi, id: string): Promise<Project | null> {
  const project = await providers.resource_api.findProject(id);
  return project && !project.isDomain && project.domainId === defaultDomainId(providers) ? project : null;
}

export async function getV2Tenant(providers: ProviderApi, id: string): Promise<Project> {
  const project = await findV2Tenant(providers, id);
  if (!project) throw new EntityNotFound('project', id);
  return project;
}

/** A user of the default domain, or null. */
export async function findV2User(providers: ProviderApi, id: string): Promise<User | null> {
  const user = await providers.identity_api.findUser(id);
  return user && user.domainId === defaultDomainId(providers) ? user : null;
}

export async function getV2User(providers: ProviderApi, id: string): Promise<User> {
  const user = await findV2User(providers, id);
  if (!user) throw new EntityNotFound('user', id);
  return user;
}

/**
 * The policy targets of the v2.0 operations, as v3 builds them for the same
 * operation. They are built leniently (what does not exist is left out), so
 * that v2.0 keeps its order of answers: 401, then 403, then 404.
 */
export const v2Targets = {
  /** a listing of the default domain (users, tenants, a tenant's users): target.domain_id */
  defaultDomain: (providers: ProviderApi): Record<string, unknown> => ({ domain_id: defaultDomainId(providers) }),
  user: (providers: ProviderApi, userId: string) => userTargetFor(providers, userId),
  project: (providers: ProviderApi, projectId: string) => projectTargetFor(providers, projectId),
  /** a grant of `roleId` to a user on a project: target.role, target.user, target.project (v3's project grant) */
  async grant(providers: ProviderApi, projectId: string, userId: string, roleId: string): Promise<Record<string, unknown>> {
    const role = await providers.role_api.findRole(roleId);
    return {
      ...(role ? { role: roleTarget(role) } : {}),
      ...(await userTargetFor(providers, userId)),
      ...(await projectTargetFor(providers, projectId)),
    };
  },
  /** a user's roles on a project (v3's GET /v3/projects/{p}/users/{u}/roles) */
  async grantList(providers: ProviderApi, projectId: string, userId: string): Promise<Record<string, unknown>> {
    return { ...(await userTargetFor(providers, userId)), ...(await projectTargetFor(providers, projectId)) };
  },
};

/**
 * The v2.0 OS-EC2 credential routes (/v2.0/users/{user_id}/credentials/OS-EC2[/{credential_id}]),
 * authorized as v3's /v3/users/{user_id}/credentials/OS-EC2: ec2_list_credentials
 * (the path's user_id), ec2_create_credential (target.credential.user_id),
 * ec2_get_credential / ec2_delete_credential (the credential, its owner).
 */
export async function authorizeV2Ec2(req: Request, providers: ProviderApi): Promise<Caller> {
  const userId = pathParam(req, 'user_id');
  const accessKey = optionalPathParam(req, 'credential_id');
  if (accessKey === undefined) {
    if (req.method === 'POST') return authorize(req, providers, 'identity:ec2_create_credential', { credential: { user_id: userId } });
    return authorize(req, providers, 'identity:ec2_list_credentials');
  }
  let credential: Record<string, unknown> = { user_id: userId };
  try {
    const found = await providers.credential_api.find(ec2CredentialId(accessKey));
    if (found) credential = { ...found.extra, id: found.id, user_id: found.userId, project_id: found.projectId, type: found.type };
  } catch (err) {
    // an access key that names no credential: the path's user is the target, the handler answers 404
    if (!(err instanceof KeystoneError && err.code < 500)) throw err;
  }
  const rule = req.method === 'DELETE' ? 'identity:ec2_delete_credential' : 'identity:ec2_get_credential';
  return authorize(req, providers, rule, { credential });
}
