import { CredentialCrypto } from '../../../credential/credential-crypto.js';
import { CredentialKeyMigration } from '../../../credential/credential-key-migration.js';
import { defineCommand } from '../command.js';
import { keyLogger } from '../key-repositories.js';
import { withDatabase } from '../with-database.js';

export const credentialMigrate = defineCommand({
  help: 'Re-encrypt every credential with the primary credential key.',
  flags: {},
  async run({ conf, out }) {
    const crypto = CredentialCrypto.forRepository(conf.credential.key_repository, keyLogger);
    return withDatabase(conf, async ({ db }) => {
      const n = await new CredentialKeyMigration(db, crypto).reencryptWithPrimaryKey();
      out(`Re-encrypted ${n} credential(s) with the primary key.`);
      return 0;
    });
  },
});
