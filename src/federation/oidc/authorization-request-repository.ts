/** The SQL backend of WebSSO's pending authorization requests (table `websso_authorization_request`). */
import type { Queryable } from '../../storage/database.js';
import type { AuthorizationRequestBackend, AuthorizationRequestRow } from './authorization-request-backend.js';

const COLUMNS = 'state_hash, browser_hash, idp_id, protocol_id, origin, nonce, code_verifier, redirect_uri, expires_at';

export class AuthorizationRequestRepository implements AuthorizationRequestBackend {
  constructor(private readonly db: Queryable) {}

  async save(row: AuthorizationRequestRow): Promise<void> {
    await this.db.none(`INSERT INTO websso_authorization_request (${COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`, [
      row.state_hash,
      row.browser_hash,
      row.idp_id,
      row.protocol_id,
      row.origin,
      row.nonce,
      row.code_verifier,
      row.redirect_uri,
      row.expires_at,
    ]);
  }

  async take(stateHash: string, now: number): Promise<AuthorizationRequestRow | null> {
    const row = await this.db.oneOrNone<Omit<AuthorizationRequestRow, 'expires_at'> & { expires_at: string | number }>(
      `DELETE FROM websso_authorization_request WHERE state_hash = $1 RETURNING ${COLUMNS}`,
      [stateHash],
    );
    if (!row) return null;
    const expiresAt = Number(row.expires_at);
    return expiresAt > now ? { ...row, expires_at: expiresAt } : null;
  }

  async purgeExpired(now: number): Promise<void> {
    await this.db.none('DELETE FROM websso_authorization_request WHERE expires_at <= $1', [now]);
  }
}
