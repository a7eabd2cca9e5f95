/**
 * `npm run lint` inside the test command (issue 13): ESLint (typescript-eslint's
 * strict type-checked rules) and Prettier's check over the whole tree. A finding
 * fails this one test with the findings in its message, not the whole run.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { REPO_ROOT } from '../helpers/keystone-process.js';

const bin = (name: string): string => join(REPO_ROOT, 'node_modules', '.bin', name);

function run(command: string, args: string[]): { status: number | null; output: string } {
  const r = spawnSync(command, args, { cwd: REPO_ROOT, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  return { status: r.status, output: `${r.stdout}${r.stderr}`.trim() };
}

test('ESLint reports nothing, warnings included', () => {
  const r = run(bin('eslint'), ['--max-warnings', '0', '.']);
  assert.equal(r.status, 0, `eslint:\n${r.output.slice(-8000)}`);
});

test("every file is in Prettier's layout", () => {
  const r = run(bin('prettier'), ['--check', '.']);
  assert.equal(r.status, 0, `prettier --check:\n${r.output.slice(-4000)}`);
  assert.match(r.output, /All matched files use Prettier code style/);
});
