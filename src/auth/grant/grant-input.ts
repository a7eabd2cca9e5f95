import type { FederatedFacts } from '../../token/token-manager.js';

/**
 * What a path hands to the one grant path (src/auth/token-grant.ts): what
 * authentication proved, and how this path's tokens are granted.
 */

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
  /** the OAuth1 access token the token is issued through (scoped to its project, with its roles) */
  accessTokenId?: string;
  /** OAuth 2.0 mTLS: the client certificate's thumbprint the token is bound to */
  oauth2Thumbprint?: string;
  /** a federated sign-in (the mapped method, or a federated token rescoped): IdP, protocol, mapped groups */
  federated?: FederatedFacts;
}

export interface GrantOptions {
  /** v3: an unmet MFA rule answers with a receipt; otherwise with a plain 401 */
  receipts: boolean;
  /** the domain the user must belong to (v2.0: the default domain) */
  userDomainId?: string;
}
