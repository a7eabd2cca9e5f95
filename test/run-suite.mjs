#!/usr/bin/env node
// Runs every compiled test file (dist/test/**/*.test.js) with node's test runner.
// With CI=true the suites also cover the real PostgreSQL and Redis of the machine.
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const testRoot = join(root, 'dist', 'test');
const only = process.argv.slice(2);

function collect(dir) {
  const out = [];
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...collect(path));
    else if (name.endsWith('.test.js')) out.push(path);
  }
  return out;
}

// The longest files first, so that the last minutes of a run are not one long file alone on a core.
const LONGEST_FIRST = [
  'cli/keystone-manage', 'process/keystone-all', 'reliability/two-nodes', 'reliability/worker-kill',
  'token/no-stale-yes', 'reliability/', 'security/', 'clients/', 'token/',
];
const rank = (f) => { const i = LONGEST_FIRST.findIndex((p) => f.includes(`/${p}`)); return i < 0 ? LONGEST_FIRST.length : i; };
let files = collect(testRoot).sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
if (only.length) files = files.filter((f) => only.some((o) => f.includes(o)));
if (files.length === 0) {
  console.error('no test files found under dist/test: did the build run?');
  process.exit(1);
}
const concurrency = process.env.KEYSTONE_TEST_CONCURRENCY ?? '2';
const result = spawnSync(process.execPath, ['--test', `--test-concurrency=${concurrency}`, '--test-reporter=spec', ...files], { stdio: 'inherit', cwd: root });
process.exit(result.status ?? 1);
