/**
 * What WebSSO's native OpenID Connect code flow keeps between sending the browser to the identity
 * provider and its coming back: one row per authorization request, found by the hash of its state and
 * taken (deleted) in the same statement, so that two workers cannot both accept one answer. The SQL
 * backend is authorization-request-repository.ts.
 */

/** A pending authorization request (row of `websso_authorization_request`). */
export interface AuthorizationRequestRow {
  /** sha256 (hex) of the state sent to the identity provider */
  state_hash: string;
  /** sha256 (hex) of the browser's binding cookie: the answer must come back to the browser that left */
  browser_hash: string;
  idp_id: string;
  protocol_id: string;
  /** the trusted dashboard the token goes to */
  origin: string;
  nonce: string;
  code_verifier: string;
  redirect_uri: string;
  /** milliseconds since the epoch */
  expires_at: number;
}

export interface AuthorizationRequestBackend {
  save(row: AuthorizationRequestRow): Promise<void>;
  /** The unexpired request of this state hash, deleted as it is read; null when none (or already taken). */
  take(stateHash: string, now: number): Promise<AuthorizationRequestRow | null>;
  purgeExpired(now: number): Promise<void>;
}
