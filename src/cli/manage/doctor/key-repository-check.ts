import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { KeystoneConfig } from '../../../config/options.js';
import { credentialRepository } from '../../../credential/credential-crypto.js';
import type { KeyRepository } from '../../../token/fernet/key-repository.js';
import { receiptKeyRepository, tokenKeyRepository } from '../key-repositories.js';

/** The Fernet token (when the provider is fernet), receipt (when apart) and credential key repositories. */
export function keyRepositoryProblems(conf: KeystoneConfig): string[] {
  const problems: string[] = [];
  if (conf.token.provider === 'fernet') checkKeyRepository(tokenKeyRepository(conf), 'keystone-manage fernet_setup', problems);
  if (conf.fernet_receipts.key_repository !== conf.fernet_tokens.key_repository)
    checkKeyRepository(receiptKeyRepository(conf), 'keystone-manage fernet_setup', problems);
  checkKeyRepository(credentialRepository(conf.credential.key_repository), 'keystone-manage credential_setup', problems);
  return problems;
}

/** Readable, private (0700 / 0600), a staged and a primary key, no more than max_active_keys, every key valid. */
function checkKeyRepository(repo: KeyRepository, setupCommand: string, problems: string[]): void {
  const label = `[${repo.configGroup}] key_repository ${repo.path}`;
  try {
    repo.checkAccess(false);
  } catch (err) {
    problems.push(`${label}: ${(err as Error).message}`);
    return;
  }
  const st = statSync(repo.path);
  if (st.mode & 0o077)
    problems.push(
      `${label}: directory mode is ${(st.mode & 0o777).toString(8).padStart(4, '0')}; it should be 0700 (only keystone may read keys).`,
    );
  const ids = repo.keyIds();
  if (ids.length === 0) {
    problems.push(`${label}: contains no keys; run \`${setupCommand}\`.`);
    return;
  }
  if (!ids.includes(0)) problems.push(`${label}: has no staged key 0; the next rotation cannot promote it.`);
  if (ids.length < 2) problems.push(`${label}: has ${ids.length} key(s); a staged and a primary key (at least 2) are needed.`);
  if (ids.length > repo.maxActiveKeys)
    problems.push(`${label}: has ${ids.length} keys, more than max_active_keys (${repo.maxActiveKeys}).`);
  for (const name of readdirSync(repo.path)) {
    if (!/^\d+$/.test(name)) continue;
    const m = statSync(join(repo.path, name)).mode & 0o777;
    if (m & 0o077) problems.push(`${label}: key file ${name} has mode ${m.toString(8).padStart(4, '0')}; it should be 0600.`);
  }
  try {
    repo.loadKeysSync();
  } catch (err) {
    problems.push(`${label}: ${(err as Error).message}`);
  }
}
