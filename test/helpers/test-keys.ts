/** Key repositories for tests (fernet tokens, receipts and credentials), made by the real setup code (keystone-manage fernet_setup / credential_setup). */
import type { KeystoneConfig } from '../../src/config/options.js';
import { KeyRepository } from '../../src/token/fernet/key-repository.js';

export function prepareKeyRepositories(conf: KeystoneConfig): void {
  new KeyRepository({
    path: conf.fernet_tokens.key_repository,
    maxActiveKeys: conf.fernet_tokens.max_active_keys,
    configGroup: 'fernet_tokens',
  }).setup();
  if (conf.fernet_receipts.key_repository !== conf.fernet_tokens.key_repository) {
    new KeyRepository({
      path: conf.fernet_receipts.key_repository,
      maxActiveKeys: conf.fernet_receipts.max_active_keys,
      configGroup: 'fernet_receipts',
    }).setup();
  }
  new KeyRepository({ path: conf.credential.key_repository, maxActiveKeys: 3, configGroup: 'credential' }).setup();
}
