/**
 * Shared by the packaging tests: builds the packages with
 * packaging/build-packages.mjs --no-compile (from the dist/ the tests were
 * compiled into) and runs commands with a failing assertion on a non-zero exit.
 */
import assert from 'node:assert/strict';
import { spawnSync, type SpawnSyncOptions } from 'node:child_process';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO = resolve(fileURLToPath(new URL('../../..', import.meta.url)));
export const CI = process.env.CI === 'true';
export const IS_ROOT = process.getuid?.() === 0;

export const has = (cmd: string) => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;

export function sh(cmd: string, args: string[], opts: SpawnSyncOptions = {}): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 1 << 26, ...opts });
  assert.equal(r.status, 0, `${cmd} ${args.join(' ')} failed (${r.status}): ${String(r.stdout)}${String(r.stderr)}${r.error ?? ''}`);
  return String(r.stdout);
}

/** Builds into `outDir`; `which` limits to one format. Returns the built files. */
export function buildPackages(outDir: string, which?: 'deb' | 'rpm'): { deb?: string; rpm?: string } {
  const args = [join(REPO, 'packaging/build-packages.mjs'), '--no-compile', '--out', outDir];
  if (which) args.push(`--${which}-only`);
  const out = sh(process.execPath, args, { cwd: REPO });
  return JSON.parse(out.trim().split('\n').pop() as string) as { deb?: string; rpm?: string };
}

/** Debian's name for this machine's architecture (amd64, arm64…). */
export const debArch = () => sh('dpkg', ['--print-architecture']).trim();
