/**
 * The auth side of application credentials (Keystone's
 * application_credential_api as the auth plugin and the token model use
 * it): look-up by id or by (user, name), secret verification against the
 * stored hash (hashed as passwords are), expiry, roles and access rules.
 * The /v3/users/{id}/application_credentials API (creation, listing,
 * deletion) is built on top of this elsewhere; a deletion must call
 * `invalidate()` and revoke the credential's tokens.
 */
import type { Database } from '../storage/database.js';
import type { Cache } from '../cache/cache.js';
import type { KeystoneConfig } from '../config/options.js';
import type { PasswordHasherPort } from '../identity/password-hasher-port.js';

export const APPLICATION_CREDENTIAL_CACHE_REGION = 'application_credential';

export interface ApplicationCredential {
  id: string;
  name: string;
  userId: string;
  projectId: string | null;
  system: string | null;
  description: string | null;
  /** epoch milliseconds, or null */
  expiresAt: number | null;
  unrestricted: boolean;
  secretHash: string;
  roles: { id: string; name: string }[];
  accessRules: { id: string; service: string; path: string; method: string }[];
}

interface AppCredRow {
  internal_id: number;
  id: string;
  name: string;
  secret_hash: string;
  description: string | null;
  user_id: string;
  project_id: string | null;
  system: string | null;
  expires_at: Date | null;
  unrestricted: boolean | null;
}

export class ApplicationCredentialStore {
  constructor(
    private readonly db: Database,
    private readonly cache: Cache,
    private readonly conf: KeystoneConfig,
    private readonly hasher: PasswordHasherPort,
  ) {}

  private async fromRow(row: AppCredRow): Promise<ApplicationCredential> {
    const roles = await this.db.any<{ id: string; name: string | null }>(
      `SELECT acr.role_id AS id, r.name FROM application_credential_role acr LEFT JOIN role r ON r.id = acr.role_id
        WHERE acr.application_credential_id = $1 ORDER BY acr.role_id`, [row.internal_id]);
    const rules = await this.db.any<{ external_id: string; service: string; path: string; method: string }>(
      `SELECT ar.external_id, ar.service, ar.path, ar.method FROM application_credential_access_rule aca
         JOIN access_rule ar ON ar.id = aca.access_rule_id WHERE aca.application_credential_id = $1`, [row.internal_id]);
    return {
      id: row.id, name: row.name, userId: row.user_id, projectId: row.project_id, system: row.system,
      description: row.description, expiresAt: row.expires_at ? row.expires_at.getTime() : null,
      unrestricted: row.unrestricted === true, secretHash: row.secret_hash,
      roles: roles.map((r) => ({ id: r.id, name: r.name ?? '' })),
      accessRules: rules.map((r) => ({ id: r.external_id, service: r.service, path: r.path, method: r.method })),
    };
  }

  private async load(id: string): Promise<ApplicationCredential | null> {
    const row = await this.db.oneOrNone<AppCredRow>('SELECT * FROM application_credential WHERE id = $1', [id]);
    return row ? this.fromRow(row) : null;
  }

  async find(id: string): Promise<ApplicationCredential | null> {
    if (!this.conf.application_credential.caching) return this.load(id);
    return this.cache.memoize(APPLICATION_CREDENTIAL_CACHE_REGION, `ac:${id}`, this.conf.application_credential.cache_time, () => this.load(id));
  }

  async findByName(userId: string, name: string): Promise<ApplicationCredential[]> {
    const rows = await this.db.any<AppCredRow>('SELECT * FROM application_credential WHERE user_id = $1 AND name = $2', [userId, name]);
    return Promise.all(rows.map((r) => this.fromRow(r)));
  }

  isExpired(cred: ApplicationCredential, nowMs = Date.now()): boolean {
    return cred.expiresAt !== null && cred.expiresAt <= nowMs;
  }

  /** True when the secret matches (constant time, never blocking the event loop). */
  verifySecret(cred: ApplicationCredential, secret: string): Promise<boolean> {
    return this.hasher.verify(secret, cred.secretHash);
  }

  invalidate(): Promise<void> {
    return this.cache.invalidate(APPLICATION_CREDENTIAL_CACHE_REGION);
  }
}
