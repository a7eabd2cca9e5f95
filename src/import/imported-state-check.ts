/**
 * keystone-manage doctor's checks of a database that db_import filled: the
 * last import finished (a killed or refused one leaves the served tables as
 * the previous one did, and says so here), every credential decrypts with
 * [credential] key_repository (Keystone's credential keys were copied), and
 * every password hash is of a format this server verifies.
 */
import type { CredentialCrypto } from '../credential/credential-crypto.js';
import { identifyAlgorithm } from '../identity/password-hashing/index.js';
import type { Database } from '../storage/database.js';
import { ImportedStateRepository } from './imported-state-repository.js';
import { StagingRepository } from './staging-repository.js';

export async function importedStateProblems(db: Database, credentials: CredentialCrypto): Promise<string[]> {
  const problems: string[] = [];
  const lastRun = await new StagingRepository(db).lastRun();
  if (!lastRun) return problems; // nothing was ever imported: nothing to check here
  if (!lastRun.applied_at)
    problems.push(
      `import: the db_import started at ${lastRun.started_at} from ${lastRun.source} did not finish (killed, or refused at the apply); ` +
        `the served tables are those of the last finished import. Run keystone-manage db_import again.`,
    );
  const state = new ImportedStateRepository(db);
  for (const sample of await state.credentialSamples()) {
    try {
      credentials.decrypt(sample.encrypted_blob);
    } catch {
      problems.push(
        `import: ${String(sample.n)} credential(s) encrypted with the key whose hash is ${sample.key_hash} do not decrypt with [credential] key_repository: copy Keystone's credential keys there.`,
      );
    }
  }
  for (const { prefix, n } of await state.passwordHashPrefixes()) {
    if (prefix === null || identifyAlgorithm(prefix + 'x') === null)
      problems.push(
        `import: ${String(n)} password hash(es) of format ${prefix ?? '(none)'} cannot be verified here; those users cannot log in.`,
      );
  }
  return problems;
}
