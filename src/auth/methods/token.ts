/**
 * The token method (rescoping): a valid token proves the user; the new token
 * keeps its expiry, its methods and its audit chain. Keystone's refusals:
 * OAuth- and trust-scoped tokens, system-scoped tokens asking for a project
 * or domain, tokens of delegated methods (application credentials, …), and
 * any scoped token when [token] allow_rescope_scoped_token is false.
 */
import type { ProviderApi } from '../../common/provider-api.js';
import { ExpectingToFind, ForbiddenActionError } from '../auth-errors.js';
import type { AuthMethod, AuthMethodResult } from './method.js';
import { isFederated } from '../../token/token-manager.js';
import { federatedTokenExchange } from './mapped.js';

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Keystone's primary (non-delegated) methods (keystone/api/_shared/delegation.py). */
const PRIMARY_METHODS = new Set(['external', 'kerberos', 'mapped', 'openid', 'password', 'saml2', 'token', 'totp', 'x509']);

export const tokenMethod: AuthMethod = {
  name: 'token',
  async authenticate(payload: unknown, request, providers: ProviderApi): Promise<AuthMethodResult> {
    if (!isObject(payload) || !('id' in payload)) throw new ExpectingToFind('id', 'token');
    const token = await providers.token_provider_api.validateToken(String(payload.id));
    // a federated token is exchanged as the mapped method does (Keystone's handle_scoped_token)
    if (isFederated(token)) return federatedTokenExchange(token, providers);
    const scope = isObject(request.auth.scope) ? request.auth.scope : {};
    const wantsProjectOrDomain = 'project' in scope || 'domain' in scope;
    if (token.accessTokenId) {
      throw new ForbiddenActionError('Using OAuth-scoped token to create another token. Create a new OAuth-scoped token instead');
    }
    if (token.trustId) {
      throw new ForbiddenActionError('Using trust-scoped token to create another token. Create a new trust-scoped token instead');
    }
    if (token.systemScope && wantsProjectOrDomain) {
      throw new ForbiddenActionError('Using a system-scoped token to create a project-scoped or domain-scoped token is not allowed.');
    }
    if (token.methods.length === 0 || token.methods.some((m) => !PRIMARY_METHODS.has(m))) {
      throw new ForbiddenActionError('Using a delegated token to create another token is not allowed.');
    }
    if (!providers.conf.token.allow_rescope_scoped_token && (token.projectId || token.domainId)) {
      throw new ForbiddenActionError('rescope a scoped token');
    }
    return {
      userId: token.userId,
      extraMethods: token.methods,
      expiresAt: token.expiresAt,
      auditId: token.parentAuditId ?? token.auditId,
    };
  },
};
