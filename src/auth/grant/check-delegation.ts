/**
 * Grant step 4: the scope the delegation the grant carries allows. An
 * application credential must be the user's, unexpired, and scope the token
 * to its own project (one without a project: no project or domain); a
 * trust must be usable and scope the token to the trust's project only (a
 * trust without one: no project, domain or system). Anything else is a 401.
 * An OAuth1 access token scopes the token to its project, and nothing else.
 * The roles (the application credential's, the trust's or the access token's, within the
 * user's or the trustor's) are the mint's to check, as validation does.
 */
import { Unauthorized } from '../../common/errors.js';
import type { TrustLookup } from '../../token/token-manager.js';
import type { ApplicationCredentialManager } from '../../application-credential/application-credential-manager.js';
import { trustUsable, type ResolvedScope } from '../scope.js';
import type { TokenGrant } from './grant-input.js';

export interface DelegationDeps {
  application_credential_api: Pick<ApplicationCredentialManager, 'find' | 'isExpired'>;
  trust_api: TrustLookup;
}

export async function checkDelegation(deps: DelegationDeps, grant: TokenGrant, scope: ResolvedScope): Promise<ResolvedScope> {
  const trustId = grant.trustId ?? scope.trustId;
  if (grant.trustId && scope.trustId && grant.trustId !== scope.trustId) throw new Unauthorized();
  if (grant.accessTokenId) {
    // an OAuth1 access token delegates one project: no trust, no application credential, no other scope
    if (trustId || grant.appCredId || !scope.projectId || scope.domainId || scope.system) throw new Unauthorized();
    return scope;
  }
  if (grant.appCredId) {
    if (trustId) throw new Unauthorized();
    const store = deps.application_credential_api;
    const cred = await store.find(grant.appCredId);
    if (!cred || store.isExpired(cred) || cred.userId !== grant.userId) throw new Unauthorized();
    if (cred.projectId ? scope.projectId !== cred.projectId || scope.domainId || scope.system : scope.projectId || scope.domainId)
      throw new Unauthorized();
  }
  if (!trustId) return scope;
  const trust = scope.trust?.id === trustId ? scope.trust : await deps.trust_api.findTrust(trustId);
  if (!trustUsable(trust)) throw new Unauthorized();
  if ((scope.projectId ?? null) !== trust.projectId || scope.domainId || scope.system) throw new Unauthorized();
  return { ...scope, trustId, trust };
}
