/**
 * Running Debian's OpenStack Python clients against a test server:
 * /usr/bin/python3 (the interpreter with the OpenStack libraries; `python3`
 * on PATH may be another one) and /usr/bin/openstack. With CI=true a
 * missing client fails the suite; elsewhere the suite is skipped with the
 * reason.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, execFile, spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { TestServer } from '../helpers/test-server.js';

export const PYTHON = '/usr/bin/python3';
export const OPENSTACK = '/usr/bin/openstack';

/** false when the modules import, else the reason to skip. */
export function pythonModulesMissing(modules: string[]): string | false {
  if (!existsSync(PYTHON)) return `${PYTHON} is not installed`;
  const r = spawnSync(PYTHON, ['-c', modules.map((m) => `import ${m}`).join('; ')], { encoding: 'utf8', timeout: 60_000 });
  return r.status === 0 ? false : `${PYTHON} cannot import ${modules.join(', ')}: ${r.stderr.trim().split('\n').pop()}`;
}

/** The describe() option: fail in CI (the before hook asserts), skip elsewhere with the reason. */
export function skipUnlessCi(reason: string | false): string | false {
  return process.env.CI === 'true' ? false : reason;
}

export interface Run {
  stdout: string;
  stderr: string;
  code: number;
}

export function run(file: string, args: string[], env: Record<string, string>, input?: string): Promise<Run> {
  return new Promise((resolve) => {
    const child = execFile(file, args, { env, timeout: 120_000, maxBuffer: 10 * 1024 * 1024 }, (error, stdout, stderr) => {
      const code = error ? (typeof (error as { code?: unknown }).code === 'number' ? (error as { code: number }).code : 1) : 0;
      resolve({ stdout, stderr, code });
    });
    if (input !== undefined) child.stdin?.end(input);
  });
}

export function clientEnv(home: string): Record<string, string> {
  return { PATH: '/usr/bin:/bin', HOME: home, LANG: 'C.UTF-8' };
}

/** The environment of `openstack` as the bootstrap admin, project-scoped, against the test server's public v3. */
export function adminClientEnv(server: TestServer, home: string): Record<string, string> {
  return {
    ...clientEnv(home),
    OS_AUTH_URL: `${server.publicUrl}/v3`,
    OS_IDENTITY_API_VERSION: '3',
    OS_INTERFACE: 'public',
    OS_REGION_NAME: 'RegionOne',
    OS_USERNAME: 'admin',
    OS_PASSWORD: server.adminPassword,
    OS_PROJECT_NAME: 'admin',
    OS_USER_DOMAIN_NAME: 'Default',
    OS_PROJECT_DOMAIN_NAME: 'Default',
  };
}

/** Points the bootstrap catalog's identity endpoints at the test server (they name ports 5000/35357). */
export async function catalogAtServer(server: TestServer): Promise<void> {
  const {
    db,
    providers: { catalog_api: catalog },
  } = server;
  await db.none("UPDATE endpoint SET url = $1 WHERE service_id = $2 AND interface IN ('public', 'internal')", [
    `${server.publicUrl}/v3`,
    server.bootstrap.serviceId,
  ]);
  await db.none("UPDATE endpoint SET url = $1 WHERE service_id = $2 AND interface = 'admin'", [
    `${server.adminUrl}/v3`,
    server.bootstrap.serviceId,
  ]);
  await catalog.invalidate();
}

export function assertOk(r: Run, what: string): string {
  assert.equal(r.code, 0, `${what} failed (${r.code}): ${r.stderr}${r.stdout}`);
  return r.stdout;
}

const RESULT_MARK = '\x1eosc-result ';
const RUNNER = fileURLToPath(new URL('../../../test/clients/osc-runner.py', import.meta.url));

/**
 * `openstack` commands through one Python process (test/clients/osc-runner.py):
 * openstackclient's own main() per command, without re-importing its plugins
 * each time. Commands run one at a time, in the order asked.
 */
export class OpenstackRunner {
  private child: ChildProcess | null = null;
  private buffer = '';
  private readonly waiting: Array<(r: Run) => void> = [];
  private tail: Promise<unknown> = Promise.resolve();

  private start(): ChildProcess {
    const child = spawn(PYTHON, [RUNNER], { stdio: ['pipe', 'pipe', 'pipe'], env: { PATH: '/usr/bin:/bin', LANG: 'C.UTF-8' } });
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      this.buffer += chunk;
      let nl: number;
      while ((nl = this.buffer.indexOf('\n')) >= 0) {
        const line = this.buffer.slice(0, nl);
        this.buffer = this.buffer.slice(nl + 1);
        const at = line.indexOf(RESULT_MARK);
        if (at >= 0) this.waiting.shift()?.(JSON.parse(line.slice(at + RESULT_MARK.length)) as Run);
      }
    });
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => {
      stderr = (stderr + c.toString()).slice(-4000);
    });
    child.on('exit', (code) => {
      this.child = null;
      for (const w of this.waiting.splice(0)) w({ stdout: '', stderr: `osc-runner exited (${code}): ${stderr}`, code: 1 });
    });
    return child;
  }

  /** `openstack <args>` with `env` as its whole environment. */
  run(args: string[], env: Record<string, string>): Promise<Run> {
    const result = this.tail.then(
      () =>
        new Promise<Run>((resolve) => {
          const child = (this.child ??= this.start());
          const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
          this.waiting.push((r) => {
            clearTimeout(timer);
            resolve(r);
          });
          child.stdin!.write(`${JSON.stringify({ argv: args, env })}\n`);
        }),
    );
    this.tail = result;
    return result;
  }

  close(): void {
    this.child?.stdin?.end();
    this.child = null;
  }
}
