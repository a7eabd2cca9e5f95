/**
 * keystone-all's primary process (title `keystone-all`), from the command
 * line to the supervised workers: keystone.conf loaded (a bad value stops
 * start-up with one line naming section, option and value; warnings are
 * logged once), the ports resolved (ports.ts), the database readied
 * (database-startup.ts, with the first run), then the workers forked and
 * supervised (supervisor.ts).
 */
import type { KeystoneConfig } from '../../config/options.js';
import { configureLogging, log } from '../../log/logger.js';
import { closeDatabases, resolveDatabaseTarget, type DatabaseTarget } from '../../storage/database.js';
import type { EmbeddedHost } from '../../storage/embedded-host.js';
import { describeError, loadCliConfig, oneLine, type CliConfig } from '../cli-config.js';
import { parseStartArgs, PROGRAM, USAGE } from './args.js';
import { startDatabase, StartupError, type DatabaseStartup } from './database-startup.js';
import { resolvePorts, type Endpoints } from './ports.js';
import { Supervisor } from './supervisor.js';
import { desiredWorkers } from './worker-counts.js';

/** @param entry the script the workers are forked from (dist/src/cli/keystone-all.js) */
export async function primaryMain(argv: string[], entry: string): Promise<void> {
  const args = parseStartArgs(argv);
  if (args.kind === 'help') {
    process.stdout.write(USAGE + '\n');
    return;
  }
  if (args.kind === 'unknown') {
    process.stderr.write(`${USAGE}\n${PROGRAM}: unknown command or argument ${JSON.stringify(args.given)}\n`);
    process.exit(2);
  }
  const { sources, debug } = args;
  let config: CliConfig;
  try {
    config = loadCliConfig(sources, debug);
  } catch (err) {
    process.stderr.write(`${PROGRAM}: ${oneLine(describeError(err))}\n`);
    process.exit(1);
  }
  process.title = PROGRAM;
  const conf: KeystoneConfig = config.conf;
  configureLogging(conf, PROGRAM);
  for (const w of config.warnings) log.warn(w);
  if (conf.DEFAULT.admin_token)
    log.warn('[DEFAULT] admin_token is set: anyone who knows it has full access. Remove it once bootstrapped (keystone-manage bootstrap).');

  let host: EmbeddedHost | undefined;
  const fail = async (message: string): Promise<never> => {
    process.stderr.write(`${PROGRAM}: ${oneLine(message)}\n`);
    await closeDatabases().catch(() => undefined);
    await host?.stop().catch(() => undefined);
    process.exit(1);
  };

  let target: DatabaseTarget;
  try {
    target = resolveDatabaseTarget(conf);
  } catch (err) {
    return fail(`[database] connection: ${(err as Error).message}`);
  }
  let endpoints: Endpoints;
  try {
    endpoints = await resolvePorts(conf);
  } catch (err) {
    return fail(`cannot bind the configured address: ${(err as Error).message}`);
  }
  let database: DatabaseStartup;
  try {
    database = await startDatabase(conf, target, desiredWorkers(conf), endpoints, (h) => {
      host = h;
    });
  } catch (err) {
    if (err instanceof StartupError) return fail(err.message);
    return fail(describeError(err));
  }

  new Supervisor({ conf, sources, debug, endpoints, entry, host: database.host, firstRun: database.firstRun }).start();
}
