/**
 * What the token manager and the UUID provider ask of SQL: the persisted
 * tokens of [token] provider = uuid (the token table Keystone's SQL token
 * driver had) and the token epoch, the counter that tells every process a
 * memoized validation may be stale (token-epoch.ts). The SQL backend is
 * token-repository.ts.
 */

/** A persisted (UUID) token. */
export interface TokenRow {
  id: string;
  expires: Date | null;
  /** JSON text: the token's facts and issue time */
  extra: string;
  valid: boolean;
  user_id: string | null;
  trust_id: string | null;
}

/** The epoch and the newest revocation event id, as read together. */
export interface EpochReading {
  epoch: number | string;
  /** null when there is no revocation event */
  newestRevocationId: number | string | null;
}

export interface TokenBackend {
  // ---- persisted (UUID) tokens ----------------------------------------------------------
  insert(row: TokenRow): Promise<void>;
  get(id: string): Promise<TokenRow | null>;
  /** The token stops validating. */
  invalidate(id: string): Promise<void>;
  /** Every token of the user stops validating. */
  invalidateUser(userId: string): Promise<void>;
  /** Every token issued through the trust stops validating. */
  invalidateTrust(trustId: string): Promise<void>;
  /** Deletes at most `limit` tokens that expired before `cutoff`; returns how many. */
  deleteExpired(cutoff: Date, limit: number): Promise<number>;

  // ---- the token epoch ------------------------------------------------------------------
  /** Creates the epoch counter unless it exists (also when another process creates it at the same moment). */
  ensureEpoch(): Promise<void>;
  advanceEpoch(): Promise<void>;
  readEpoch(): Promise<EpochReading>;
}
