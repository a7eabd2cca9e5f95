/**
 * The embedded database: PGlite with its data under state_path, served on a
 * unix socket (pglite-socket's connection multiplexer) so that workers and
 * keystone-manage use the same pg-promise code path as with PostgreSQL.
 * A lock file holding the owner's pid keeps a second process off the data.
 */
import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface EmbeddedHost {
  socketDir: string;
  /** true when the data directory was created by this call */
  created: boolean;
  stop(): Promise<void>;
}

export class EmbeddedDatabaseBusyError extends Error {
  constructor(dataDir: string, pid: number) {
    super(`The embedded database at ${dataDir} is in use by a running keystone-all (pid ${pid}); stop it first, or point [database] connection at PostgreSQL.`);
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function acquireLock(dataDir: string): string {
  const lockFile = `${dataDir}.lock`;
  if (existsSync(lockFile)) {
    const pid = Number(readFileSync(lockFile, 'utf8').trim());
    if (pid && pid !== process.pid && processAlive(pid)) throw new EmbeddedDatabaseBusyError(dataDir, pid);
  }
  writeFileSync(lockFile, String(process.pid), { mode: 0o600 });
  return lockFile;
}

export async function startEmbeddedHost(dataDir: string, maxConnections: number): Promise<EmbeddedHost> {
  const created = !existsSync(join(dataDir, 'PG_VERSION'));
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const lockFile = acquireLock(dataDir);
  let db: PGlite;
  try {
    db = await PGlite.create({ dataDir });
  } catch (err) {
    rmSync(lockFile, { force: true });
    throw err;
  }
  // A short path: unix socket paths are limited to ~107 bytes.
  const socketDir = mkdtempSync(join(tmpdir(), 'keystone-pg-'));
  const server = new PGLiteSocketServer({ db, path: join(socketDir, '.s.PGSQL.5432'), maxConnections });
  await server.start();
  return {
    socketDir,
    created,
    async stop() {
      await server.stop().catch(() => undefined);
      await db.close().catch(() => undefined);
      rmSync(socketDir, { recursive: true, force: true });
      rmSync(lockFile, { force: true });
    },
  };
}
