/**
 * The one way to a new token. Every path that issues one — POST
 * /v3/auth/tokens (password, token, application_credential, totp,
 * external, trusts), POST /v2.0/tokens, the EC2/S3 exchanges of both
 * versions and OS-KSCRUD's password change — first proves who the caller is
 * (an auth method, a signature), states what it proved as a TokenGrant, and
 * hands it here with the scope it asks for. The steps, one file each under
 * grant/, in this order:
 *
 *   check-owner       the user exists and is enabled, in an enabled domain
 *                     (and in the domain the path requires)
 *   check-mfa         the user's MFA rules against the methods used (v3: a
 *                     receipt when unmet; v2.0 and EC2/S3: a plain 401)
 *   resolve-scope     the default project when no scope was asked; a
 *                     project not yet checked must be usable
 *   check-delegation  an application credential's or a trust's limits
 *   mint-token        issued and minted by the token manager (the roles;
 *                     none is a 401), then one use of a limited trust taken
 *
 * Lockout and password expiry belong to the password proof (the identity
 * manager's authenticatePassword, reached through the password method by
 * v3, v2.0 and OS-KSCRUD alike); rescoping limits (delegated, trust- and
 * OAuth-scoped tokens cannot be rescoped) to the token method, which v2.0
 * shares.
 */
import type { KeystoneConfig } from '../config/options.js';
import type { ValidatedToken } from '../token/token-model.js';
import type { ResolvedScope } from './scope.js';
import type { GrantOptions, TokenGrant } from './grant/grant-input.js';
import { checkOwner, type OwnerDeps } from './grant/check-owner.js';
import { checkMfa } from './grant/check-mfa.js';
import { resolveScope, type ScopeDeps } from './grant/resolve-scope.js';
import { checkDelegation, type DelegationDeps } from './grant/check-delegation.js';
import { mintToken, type MintDeps } from './grant/mint-token.js';
import type { ReceiptProvider } from '../receipt/receipt-provider.js';

/** What the steps need, together: the managers (narrowed by each step) and [auth] methods. */
export type GrantDeps = OwnerDeps &
  ScopeDeps &
  DelegationDeps &
  MintDeps & {
    conf: Pick<KeystoneConfig, 'auth'>;
    receipt_provider_api: Pick<ReceiptProvider, 'issue'>;
  };

export class TokenGrantPath {
  /** [auth] methods: the MFA rules count only the enabled ones */
  private readonly enabledMethods: readonly string[];

  constructor(private readonly deps: GrantDeps) {
    this.enabledMethods = deps.conf.auth.methods;
  }

  /** The token for what was proved, after every check (see the file's comment). */
  async issue(grant: TokenGrant, requested: ResolvedScope, options: GrantOptions): Promise<ValidatedToken> {
    const owner = await checkOwner(this.deps, grant.userId, options);
    checkMfa(this.deps.receipt_provider_api, this.enabledMethods, owner, grant.methods, options);
    const scope = await resolveScope(this.deps, owner, requested, grant.federated !== undefined);
    const delegated = await checkDelegation(this.deps, grant, scope);
    return mintToken(this.deps, grant, delegated);
  }
}

/** The grant path for the callers that issue now and then (EC2/S3, OS-KSCRUD). */
export function issueGrantedToken(
  deps: GrantDeps,
  grant: TokenGrant,
  requested: ResolvedScope,
  options: GrantOptions,
): Promise<ValidatedToken> {
  return new TokenGrantPath(deps).issue(grant, requested, options);
}
