/**
 * POST /v3/auth/tokens, as Keystone's authenticate_for_token. The steps,
 * one file each, in this order:
 *
 *   auth-request.ts                              the body checked once, typed
 *   authentication/check-methods.ts              the listed methods present and enabled
 *   authentication/resolve-requested-scope.ts    the scope asked for, looked up once
 *   authentication/run-methods.ts                who the caller is (methods/*.ts; oauth1 reads the
 *                                                request's OAuth signature and fixes the scope)
 *   authentication/check-receipt.ts              a receipt's methods added (v3 only)
 *
 * then the grant (user, methods, expiry, audit chain, application
 * credential) with the resolved scope goes to the one grant path,
 * token-grant.ts: owner, MFA rules, scope, delegation, mint. POST
 * /v2.0/tokens comes here too, its body translated, with no receipts and
 * the default domain required. The configuration these steps need is read
 * once, here, when the routes are registered.
 */
import type { Request } from 'express';
import type { ProviderApi } from '../common/provider-api.js';
import type { ValidatedToken } from '../token/token-model.js';
import { authRequestLimits, parseAuthRequest, type AuthRequestLimits } from './auth-request.js';
import { TokenGrantPath } from './token-grant.js';
import type { GrantOptions } from './grant/grant-input.js';
import { checkMethods } from './authentication/check-methods.js';
import { resolveRequestedScope, scopeNameRules, type ScopeNameRules } from './authentication/resolve-requested-scope.js';
import { runMethods } from './authentication/run-methods.js';
import { receiptMethods } from './authentication/check-receipt.js';
import { EnabledMethods } from './methods/enabled-methods.js';
import type { AuthMethod } from './methods/method.js';
import type { HttpRequestParts } from '../oauth1/signed-request.js';
import { trustedRemoteUser } from './methods/external.js';
import { RequestAssertions, type RequestAssertion } from '../federation/request-assertion.js';
import { getLogger } from '../log/logger.js';
import { clientGoneSignal } from '../server/client-gone.js';

const federationLog = getLogger('keystone.federation');

/** The request as an OAuth 1.0a client signs it (Keystone: the base URL and the path, the Authorization header). */
function signedRequestOf(req: Request): HttpRequestParts {
  const authorization = req.headers.authorization;
  return { method: req.method, url: `${req.keystone.baseUrl}${req.originalUrl.split('?')[0]}`, authorization };
}

export class TokenAuthentication {
  private readonly limits: AuthRequestLimits;
  private readonly enabled: EnabledMethods;
  /** the external method, when enabled: tried first on a request with a trusted REMOTE_USER */
  private readonly external: AuthMethod | undefined;
  private readonly scopeNames: ScopeNameRules;
  private readonly remoteUserOf: (req: Request) => string | undefined;
  private readonly grants: TokenGrantPath;
  /** federated assertions: a trusted front proxy's headers, or a natively validated bearer token */
  readonly assertions: RequestAssertions;

  constructor(private readonly providers: ProviderApi) {
    const { conf } = providers;
    this.limits = authRequestLimits(conf);
    this.enabled = new EnabledMethods(conf.auth.methods);
    this.external = this.enabled.get('external');
    this.scopeNames = scopeNameRules(conf);
    this.remoteUserOf = trustedRemoteUser(conf.external_auth);
    this.grants = new TokenGrantPath(providers);
    this.assertions = new RequestAssertions(conf, (message) => federationLog.info(message));
  }

  /**
   * A v3 auth body ({"auth": …}) authenticated and its token issued. `assertion`: the federated
   * assertion established otherwise (WebSSO's own code flow), instead of the request's.
   */
  async authenticate(req: Request, body: unknown, options: GrantOptions, assertion?: RequestAssertion): Promise<ValidatedToken> {
    const auth = parseAuthRequest(body, this.limits);
    const methods = checkMethods(auth, this.enabled);
    // Before any look-up: the token minted here is memoized under a version no newer than what it was minted from
    // (read once per request without a cache, src/token/memo-version.ts; known at once with one).
    await this.providers.token_provider_api.currentVersion();
    const requested = await resolveRequestedScope(this.providers, this.scopeNames, auth);
    const proof = await runMethods(this.providers, methods, this.external, {
      auth,
      remoteUser: this.remoteUserOf(req),
      http: signedRequestOf(req),
      signal: req.res ? clientGoneSignal(req.res) : undefined,
      federatedAssertion: (remoteIds) =>
        assertion
          ? Promise.resolve(assertion)
          : this.assertions.assertionOf(
              { headers: req.headers, rawHeaders: req.rawHeaders, remoteAddress: req.socket.remoteAddress },
              remoteIds,
            ),
    });
    const receipted = options.receipts ? receiptMethods(this.providers.receipt_provider_api, req, proof.userId) : [];
    return this.grants.issue(
      {
        userId: proof.userId,
        methods: [...new Set([...proof.methods, ...receipted])],
        expiresAt: proof.expiresAt,
        parentAuditId: proof.auditId ?? null,
        appCredId: proof.appCredId,
        accessTokenId: proof.accessTokenId,
        federated: proof.federated,
      },
      // an OAuth1 access token scopes the token to its project, whatever was asked (Keystone's set_scope)
      proof.accessTokenId ? { projectId: proof.projectId } : requested,
      options,
    );
  }
}
