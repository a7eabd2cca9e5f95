/**
 * The pg-promise database every repository uses, for PostgreSQL and for the
 * embedded PGlite (served over a unix socket by src/storage/embedded-host.ts,
 * so that both take the same code path).
 */
import pgPromise from 'pg-promise';
import { resolve } from 'node:path';
import type { KeystoneConfig } from '../config/options.js';
import { log } from '../log/logger.js';
import { messageOf } from '../common/errors.js';

/** SQL statements this process has sent (diagnostics and the tests that count statements per request). */
export const sqlStatements = { sent: 0 };

export const pgp = pgPromise({
  capSQL: true,
  query() {
    sqlStatements.sent++;
  },
  error(err, e) {
    // Connection-level errors (database restarted) are expected; the pool reconnects by itself.
    if (e.cn) log.warn(`database connection error: ${messageOf(err)}`);
  },
});
// bigint counts and serials as numbers: every value of ours fits in 2^53.
pgp.pg.types.setTypeParser(pgp.pg.types.builtins.INT8, (v: string) => Number(v));

export type Database = pgPromise.IDatabase<object>;
export type Queryable = pgPromise.ITask<object> | Database;

export type DatabaseTarget = { kind: 'postgres'; connectionString: string } | { kind: 'embedded'; dataDir: string };

/** Where [database] connection points: PostgreSQL, or the embedded PGlite under state_path. */
export function resolveDatabaseTarget(conf: KeystoneConfig): DatabaseTarget {
  const connection = (conf.database.connection ?? '').trim();
  if (connection === '') return { kind: 'embedded', dataDir: resolve(conf.DEFAULT.state_path, 'pglite') };
  if (connection.startsWith('pglite://')) return { kind: 'embedded', dataDir: resolve(connection.slice('pglite://'.length)) };
  const m = /^(postgres(?:ql)?)(\+[a-z0-9_]+)?:\/\//i.exec(connection);
  if (!m)
    throw new Error(
      `Unsupported [database] connection ${JSON.stringify(connection.replace(/\/\/[^@]*@/, '//***@'))}: use postgresql://… or pglite://PATH`,
    );
  return { kind: 'postgres', connectionString: 'postgresql://' + connection.slice(m[0].length) };
}

export interface OpenDatabaseOptions {
  /** the directory holding the embedded host's .s.PGSQL.5432 socket */
  embeddedSocketDir?: string;
  poolSize?: number;
}

const openDatabases = new Map<string, Database>();

/** One pg-promise database per connection target per process. */
export function openDatabase(conf: KeystoneConfig, options: OpenDatabaseOptions = {}): Database {
  const target = resolveDatabaseTarget(conf);
  const poolSize = options.poolSize ?? conf.database.max_pool_size;
  const common = {
    max: poolSize,
    idleTimeoutMillis: conf.database.connection_recycle_time * 1000,
    connectionTimeoutMillis: 5000,
    query_timeout: conf.database.query_timeout * 1000,
    application_name: `keystone-${process.pid}`,
  };
  let cn: Record<string, unknown>;
  if (target.kind === 'postgres') {
    cn = { connectionString: target.connectionString, ...common };
  } else {
    if (!options.embeddedSocketDir) throw new Error('the embedded database is served by keystone-all; no socket directory was given');
    // PGlite's multiplexer serialises queries: a couple of connections per worker is plenty.
    cn = {
      host: options.embeddedSocketDir,
      port: 5432,
      database: 'postgres',
      user: 'postgres',
      ...common,
      max: Math.min(poolSize, 4),
      query_timeout: undefined,
    };
  }
  const key = JSON.stringify(cn);
  let db = openDatabases.get(key);
  if (!db) {
    db = pgp(cn);
    openDatabases.set(key, db);
  }
  return db;
}

/** One round trip: resolves when the database answers a query, rejects with the connection's error otherwise. */
export async function ping(db: Queryable): Promise<void> {
  await db.one('SELECT 1 AS ok');
}

export async function closeDatabases(): Promise<void> {
  const dbs = [...openDatabases.values()];
  openDatabases.clear();
  // Wait until every client has really closed (pgp.end() does not), so that a
  // database dropped or restarted right after cannot kill a client that no
  // longer has an error listener.
  await Promise.all(
    dbs.map(async (db) => {
      const pool = db.$pool;
      pool.on('error', () => undefined);
      if (!pool.ending) await pool.end().catch(() => undefined);
    }),
  );
  pgp.end();
}

/** One round trip to the database: resolves when `SELECT 1` was answered. */
export async function pingDatabase(db: Pick<Database, 'one'>): Promise<void> {
  await db.one('SELECT 1 AS ok');
}

const UNAVAILABLE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ENOENT', 'ETIMEDOUT', 'EPIPE', '57P01', '57P02', '57P03', '53300']);

/** True when an error means "the database cannot be reached right now" (answered 503), not a bug. */
export function isDatabaseUnavailable(err: unknown): boolean {
  if (!err || typeof err !== 'object') return false;
  // pg-promise's QueryResultError carries a numeric code: only a driver's or the server's string code says "unavailable"
  const e = err as { code?: unknown; message?: unknown };
  if (typeof e.code === 'string' && (UNAVAILABLE_CODES.has(e.code) || e.code.startsWith('08'))) return true;
  const msg = typeof e.message === 'string' ? e.message : '';
  return /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|connect ECONNREFUSED|Query read timeout/i.test(
    msg,
  );
}
