import { CredentialCrypto } from '../../../credential/credential-crypto.js';
import { CredentialKeyMigration } from '../../../credential/credential-key-migration.js';
import { CommandError, defineCommand } from '../command.js';
import { credentialKeyRepository, keyList, keyLogger, ownerOf, OWNER_FLAGS } from '../key-repositories.js';
import { withDatabase } from '../with-database.js';

export const credentialRotate = defineCommand({
  help: 'Rotate the [credential] keys. Refused while a credential is not encrypted with the primary key (run credential_migrate first).',
  flags: OWNER_FLAGS,
  async run({ conf, flags, out }) {
    const repo = credentialKeyRepository(conf);
    repo.checkAccess(true);
    await withDatabase(conf, async ({ db }) => {
      const stale = await new CredentialKeyMigration(db, new CredentialCrypto(repo, keyLogger)).countNotUnderPrimaryKey();
      if (stale > 0) {
        throw new CommandError(
          'Unable to rotate credential keys because not all credentials are encrypted with the primary key. Please make sure all credentials have been encrypted with the primary key using `keystone-manage credential_migrate`.',
        );
      }
    });
    const r = repo.rotate(ownerOf(flags));
    out(
      `Rotated credential keys in ${repo.path}: primary ${r.primary}${r.purged.length ? `, purged ${keyList(r.purged)}` : ''}; keys ${keyList(r.keyIds)}`,
    );
    return 0;
  },
});
