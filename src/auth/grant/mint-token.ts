/**
 * Grant step 5: the token issued and minted by the token manager (its
 * look-ups and refusals are validation's: the roles, none is a 401), then
 * one use of a limited trust consumed, as Keystone does once the token is
 * issued (a trust gone by then: 401).
 */
import { NotFound, Unauthorized } from '../../common/errors.js';
import type { TokenManager } from '../../token/token-manager.js';
import type { TrustManager } from '../../trust/trust-manager.js';
import type { ValidatedToken } from '../../token/token-model.js';
import type { ResolvedScope } from '../scope.js';
import type { TokenGrant } from './grant-input.js';

export interface MintDeps {
  token_provider_api: Pick<TokenManager, 'issueToken'>;
  trust_api: Pick<TrustManager, 'consumeUse'>;
}

export async function mintToken(deps: MintDeps, grant: TokenGrant, scope: ResolvedScope): Promise<ValidatedToken> {
  const token = await deps.token_provider_api.issueToken({
    userId: grant.userId,
    methods: [...grant.methods],
    expiresAt: grant.expiresAt,
    parentAuditId: grant.parentAuditId ?? null,
    systemScope: scope.system,
    projectId: scope.projectId,
    domainId: scope.domainId,
    trustId: scope.trustId,
    appCredId: grant.appCredId,
    accessTokenId: grant.accessTokenId,
    oauth2Thumbprint: grant.oauth2Thumbprint,
    federated: grant.federated,
  });
  if (scope.trustId) {
    try {
      await deps.trust_api.consumeUse(scope.trustId);
    } catch (err) {
      if (err instanceof NotFound) throw new Unauthorized();
      throw err;
    }
  }
  return token;
}
