/**
 * keystone-manage's command line: the global options (src/cli/global-args.ts),
 * the command and its flags (command-flags.ts), keystone.conf, then the
 * command; every failure is one line on stderr and an exit status (2 for a
 * usage error, 1 otherwise unless the command says).
 */
import { configureLogging, log } from '../../log/logger.js';
import { EmbeddedDatabaseBusyError } from '../../storage/embedded-host.js';
import { KeyRepositoryError } from '../../token/fernet/key-repository.js';
import { describeError, loadCliConfig, oneLine, type CliConfig } from '../cli-config.js';
import { configSourcesOf, parseGlobalArgs, type ParsedArgs } from '../global-args.js';
import { CommandError, type FlagValues } from './command.js';
import { parseCommandFlags } from './command-flags.js';
import { COMMAND_NAMES, findCommand } from './command-table.js';
import { commandUsage, PROGRAM, programUsage } from './usage.js';

/** Runs keystone-manage with `argv` (without node and the script); resolves with the exit status. */
export async function main(argv: string[] = process.argv.slice(2)): Promise<number> {
  const out = (line: string) => process.stdout.write(line + '\n');
  const fail = (message: string, code = 1): number => {
    process.stderr.write(`${PROGRAM}: ${oneLine(message)}\n`);
    return code;
  };
  let args: ParsedArgs;
  try {
    args = parseGlobalArgs(argv);
  } catch (err) {
    return fail((err as Error).message, 2);
  }
  const [name, ...rest] = args.rest;
  if (!name) {
    if (args.help) {
      out(await programUsage());
      return 0;
    }
    process.stderr.write((await programUsage()) + '\n');
    return fail('a command is required', 2);
  }
  const loading = findCommand(name);
  if (!loading) return fail(`unknown command ${JSON.stringify(name)}; commands: ${COMMAND_NAMES.join(', ')}`, 2);
  const command = await loading;
  if (args.help) {
    out(commandUsage(name, command));
    return 0;
  }
  let flags: FlagValues<typeof command.flags>;
  try {
    flags = parseCommandFlags(name, command.flags, rest);
  } catch (err) {
    return fail((err as Error).message, 2);
  }
  let config: CliConfig;
  try {
    config = loadCliConfig(configSourcesOf(args), args.debug);
  } catch (err) {
    return fail(describeError(err));
  }
  configureLogging(config.conf, PROGRAM, { handleSignals: false, checkIntervalMs: 0 });
  if (name !== 'doctor') for (const w of config.warnings) log.warn(w);
  try {
    return await command.run({ config, conf: config.conf, flags, out });
  } catch (err) {
    if (err instanceof CommandError) return fail(err.message, err.exitCode);
    if (err instanceof KeyRepositoryError || err instanceof EmbeddedDatabaseBusyError) return fail(err.message);
    if (args.debug && err instanceof Error && err.stack) log.debug(err.stack);
    return fail(describeError(err));
  }
}
