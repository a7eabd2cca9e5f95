/**
 * An auth method plugin ([auth] methods): takes its part of the request
 * (auth.identity.<method>) and either names the user it authenticated or
 * throws. What it returns is merged into the auth context as Keystone's
 * AuthContext does (user_id must agree between methods; the earliest
 * expires_at wins).
 */
import type { ProviderApi } from '../../common/provider-api.js';
import type { HttpRequestParts } from '../../oauth1/signed-request.js';
import type { FederatedFacts } from '../../token/token-manager.js';

export interface AuthMethodResult {
  userId: string;
  /** methods carried over (the token method re-lists the original token's methods) */
  extraMethods?: readonly string[];
  /** inherited expiry (token method) */
  expiresAt?: string;
  /** the audit chain to continue (token method) */
  auditId?: string | null;
  /** the application credential used */
  appCredId?: string;
  /** the OAuth1 access token used (oauth1 method), and the project it delegates */
  accessTokenId?: string;
  projectId?: string;
  /** a federated identity (mapped method; token method with a federated token) */
  federated?: FederatedFacts;
}

export interface AuthRequestContext {
  /** the whole auth object of the request body */
  auth: { identity: Record<string, unknown>; scope?: unknown };
  /** REMOTE_USER as asserted by a trusted front proxy, when there is one */
  remoteUser?: string;
  /** the HTTP request as an OAuth 1.0a signature covers it (the oauth1 method) */
  http?: HttpRequestParts;
  /** aborted once the client's connection closed before its answer: a password hash still waiting is then not done */
  signal?: AbortSignal;
  /** the federated assertion of the request (front proxy or bearer token), for an IdP with these remote ids */
  federatedAssertion?: (remoteIds: readonly string[]) => Promise<{ assertion: Record<string, string>; issuerChecked: boolean }>;
}

export interface AuthMethod {
  readonly name: string;
  authenticate(payload: unknown, request: AuthRequestContext, providers: ProviderApi): Promise<AuthMethodResult>;
}
