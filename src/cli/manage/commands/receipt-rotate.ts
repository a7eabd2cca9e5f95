import { defineCommand } from '../command.js';
import { keyList, ownerOf, OWNER_FLAGS, receiptKeyRepository } from '../key-repositories.js';

export const receiptRotate = defineCommand({
  help: 'Rotate the [fernet_receipts] keys (MFA auth receipts only, as Keystone 22): the staged key 0 becomes the primary, a new staged key is written, the oldest keys beyond max_active_keys are removed.',
  flags: OWNER_FLAGS,
  run({ conf, flags, out }) {
    const repo = receiptKeyRepository(conf);
    const r = repo.rotate(ownerOf(flags));
    out(
      `Rotated receipt keys in ${repo.path}: primary ${r.primary}${r.purged.length ? `, purged ${keyList(r.purged)}` : ''}; keys ${keyList(r.keyIds)}`,
    );
    return 0;
  },
});
