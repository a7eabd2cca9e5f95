/**
 * Authentication step 4: who the caller is. REMOTE_USER from a trusted
 * proxy first (external, when enabled; a user it cannot name is no
 * failure), then each listed method (methods/*.ts) with its part of the
 * identity; their results reconciled as Keystone's AuthContext does: the
 * user must be the same for every method, the earliest expiry wins.
 */
import { Unauthorized } from '../../common/errors.js';
import type { ProviderApi } from '../../common/provider-api.js';
import type { AuthMethod, AuthMethodResult, AuthRequestContext } from '../methods/method.js';
import type { FederatedFacts } from '../../token/token-manager.js';

/** What the methods proved together. */
export interface MethodsProof {
  userId: string;
  /** the methods done, as the token lists them (those carried over by a rescoped token included) */
  methods: readonly string[];
  expiresAt?: string;
  auditId?: string | null;
  appCredId?: string;
  /** the OAuth1 access token used, and its project */
  accessTokenId?: string;
  projectId?: string;
  federated?: FederatedFacts;
}

/** Keystone's AuthContext: user_id must agree between methods; the earliest expires_at wins. */
class AuthContext {
  userId?: string;
  methodNames: string[] = [];
  expiresAt?: string;
  auditId?: string | null;
  appCredId?: string;
  accessTokenId?: string;
  projectId?: string;
  federated?: FederatedFacts;

  merge(result: AuthMethodResult): void {
    if (this.userId !== undefined && this.userId !== result.userId) throw new Unauthorized();
    this.userId = result.userId;
    if (result.accessTokenId !== undefined) {
      if (this.accessTokenId !== undefined && this.accessTokenId !== result.accessTokenId) throw new Unauthorized();
      this.accessTokenId = result.accessTokenId;
    }
    if (result.projectId !== undefined) {
      if (this.projectId !== undefined && this.projectId !== result.projectId) throw new Unauthorized();
      this.projectId = result.projectId;
    }
    if (result.expiresAt !== undefined) {
      this.expiresAt =
        this.expiresAt === undefined || Date.parse(result.expiresAt) < Date.parse(this.expiresAt) ? result.expiresAt : this.expiresAt;
    }
    if (result.auditId !== undefined) this.auditId = result.auditId;
    if (result.appCredId !== undefined) this.appCredId = result.appCredId;
    if (result.federated !== undefined) this.federated = result.federated;
  }
}

/** `external`: the external method when enabled, tried first when the request carries a trusted REMOTE_USER. */
export async function runMethods(
  providers: ProviderApi,
  listed: readonly AuthMethod[],
  external: AuthMethod | undefined,
  request: AuthRequestContext,
): Promise<MethodsProof> {
  const context = new AuthContext();
  if (request.remoteUser && external) {
    try {
      context.merge(await external.authenticate(undefined, request, providers));
      context.methodNames.unshift(external.name);
    } catch (err) {
      if (!(err instanceof Unauthorized)) throw err;
    }
  }
  for (const method of listed) {
    const result = await method.authenticate(request.auth.identity[method.name], request, providers);
    context.methodNames.unshift(method.name);
    context.methodNames.push(...(result.extraMethods ?? []));
    context.merge(result);
  }
  if (context.userId === undefined) throw new Unauthorized();
  return {
    userId: context.userId,
    methods: context.methodNames,
    expiresAt: context.expiresAt,
    auditId: context.auditId,
    appCredId: context.appCredId,
    accessTokenId: context.accessTokenId,
    projectId: context.projectId,
    federated: context.federated,
  };
}
