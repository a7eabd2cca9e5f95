/**
 * What a token says (Keystone's TokenModel before its lazy look-ups): the
 * facts a provider encodes in (Fernet) or stores with (UUID) the token id,
 * and the validated token with the user, scope, roles and the rest looked
 * up, from which the response body and the policy credentials are built.
 */
import type { CallerRole } from '../auth/caller.js';

export interface TokenFacts {
  userId: string;
  /** method names, as the provider returns them */
  methods: readonly string[];
  /** the token's own audit id */
  auditId: string;
  /** the audit id of the token this one was rescoped from (its chain), or null */
  parentAuditId: string | null;
  /** Keystone's rendering: 2026-11-22T16:42:06.000000Z */
  expiresAt: string;
  systemScope?: 'all';
  domainId?: string;
  projectId?: string;
  trustId?: string;
  appCredId?: string;
  accessTokenId?: string;
  federatedGroupIds?: readonly string[];
  identityProviderId?: string;
  protocolId?: string;
  /** OAuth 2.0 mTLS: the x5t#S256 thumbprint of the client certificate the token is bound to */
  oauth2Thumbprint?: string;
}

/** A token id with its facts and Keystone's issued_at rendering. */
export interface TokenRecord extends TokenFacts {
  id: string;
  issuedAt: string;
}

export interface NamedRef {
  id: string;
  name: string;
}

export interface TokenUser extends NamedRef {
  domain: NamedRef;
  /** Keystone's rendering (naive UTC with microseconds) or null */
  passwordExpiresAt: string | null;
}

export interface TokenProject extends NamedRef {
  domain: NamedRef;
  isDomain: boolean;
}

export interface TokenAppCred {
  id: string;
  name: string;
  restricted: boolean;
  accessRules?: unknown[];
}

export interface TokenTrust {
  id: string;
  trustorUserId: string;
  trusteeUserId: string;
  impersonation: boolean;
  /** the trustor, shown as the token's user when impersonating */
  trustor?: TokenUser;
}

/** A token as validated: the facts plus everything looked up for it. Plain data (memoized as JSON). */
export interface ValidatedToken extends TokenRecord {
  user: TokenUser;
  project?: TokenProject;
  domain?: NamedRef;
  roles: CallerRole[];
  /** [resource] admin_project_name / admin_project_domain_name configured: whether this is that project */
  isAdminProject?: boolean;
  appCred?: TokenAppCred;
  trust?: TokenTrust;
  /** the consumer of the OAuth1 access token (accessTokenId) the token was issued through */
  oauthConsumerId?: string;
  /** the user whose catalog the token carries (the trustor for trust tokens) */
  catalogUserId: string;
}

export function isScoped(t: TokenFacts): boolean {
  return t.systemScope !== undefined || t.domainId !== undefined || t.projectId !== undefined || t.trustId !== undefined;
}

/** The audit ids as rendered: [own, parent]. */
export function auditIdsOf(t: TokenFacts): string[] {
  return t.parentAuditId ? [t.auditId, t.parentAuditId] : [t.auditId];
}
