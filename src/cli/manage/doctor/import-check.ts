import type { KeystoneConfig } from '../../../config/options.js';
import { CredentialCrypto } from '../../../credential/credential-crypto.js';
import { importedStateProblems } from '../../../import/imported-state-check.js';
import { oneLine } from '../../cli-config.js';
import { keyLogger } from '../key-repositories.js';
import { withDatabase } from '../with-database.js';

/** The state a keystone-manage db_import left (src/import/imported-state-check.ts); nothing when no import ran. */
export async function importProblems(conf: KeystoneConfig): Promise<string[]> {
  try {
    const crypto = CredentialCrypto.forRepository(conf.credential.key_repository, keyLogger);
    return await withDatabase(conf, ({ db }) => importedStateProblems(db, crypto));
  } catch (err) {
    return [`import: ${oneLine((err as Error).message)}`];
  }
}
