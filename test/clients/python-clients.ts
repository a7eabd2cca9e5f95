/**
 * Running Debian's OpenStack Python clients against a test server:
 * /usr/bin/python3 (the interpreter with the OpenStack libraries; `python3`
 * on PATH may be another one) and /usr/bin/openstack. With CI=true a
 * missing client fails the suite; elsewhere the suite is skipped with the
 * reason.
 */
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
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

export interface Run { stdout: string; stderr: string; code: number }

export function run(file: string, args: string[], env: Record<string, string>, input?: string): Promise<Run> {
  return new Promise((resolve) => {
    const child = execFile(file, args, { env, timeout: 120_000, maxBuffer: 10 * 1024 * 1024 }, (error, stdout, stderr) => {
      const code = error ? (typeof (error as { code?: unknown }).code === 'number' ? (error as { code: number }).code : 1) : 0;
      resolve({ stdout: String(stdout), stderr: String(stderr), code });
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
    OS_AUTH_URL: `${server.publicUrl}/v3`, OS_IDENTITY_API_VERSION: '3', OS_INTERFACE: 'public', OS_REGION_NAME: 'RegionOne',
    OS_USERNAME: 'admin', OS_PASSWORD: server.adminPassword, OS_PROJECT_NAME: 'admin',
    OS_USER_DOMAIN_NAME: 'Default', OS_PROJECT_DOMAIN_NAME: 'Default',
  };
}

/** Points the bootstrap catalog's identity endpoints at the test server (they name ports 5000/35357). */
export async function catalogAtServer(server: TestServer): Promise<void> {
  const { db, catalog } = server.services;
  await db.none("UPDATE endpoint SET url = $1 WHERE service_id = $2 AND interface IN ('public', 'internal')", [`${server.publicUrl}/v3`, server.bootstrap.serviceId]);
  await db.none("UPDATE endpoint SET url = $1 WHERE service_id = $2 AND interface = 'admin'", [`${server.adminUrl}/v3`, server.bootstrap.serviceId]);
  await catalog.invalidate();
}

export function assertOk(r: Run, what: string): string {
  assert.equal(r.code, 0, `${what} failed (${r.code}): ${r.stderr}${r.stdout}`);
  return r.stdout;
}
