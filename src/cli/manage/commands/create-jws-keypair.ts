import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { resolveOwner } from '../../../token/fernet/key-repository.js';
import { createJwsKeypair } from '../../../token/jws/jws-keypair.js';
import { CommandError, defineCommand } from '../command.js';
import { keyLogger, ownerOf, OWNER_FLAGS } from '../key-repositories.js';

/**
 * Keystone's create_jws_keypair: private.pem and public.pem written in the directory the command runs in
 * (move or copy them into [jwt_tokens] jws_private_key_repository and jws_public_key_repository); an
 * existing file is kept unless --force. With --keystone-user and --keystone-group both given, the files
 * are chown'ed to them (Keystone accepts the flags and leaves ownership alone).
 */
export const createJwsKeypairCommand = defineCommand({
  help: 'Create a key pair (private.pem, public.pem) in the current directory for signing and validating JWS tokens.',
  flags: {
    ...OWNER_FLAGS,
    force: { type: 'boolean', help: 'Forcibly overwrite keys if they already exist' },
  },
  run({ flags, out }) {
    const cwd = process.cwd();
    const privatePath = join(cwd, 'private.pem');
    const publicPath = join(cwd, 'public.pem');
    if (isFile(privatePath) && !flags.force) throw new CommandError(`Private key ${privatePath} already exists`);
    if (isFile(publicPath) && !flags.force) throw new CommandError(`Public key ${publicPath} already exists`);
    createJwsKeypair(privatePath, publicPath, resolveOwner(ownerOf(flags), keyLogger));
    out(`Created a JWS key pair: ${privatePath}, ${publicPath}`);
    return 0;
  },
});

function isFile(path: string): boolean {
  return existsSync(path) && statSync(path).isFile();
}
