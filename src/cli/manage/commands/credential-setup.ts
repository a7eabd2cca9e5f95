import { defineCommand } from '../command.js';
import { credentialKeyRepository, keyList, ownerOf, OWNER_FLAGS } from '../key-repositories.js';

export const credentialSetup = defineCommand({
  help: 'Create the [credential] key repository (nothing changes when it is already set up).',
  flags: OWNER_FLAGS,
  run({ conf, flags, out }) {
    const repo = credentialKeyRepository(conf);
    const r = repo.setup(ownerOf(flags));
    out(
      r.created
        ? `Created credential keys in ${repo.path}: ${keyList(r.keyIds)}`
        : `Key repository ${repo.path} is already initialized (keys ${keyList(r.keyIds)}); nothing changed.`,
    );
    return 0;
  },
});
