/**
 * The real Keystone 22 (Debian's python3-keystone) on a database of the
 * test's: its own keystone-manage (db_sync, fernet_setup, credential_setup,
 * bootstrap) and its public API served by test/fixtures/keystone/serve_keystone.py.
 *
 *   const ks = await prepareKeystone22('mysql+pymysql://…', { adminPassword: 'secret' });
 *   const api = await ks.serve();                 // api.url = http://127.0.0.1:PORT (no /v3)
 *   …; await api.stop(); ks.remove();
 *
 * keystone22Unavailable() says why it cannot run here (null when it can).
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const PYTHON = '/usr/bin/python3';
/**
 * Keystone's own keystone-manage, run as its module: /usr/bin/keystone-manage may be ours while
 * test/packaging/install.test.ts has our .deb installed (it diverts Keystone's).
 */
const KEYSTONE_MANAGE_ARGS = ['-c', 'import sys; from keystone.cmd.manage import main; sys.argv[0] = "keystone-manage"; main()'];
const SERVE = fileURLToPath(new URL('../../../test/fixtures/keystone/serve_keystone.py', import.meta.url));

export function keystone22Unavailable(): string | null {
  if (!existsSync(PYTHON)) return `${PYTHON} is not installed`;
  const r = spawnSync(PYTHON, ['-c', 'import keystone.cmd.manage, pymysql, psycopg2'], { encoding: 'utf8' });
  if (r.status !== 0) return `${PYTHON} cannot import keystone, pymysql and psycopg2: ${r.stderr.trim().split('\n').at(-1) ?? ''}`;
  return null;
}

export interface Keystone22 {
  dir: string;
  configFile: string;
  fernetKeyRepository: string;
  credentialKeyRepository: string;
  /** runs Keystone's keystone-manage with this configuration; rejects on failure */
  manage(args: string[]): Promise<string>;
  serve(): Promise<{ url: string; stop(): Promise<void> }>;
  remove(): void;
}

export async function prepareKeystone22(connection: string, options: { adminPassword: string }): Promise<Keystone22> {
  const dir = mkdtempSync(join(tmpdir(), 'keystone22-'));
  const fernetKeyRepository = join(dir, 'fernet-keys');
  const credentialKeyRepository = join(dir, 'credential-keys');
  mkdirSync(fernetKeyRepository, { mode: 0o700 });
  mkdirSync(credentialKeyRepository, { mode: 0o700 });
  const configFile = join(dir, 'keystone.conf');
  writeFileSync(
    configFile,
    [
      '[DEFAULT]',
      `log_file = ${join(dir, 'keystone.log')}`,
      '[database]',
      `connection = ${connection}`,
      '[token]',
      'provider = fernet',
      '[fernet_tokens]',
      `key_repository = ${fernetKeyRepository}`,
      '[fernet_receipts]',
      `key_repository = ${fernetKeyRepository}`,
      '[credential]',
      `key_repository = ${credentialKeyRepository}`,
      '[identity]',
      'password_hash_rounds = 4',
      '[cache]',
      'enabled = false',
      '',
    ].join('\n'),
  );
  const user = process.getuid?.() === 0 ? 'root' : String(process.getuid?.());
  const manage = (args: string[]) =>
    new Promise<string>((resolve, reject) => {
      const child = spawn(PYTHON, [...KEYSTONE_MANAGE_ARGS, '--config-file', configFile, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
      let output = '';
      child.stdout.on('data', (d: Buffer) => (output += d.toString()));
      child.stderr.on('data', (d: Buffer) => (output += d.toString()));
      child.on('close', (code) => {
        if (code === 0) resolve(output);
        else reject(new Error(`keystone-manage ${args.join(' ')} failed (${String(code)}):\n${output.slice(-3000)}`));
      });
    });
  await manage(['db_sync']);
  await manage(['fernet_setup', '--keystone-user', user, '--keystone-group', user]);
  await manage(['credential_setup', '--keystone-user', user, '--keystone-group', user]);
  await manage([
    'bootstrap',
    '--bootstrap-password',
    options.adminPassword,
    '--bootstrap-region-id',
    'RegionOne',
    '--bootstrap-public-url',
    'http://127.0.0.1:1/v3',
  ]);
  const serve = () =>
    new Promise<{ url: string; stop(): Promise<void> }>((resolve, reject) => {
      const child = spawn(PYTHON, [SERVE, configFile], { stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      let err = '';
      const exited = new Promise<void>((r) =>
        child.once('exit', () => {
          r();
        }),
      );
      child.stderr.on('data', (d: Buffer) => (err += d.toString()));
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        const m = /\{"port": (\d+)\}/.exec(out);
        if (m)
          resolve({
            url: `http://127.0.0.1:${m[1]}`,
            stop: async () => {
              if (child.exitCode === null) child.kill('SIGTERM');
              await exited;
            },
          });
      });
      child.once('exit', (code) => {
        reject(new Error(`serve_keystone.py exited (${String(code)}) before listening:\n${err.slice(-3000)}`));
      });
    });
  return {
    dir,
    configFile,
    fernetKeyRepository,
    credentialKeyRepository,
    manage,
    serve,
    remove: () => {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
