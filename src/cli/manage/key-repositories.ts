/**
 * The key repositories the key commands (fernet_*, credential_*) and doctor
 * work on, the owner flags of the commands that write keys, and how key
 * lists are printed.
 */
import type { KeystoneConfig } from '../../config/options.js';
import { log } from '../../log/logger.js';
import { KeyRepository, type KeyOwner, type KeyRepositoryLogger } from '../../token/fernet/key-repository.js';
import { credentialRepository } from '../../credential/credential-crypto.js';
import type { FlagValues } from './command.js';

/** The key repository's notes go to the debug log: the command prints its own result. */
export const keyLogger: KeyRepositoryLogger = {
  warn: (m) => log.warn(m),
  info: (m) => log.debug(m),
  debug: (m) => log.debug(m),
};

export function tokenKeyRepository(conf: KeystoneConfig): KeyRepository {
  return new KeyRepository({
    path: conf.fernet_tokens.key_repository,
    maxActiveKeys: conf.fernet_tokens.max_active_keys,
    configGroup: 'fernet_tokens',
    logger: keyLogger,
  });
}

export function receiptKeyRepository(conf: KeystoneConfig): KeyRepository {
  return new KeyRepository({
    path: conf.fernet_receipts.key_repository,
    maxActiveKeys: conf.fernet_receipts.max_active_keys,
    configGroup: 'fernet_receipts',
    logger: keyLogger,
  });
}

/** [fernet_tokens], and [fernet_receipts] when it is another directory: what fernet_setup and fernet_rotate work on. */
export function fernetKeyRepositories(conf: KeystoneConfig): KeyRepository[] {
  const repos = [tokenKeyRepository(conf)];
  if (conf.fernet_receipts.key_repository !== conf.fernet_tokens.key_repository) repos.push(receiptKeyRepository(conf));
  return repos;
}

export function credentialKeyRepository(conf: KeystoneConfig): KeyRepository {
  return credentialRepository(conf.credential.key_repository, keyLogger);
}

export const OWNER_FLAGS = {
  'keystone-user': { type: 'string', help: 'The user (name or uid) that will own the key files.' },
  'keystone-group': { type: 'string', help: 'The group (name or gid) that will own the key files.' },
} as const;

export function ownerOf(flags: FlagValues<typeof OWNER_FLAGS>): KeyOwner {
  const owner: KeyOwner = {};
  const u = flags['keystone-user'];
  const g = flags['keystone-group'];
  if (u !== undefined) owner.keystoneUser = /^\d+$/.test(u) ? Number(u) : u;
  if (g !== undefined) owner.keystoneGroup = /^\d+$/.test(g) ? Number(g) : g;
  return owner;
}

export function keyList(ids: readonly number[]): string {
  return ids
    .slice()
    .sort((a, b) => a - b)
    .join(', ');
}
