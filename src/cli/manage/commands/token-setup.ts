import { defineCommand } from '../command.js';
import { keyList, ownerOf, OWNER_FLAGS, tokenKeyRepository } from '../key-repositories.js';

export const tokenSetup = defineCommand({
  help: 'Create the [fernet_tokens] key repository (tokens only, as Keystone 22) with a staged and a primary key (nothing changes when it is already set up).',
  flags: OWNER_FLAGS,
  run({ conf, flags, out }) {
    const repo = tokenKeyRepository(conf);
    const r = repo.setup(ownerOf(flags));
    out(
      r.created
        ? `Created token keys in ${repo.path}: ${keyList(r.keyIds)}`
        : `Key repository ${repo.path} is already initialized (keys ${keyList(r.keyIds)}); nothing changed.`,
    );
    return 0;
  },
});
