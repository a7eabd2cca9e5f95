/**
 * The auth side of application credentials (Keystone's
 * application_credential_api as the auth plugin and the token model use
 * it): look-up by id or by (user, name), secret verification against the
 * stored hash (hashed as passwords are), expiry, roles and access rules.
 * The SQL is src/application-credential/application-credential-repository.ts;
 * the /v3/users/{id}/application_credentials API (creation, listing,
 * deletion) is src/application-credential/application-credential-manager.ts,
 * which calls `invalidate()` after every deletion (validations memoized
 * with a deleted credential are dropped: its tokens no longer validate).
 */
import type { Database } from '../storage/database.js';
import type { Cache } from '../cache/cache.js';
import type { KeystoneConfig } from '../config/options.js';
import type { PasswordHasherPort } from '../identity/password-hasher-port.js';
import { ApplicationCredentialRepository, type StoredApplicationCredential } from '../application-credential/application-credential-repository.js';

export const APPLICATION_CREDENTIAL_CACHE_REGION = 'application_credential';

/** A stored credential as the auth side uses it: `unrestricted` only when the creator said so. */
export type ApplicationCredential = Omit<StoredApplicationCredential, 'unrestricted'> & { unrestricted: boolean };

export class ApplicationCredentialStore {
  readonly repository: ApplicationCredentialRepository;

  constructor(
    db: Database,
    private readonly cache: Cache,
    private readonly conf: KeystoneConfig,
    private readonly hasher: PasswordHasherPort,
  ) {
    this.repository = new ApplicationCredentialRepository(db);
  }

  private static fromStored(stored: StoredApplicationCredential): ApplicationCredential {
    return { ...stored, unrestricted: stored.unrestricted === true };
  }

  private async load(id: string): Promise<ApplicationCredential | null> {
    const stored = await this.repository.get(id);
    return stored ? ApplicationCredentialStore.fromStored(stored) : null;
  }

  async find(id: string): Promise<ApplicationCredential | null> {
    if (!this.conf.application_credential.caching) return this.load(id);
    return this.cache.memoize(APPLICATION_CREDENTIAL_CACHE_REGION, `ac:${id}`, this.conf.application_credential.cache_time, () => this.load(id));
  }

  async findByName(userId: string, name: string): Promise<ApplicationCredential[]> {
    return (await this.repository.listForUser(userId, { name })).map(ApplicationCredentialStore.fromStored);
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
