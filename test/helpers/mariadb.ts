/**
 * A private MariaDB server for one test file: Debian's mariadb-server
 * (`mariadb-install-db` into a temp dir, `mariadbd` on its own socket and a
 * free loopback port), stopped and removed by stop().
 *
 *   const maria = await startPrivateMariaDb();
 *   const url = await maria.createDatabase('keystone');  // mysql+pymysql://keystone:keystone@127.0.0.1:PORT/keystone
 *   await maria.query('SELECT 1');
 *   await maria.stop();
 *
 * mariaDbUnavailable() says why it cannot run here (null when it can): tests skip with that reason,
 * or fail with CI=true.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mysql from 'mysql2/promise';

const MARIADBD = ['/usr/sbin/mariadbd', '/usr/sbin/mysqld'].find((p) => existsSync(p));
const INSTALL_DB = '/usr/bin/mariadb-install-db';

export function mariaDbUnavailable(): string | null {
  if (!MARIADBD || !existsSync(INSTALL_DB)) return 'mariadb-server is not installed (mariadbd, mariadb-install-db)';
  return null;
}

export interface PrivateMariaDb {
  port: number;
  socket: string;
  /** runs SQL as root (through the socket) and returns the rows */
  query(sql: string, values?: unknown[]): Promise<unknown[]>;
  /** creates a database and a user of the same name (password = name) that owns it, makes it query()'s database; returns its SQLAlchemy URL */
  createDatabase(name: string): Promise<string>;
  stop(): Promise<void>;
}

/** A loopback port free right now (the kernel's pick for port 0). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => {
        resolve(typeof address === 'object' && address ? address.port : 0);
      });
    });
  });
}

export async function startPrivateMariaDb(): Promise<PrivateMariaDb> {
  const why = mariaDbUnavailable();
  if (why) throw new Error(why);
  const dir = mkdtempSync(join(tmpdir(), 'keystone-mariadb-'));
  const asRoot = process.getuid?.() === 0 ? ['--user=root'] : [];
  const install = spawnSync(
    INSTALL_DB,
    ['--no-defaults', `--datadir=${join(dir, 'data')}`, ...asRoot, '--auth-root-authentication-method=normal', '--skip-test-db'],
    { encoding: 'utf8', timeout: 120_000 },
  );
  if (install.status !== 0) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`mariadb-install-db failed: ${install.stderr || install.stdout}`);
  }
  const port = await freePort();
  const socket = join(dir, 'mysqld.sock');
  const child: ChildProcess = spawn(
    MARIADBD!,
    [
      '--no-defaults',
      `--datadir=${join(dir, 'data')}`,
      `--socket=${socket}`,
      `--port=${String(port)}`,
      '--bind-address=127.0.0.1',
      ...asRoot,
      '--skip-name-resolve',
      '--skip-log-bin',
      `--pid-file=${join(dir, 'mysqld.pid')}`,
      `--log-error=${join(dir, 'error.log')}`,
      '--innodb-buffer-pool-size=128M',
      '--innodb-flush-log-at-trx-commit=2',
      '--character-set-server=utf8mb4',
    ],
    { stdio: 'ignore' },
  );
  const exited = new Promise<void>((resolve) =>
    child.once('exit', () => {
      resolve();
    }),
  );
  let root: mysql.Connection | undefined;
  for (let i = 0; i < 600 && !root; i++) {
    if (child.exitCode !== null) break;
    try {
      root = await mysql.createConnection({ socketPath: socket, user: 'root', multipleStatements: true });
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  const stop = async () => {
    await root?.end().catch(() => undefined);
    if (child.exitCode === null) child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    await exited;
    clearTimeout(timer);
    rmSync(dir, { recursive: true, force: true });
  };
  if (!root) {
    await stop();
    throw new Error('mariadbd did not accept connections within 60 s');
  }
  const connection = root;
  return {
    port,
    socket,
    query: async (sql, values) => (await connection.query(sql, values))[0] as unknown[],
    createDatabase: async (name) => {
      await connection.query(
        `CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4; CREATE USER '${name}'@'127.0.0.1' IDENTIFIED BY '${name}'; GRANT ALL ON \`${name}\`.* TO '${name}'@'127.0.0.1'; USE \`${name}\``,
      );
      return `mysql+pymysql://${name}:${name}@127.0.0.1:${String(port)}/${name}`;
    },
    stop,
  };
}
