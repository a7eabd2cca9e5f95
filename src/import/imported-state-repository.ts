/** What keystone-manage doctor reads to check an imported database (see imported-state-check.ts). */
import type { Database } from '../storage/database.js';

export interface CredentialSample {
  key_hash: string;
  encrypted_blob: string;
  /** how many credentials carry this key_hash */
  n: number;
}

export class ImportedStateRepository {
  constructor(private readonly db: Database) {}

  /** One credential per key_hash (the key that encrypted it), with the count of each. */
  credentialSamples(): Promise<CredentialSample[]> {
    return this.db.any<CredentialSample>(
      `SELECT DISTINCT ON (key_hash) key_hash, encrypted_blob, count(*) OVER (PARTITION BY key_hash) AS n FROM credential ORDER BY key_hash`,
    );
  }

  /** The number of current password hashes per leading "$ident$" (the whole hash when it has none). */
  passwordHashPrefixes(): Promise<{ prefix: string | null; n: number }[]> {
    return this.db.any<{ prefix: string | null; n: number }>(
      `SELECT COALESCE(substring(password_hash FROM '^\\$[^$]+\\$'), '(none)') AS prefix, count(*) AS n
         FROM password WHERE password_hash IS NOT NULL GROUP BY 1 ORDER BY 1`,
    );
  }
}
