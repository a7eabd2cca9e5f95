/**
 * POST /v3/auth/tokens, step by step as Keystone's authenticate_for_token:
 *
 *   parse the body (auth-request.ts) → every listed method present in the
 *   body and enabled in [auth] methods → the requested scope looked up
 *   (scope.ts) → REMOTE_USER from a trusted proxy (external) → each method
 *   (methods/*.ts), their results reconciled → the receipt, if one was sent
 *   → the user's MFA rules (a 401 carrying a new receipt when unmet) → the
 *   default project when no scope was asked → the token issued and minted
 *   (src/token/token-manager.ts).
 */
import type { Request } from 'express';
import { NotFound, Unauthorized } from '../common/errors.js';
import type { Services } from '../server/services.js';
import { ReceiptNotFound } from '../token/fernet/receipt-formatter.js';
import type { ValidatedToken } from '../token/token-model.js';
import { parseAuthRequest } from './auth-request.js';
import { ExpectingToFind, UnsupportedAuthMethod } from './auth-errors.js';
import { applyDefaultScope, resolveRequestedScope } from './scope.js';
import { mfaSatisfied, requiredMethods } from './mfa-rules.js';
import { AUTH_RECEIPT_HEADER } from './receipts.js';
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

/** 401 with the receipt body and header (Keystone's InsufficientAuthMethods → build_receipt). */
export class AuthReceiptRequired extends Unauthorized {
  constructor(receiptId: string, body: unknown) {
    super('Additional authentications steps required.');
    this.headers = { [AUTH_RECEIPT_HEADER]: receiptId };
    this.body = body;
  }
}

export function enabledMethod(services: Services, name: string): AuthMethod | undefined {
  return services.conf.auth.methods.includes(name) ? IMPLEMENTED[name] : undefined;
}

export async function authenticateForToken(req: Request, services: Services): Promise<ValidatedToken> {
  const auth = parseAuthRequest(req.body, services.conf);
  const enabled = services.conf.auth.methods;
  const methodNames = [...new Set(auth.identity.methods)];
  for (const name of methodNames) if (!(name in auth.identity)) throw new ExpectingToFind(name, 'identity');
  for (const name of methodNames) if (!enabledMethod(services, name)) throw new UnsupportedAuthMethod(enabled);

  const requested = await resolveRequestedScope(services, auth);
  const request: AuthRequestContext = { auth, remoteUser: remoteUserOf(req, services.conf) };
  const context = new AuthContext();

  if (request.remoteUser && enabledMethod(services, 'external')) {
    try {
      context.merge(await externalMethod.authenticate(undefined, request, services));
      context.methodNames.unshift('external');
    } catch (err) {
      if (!(err instanceof Unauthorized)) throw err;
    }
  }
  for (const name of methodNames) {
    const method = enabledMethod(services, name) as AuthMethod;
    const result = await method.authenticate(auth.identity[name], request, services);
    context.methodNames.unshift(name);
    context.methodNames.push(...(result.extraMethods ?? []));
    context.merge(result);
  }
  if (context.userId === undefined) throw new Unauthorized();
  const userId = context.userId;

  const receiptHeader = req.headers[AUTH_RECEIPT_HEADER.toLowerCase()];
  const receiptId = Array.isArray(receiptHeader) ? receiptHeader[0] : receiptHeader;
  let used = new Set(context.methodNames);
  if (receiptId) {
    const receipt = services.receipts.validate(receiptId);
    if (receipt.userId !== userId) throw new ReceiptNotFound(receiptId);
    used = new Set([...used, ...receipt.methods]);
  }
  const user = await services.identity.getUser(userId);
  if (!mfaSatisfied(user.options, used, enabled)) {
    const methods = [...used];
    const issued = services.receipts.issue(userId, methods);
    const domain = await services.resource.getDomain(user.domainId);
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

  const scope = await applyDefaultScope(services, userId, requested);
  const token = await services.token.issueToken({
    userId,
    methods: [...used],
    expiresAt: context.expiresAt,
    parentAuditId: context.auditId ?? null,
    systemScope: scope.system,
    projectId: scope.projectId,
    domainId: scope.domainId,
    trustId: scope.trustId,
    appCredId: context.appCredId,
  });
  // Keystone consumes a use of a limited trust once its token is issued (a trust gone by then: 401).
  if (scope.trustId) {
    try {
      await services.trusts.consumeUse(scope.trustId);
    } catch (err) {
      if (err instanceof NotFound) throw new Unauthorized();
      throw err;
    }
  }
  return token;
}
