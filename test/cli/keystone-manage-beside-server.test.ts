/**
 * keystone-manage on the embedded database while keystone-all runs on it:
 * the commands go through the running primary's socket (one writer) and
 * answer exactly as they do once it is stopped, when keystone-manage opens
 * the data directory itself. Also: a client killed in the middle of a
 * transaction does not wedge the server, a stale lock is no obstacle, and a
 * keystone-all started while keystone-manage holds the directory waits for it
 * ([database] max_retries) or is refused in one clear line; the data stays
 * intact.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  KEYSTONE_ALL,
  REPO_ROOT,
  runKeystoneAll,
  runKeystoneManage,
  startKeystone,
  SUITE_NODE_FLAGS,
  writeKeystoneConfig,
  type RunResult,
} from '../helpers/keystone-process.js';
import { seedPgliteState } from '../helpers/test-database.js';
import { issueToken } from '../process/http-client.js';
import { loadConfig } from '../../src/config/load-config.js';
import { openCliDatabase } from '../../src/cli/cli-database.js';
import { LATEST_SCHEMA_VERSION } from '../../src/storage/migrator.js';
import { lockFileOf, readEmbeddedLock, startEmbeddedHost } from '../../src/storage/embedded-host.js';

/** stderr without each log line's time and pid: what must be the same whether keystone-all runs or not */
const logText = (r: RunResult) => r.stderr.replace(/^\S+ \S+ \d+ /gm, '');

function manager(configFile: string) {
  return (...args: string[]) => runKeystoneManage(args, { configFile, env: { OS_BOOTSTRAP_PASSWORD: '' } });
}

async function insertExpiredTokens(configFile: string, prefix: string, n: number): Promise<void> {
  const { conf } = loadConfig({ configFiles: [configFile] });
  const h = await openCliDatabase(conf);
  try {
    await h.db.none(
      `INSERT INTO token (id, expires, valid, user_id) SELECT $1 || g, now() - interval '1 hour', true, 'u' FROM generate_series(1, $2) g`,
      [prefix, n],
    );
  } finally {
    await h.close();
  }
}

/** The pid of a process that has exited. */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', '']);
  await new Promise((r) => child.once('exit', r));
  return child.pid!;
}

