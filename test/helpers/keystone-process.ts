/**
 * Real keystone-all / keystone-manage processes for tests (bin/ scripts, the
 * compiled dist/ code), each with its own temporary state directory and
 * ports 0. For an in-process server see test/helpers/test-server.ts.
 *
 *   import { startKeystone, runKeystoneManage, writeKeystoneConfig } from '../helpers/keystone-process.js';
 *
 *   const ks = await startKeystone({ config: { eventlet_server: { public_workers: 2 } } });
 *   await fetch(`${ks.publicUrl}/v3`);
 *   await ks.stop();                          // SIGTERM, waits for exit, removes the temp dir (and drops the database)
 *
 * startKeystone(options?) → Promise<KeystoneProcess>
 *   options.config         ConfigOverrides ({ section: { option: value } }) merged over the defaults below,
 *                          written as an INI keystone.conf
 *   options.database       'pglite' (default: the embedded database; the first start creates the schema,
 *                          the keys and the admin) or 'postgres' (a fresh database on the machine's
 *                          PostgreSQL, dropped by stop(); prepared with keystone-manage db_sync,
 *                          fernet_setup, credential_setup and bootstrap before the start)
 *   options.adminPassword  the bootstrap admin's password (OS_BOOTSTRAP_PASSWORD); default 'test-admin-password'
 *   options.env            extra environment for the process
 *   options.stateDir       use this directory (and its keystone.conf if present) instead of a fresh temp one;
 *                          it is not removed by stop()
 *   options.readyTimeoutMs how long to wait for "keystone-all ready" (default 60 s)
 *   options.nodeFlags      node flags for the primary, which its workers inherit (e.g. --cpu-prof)
 *   Rejects (with the process's output in the message) when keystone-all exits before it is ready.
 *   Defaults: state_path = the temp dir, key repositories under it, both services on 127.0.0.1 port 0,
 *   public_workers = admin_workers = 1, [identity] password_hash_rounds = 4, [metrics] port = 0,
 *   [eventlet_server] shutdown_timeout = 10, [database] retry_interval = 1.
 *
 * KeystoneProcess
 *   pid, publicUrl, adminUrl (http://127.0.0.1:PORT, no trailing slash), publicPort, adminPort,
 *   adminPassword, stateDir, configFile
 *   output()                         everything written to stdout and stderr so far
 *   waitForOutput(regexp, ms?)       resolves with the match once the output matches (from the start)
 *   workers()                        the primary's children: [{ pid, service: 'public'|'admin'|'unknown', comm, args }]
 *                                    ('unknown': just forked, title not set yet)
 *   signal(name)                     sends a signal to the primary
 *   exited                           Promise<{ code, signal }> of the primary
 *   stop({ signal?, timeoutMs? })    signal (default SIGTERM), wait for the exit (then SIGKILL the primary
 *                                    and any worker left), clean up; resolves with { code, signal }
 *
 * runKeystoneManage(args, { configFile?, env?, timeoutMs? }) → Promise<{ code, stdout, stderr }>
 * runKeystoneAll(args, …) → the same for a keystone-all that is expected to exit (bad config, old schema)
 * writeKeystoneConfig(overrides, dir?) → { dir, file }: a temp dir with keystone.conf (defaults as above)
 * listWorkers(primaryPid) → the children of a primary, as workers()
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { mergeOverrides, renderIni, type ConfigOverrides } from './test-config.js';
import { createTestDatabase, seedPgliteState, type TestDatabase } from './test-database.js';

/** The repository's top level (dist/test/helpers → ../../..). */
export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
export const KEYSTONE_ALL = join(REPO_ROOT, 'bin', 'keystone-all');
export const KEYSTONE_MANAGE = join(REPO_ROOT, 'bin', 'keystone-manage');

export type { ConfigOverrides };

/**
 * Node flags the suite runs with (test/run-suite.mjs) that the processes it starts get too:
 * --liftoff-only spares each process hosting PGlite the optimising compile of its WebAssembly
 * (about 1.2 s of CPU per process for no faster answers in a short-lived test process).
 */
export const SUITE_NODE_FLAGS = process.execArgv.filter((a) => a === '--liftoff-only');

