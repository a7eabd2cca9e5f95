/**
 * Real keystone-all processes for the multi-process token tests: a
 * keystone.conf in a temp dir, keystone-manage for PostgreSQL (db_sync,
 * bootstrap) or the embedded first run, shared Fernet keys between
 * instances, the ports from $state_path/ports, output captured.
 */
import { SUITE_NODE_FLAGS } from '../helpers/keystone-process.js';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { renderIni, mergeOverrides, type ConfigOverrides } from '../helpers/test-config.js';

const root = new URL('../../../', import.meta.url).pathname;
const KEYSTONE_ALL = join(root, 'dist/src/cli/keystone-all.js');
const KEYSTONE_MANAGE = join(root, 'dist/src/cli/keystone-manage.js');

export const ADMIN_PASSWORD = 'multi-process-secret';

export interface KeystoneInstance {
  publicUrl: string;
  dir: string;
  output(): string;
  stop(): Promise<void>;
}

export interface InstanceOptions {
  /** [database] connection; unset: the embedded database under the instance's state_path */
  connection?: string;
  /** a Fernet key repository shared with another instance (created when missing) */
  fernetKeys?: string;
  workers?: number;
  config?: ConfigOverrides;
  /** run keystone-manage db_sync and bootstrap first (PostgreSQL; once per database) */
  initialize?: boolean;
}

function manage(confFile: string, args: string[]): void {
  const r = spawnSync(process.execPath, [...SUITE_NODE_FLAGS, KEYSTONE_MANAGE, '--config-file', confFile, ...args], {
    encoding: 'utf8',
    timeout: 120_000,
    env: { ...process.env, OS_BOOTSTRAP_PASSWORD: ADMIN_PASSWORD },
  });
  if (r.status !== 0) throw new Error(`keystone-manage ${args.join(' ')} failed (${r.status}): ${r.stderr}${r.stdout}`);
}

export async function startKeystoneAll(options: InstanceOptions = {}): Promise<KeystoneInstance> {
  const dir = mkdtempSync(join(tmpdir(), 'keystone-all-test-'));
  const keys = options.fernetKeys ?? join(dir, 'fernet-keys');
  const base: ConfigOverrides = {
    DEFAULT: { state_path: dir },
    database: { connection: options.connection },
    fernet_tokens: { key_repository: keys },
    fernet_receipts: { key_repository: keys },
    credential: { key_repository: join(dir, 'credential-keys') },
    identity: { password_hash_rounds: 4 },
    eventlet_server: {
      public_bind_host: '127.0.0.1',
      admin_bind_host: '127.0.0.1',
      public_port: 0,
      admin_port: 0,
      public_workers: options.workers ?? 3,
      admin_workers: 1,
    },
    metrics: { port: 0 },
  };
  const file = join(dir, 'keystone.conf');
  writeFileSync(file, renderIni(mergeOverrides(base, options.config ?? {})));
  if (!existsSync(join(keys, '0'))) manage(file, ['fernet_setup']);
  manage(file, ['credential_setup']);
  if (options.initialize) {
    manage(file, ['db_sync']);
    manage(file, ['bootstrap', '--bootstrap-password', ADMIN_PASSWORD]);
  }
  let out = '';
  const child: ChildProcess = spawn(process.execPath, [...SUITE_NODE_FLAGS, KEYSTONE_ALL, '--config-file', file, 'start'], {
    env: { ...process.env, OS_BOOTSTRAP_PASSWORD: ADMIN_PASSWORD },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.on('data', (d) => {
    out += d;
  });
  child.stderr?.on('data', (d) => {
    out += d;
  });
  let exited = false;
  child.once('exit', () => {
    exited = true;
  });
  const stop = async () => {
    if (!exited) {
      child.kill('SIGTERM');
      await Promise.race([new Promise((r) => child.once('exit', r)), sleep(20_000)]);
      if (!exited) child.kill('SIGKILL');
    }
    rmSync(dir, { recursive: true, force: true });
  };
  const until = Date.now() + 90_000;
  const workers = options.workers ?? 3;
  while (Date.now() < until) {
    if (exited) {
      await stop();
      throw new Error(`keystone-all exited during start-up:\n${out}`);
    }
    const portsFile = join(dir, 'ports');
    const listening = (out.match(/keystone-public worker .*listening|listening on http/gi) ?? []).length;
    if (existsSync(portsFile) && listening > 0) {
      try {
        const ports = JSON.parse(readFileSync(portsFile, 'utf8')) as { public: { port: number } };
        const url = `http://127.0.0.1:${ports.public.port}`;
        const r = await fetch(`${url}/v3`);
        await r.arrayBuffer();
        if (r.status === 200) {
          // give every worker time to listen (the port is shared; the first answers already)
          await sleep(300 * workers);
          return { publicUrl: url, dir, output: () => out, stop };
        }
      } catch {
        /* not yet */
      }
    }
    await sleep(250);
  }
  await stop();
  throw new Error(`keystone-all did not come up:\n${out}`);
}

/** POST /v3/auth/tokens as the bootstrap admin (project admin); the token id. */
export async function instanceToken(url: string, auth?: Record<string, unknown>): Promise<string> {
  const body = auth ?? {
    identity: { methods: ['password'], password: { user: { name: 'admin', domain: { id: 'default' }, password: ADMIN_PASSWORD } } },
    scope: { project: { name: 'admin', domain: { id: 'default' } } },
  };
  const r = await fetch(`${url}/v3/auth/tokens`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ auth: body }),
  });
  const text = await r.text();
  const id = r.headers.get('x-subject-token');
  if (r.status !== 201 || !id) throw new Error(`no token from ${url}: ${r.status} ${text}`);
  return id;
}

export async function validations(url: string, authToken: string, subject: string, n: number): Promise<number[]> {
  const statuses: number[] = [];
  for (let i = 0; i < n; i++) {
    // new connections, so that the kernel spreads them over the workers
    const r = await fetch(`${url}/v3/auth/tokens`, {
      headers: { 'X-Auth-Token': authToken, 'X-Subject-Token': subject, Connection: 'close' },
    });
    await r.arrayBuffer();
    statuses.push(r.status);
  }
  return statuses;
}

export async function api(
  url: string,
  method: string,
  path: string,
  token: string,
  body?: unknown,
): Promise<{ status: number; body: unknown }> {
  const r = await fetch(`${url}${path}`, {
    method,
    headers: { 'X-Auth-Token': token, ...(body ? { 'Content-Type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await r.text();
  return { status: r.status, body: text ? JSON.parse(text) : undefined };
}