describe('keystone-manage beside a running embedded keystone-all', () => {
  test('db_version, db_sync, doctor, trust_flush, token_flush and bootstrap answer as when it is stopped', async () => {
    const { dir, file } = writeKeystoneConfig();
    await seedPgliteState(dir);
    const manage = manager(file);
    const commands: string[][] = [['db_version'], ['db_sync'], ['db_sync', '--check'], ['doctor'], ['trust_flush'], ['token_flush']];
    try {
      const ks = await startKeystone({ stateDir: dir, adminPassword: 'first-password' });
      const beside = new Map<string, RunResult>();
      try {
        const lock = readEmbeddedLock(join(dir, 'pglite'));
        assert.equal(lock?.pid, ks.pid);
        assert.equal(lock?.program, 'keystone-all');
        assert.match(lock?.socket ?? '', /keystone-pg-[^/]+\/\.s\.PGSQL\.5432$/);

        await insertExpiredTokens(file, 'running', 3);
        for (const args of commands) {
          const r = await manage(...args);
          assert.equal(r.code, 0, `${args.join(' ')}: ${r.stdout}${r.stderr}`);
          beside.set(args.join(' '), r);
        }
        assert.equal(beside.get('db_version')!.stdout, `${LATEST_SCHEMA_VERSION}\n`);
        assert.equal(beside.get('db_sync')!.stdout, `Database is already at version ${LATEST_SCHEMA_VERSION}; nothing to do.\n`);
        assert.equal(beside.get('doctor')!.stdout, 'No problems found.\n');
        assert.equal(beside.get('token_flush')!.stdout, 'Deleted 3 expired token(s).\n');

        // several at once, beside the workers' connections
        const together = await Promise.all([manage('db_version'), manage('db_version'), manage('db_version')]);
        for (const r of together) assert.deepEqual([r.code, r.stdout], [0, `${LATEST_SCHEMA_VERSION}\n`], r.stderr);

        // a new password, usable at once through the running server
        const boot = await manage('bootstrap', '--bootstrap-password', 'second-password');
        assert.equal(boot.code, 0, boot.stderr);
        assert.match(
          boot.stdout,
          /^Bootstrap complete: domain default, project [0-9a-f]{32}, user [0-9a-f]{32}, role [0-9a-f]{32}, service [0-9a-f]{32}\.\n$/,
        );
        beside.set('bootstrap', boot);
        assert.equal((await issueToken(ks.publicUrl, 'second-password')).status, 201);
        assert.equal((await issueToken(ks.publicUrl, 'first-password')).status, 401);
        // the server still owns the database, alone
        assert.equal(readEmbeddedLock(join(dir, 'pglite'))?.pid, ks.pid);
      } finally {
        assert.equal((await ks.stop()).code, 0);
      }
      assert.equal(readEmbeddedLock(join(dir, 'pglite')), null, 'keystone-all removed its lock');

      // stopped: keystone-manage opens the directory itself, with the same answers
      await insertExpiredTokens(file, 'stopped', 3);
      for (const args of commands) {
        const key = args.join(' ');
        const r = await manage(...args);
        assert.equal(r.code, 0, `${key}: ${r.stderr}`);
        assert.equal(r.stdout, beside.get(key)!.stdout, key);
        assert.equal(logText(r), logText(beside.get(key)!), key);
      }
      const boot = await manage('bootstrap', '--bootstrap-password', 'second-password');
      assert.equal(boot.code, 0, boot.stderr);
      assert.equal(boot.stdout, beside.get('bootstrap')!.stdout);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('a client killed inside a transaction does not wedge the server; a stale lock is ignored', async () => {
    const ks = await startKeystone();
    try {
      const socket = readEmbeddedLock(join(ks.stateDir, 'pglite'))!.socket!;
      // a client (as a keystone-manage would) that holds a transaction open when it is killed
      const script = `
        import pg from 'pg';
        const c = new pg.Client({ host: ${JSON.stringify(join(socket, '..'))}, port: 5432, user: 'postgres', database: 'postgres' });
        await c.connect();
        await c.query('BEGIN');
        await c.query("INSERT INTO token (id, expires, valid, user_id) VALUES ('killed', now() - interval '1 hour', true, 'u')");
        process.stdout.write('in transaction\\n');
        setInterval(() => {}, 1000);`;
      const child = spawn(process.execPath, ['--input-type=module', '-e', script], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      child.stdout.on('data', (d) => {
        out += d;
      });
      child.stderr.on('data', (d) => {
        out += d;
      });
      const exited = new Promise((r) => child.once('exit', r));
      await new Promise<void>((resolve, reject) => {
        child.stdout.on('data', () => {
          if (out.includes('in transaction')) resolve();
        });
        child.once('exit', () => {
          reject(new Error(`the client exited early: ${out}`));
        });
      });
      child.kill('SIGKILL');
      await exited;

      assert.equal((await issueToken(ks.publicUrl, ks.adminPassword)).status, 201);
      const flush = await manager(ks.configFile)('token_flush');
      assert.equal(flush.code, 0, flush.stderr);
      assert.equal(flush.stdout, 'Deleted 0 expired token(s).\n', "the killed client's insert was rolled back");
    } finally {
      await ks.stop();
    }

    // keystone-all killed outright leaves its lock behind, naming a dead pid: keystone-manage opens the directory itself
    const { dir, file } = writeKeystoneConfig();
    try {
      await seedPgliteState(dir);
      const dataDir = join(dir, 'pglite');
      assert.equal((await manager(file)('db_sync')).code, 0);
      writeFileSync(
        lockFileOf(dataDir),
        JSON.stringify({ pid: await deadPid(), program: 'keystone-all', socket: join(dir, 'keystone-pg-gone', '.s.PGSQL.5432') }),
      );
      const r = await manager(file)('db_version');
      assert.deepEqual([r.code, r.stdout, r.stderr], [0, `${LATEST_SCHEMA_VERSION}\n`, '']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('keystone-all started while keystone-manage holds the directory waits for it ([database] max_retries), else says so in one line; the data stays intact', async () => {
    const { dir, file } = writeKeystoneConfig({ database: { max_retries: 0 } });
    try {
      await seedPgliteState(dir);
      const dataDir = join(dir, 'pglite');
      assert.equal((await manager(file)('db_sync')).code, 0);
      assert.equal((await manager(file)('bootstrap', '--bootstrap-password', 'held-password')).code, 0);
      // this test process holds the directory as keystone-manage does while a command runs on a stopped server
      const held = await startEmbeddedHost(dataDir, 4, { program: 'keystone-manage', publish: false });
      let child: ChildProcess | undefined;
      try {
        const busy = `The embedded database at ${dataDir} is in use by keystone-manage (pid ${process.pid})`;
        const refused = await runKeystoneAll(['start'], { configFile: file });
        assert.equal(refused.code, 1);
        assert.equal(refused.stderr.trim(), `keystone-all: ${busy}; try again when it has finished.`);
        const other = await manager(file)('db_version');
        assert.equal(other.code, 1);
        assert.equal(other.stderr.trim(), `keystone-manage: ${busy}; try again when it has finished.`);
        assert.equal(readEmbeddedLock(dataDir)?.pid, process.pid);

        // with retries, keystone-all waits until the command has finished, then starts on the same data
        writeKeystoneConfig({ database: { max_retries: 60 } }, dir);
        child = spawn(process.execPath, [...SUITE_NODE_FLAGS, KEYSTONE_ALL, '--config-file', file, 'start'], {
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        let output = '';
        const seen = (pattern: RegExp) =>
          new Promise<RegExpMatchArray>((resolve, reject) => {
            const check = () => {
              const m = output.match(pattern);
              if (m) resolve(m);
            };
            child!.stdout!.on('data', (d) => {
              output += d;
              check();
            });
            child!.stderr!.on('data', (d) => {
              output += d;
              check();
            });
            child!.once('exit', () => {
              reject(new Error(`keystone-all exited before ${pattern}:\n${output}`));
            });
            check();
          });
        const waiting = seen(new RegExp(`${busy.replace(/[.()/]/g, '\\$&')}; retry 1 of 60 in 1 s`));
        const ready = seen(/keystone-public listening on http:\/\/127\.0\.0\.1:(\d+)[\s\S]*keystone-all ready/);
        await waiting;
        await held.stop();
        const port = (await ready)[1];
        assert.doesNotMatch(output, /first run/i);
        assert.equal((await issueToken(`http://127.0.0.1:${port}`, 'held-password')).status, 201);
        const exited = new Promise((r) => child!.once('exit', r));
        child.kill('SIGTERM');
        assert.equal(await exited, 0);
      } finally {
        await held.stop();
        if (child && child.exitCode === null) child.kill('SIGKILL');
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
