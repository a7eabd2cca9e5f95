/**
 * The one way to a new token. Every path that issues one — POST
 * /v3/auth/tokens (password, token, application_credential, totp,
 * external, trusts), POST /v2.0/tokens, the EC2/S3 exchanges of both
 * versions and OS-KSCRUD's password change — first proves who the caller is
 * (an auth method, a signature), states what it proved as a TokenGrant, and
 * hands it here with the scope it asks for. Here, in this order:
 *
 *   the user exists and is enabled, in an enabled domain (and in the domain
 *   the path requires: v2.0 knows only the default one) → the user's MFA
 *   rules against the methods used (v3 answers an unmet rule with a
 *   receipt; v2.0 and EC2/S3 have none: a plain 401) → the default project
 *   when no scope was asked → the delegation the grant carries: an
 *   application credential must be the user's, unexpired, and scope the
 *   token to its own project; a trust must be usable, the user its
 *   trustee, and the token scoped to the trust's project only → the
 *   project usable (it, its parents and its domain enabled) → the token
 *   issued and minted by the token manager (roles: the user's, the
 *   application credential's or the trust's; none is a 401) → one use of a
 *   limited trust consumed.
 *
 * Lockout and password expiry belong to the password proof (the identity
 * manager's authenticatePassword, reached through the password method by
 * v3, v2.0 and OS-KSCRUD alike); rescoping limits (delegated, trust- and
 * OAuth-scoped tokens cannot be rescoped) to the token method, which v2.0
 * shares.
 */
import { NotFound, Unauthorized } from '../common/errors.js';
import type { ProviderApi } from '../common/provider-api.js';
import type { ValidatedToken } from '../token/token-model.js';
import { mfaSatisfied, requiredMethods } from './mfa-rules.js';
import { AUTH_RECEIPT_HEADER } from '../receipt/receipt-provider.js';
import { applyDefaultScope, projectUsable, type RequestedScope } from './scope.js';

/** What authentication proved. */
export interface TokenGrant {
  userId: string;
  /** every method the token will list (those used, those carried over, a receipt's) */
  methods: readonly string[];
  /** inherited expiry (rescoping) */
  expiresAt?: string;
  /** the audit chain to continue (rescoping) */
  parentAuditId?: string | null;
  /** the application credential the token is limited to */
  appCredId?: string;
  /** the trust the token is issued under (also given by the scope of a v3 request) */
  trustId?: string;
}

export interface GrantOptions {
  /** v3: an unmet MFA rule answers with a receipt; otherwise with a plain 401 */
  receipts: boolean;
  /** the domain the user must belong to (v2.0: the default domain) */
  userDomainId?: string;
}

/** 401 with the receipt body and header (Keystone's InsufficientAuthMethods → build_receipt). */
export class AuthReceiptRequired extends Unauthorized {
  constructor(receiptId: string, body: unknown) {
    super('Additional authentications steps required.');
    this.headers = { [AUTH_RECEIPT_HEADER]: receiptId };
    this.body = body;
  }
}

async function assertUserUsable(providers: ProviderApi, userId: string, options: GrantOptions) {
  const user = await providers.identity_api.findUser(userId);
  if (!user || !user.enabled) throw new Unauthorized();
  if (options.userDomainId !== undefined && user.domainId !== options.userDomainId) throw new Unauthorized();
  const domain = await providers.resource_api.findDomain(user.domainId);
  if (!domain || !domain.enabled) throw new Unauthorized();
  return { user, domain };
}

async function assertMfa(providers: ProviderApi, grant: TokenGrant, options: GrantOptions, found: Awaited<ReturnType<typeof assertUserUsable>>): Promise<void> {
  const enabled = providers.conf.auth.methods;
  const { user, domain } = found;
  if (mfaSatisfied(user.options, new Set(grant.methods), enabled)) return;
  if (!options.receipts) throw new Unauthorized();
  const methods = [...grant.methods];
  const issued = providers.receipt_provider_api.issue(user.id, methods);
  throw new AuthReceiptRequired(issued.id, {
    receipt: {
      expires_at: issued.expiresAt,
      issued_at: issued.issuedAt,
      methods,
      user: { domain: { id: domain.id, name: domain.name }, id: user.id, name: user.name },
    },
    required_auth_methods: requiredMethods(user.options, methods, enabled),
  });
}

/**
 * The scope the delegation allows: an application credential's own project;
 * a trust's project (a trust without one: no project, domain or system).
 * Anything else asked for is a 401.
 */
async function delegatedScope(providers: ProviderApi, grant: TokenGrant, scope: RequestedScope): Promise<RequestedScope> {
  const trustId = grant.trustId ?? scope.trustId;
  if (grant.trustId && scope.trustId && grant.trustId !== scope.trustId) throw new Unauthorized();
  if (grant.appCredId) {
    if (trustId) throw new Unauthorized();
    const store = providers.application_credential_api;
    const cred = await store.find(grant.appCredId);
    if (!cred || store.isExpired(cred) || cred.userId !== grant.userId) throw new Unauthorized();
    if (cred.projectId ? scope.projectId !== cred.projectId || scope.domainId || scope.system : scope.projectId || scope.domainId) throw new Unauthorized();
  }
  if (!trustId) return scope;
  const trust = await providers.trust_api.findTrust(trustId);
  if (!trust || trust.deleted || (trust.expiresAt !== null && trust.expiresAt <= Date.now())) throw new Unauthorized();
  if ((scope.projectId ?? null) !== trust.projectId || scope.domainId || scope.system) throw new Unauthorized();
  return { ...scope, trustId };
}

/** The token for what was proved, after every check (see the file's comment). */
export async function issueGrantedToken(providers: ProviderApi, grant: TokenGrant, requested: RequestedScope, options: GrantOptions): Promise<ValidatedToken> {
  const found = await assertUserUsable(providers, grant.userId, options);
  await assertMfa(providers, grant, options, found);
  const scope = await delegatedScope(providers, grant, await applyDefaultScope(providers, grant.userId, requested));
  if (scope.projectId) {
    const project = await providers.resource_api.findProject(scope.projectId);
    if (!project || !(await projectUsable(providers, project))) throw new Unauthorized();
  }
  const token = await providers.token_provider_api.issueToken({
    userId: grant.userId,
    methods: [...grant.methods],
    expiresAt: grant.expiresAt,
    parentAuditId: grant.parentAuditId ?? null,
    systemScope: scope.system,
    projectId: scope.projectId,
    domainId: scope.domainId,
    trustId: scope.trustId,
    appCredId: grant.appCredId,
  });
  // Keystone consumes a use of a limited trust once its token is issued (a trust gone by then: 401).
  if (scope.trustId) {
    try {
      await providers.trust_api.consumeUse(scope.trustId);
    } catch (err) {
      if (err instanceof NotFound) throw new Unauthorized();
      throw err;
    }
  }
  return token;
}
