/**
 * The database, before any worker is forked: the embedded one hosted here
 * (under state_path, served to the workers on a unix socket and named in the
 * data directory's lock file for keystone-manage), or PostgreSQL reached;
 * the first run done on a fresh embedded database (first-run.ts); the Fernet
 * keys checked readable (the JWS key files present, before anything else);
 * and a schema older than the code refused.
 */
import type { KeystoneConfig } from '../../config/options.js';
import { log } from '../../log/logger.js';
import { closeDatabases, openDatabase, type DatabaseTarget } from '../../storage/database.js';
import { CLI_CONNECTION_SLOTS, EmbeddedDatabaseBusyError, type EmbeddedHost } from '../../storage/embedded-host.js';
import { assertSchemaCurrent, currentSchemaVersion } from '../../storage/migrator.js';
import { KeyRepository, KeyRepositoryError } from '../../token/fernet/key-repository.js';
import { jwsKeyProblem } from '../../token/jws/jws-keys.js';
import { oneLine } from '../cli-config.js';
import { describeTarget, hostEmbeddedDatabase, waitForDatabase } from '../cli-database.js';
import { ensureKeyRepositories, runFirstRun, type FirstRun } from './first-run.js';
import type { Endpoints, ServiceName } from './ports.js';

/** A reason keystone-all does not start, told in one line. */
export class StartupError extends Error {}

export interface DatabaseStartup {
  /** the embedded database's host (embedded target), in this process */
  host?: EmbeddedHost;
  /** set when this start was the first run */
  firstRun: FirstRun | null;
}

const retryNote = (conf: KeystoneConfig, attempt: number) =>
  `retry ${attempt}${conf.database.max_retries === -1 ? '' : ` of ${conf.database.max_retries}`} in ${conf.database.retry_interval} s`;

/**
 * Readies the database for the workers. On failure (a StartupError, or
 * anything unexpected) the host, when one was started, is in `onHost`'s hands:
 * the caller stops it.
 */
export async function startDatabase(
  conf: KeystoneConfig,
  target: DatabaseTarget,
  workers: Record<ServiceName, number>,
  endpoints: Endpoints,
  onHost: (host: EmbeddedHost) => void,
): Promise<DatabaseStartup> {
  if (conf.token.provider === 'jws') {
    // Keystone's JWS provider refuses to start without its key files, in these words (before any database work).
    const problem = jwsKeyProblem({
      publicRepository: conf.jwt_tokens.jws_public_key_repository,
      privateRepository: conf.jwt_tokens.jws_private_key_repository,
    });
    if (problem) throw new StartupError(problem);
  }
  let host: EmbeddedHost | undefined;
  let firstRun: FirstRun | null = null;
  if (target.kind === 'embedded') {
    try {
      // 4 per worker (+2 for SIGHUP's replacements), 4 for this process, and room for keystone-manage beside them
      host = await hostEmbeddedDatabase(
        conf,
        target.dataDir,
        (workers.public + workers.admin + 2) * 4 + 4 + CLI_CONNECTION_SLOTS,
        (attempt, err) => log.warn(`${err.message.replace(/; try again.*$/, '')}; ${retryNote(conf, attempt)}`),
      );
    } catch (err) {
      if (err instanceof EmbeddedDatabaseBusyError) throw new StartupError(err.message);
      throw new StartupError(`cannot open the embedded database at ${target.dataDir}: ${(err as Error).message}`);
    }
    onHost(host);
  }
  const db = openDatabase(conf, { embeddedSocketDir: host?.socketDir, poolSize: 2 });
  try {
    await waitForDatabase(db, conf, (attempt, err) =>
      log.warn(`database not reachable (${oneLine(err.message)}); ${retryNote(conf, attempt)}`),
    );
  } catch (err) {
    throw new StartupError(`Cannot connect to ${describeTarget(target)}: ${oneLine((err as Error).message)}`);
  }
  if (target.kind === 'embedded' && host) {
    const fresh = host.created || (await currentSchemaVersion(db)) === 0;
    ensureKeyRepositories(conf);
    if (fresh) firstRun = await runFirstRun(conf, db, target.dataDir, host.socketDir, endpoints);
  } else if (conf.token.provider === 'fernet') {
    try {
      new KeyRepository({
        path: conf.fernet_tokens.key_repository,
        maxActiveKeys: conf.fernet_tokens.max_active_keys,
        configGroup: 'fernet_tokens',
      }).loadKeysSync();
    } catch (err) {
      if (err instanceof KeyRepositoryError) throw new StartupError(err.message);
      throw err;
    }
  }
  try {
    await assertSchemaCurrent(db);
  } catch (err) {
    throw new StartupError(`refusing to start: ${(err as Error).message}`);
  }
  await closeDatabases();
  return { host, firstRun };
}
