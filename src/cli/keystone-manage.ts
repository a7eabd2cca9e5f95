/**
 * keystone-manage: Keystone's administrative commands, with Keystone's names
 * and flags.
 *
 *   keystone-manage [--config-file F]… [--config-dir D]… [--debug] <command> [options]
 *
 *   db_sync [--check]         apply the migrations (a second run is a no-op);
 *                             --check exits 0 when current, 2 when a sync is needed
 *   db_version                print the schema version
 *   bootstrap [--bootstrap-*] the default domain, roles, admin user/project, identity service
 *   fernet_setup / fernet_rotate [--keystone-user U] [--keystone-group G]   token and receipt keys
 *   token_setup / token_rotate, receipt_setup / receipt_rotate [--keystone-user U] [--keystone-group G]
 *                             one repository each ([fernet_tokens], [fernet_receipts])
 *   credential_setup / credential_rotate / credential_migrate [--keystone-user U] [--keystone-group G]
 *   token_flush               delete expired rows of the token table (UUID tokens)
 *   trust_flush               purge expired and soft-deleted trusts
 *   policy_generator [--output-file F]  print the effective policy (defaults under policy.yaml) as YAML
 *   doctor                    report configuration, key repository, database and cache problems
 *
 * Exit status 0 on success; on failure one line on stderr naming what is wrong.
 * Against the embedded database (empty [database] connection or pglite://)
 * it goes through the running keystone-all that hosts it (its socket), or,
 * when none runs, opens the data directory itself: the same commands and the
 * same output either way (src/cli/cli-database.ts).
 *
 * The program lives in src/cli/manage/: main.ts (the command line),
 * command-table.ts, one file per command under commands/, doctor/.
 */
import { describeError, oneLine } from './cli-config.js';
import { invokedDirectly } from './invoked-directly.js';
import { main } from './manage/main.js';
import { PROGRAM } from './manage/usage.js';

export { main };

/** Runs main and exits with its status (bin/keystone-manage and `node dist/src/cli/keystone-manage.js`). */
export function run(argv: string[] = process.argv.slice(2)): void {
  main(argv).then(
    (code) => {
      process.exitCode = code;
      // pools, watchers and timers must not keep a finished command alive
      setTimeout(() => process.exit(code), 50).unref();
    },
    (err: unknown) => {
      process.stderr.write(`${PROGRAM}: ${oneLine(describeError(err))}\n`);
      process.exit(1);
    },
  );
}

if (invokedDirectly(import.meta.url)) run();
