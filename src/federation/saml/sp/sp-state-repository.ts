/** The SQL backend of the SAML service provider's state (tables saml2_authn_request, saml2_consumed_assertion). */
import type { Queryable } from '../../../storage/database.js';
import type { SamlSpStateBackend, TakenWebSsoRequest, WebSsoBinding } from './sp-state-backend.js';

export class SamlSpStateRepository implements SamlSpStateBackend {
  constructor(private readonly db: Queryable) {}

  async rememberRequest(requestId: string, idpId: string, protocolId: string, expiresAtMs: number, webSso?: WebSsoBinding): Promise<void> {
    await this.db.none(
      `INSERT INTO saml2_authn_request (request_id, idp_id, protocol_id, expires_at, relay_state_hash, browser_hash, origin)
       VALUES ($1, $2, $3, $4, $5, $6, $7)`,
      [requestId, idpId, protocolId, expiresAtMs, webSso?.relayStateHash ?? null, webSso?.browserHash ?? null, webSso?.origin ?? null],
    );
  }

  async takeRequest(requestId: string, idpId: string, protocolId: string, nowMs: number): Promise<boolean> {
    const r = await this.db.result(
      `DELETE FROM saml2_authn_request
       WHERE request_id = $1 AND idp_id = $2 AND protocol_id = $3 AND expires_at > $4 AND relay_state_hash IS NULL`,
      [requestId, idpId, protocolId, nowMs],
    );
    return r.rowCount === 1;
  }

  async takeWebSsoRequest(relayStateHash: string): Promise<TakenWebSsoRequest | null> {
    const row = await this.db.oneOrNone<{
      request_id: string;
      idp_id: string;
      protocol_id: string;
      browser_hash: string;
      origin: string;
      expires_at: string | number;
    }>(
      `DELETE FROM saml2_authn_request WHERE relay_state_hash = $1
       RETURNING request_id, idp_id, protocol_id, browser_hash, origin, expires_at`,
      [relayStateHash],
    );
    if (!row) return null;
    return {
      requestId: row.request_id,
      idpId: row.idp_id,
      protocolId: row.protocol_id,
      browserHash: row.browser_hash,
      origin: row.origin,
      expiresAtMs: Number(row.expires_at),
    };
  }

  async consumeAssertion(assertionKey: string, expiresAtMs: number): Promise<boolean> {
    const r = await this.db.result(
      'INSERT INTO saml2_consumed_assertion (assertion_key, expires_at) VALUES ($1, $2) ON CONFLICT DO NOTHING',
      [assertionKey, expiresAtMs],
    );
    return r.rowCount === 1;
  }

  async purge(nowMs: number): Promise<void> {
    await this.db.none('DELETE FROM saml2_authn_request WHERE expires_at <= $1', [nowMs]);
    await this.db.none('DELETE FROM saml2_consumed_assertion WHERE expires_at <= $1', [nowMs]);
  }
}
