import { defineCommand } from '../command.js';
import { fernetKeyRepositories, keyList, ownerOf, OWNER_FLAGS } from '../key-repositories.js';

export const fernetRotate = defineCommand({
  help: 'Rotate the [fernet_tokens] keys: the staged key 0 becomes the primary, a new staged key is written, the oldest keys beyond max_active_keys are removed.',
  flags: OWNER_FLAGS,
  run({ conf, flags, out }) {
    const owner = ownerOf(flags);
    for (const repo of fernetKeyRepositories(conf)) {
      const r = repo.rotate(owner);
      out(
        `Rotated Fernet keys in ${repo.path}: primary ${r.primary}${r.purged.length ? `, purged ${keyList(r.purged)}` : ''}; keys ${keyList(r.keyIds)}`,
      );
    }
    return 0;
  },
});
