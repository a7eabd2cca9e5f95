import { defineCommand } from '../command.js';
import { fernetKeyRepositories, keyList, ownerOf, OWNER_FLAGS } from '../key-repositories.js';

export const fernetSetup = defineCommand({
  help: 'Create the [fernet_tokens] key repository with a staged and a primary key (nothing changes when it is already set up).',
  flags: OWNER_FLAGS,
  run({ conf, flags, out }) {
    const owner = ownerOf(flags);
    for (const repo of fernetKeyRepositories(conf)) {
      const r = repo.setup(owner);
      out(
        r.created
          ? `Created Fernet keys in ${repo.path}: ${keyList(r.keyIds)}`
          : `Key repository ${repo.path} is already initialized (keys ${keyList(r.keyIds)}); nothing changed.`,
      );
    }
    return 0;
  },
});
