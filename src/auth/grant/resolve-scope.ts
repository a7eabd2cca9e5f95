/**
 * Grant step 3: the scope the token will carry, resolved once. Nothing
 * asked for: the user's default project when it is enabled, in an enabled
 * domain, and the user has a role on it (Keystone's
 * _check_and_set_default_scoping; otherwise the token is unscoped). A
 * project nobody has checked yet (EC2/S3's, OS-KSCRUD's, an application
 * credential's, the default one) must be usable: it, its parents and its
 * domain enabled; else 401. A project the v3 request's scope look-up already
 * found usable is not looked up again.
 */
import { Unauthorized } from '../../common/errors.js';
import type { AssignmentManager } from '../../assignment/assignment-manager.js';
import type { ResourceManager } from '../../resource/resource-manager.js';
import type { User } from '../../identity/identity-types.js';
import { projectUsable, type ResolvedScope } from '../scope.js';
import type { GrantOwner } from './check-owner.js';

export interface ScopeDeps {
  resource_api: Pick<ResourceManager, 'findProject' | 'findDomain' | 'findProjectRef'>;
  assignment_api: Pick<AssignmentManager, 'rolesForUserOnProject'>;
}

/** Nothing asked for: the user's default project may be used. */
function isUnrequested(scope: ResolvedScope): boolean {
  return !(scope.projectId || scope.domainId || scope.system || scope.trustId || scope.unscoped);
}

async function defaultScope(deps: ScopeDeps, user: User, scope: ResolvedScope): Promise<ResolvedScope> {
  const projectId = user.defaultProjectId;
  if (!projectId) return scope;
  const project = await deps.resource_api.findProject(projectId);
  if (!project || !project.enabled) return scope;
  const domain = await deps.resource_api.findDomain(project.domainId);
  if (!domain || !domain.enabled) return scope;
  const roles = await deps.assignment_api.rolesForUserOnProject(user.id, projectId);
  if (!roles.length) return scope;
  // a default project under a disabled parent is no fallback to unscoped: 401
  if (!(await projectUsable(deps, project))) throw new Unauthorized();
  return { projectId, project };
}

/**
 * `federated`: a federated sign-in is never scoped to the default project (Keystone skips it when the
 * auth context names an identity provider), and no federated token is system scoped (Keystone has no
 * payload for one).
 */
export async function resolveScope(
  deps: ScopeDeps,
  owner: GrantOwner,
  requested: ResolvedScope,
  federated = false,
): Promise<ResolvedScope> {
  if (federated && requested.system) throw new Unauthorized();
  const scope = isUnrequested(requested) && !federated ? await defaultScope(deps, owner.user, requested) : requested;
  if (!scope.projectId || scope.project?.id === scope.projectId) return scope;
  const project = await deps.resource_api.findProject(scope.projectId);
  if (!project || !(await projectUsable(deps, project))) throw new Unauthorized();
  return { ...scope, project };
}
