/**
 * The database a command works on: PostgreSQL through pg-promise, or the
 * embedded PGlite. For the embedded one there is one writer: while a
 * keystone-all runs on the data directory, a command goes through the socket
 * that keystone-all serves it on to its workers (named in the directory's
 * lock file, see src/storage/embedded-host.ts); otherwise it opens the
 * directory itself (startEmbeddedHost), and a keystone-all started meanwhile
 * waits for the command to finish (hostEmbeddedDatabase) or says why not.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { KeystoneConfig } from '../config/options.js';
import { closeDatabases, openDatabase, ping, resolveDatabaseTarget, type Database, type DatabaseTarget } from '../storage/database.js';
import {
  CLI_POOL_SIZE,
  EmbeddedDatabaseBusyError,
  processAlive,
  readEmbeddedLock,
  startEmbeddedHost,
  type EmbeddedHost,
  type EmbeddedLock,
} from '../storage/embedded-host.js';
import { log } from '../log/logger.js';

export interface CliDatabase {
  db: Database;
  target: DatabaseTarget;
  host?: EmbeddedHost;
  /** the running keystone-all whose socket the command goes through (embedded database in use) */
  server?: EmbeddedLock;
  /** the embedded data directory was created by this call */
  created: boolean;
  close(): Promise<void>;
}

export class DatabaseUnreachableError extends Error {}

/** A clear, one-line description of the target (no password). */
export function describeTarget(target: DatabaseTarget): string {
  if (target.kind === 'embedded') return `the embedded database at ${target.dataDir}`;
  try {
    const u = new URL(target.connectionString);
    return `PostgreSQL at ${u.hostname}${u.port ? ':' + u.port : ''}${u.pathname}`;
  } catch {
    return 'PostgreSQL';
  }
}

export interface OpenCliDatabaseOptions {
  /** create the embedded data directory when missing (db_sync); otherwise a missing one is an error */
  create?: boolean;
  poolSize?: number;
}

/** How long a command waits for a keystone-all that holds the data directory but does not listen yet (PGlite opening). */
const SERVER_STARTING_WAIT_MS = 30_000;

/**
 * The running keystone-all serving the embedded database at dataDir (its
 * lock record, with the socket), or undefined when no live process holds the
 * directory. Waits while a keystone-all is still opening it; throws
 * EmbeddedDatabaseBusyError when another keystone-manage holds it.
 */
export async function findEmbeddedServer(dataDir: string, waitMs = SERVER_STARTING_WAIT_MS): Promise<EmbeddedLock | undefined> {
  const deadline = Date.now() + waitMs;
  for (;;) {
    const holder = readEmbeddedLock(dataDir);
    if (!holder || !processAlive(holder.pid)) return undefined;
    if (holder.socket) return holder;
    if (holder.pid === process.pid) return undefined;
    if (holder.program === 'keystone-manage') throw new EmbeddedDatabaseBusyError(dataDir, holder);
    if (Date.now() >= deadline) {
      throw new EmbeddedDatabaseBusyError(
        dataDir,
        holder,
        `The embedded database at ${dataDir} is held by keystone-all (pid ${holder.pid}), which has not served it on a socket within ${Math.round(waitMs / 1000)} s; try again once it is running.`,
      );
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

export async function openCliDatabase(conf: KeystoneConfig, options: OpenCliDatabaseOptions = {}): Promise<CliDatabase> {
  const target = resolveDatabaseTarget(conf);
  let host: EmbeddedHost | undefined;
  let server: EmbeddedLock | undefined;
  if (target.kind === 'embedded') {
    // A keystone-all may take the directory between the look and the open: then look again.
    for (let attempt = 0; !host && !server; attempt++) {
      server = await findEmbeddedServer(target.dataDir);
      if (server) break;
      if (!options.create && !existsSync(join(target.dataDir, 'PG_VERSION'))) {
        throw new DatabaseUnreachableError(
          `The embedded database at ${target.dataDir} does not exist: run "keystone-manage db_sync" (or start keystone-all once).`,
        );
      }
      try {
        host = await startEmbeddedHost(target.dataDir, 2 * CLI_POOL_SIZE, { program: 'keystone-manage', publish: false });
      } catch (err) {
        if (!(err instanceof EmbeddedDatabaseBusyError) || err.holder.program !== 'keystone-all' || attempt >= 2) throw err;
      }
    }
  }
  const socketDir = host?.socketDir ?? (server?.socket ? dirname(server.socket) : undefined);
  const db = openDatabase(conf, { embeddedSocketDir: socketDir, poolSize: options.poolSize ?? CLI_POOL_SIZE });
  const close = async () => {
    await closeDatabases().catch(() => undefined);
    await host?.stop();
  };
  // The pool logs every connection error as a warning; a command reports its one line instead.
  const level = log.level;
  if (!conf.DEFAULT.debug) log.level = 'error';
  try {
    await ping(db);
  } catch (err) {
    await close();
    const reason = (err as Error).message || (err as { code?: string }).code || String(err);
    if (!server) throw new DatabaseUnreachableError(`Cannot connect to ${describeTarget(target)}: ${reason}`);
    // the socket server closes a connection beyond its maxConnections at once
    const full = /EPIPE|ECONNRESET|Connection terminated/i.test(reason)
      ? ' (every connection it serves is in use; try again in a moment)'
      : '';
    throw new DatabaseUnreachableError(
      `Cannot connect to ${describeTarget(target)} through keystone-all (pid ${server.pid}, socket ${server.socket})${full}: ${reason}`,
    );
  } finally {
    log.level = level;
  }
  if (server) log.debug(`using ${describeTarget(target)} through keystone-all (pid ${server.pid}, socket ${server.socket})`);
  return { db, target, host, server, created: host?.created ?? false, close };
}

/**
 * keystone-all's open of the embedded database: while a keystone-manage holds
 * the directory (a command that opened it itself), waits for it as
 * [database] max_retries / retry_interval say, then gives up with its
 * EmbeddedDatabaseBusyError. Another keystone-all is refused at once.
 */
export async function hostEmbeddedDatabase(
  conf: KeystoneConfig,
  dataDir: string,
  maxConnections: number,
  onRetry?: (attempt: number, err: Error) => void,
): Promise<EmbeddedHost> {
  const max = conf.database.max_retries;
  for (let attempt = 0; ; attempt++) {
    try {
      return await startEmbeddedHost(dataDir, maxConnections);
    } catch (err) {
      if (!(err instanceof EmbeddedDatabaseBusyError) || err.holder.program !== 'keystone-manage' || (max !== -1 && attempt >= max))
        throw err;
      onRetry?.(attempt + 1, err);
      await new Promise((r) => setTimeout(r, Math.max(conf.database.retry_interval, 0) * 1000 || 100));
    }
  }
}

/** Waits until the database answers, retrying as [database] max_retries / retry_interval say (-1: forever). */
export async function waitForDatabase(db: Database, conf: KeystoneConfig, onRetry?: (attempt: number, err: Error) => void): Promise<void> {
  const max = conf.database.max_retries;
  for (let attempt = 0; ; attempt++) {
    try {
      await ping(db);
      return;
    } catch (err) {
      if (max !== -1 && attempt >= max) throw err;
      onRetry?.(attempt + 1, err as Error);
      await new Promise((r) => setTimeout(r, Math.max(conf.database.retry_interval, 0) * 1000 || 100));
    }
  }
}
