/**
 * The credential table against the [credential] key repository, for
 * keystone-manage (Keystone's cmd/cli.py CredentialMigrate and
 * CredentialRotate's check): which rows are not encrypted with the primary
 * key, and their re-encryption with it. Works on the table and the keys
 * alone (no cache, no other manager), as the command runs beside or without
 * a running server.
 */
import type { Database } from '../storage/database.js';
import type { CredentialCrypto } from './credential-crypto.js';
import { CredentialRepository } from './credential-repository.js';

export class CredentialKeyMigration {
  private readonly repository: CredentialRepository;

  constructor(
    db: Database,
    private readonly crypto: CredentialCrypto,
  ) {
    this.repository = new CredentialRepository(db);
  }

  /** How many credentials a rotation would leave encrypted with a key it may purge. */
  countNotUnderPrimaryKey(): Promise<number> {
    return this.repository.countEncryptedWithOtherKey(this.crypto.primaryKeyHash());
  }

  /** Re-encrypts every credential not encrypted with the primary key; resolves with their number. */
  async reencryptWithPrimaryKey(): Promise<number> {
    const stale = await this.repository.listEncryptedWithOtherKey(this.crypto.primaryKeyHash());
    for (const row of stale) {
      const e = this.crypto.encrypt(this.crypto.decrypt(row.encryptedBlob));
      await this.repository.replaceEncryption(row.id, e.encryptedBlob, e.keyHash);
    }
    return stale.length;
  }
}
