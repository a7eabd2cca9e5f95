/** The SQL backend of OS-OAUTH1 request and access tokens (tables `request_token`, `access_token`). */
import type { Queryable } from '../storage/database.js';
import type { AccessTokenRow, DelegationBackend, RequestTokenRow } from './oauth1-backend.js';

const REQUEST_COLUMNS = 'id, request_secret, verifier, authorizing_user_id, requested_project_id, role_ids, consumer_id, expires_at';
const ACCESS_COLUMNS = 'id, access_secret, authorizing_user_id, project_id, role_ids, consumer_id, expires_at';

export class DelegationRepository implements DelegationBackend {
  constructor(private readonly db: Queryable) {}

  async insertRequestToken(row: RequestTokenRow): Promise<void> {
    await this.db.none(`INSERT INTO request_token (${REQUEST_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`, [
      row.id,
      row.request_secret,
      row.verifier,
      row.authorizing_user_id,
      row.requested_project_id,
      row.role_ids,
      row.consumer_id,
      row.expires_at,
    ]);
  }

  getRequestToken(id: string): Promise<RequestTokenRow | null> {
    return this.db.oneOrNone<RequestTokenRow>(`SELECT ${REQUEST_COLUMNS} FROM request_token WHERE id = $1`, [id]);
  }

  async authorizeRequestToken(id: string, userId: string, verifier: string, roleIds: string): Promise<boolean> {
    const r = await this.db.result('UPDATE request_token SET authorizing_user_id = $2, verifier = $3, role_ids = $4 WHERE id = $1', [
      id,
      userId,
      verifier,
      roleIds,
    ]);
    return r.rowCount === 1;
  }

  exchangeRequestToken(requestTokenId: string, row: AccessTokenRow): Promise<boolean> {
    return this.db.tx(async (t: Queryable) => {
      const gone = await t.result('DELETE FROM request_token WHERE id = $1', [requestTokenId]);
      if (gone.rowCount !== 1) return false;
      await t.none(`INSERT INTO access_token (${ACCESS_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7)`, [
        row.id,
        row.access_secret,
        row.authorizing_user_id,
        row.project_id,
        row.role_ids,
        row.consumer_id,
        row.expires_at,
      ]);
      return true;
    });
  }

  getAccessToken(id: string): Promise<AccessTokenRow | null> {
    return this.db.oneOrNone<AccessTokenRow>(`SELECT ${ACCESS_COLUMNS} FROM access_token WHERE id = $1`, [id]);
  }

  listAccessTokens(userId: string): Promise<AccessTokenRow[]> {
    return this.db.any<AccessTokenRow>(`SELECT ${ACCESS_COLUMNS} FROM access_token WHERE authorizing_user_id = $1 ORDER BY id`, [userId]);
  }

  async deleteAccessToken(id: string): Promise<void> {
    await this.db.none('DELETE FROM access_token WHERE id = $1', [id]);
  }
}
