/**
 * Private backing services for the fault tests, which stop and start them:
 * never the machine's shared PostgreSQL (5432) or Redis (6379).
 *
 *   const redis = await startRedis();             // redis-server on a free port, its own temp dir, AOF on
 *   await redis.stop(); await redis.start();      // same port, same data (the stricter case for stale entries)
 *   const pg = await startPostgres();             // initdb + pg_ctl on a free port in a temp dir
 *   pg.connection                                 // postgresql://postgres@127.0.0.1:PORT/keystone
 *   await pg.stop(); await pg.start(); await pg.destroy();
 *
 * skipUnless(tools): the node:test `skip` value: false when the tools are
 * there (or CI=true, where a missing tool must fail the test), else the reason.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import pgPromise from 'pg-promise';
import { eventually } from '../process/http-client.js';

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => {
        resolve(port);
      });
    });
  });
}

/** The directory of PostgreSQL's server binaries (the newest installed), or null. */
export function postgresBinDir(): string | null {
  const base = '/usr/lib/postgresql';
  if (existsSync(base)) {
    const versions = readdirSync(base)
      .filter((v) => existsSync(join(base, v, 'bin', 'initdb')))
      .sort((a, b) => Number(b) - Number(a));
    if (versions[0]) return join(base, versions[0], 'bin');
  }
  const which = spawnSync('sh', ['-c', 'command -v initdb'], { encoding: 'utf8' });
  const path = which.stdout.trim();
  return which.status === 0 && path ? join(path, '..') : null;
}

function hasCommand(name: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${name}`]).status === 0;
}

/** false when every tool is found or CI=true (a missing tool then fails the test); otherwise why the test is skipped. */
export function skipUnless(tools: ('redis-server' | 'postgres')[]): false | string {
  if (process.env.CI === 'true') return false;
  const missing = tools.filter((t) => (t === 'postgres' ? postgresBinDir() === null : !hasCommand(t)));
  return missing.length ? `${missing.join(' and ')} not installed (these tests always run with CI=true)` : false;
}

// ---------------------------------------------------------------- Redis

export interface PrivateRedis {
  port: number;
  url: string;
  start(): Promise<void>;
  /** SHUTDOWN by SIGTERM (the AOF is kept); resolves when the process is gone */
  stop(): Promise<void>;
  /** a command on a short-lived connection (INFO, DBSIZE, …) */
  command(name: string, ...args: string[]): Promise<unknown>;
  destroy(): Promise<void>;
}

export async function startRedis(): Promise<PrivateRedis> {
  const dir = mkdtempSync(join(tmpdir(), 'keystone-redis-'));
  const port = await freePort();
  let child: ChildProcess | null = null;
  const command = async (name: string, ...args: string[]) => {
    const c = new Redis({
      port,
      host: '127.0.0.1',
      lazyConnect: true,
      maxRetriesPerRequest: 0,
      enableOfflineQueue: false,
      retryStrategy: () => null,
    });
    c.on('error', () => undefined);
    try {
      await c.connect();
      return await c.call(name, ...args);
    } finally {
      c.disconnect();
    }
  };
  const start = async () => {
    if (!hasCommand('redis-server')) throw new Error('redis-server is not installed');
    const proc = spawn(
      'redis-server',
      [
        '--port',
        String(port),
        '--bind',
        '127.0.0.1',
        '--dir',
        dir,
        '--save',
        '',
        '--appendonly',
        'yes',
        '--appendfsync',
        'always',
        '--logfile',
        join(dir, 'redis.log'),
        '--daemonize',
        'no',
      ],
      { stdio: 'ignore' },
    );
    child = proc;
    const exited = new Promise<void>((r) =>
      proc.once('exit', () => {
        r();
      }),
    );
    await Promise.race([
      eventually(async () => (await command('PING')) === 'PONG', 15_000, `redis-server on ${port}`),
      exited.then(() => {
        throw new Error(`redis-server on ${port} exited at start`);
      }),
    ]);
  };
  const stop = async () => {
    const proc = child;
    child = null;
    if (!proc || proc.exitCode !== null) return;
    const exited = new Promise<void>((r) =>
      proc.once('exit', () => {
        r();
      }),
    );
    proc.kill('SIGTERM');
    await exited;
  };
  await start();
  return {
    port,
    url: `redis://127.0.0.1:${port}/0`,
    start,
    stop,
    command,
    async destroy() {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

// ---------------------------------------------------------------- PostgreSQL

export interface PrivatePostgres {
  port: number;
  /** the [database] connection of the database "keystone" */
  connection: string;
  start(): Promise<void>;
  /** pg_ctl stop -m fast: open connections are terminated */
  stop(): Promise<void>;
  destroy(): Promise<void>;
}

const adminPgp = pgPromise();

export async function startPostgres(): Promise<PrivatePostgres> {
  const bin = postgresBinDir();
  if (!bin) throw new Error('PostgreSQL server binaries (initdb, pg_ctl) are not installed');
  const dir = mkdtempSync(join(tmpdir(), 'keystone-pg-'));
  const data = join(dir, 'data');
  const port = await freePort();
  // initdb and postgres refuse to run as root: run them as the postgres user then.
  const asRoot = process.getuid?.() === 0;
  if (asRoot) {
    const id = (flag: string) => Number(spawnSync('id', [flag, 'postgres'], { encoding: 'utf8' }).stdout.trim());
    chownSync(dir, id('-u'), id('-g'));
  }
  const run = (tool: string, args: string[]) => {
    const argv = asRoot ? ['runuser', '-u', 'postgres', '--', join(bin, tool), ...args] : [join(bin, tool), ...args];
    const r = spawnSync(argv[0], argv.slice(1), { encoding: 'utf8', cwd: dir, timeout: 120_000 });
    if (r.status !== 0) throw new Error(`${tool} ${args.join(' ')} failed (${r.status}): ${r.stderr}${r.stdout}`);
  };
  run('initdb', ['-D', data, '-A', 'trust', '-U', 'postgres', '--no-sync', '-E', 'UTF8', '--locale', 'C']);
  // pg_ctl -w waits by itself; start() and stop() return promises only to match Redis's.
  const start = () => {
    run('pg_ctl', [
      '-D',
      data,
      '-l',
      join(dir, 'postgres.log'),
      '-w',
      '-t',
      '60',
      '-o',
      `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200`,
      'start',
    ]);
    return Promise.resolve();
  };
  const stop = () => {
    run('pg_ctl', ['-D', data, '-m', 'fast', '-w', '-t', '60', 'stop']);
    return Promise.resolve();
  };
  await start();
  const admin = adminPgp(`postgresql://postgres@127.0.0.1:${port}/postgres`);
  try {
    await admin.none('CREATE DATABASE keystone');
  } finally {
    await admin.$pool.end();
  }
  return {
    port,
    connection: `postgresql://postgres@127.0.0.1:${port}/keystone`,
    start,
    stop,
    async destroy() {
      try {
        await stop();
      } catch {
        /* already stopped */
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
