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

let files = collect(testRoot);
if (only.length) files = files.filter((f) => only.some((o) => f.includes(o)));
if (files.length === 0) {
  console.error('no test files found under dist/test: did the build run?');
  process.exit(1);
}
const concurrency = process.env.KEYSTONE_TEST_CONCURRENCY ?? '2';
// --liftoff-only: PGlite's WebAssembly is not recompiled by the optimising tier in every test process
// (about 1.2 s of CPU each; the test helpers pass the flag on to the keystone-all/keystone-manage they start).
const result = spawnSync(process.execPath, ['--liftoff-only', '--test', `--test-concurrency=${concurrency}`, '--test-reporter=spec', ...files], { stdio: 'inherit', cwd: root });
process.exit(result.status ?? 1);
