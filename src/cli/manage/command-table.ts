/**
 * keystone-manage's commands by Keystone's names, in the order --help lists them. Each is loaded when it
 * runs: a command imports only what it uses (db_version does not load the HTTP server, the policy engine or
 * SAML), which keeps a keystone-manage run's start-up to what its command needs.
 */
import type { Command } from './command.js';

const COMMANDS: Readonly<Record<string, () => Promise<Command>>> = {
  db_sync: async () => (await import('./commands/db-sync.js')).dbSync,
  db_version: async () => (await import('./commands/db-version.js')).dbVersion,
  db_import: async () => (await import('./commands/db-import.js')).dbImport,
  bootstrap: async () => (await import('./commands/bootstrap.js')).bootstrap,
  fernet_setup: async () => (await import('./commands/fernet-setup.js')).fernetSetup,
  fernet_rotate: async () => (await import('./commands/fernet-rotate.js')).fernetRotate,
  token_setup: async () => (await import('./commands/token-setup.js')).tokenSetup,
  token_rotate: async () => (await import('./commands/token-rotate.js')).tokenRotate,
  receipt_setup: async () => (await import('./commands/receipt-setup.js')).receiptSetup,
  receipt_rotate: async () => (await import('./commands/receipt-rotate.js')).receiptRotate,
  credential_setup: async () => (await import('./commands/credential-setup.js')).credentialSetup,
  credential_rotate: async () => (await import('./commands/credential-rotate.js')).credentialRotate,
  credential_migrate: async () => (await import('./commands/credential-migrate.js')).credentialMigrate,
  create_jws_keypair: async () => (await import('./commands/create-jws-keypair.js')).createJwsKeypairCommand,
  token_flush: async () => (await import('./commands/token-flush.js')).tokenFlush,
  trust_flush: async () => (await import('./commands/trust-flush.js')).trustFlush,
  domain_config_upload: async () => (await import('./commands/domain-config-upload.js')).domainConfigUpload,
  mapping_engine: async () => (await import('./commands/mapping-engine.js')).mappingEngine,
  mapping_populate: async () => (await import('./commands/mapping-populate.js')).mappingPopulate,
  mapping_purge: async () => (await import('./commands/mapping-purge.js')).mappingPurge,
  saml_idp_metadata: async () => (await import('./commands/saml-idp-metadata.js')).samlIdpMetadata,
  policy_generator: async () => (await import('./commands/policy-generator.js')).policyGenerator,
  doctor: async () => (await import('./commands/doctor.js')).doctor,
};

/** The commands' names, in the order --help lists them. */
export const COMMAND_NAMES: readonly string[] = Object.keys(COMMANDS);

export function findCommand(name: string): Promise<Command> | undefined {
  return Object.hasOwn(COMMANDS, name) ? COMMANDS[name]() : undefined;
}

/** Every command, loaded (for the program's --help). */
export function loadCommands(): Promise<(readonly [string, Command])[]> {
  return Promise.all(Object.entries(COMMANDS).map(async ([name, load]) => [name, await load()] as const));
}
