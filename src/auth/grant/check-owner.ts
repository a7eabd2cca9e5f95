/**
 * Grant step 1: the user the grant is for exists and is enabled, in an
 * enabled domain, and in the domain the path requires (v2.0 knows only the
 * default one). Anything else is a 401.
 */
import { Unauthorized } from '../../common/errors.js';
import type { IdentityManager } from '../../identity/identity-manager.js';
import type { User } from '../../identity/identity-types.js';
import type { ResourceManager } from '../../resource/resource-manager.js';
import type { Domain } from '../../resource/resource-types.js';
import type { GrantOptions } from './grant-input.js';

/** The user a token is granted to, with the domain found enabled. */
export interface GrantOwner {
  user: User;
  domain: Domain;
}

export interface OwnerDeps {
  identity_api: Pick<IdentityManager, 'findUser'>;
  resource_api: Pick<ResourceManager, 'findDomain'>;
}

export async function checkOwner(deps: OwnerDeps, userId: string, options: GrantOptions): Promise<GrantOwner> {
  const user = await deps.identity_api.findUser(userId);
  if (!user || !user.enabled) throw new Unauthorized();
  if (options.userDomainId !== undefined && user.domainId !== options.userDomainId) throw new Unauthorized();
  const domain = await deps.resource_api.findDomain(user.domainId);
  if (!domain || !domain.enabled) throw new Unauthorized();
  return { user, domain };
}
