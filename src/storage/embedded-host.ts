/**
 * The embedded database: PGlite with its data under state_path, served on a
 * unix socket (pglite-socket's connection multiplexer) so that workers and
 * keystone-manage use the same pg-promise code path as with PostgreSQL.
 *
 * One process opens the data directory: a lock file beside it
 * (`<dataDir>.lock`, JSON `{ pid, program, socket? }`) names the holder, and
 * a holder that serves the database to others (keystone-all) adds its socket
 * once it listens. keystone-manage reads it (readEmbeddedLock) to go through
 * the running keystone-all instead of opening the directory a second time.
 * The lock is created with link(2) (atomic, content included) and updated
 * with rename(2), so a reader never sees half a record.
 *
 * The socket lives in $RUNTIME_DIRECTORY (systemd's RuntimeDirectory=, i.e.
 * /run/keystone, visible to an operator's shell, unlike the unit's
 * PrivateTmp), else beside the data directory, else in the temp directory
 * (unix socket paths are limited to ~107 bytes).
 */
import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';
import { existsSync, linkSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { embeddedTemplate } from './embedded-template.js';

export const SOCKET_FILE = '.s.PGSQL.5432';
const SOCKET_DIR_PREFIX = 'keystone-pg-';
const MAX_SOCKET_PATH = 100;

/**
 * Connections keystone-all's socket keeps free for keystone-manage beside the
 * workers: four commands at once, each with a pool of CLI_POOL_SIZE.
 */
export const CLI_POOL_SIZE = 2;
export const CLI_CONNECTION_SLOTS = 4 * CLI_POOL_SIZE;

export type EmbeddedProgram = 'keystone-all' | 'keystone-manage';

export interface EmbeddedLock {
  pid: number;
  program: EmbeddedProgram;
  /** the unix socket the holder serves the database on (absent until it listens, and for keystone-manage) */
  socket?: string;
}

export interface EmbeddedHost {
  socketDir: string;
  /** true when the data directory was created by this call */
  created: boolean;
  stop(): Promise<void>;
}

export interface EmbeddedHostOptions {
  /** who holds the directory, for the lock file and other processes' messages (default keystone-all) */
  program?: EmbeddedProgram;
  /** write the socket into the lock file so that keystone-manage can use it (default true) */
  publish?: boolean;
}

export class EmbeddedDatabaseBusyError extends Error {
  constructor(
    readonly dataDir: string,
    readonly holder: EmbeddedLock,
    reason?: string,
  ) {
    super(
      reason ??
        (holder.program === 'keystone-manage'
          ? `The embedded database at ${dataDir} is in use by keystone-manage (pid ${holder.pid}); try again when it has finished.`
          : `The embedded database at ${dataDir} is in use by a running keystone-all (pid ${holder.pid}); stop it first, or point [database] connection at PostgreSQL.`),
    );
  }
}

export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export function lockFileOf(dataDir: string): string {
  return `${dataDir}.lock`;
}

/** The lock's record, or null when there is none (or it cannot be read). A bare pid (older versions) is a keystone-all. */
export function readEmbeddedLock(dataDir: string): EmbeddedLock | null {
  let text: string;
  try {
    text = readFileSync(lockFileOf(dataDir), 'utf8').trim();
  } catch {
    return null;
  }
  if (/^\d+$/.test(text)) return { pid: Number(text), program: 'keystone-all' };
  try {
    const r = JSON.parse(text) as Partial<EmbeddedLock>;
    const pid = r.pid;
    if (pid === undefined || !Number.isInteger(pid) || pid <= 0) return null;
    return {
      pid,
      program: r.program === 'keystone-manage' ? 'keystone-manage' : 'keystone-all',
      ...(typeof r.socket === 'string' ? { socket: r.socket } : {}),
    };
  } catch {
    return null;
  }
}

function writeRecord(path: string, record: EmbeddedLock): void {
  writeFileSync(path, JSON.stringify(record) + '\n', { mode: 0o600 });
}

function removeSocketDirOf(socket: string): void {
  const dir = dirname(socket);
  if (basename(dir).startsWith(SOCKET_DIR_PREFIX)) rmSync(dir, { recursive: true, force: true });
}

function acquireLock(dataDir: string, program: EmbeddedProgram): string {
  const lockFile = lockFileOf(dataDir);
  const tmp = `${lockFile}.${process.pid}`;
  writeRecord(tmp, { pid: process.pid, program });
  try {
    for (let attempt = 0; ; attempt++) {
      try {
        linkSync(tmp, lockFile);
        return lockFile;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST' || attempt >= 3) throw err;
      }
      const holder = readEmbeddedLock(dataDir);
      if (holder && holder.pid !== process.pid && processAlive(holder.pid)) throw new EmbeddedDatabaseBusyError(dataDir, holder);
      // left behind by a holder that died (or by this process): its socket directory goes with it
      if (holder?.socket && holder.pid !== process.pid) removeSocketDirOf(holder.socket);
      rmSync(lockFile, { force: true });
    }
  } finally {
    rmSync(tmp, { force: true });
  }
}

function publishSocket(dataDir: string, record: EmbeddedLock): void {
  const lockFile = lockFileOf(dataDir);
  const tmp = `${lockFile}.${process.pid}`;
  writeRecord(tmp, record);
  renameSync(tmp, lockFile);
}

/** A fresh directory for the socket, in the first place where its path is short enough. */
function makeSocketDir(dataDir: string): string {
  const candidates = [process.env.RUNTIME_DIRECTORY?.split(':')[0], dirname(dataDir), tmpdir()];
  let lastError: unknown;
  for (const parent of candidates) {
    if (!parent || Buffer.byteLength(join(parent, `${SOCKET_DIR_PREFIX}XXXXXX`, SOCKET_FILE)) > MAX_SOCKET_PATH) continue;
    try {
      return mkdtempSync(join(parent, SOCKET_DIR_PREFIX));
    } catch (err) {
      lastError = err;
    }
  }
  if (lastError instanceof Error) throw lastError;
  throw new Error(`no directory for the embedded database's socket: ${candidates.filter(Boolean).join(', ')} are too long`);
}

export async function startEmbeddedHost(dataDir: string, maxConnections: number, options: EmbeddedHostOptions = {}): Promise<EmbeddedHost> {
  const program = options.program ?? 'keystone-all';
  const created = !existsSync(join(dataDir, 'PG_VERSION'));
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const lockFile = acquireLock(dataDir, program);
  let db: PGlite | undefined;
  let socketDir: string | undefined;
  let server: PGLiteSocketServer | undefined;
  let stopped = false;
  const stop = async () => {
    // once only: a second call must not remove a lock another process has taken since
    if (stopped) return;
    stopped = true;
    await server?.stop().catch(() => undefined);
    await db?.close().catch(() => undefined);
    if (socketDir) rmSync(socketDir, { recursive: true, force: true });
    rmSync(lockFile, { force: true });
  };
  try {
    const template = created ? embeddedTemplate() : undefined;
    db = await PGlite.create(template ? { dataDir, loadDataDir: template } : { dataDir });
    socketDir = makeSocketDir(dataDir);
    const socket = join(socketDir, SOCKET_FILE);
    server = new PGLiteSocketServer({ db, path: socket, maxConnections });
    await server.start();
    if (options.publish !== false) publishSocket(dataDir, { pid: process.pid, program, socket });
  } catch (err) {
    await stop();
    throw err;
  }
  return { socketDir, created, stop };
}
