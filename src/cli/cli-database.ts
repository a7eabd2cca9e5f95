/**
 * The database a command works on: PostgreSQL through pg-promise, or the
 * embedded PGlite opened directly (startEmbeddedHost), whose lock refuses
 * while a running keystone-all holds it.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { KeystoneConfig } from '../config/options.js';
import { closeDatabases, openDatabase, resolveDatabaseTarget, type Database, type DatabaseTarget } from '../storage/database.js';
import { startEmbeddedHost, type EmbeddedHost } from '../storage/embedded-host.js';
import { log } from '../log/logger.js';

export interface CliDatabase {
  db: Database;
  target: DatabaseTarget;
  host?: EmbeddedHost;
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

export async function openCliDatabase(conf: KeystoneConfig, options: OpenCliDatabaseOptions = {}): Promise<CliDatabase> {
  const target = resolveDatabaseTarget(conf);
  let host: EmbeddedHost | undefined;
  if (target.kind === 'embedded') {
    if (!options.create && !existsSync(join(target.dataDir, 'PG_VERSION'))) {
      throw new DatabaseUnreachableError(`The embedded database at ${target.dataDir} does not exist: run "keystone-manage db_sync" (or start keystone-all once).`);
    }
    host = await startEmbeddedHost(target.dataDir, 4);
  }
  const db = openDatabase(conf, { embeddedSocketDir: host?.socketDir, poolSize: options.poolSize ?? 2 });
  const close = async () => {
    await closeDatabases().catch(() => undefined);
    await host?.stop();
  };
  // The pool logs every connection error as a warning; a command reports its one line instead.
  const level = log.level;
  if (!conf.DEFAULT.debug) log.level = 'error';
  try {
    await db.one('SELECT 1 AS ok');
  } catch (err) {
    await close();
    throw new DatabaseUnreachableError(`Cannot connect to ${describeTarget(target)}: ${(err as Error).message || (err as { code?: string }).code || String(err)}`);
  } finally {
    log.level = level;
  }
  return { db, target, host, created: host?.created ?? false, close };
}

/** Waits until the database answers, retrying as [database] max_retries / retry_interval say (-1: forever). */
export async function waitForDatabase(db: Database, conf: KeystoneConfig, onRetry?: (attempt: number, err: Error) => void): Promise<void> {
  const max = conf.database.max_retries;
  for (let attempt = 0; ; attempt++) {
    try {
      await db.one('SELECT 1 AS ok');
      return;
    } catch (err) {
      if (max !== -1 && attempt >= max) throw err;
      onRetry?.(attempt + 1, err as Error);
      await new Promise((r) => setTimeout(r, Math.max(conf.database.retry_interval, 0) * 1000 || 100));
    }
  }
}
