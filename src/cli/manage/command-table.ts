/** keystone-manage's commands by Keystone's names, in the order --help lists them. */
import type { Command } from './command.js';
import { bootstrap } from './commands/bootstrap.js';
import { credentialMigrate } from './commands/credential-migrate.js';
import { credentialRotate } from './commands/credential-rotate.js';
import { credentialSetup } from './commands/credential-setup.js';
import { createJwsKeypairCommand } from './commands/create-jws-keypair.js';
import { dbImport } from './commands/db-import.js';
import { dbSync } from './commands/db-sync.js';
import { dbVersion } from './commands/db-version.js';
import { doctor } from './commands/doctor.js';
import { domainConfigUpload } from './commands/domain-config-upload.js';
import { fernetRotate } from './commands/fernet-rotate.js';
import { fernetSetup } from './commands/fernet-setup.js';
import { mappingEngine } from './commands/mapping-engine.js';
import { mappingPopulate } from './commands/mapping-populate.js';
import { mappingPurge } from './commands/mapping-purge.js';
import { policyGenerator } from './commands/policy-generator.js';
import { receiptRotate } from './commands/receipt-rotate.js';
import { receiptSetup } from './commands/receipt-setup.js';
import { tokenRotate } from './commands/token-rotate.js';
import { tokenSetup } from './commands/token-setup.js';
import { tokenFlush } from './commands/token-flush.js';
import { trustFlush } from './commands/trust-flush.js';

export const COMMANDS: Readonly<Record<string, Command>> = {
  db_sync: dbSync,
  db_version: dbVersion,
  db_import: dbImport,
  bootstrap,
  fernet_setup: fernetSetup,
  fernet_rotate: fernetRotate,
  token_setup: tokenSetup,
  token_rotate: tokenRotate,
  receipt_setup: receiptSetup,
  receipt_rotate: receiptRotate,
  credential_setup: credentialSetup,
  credential_rotate: credentialRotate,
  credential_migrate: credentialMigrate,
  create_jws_keypair: createJwsKeypairCommand,
  token_flush: tokenFlush,
  trust_flush: trustFlush,
  domain_config_upload: domainConfigUpload,
  mapping_engine: mappingEngine,
  mapping_populate: mappingPopulate,
  mapping_purge: mappingPurge,
  policy_generator: policyGenerator,
  doctor,
};

export function findCommand(name: string): Command | undefined {
  return Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
}
