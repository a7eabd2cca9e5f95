/**
 * POST /v3/auth/tokens, step by step as Keystone's authenticate_for_token:
 *
 *   parse the body (auth-request.ts) → every listed method present in the
 *   body and enabled in [auth] methods → the requested scope looked up
 *   (scope.ts) → REMOTE_USER from a trusted proxy (external) → each method
 *   (methods/*.ts), their results reconciled → the receipt, if one was sent
 *   → the grant (user, methods, expiry, audit chain, application
 *   credential) handed to the one issuing path, token-grant.ts: disabled
 *   owners, MFA rules (a 401 carrying a new receipt when unmet), the default
 *   project, delegation limits, then the mint (src/token/token-manager.ts).
 */
import type { Request } from 'express';
import { Unauthorized } from '../common/errors.js';
import type { ProviderApi } from '../common/provider-api.js';
import { ReceiptNotFound } from '../receipt/receipt-formatter.js';
import type { ValidatedToken } from '../token/token-model.js';
import { parseAuthRequest } from './auth-request.js';
import { ExpectingToFind, UnsupportedAuthMethod } from './auth-errors.js';
import { resolveRequestedScope } from './scope.js';
import { issueGrantedToken, type GrantOptions } from './token-grant.js';
import { AUTH_RECEIPT_HEADER } from '../receipt/receipt-provider.js';
import type { AuthMethod, AuthMethodResult, AuthRequestContext } from './methods/method.js';
import { passwordMethod } from './methods/password.js';
import { tokenMethod } from './methods/token.js';
import { applicationCredentialMethod } from './methods/application-credential.js';
import { externalMethod, remoteUserOf } from './methods/external.js';
import { totpMethod } from './methods/totp.js';

/** The methods this server implements; [auth] methods picks which are enabled. */
const IMPLEMENTED: Record<string, AuthMethod> = {
  password: passwordMethod,
  token: tokenMethod,
  application_credential: applicationCredentialMethod,
  external: externalMethod,
  totp: totpMethod,
};

/** Keystone's AuthContext: user_id must agree between methods; the earliest expires_at wins. */
class AuthContext {
  userId?: string;
  methodNames: string[] = [];
  expiresAt?: string;
  auditId?: string | null;
  appCredId?: string;

  merge(result: AuthMethodResult): void {
    if (this.userId !== undefined && this.userId !== result.userId) throw new Unauthorized();
    this.userId = result.userId;
    if (result.expiresAt !== undefined) {
      this.expiresAt = this.expiresAt === undefined || Date.parse(result.expiresAt) < Date.parse(this.expiresAt) ? result.expiresAt : this.expiresAt;
    }
    if (result.auditId !== undefined) this.auditId = result.auditId;
    if (result.appCredId !== undefined) this.appCredId = result.appCredId;
  }
}

export function enabledMethod(providers: ProviderApi, name: string): AuthMethod | undefined {
  return providers.conf.auth.methods.includes(name) ? IMPLEMENTED[name] : undefined;
}

/** POST /v3/auth/tokens. */
export function authenticateForToken(req: Request, providers: ProviderApi): Promise<ValidatedToken> {
  return authenticateRequest(req, providers, req.body, { receipts: true });
}

/**
 * A v3 auth body ({"auth": …}) authenticated and its token issued through
 * the one grant path (token-grant.ts). POST /v2.0/tokens comes here too,
 * its body translated, with no receipts and the default domain required.
 */
export async function authenticateRequest(req: Request, providers: ProviderApi, body: unknown, options: GrantOptions): Promise<ValidatedToken> {
  const auth = parseAuthRequest(body, providers.conf);
  const enabled = providers.conf.auth.methods;
  const methodNames = [...new Set(auth.identity.methods)];
  for (const name of methodNames) if (!(name in auth.identity)) throw new ExpectingToFind(name, 'identity');
  for (const name of methodNames) if (!enabledMethod(providers, name)) throw new UnsupportedAuthMethod(enabled);

  const requested = await resolveRequestedScope(providers, auth);
  const request: AuthRequestContext = { auth, remoteUser: remoteUserOf(req, providers.conf) };
  const context = new AuthContext();

  if (request.remoteUser && enabledMethod(providers, 'external')) {
    try {
      context.merge(await externalMethod.authenticate(undefined, request, providers));
      context.methodNames.unshift('external');
    } catch (err) {
      if (!(err instanceof Unauthorized)) throw err;
    }
  }
  for (const name of methodNames) {
    const method = enabledMethod(providers, name) as AuthMethod;
    const result = await method.authenticate(auth.identity[name], request, providers);
    context.methodNames.unshift(name);
    context.methodNames.push(...(result.extraMethods ?? []));
    context.merge(result);
  }
  if (context.userId === undefined) throw new Unauthorized();
  const userId = context.userId;

  let used = new Set(context.methodNames);
  const receiptHeader = options.receipts ? req.headers[AUTH_RECEIPT_HEADER.toLowerCase()] : undefined;
  const receiptId = Array.isArray(receiptHeader) ? receiptHeader[0] : receiptHeader;
  if (receiptId) {
    const receipt = providers.receipt_provider_api.validate(receiptId);
    if (receipt.userId !== userId) throw new ReceiptNotFound(receiptId);
    used = new Set([...used, ...receipt.methods]);
  }
  return issueGrantedToken(providers, {
    userId,
    methods: [...used],
    expiresAt: context.expiresAt,
    parentAuditId: context.auditId ?? null,
    appCredId: context.appCredId,
  }, requested, options);
}