export function defaultOverrides(dir: string): ConfigOverrides {
  return {
    DEFAULT: { state_path: dir },
    fernet_tokens: { key_repository: join(dir, 'fernet-keys') },
    fernet_receipts: { key_repository: join(dir, 'fernet-keys') },
    credential: { key_repository: join(dir, 'credential-keys') },
    identity: { password_hash_rounds: 4 },
    database: { retry_interval: 1 },
    eventlet_server: {
      public_bind_host: '127.0.0.1',
      admin_bind_host: '127.0.0.1',
      public_port: 0,
      admin_port: 0,
      public_workers: 1,
      admin_workers: 1,
      shutdown_timeout: 10,
    },
    metrics: { port: 0 },
  };
}

export function writeKeystoneConfig(overrides: ConfigOverrides = {}, dir?: string): { dir: string; file: string } {
  const d = dir ?? mkdtempSync(join(tmpdir(), 'keystone-proc-'));
  const file = join(d, 'keystone.conf');
  writeFileSync(file, renderIni(mergeOverrides(defaultOverrides(d), overrides)));
  return { dir: d, file };
}

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  configFile?: string;
  env?: NodeJS.ProcessEnv;
  timeoutMs?: number;
}

function runScript(script: string, args: string[], options: RunOptions): Promise<RunResult> {
  const argv = [script, ...(options.configFile ? ['--config-file', options.configFile] : []), ...args];
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...SUITE_NODE_FLAGS, ...argv], {
      env: { ...process.env, ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => {
      stdout += d;
    });
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${script} ${args.join(' ')} did not finish within ${options.timeoutMs ?? 60_000} ms\n${stdout}\n${stderr}`));
    }, options.timeoutMs ?? 60_000);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

export function runKeystoneManage(args: string[], options: RunOptions = {}): Promise<RunResult> {
  return runScript(KEYSTONE_MANAGE, args, options);
}

export function runKeystoneAll(args: string[], options: RunOptions = {}): Promise<RunResult> {
  return runScript(KEYSTONE_ALL, args, options);
}

export interface WorkerInfo {
  pid: number;
  service: 'public' | 'admin' | 'unknown';
  /** /proc/<pid>/comm (what `ps -o comm=` shows) */
  comm: string;
  /** the command line (what `ps -o args=` shows) */
  args: string;
}

export function listWorkers(primaryPid: number): WorkerInfo[] {
  let out: string;
  try {
    out = execFileSync('ps', ['-o', 'pid=,comm=,args=', '--ppid', String(primaryPid)], { encoding: 'utf8' });
  } catch {
    return []; // ps exits 1 when there is no child
  }
  const workers: WorkerInfo[] = [];
  for (const line of out.split('\n')) {
    const m = /^\s*(\d+)\s+(\S+)\s+(.*)$/.exec(line);
    if (!m) continue;
    const comm = m[2];
    const args = m[3].trim();
    const service = /keystone-public/.test(comm + ' ' + args) ? 'public' : /keystone-admin/.test(comm + ' ' + args) ? 'admin' : 'unknown';
    workers.push({ pid: Number(m[1]), service, comm, args });
  }
  return workers;
}

export interface KeystoneProcessOptions {
  config?: ConfigOverrides;
  database?: 'pglite' | 'postgres';
  adminPassword?: string;
  env?: NodeJS.ProcessEnv;
  stateDir?: string;
  readyTimeoutMs?: number;
  /** node flags for the primary, which its workers inherit (e.g. --cpu-prof, refused in NODE_OPTIONS) */
  nodeFlags?: string[];
}

export interface KeystoneProcess {
  pid: number;
  publicUrl: string;
  adminUrl: string;
  publicPort: number;
  adminPort: number;
  adminPassword: string;
  stateDir: string;
  configFile: string;
  child: ChildProcess;
  output(): string;
  waitForOutput(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  workers(): WorkerInfo[];
  signal(name: NodeJS.Signals): void;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stop: (options?: { signal?: NodeJS.Signals; timeoutMs?: number }) => Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

function killQuietly(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch {
    /* gone */
  }
}

export async function startKeystone(options: KeystoneProcessOptions = {}): Promise<KeystoneProcess> {
  const adminPassword = options.adminPassword ?? 'test-admin-password';
  const ownsDir = !options.stateDir;
  const dir = options.stateDir ?? mkdtempSync(join(tmpdir(), 'keystone-proc-'));
  let database: TestDatabase | undefined;
  const cleanup = async () => {
    await database?.close().catch(() => undefined);
    if (ownsDir) rmSync(dir, { recursive: true, force: true });
  };
  let configFile = join(dir, 'keystone.conf');
  try {
    if (options.database === 'postgres') {
      database = await createTestDatabase('postgres');
    }
    if (!options.stateDir || !existsSync(configFile) || options.config || database) {
      const overrides = mergeOverrides(database ? { database: { connection: database.connection } } : {}, options.config ?? {});
      configFile = writeKeystoneConfig(overrides, dir).file;
    }
    if (!database && ownsDir && !existsSync(join(dir, 'pglite'))) {
      // An initialised but empty cluster: still a first run (no schema), without initdb's seconds.
      await seedPgliteState(dir);
    }
    if (database) {
      for (const args of [['db_sync'], ['fernet_setup'], ['credential_setup'], ['bootstrap', '--bootstrap-password', adminPassword]]) {
        const r = await runKeystoneManage(args, { configFile });
        if (r.code !== 0) throw new Error(`keystone-manage ${args[0]} failed (${r.code}): ${r.stderr}`);
      }
    }
  } catch (err) {
    await cleanup();
    throw err;
  }

  const argv = [...SUITE_NODE_FLAGS, ...(options.nodeFlags ?? []), KEYSTONE_ALL, '--config-file', configFile, 'start'];
  const child = spawn(process.execPath, argv, {
    env: { ...process.env, OS_BOOTSTRAP_PASSWORD: adminPassword, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const waiters = new Set<() => void>();
  const onData = (d: Buffer) => {
    output += d.toString();
    for (const w of waiters) w();
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  if (process.env.KEYSTONE_TEST_VERBOSE) {
    child.stdout.pipe(process.stderr);
    child.stderr.pipe(process.stderr);
  }
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => {
      for (const w of waiters) w();
      resolve({ code, signal });
    });
  });
  let hasExited = false;
  void exited.then(() => {
    hasExited = true;
    for (const w of waiters) w();
  });

  const waitForOutput = (pattern: RegExp, timeoutMs = 30_000): Promise<RegExpMatchArray> =>
    new Promise((resolve, reject) => {
      const check = () => {
        const m = output.match(pattern);
        if (m) {
          done();
          resolve(m);
          return;
        }
        if (hasExited) {
          done();
          reject(new Error(`keystone-all exited before its output matched ${pattern}:\n${output}`));
        }
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`timed out waiting for ${pattern} in keystone-all's output:\n${output}`));
      }, timeoutMs);
      const done = () => {
        clearTimeout(timer);
        waiters.delete(check);
      };
      waiters.add(check);
      check();
    });

  const knownWorkers = new Set<number>();
  const workers = () => {
    const list = listWorkers(child.pid!);
    for (const w of list) knownWorkers.add(w.pid);
    return list;
  };

  let stopped: Promise<{ code: number | null; signal: NodeJS.Signals | null }> | null = null;
  const stop = (opts: { signal?: NodeJS.Signals; timeoutMs?: number } = {}) => {
    stopped ??= (async () => {
      workers();
      if (!hasExited) child.kill(opts.signal ?? 'SIGTERM');
      const timeout = new Promise<null>((r) =>
        setTimeout(() => {
          r(null);
        }, opts.timeoutMs ?? 30_000).unref(),
      );
      let result = await Promise.race([exited, timeout]);
      if (!result) {
        child.kill('SIGKILL');
        result = await exited;
      }
      for (const pid of knownWorkers) killQuietly(pid, 'SIGKILL');
      await cleanup();
      return result;
    })();
    return stopped;
  };

  try {
    await waitForOutput(/keystone-all ready/, options.readyTimeoutMs ?? 60_000);
    await waitForOutput(/^Keystone is running\.$/m, 5_000); // the banner, on stdout
  } catch (err) {
    await stop({ signal: 'SIGKILL' });
    throw err;
  }
  const pub = /keystone-public listening on (http:\/\/[^\s]+):(\d+)/.exec(output)!;
  const adm = /keystone-admin listening on (http:\/\/[^\s]+):(\d+)/.exec(output)!;
  const publicPort = Number(pub[2]);
  const adminPort = Number(adm[2]);
  workers();
  return {
    pid: child.pid!,
    publicUrl: `http://127.0.0.1:${publicPort}`,
    adminUrl: `http://127.0.0.1:${adminPort}`,
    publicPort,
    adminPort,
    adminPassword,
    stateDir: dir,
    configFile,
    child,
    output: () => output,
    waitForOutput,
    workers,
    signal: (name) => {
      child.kill(name);
    },
    exited,
    stop,
  };
}
