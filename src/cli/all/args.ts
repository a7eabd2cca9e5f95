/** keystone-all's command line: the global options and the one command, `start` (the default). */
import type { ConfigSources } from '../../config/load-config.js';
import { configSourcesOf, parseGlobalArgs } from '../global-args.js';

export const PROGRAM = 'keystone-all';

export const USAGE = `usage: ${PROGRAM} [--config-file PATH]... [--config-dir DIR]... [--debug] start

Runs the Keystone public and admin services in the foreground: a primary
process and its keystone-public / keystone-admin workers.

  --config-file PATH   A keystone.conf to read (repeatable; later files override earlier ones).
  --config-dir DIR     Read every *.conf in DIR, in name order (repeatable).
  --debug, -d          Log at debug level.
  --help, -h           Show this help.

Signals: SIGTERM/SIGINT drain and stop; SIGHUP reloads the configuration and
replaces the workers one at a time; SIGUSR1 reopens log files.`;

export type StartArgs =
  | { kind: 'help' }
  | { kind: 'start'; sources: ConfigSources; debug: boolean }
  /** not `start`: the arguments as given */
  | { kind: 'unknown'; given: string };

/** Throws a UsageError for a global option without its value. */
export function parseStartArgs(argv: readonly string[]): StartArgs {
  const args = parseGlobalArgs(argv);
  if (args.help) return { kind: 'help' };
  const command = args.rest[0] ?? 'start';
  if (command !== 'start' || args.rest.length > 1) return { kind: 'unknown', given: args.rest.join(' ') };
  return { kind: 'start', sources: configSourcesOf(args), debug: args.debug };
}
