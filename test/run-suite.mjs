#!/usr/bin/env node
// Runs every compiled test file (dist/test/**/*.test.js) with node's test runner.
// With CI=true the suites also cover the real PostgreSQL and Redis of the machine.
//
// Files that change the machine itself (they install a package system-wide, which
// writes /etc/keystone and diverts /usr/bin/keystone-manage) run alone, after the
// others, so that no other file sees the machine half-changed. Both phases report
// through one spec reporter with one summary of counts.
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { run } from 'node:test';
import { spec } from 'node:test/reporters';
import { Readable } from 'node:stream';

const root = new URL('..', import.meta.url).pathname;
const testRoot = join(root, 'dist', 'test');
const only = process.argv.slice(2);

// --liftoff-only: PGlite's WebAssembly is not recompiled by the optimising tier in every test process
// (about 1.2 s of CPU each; the test helpers pass the flag on to the keystone-all/keystone-manage they start).
// The runner hands its own execArgv to the test processes, so it re-executes itself with the flag.
if (!process.execArgv.includes('--liftoff-only')) {
  const again = spawnSync(process.execPath, ['--liftoff-only', ...process.argv.slice(1)], { stdio: 'inherit', cwd: root });
  process.exit(again.status ?? 1);
}

const MACHINE_CHANGING = [join('packaging', 'install.test.js')];

// The slowest files (CI's timings, slowest first) start first, so that the run does not end with one of them
// running alone on a core while the other core has nothing left; the rest keep their order.
const SLOWEST_FIRST = [
  'import/db-import-postgres.test.js',
  'import/db-import-mariadb.test.js',
  'house/lint.test.js',
  'cli/keystone-manage.test.js',
  'token/no-stale-yes.test.js',
  'process/keystone-all.test.js',
  'packaging/packages.test.js',
  'security/fuzz.test.js',
  'reliability/two-nodes.test.js',
  'cli/keystone-manage-beside-server.test.js',
  'identity/federated-users-keystone22.test.js',
  'revoke/revocation.test.js',
  'security/brute-force.test.js',
  'reliability/healthcheck.test.js',
].map((f) => join(...f.split('/')));
const startRank = (f) => {
  const i = SLOWEST_FIRST.findIndex((s) => f.endsWith(s));
  return i === -1 ? SLOWEST_FIRST.length : i;
};

function collect(dir) {
  const out = [];
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...collect(path));
    else if (name.endsWith('.test.js')) out.push(path);
  }
  return out;
}

let files = collect(testRoot).sort((a, b) => startRank(a) - startRank(b));
if (only.length) files = files.filter((f) => only.some((o) => f.includes(o)));
if (files.length === 0) {
  console.error('no test files found under dist/test: did the build run?');
  process.exit(1);
}
const alone = (f) => MACHINE_CHANGING.some((m) => f.endsWith(m));
const phases = [
  // three files at once on two cores: at two, the run used 153% of the CPU (files wait on the servers,
  // slapd, MariaDB and Keystone 22 they start); at three, 172%, and 13:58 instead of 16:11 on the same machine
  { files: files.filter((f) => !alone(f)), concurrency: Number(process.env.KEYSTONE_TEST_CONCURRENCY ?? '3') },
  { files: files.filter(alone), concurrency: 1 },
].filter((p) => p.files.length > 0);

const COUNTS = ['tests', 'suites', 'pass', 'fail', 'cancelled', 'skipped', 'todo', 'duration_ms'];
const totals = Object.fromEntries(COUNTS.map((k) => [k, 0]));
const started = performance.now();
// Wall time per file (its top-level tests' durations), printed to stderr at the end: where the suite's minutes go.
const fileMs = new Map();

async function* events() {
  for (const phase of phases) {
    for await (const event of run({ files: phase.files, concurrency: phase.concurrency })) {
      // The runner closes each run with its counts as top-level diagnostics: add them up instead.
      if (event.type === 'test:diagnostic' && event.data.nesting === 0) {
        const [key, value] = event.data.message.split(' ');
        if (COUNTS.includes(key) && value !== undefined && !Number.isNaN(Number(value))) {
          totals[key] += Number(value);
          continue;
        }
      }
      if ((event.type === 'test:pass' || event.type === 'test:fail') && event.data.nesting === 0 && event.data.file) {
        const ms = event.data.details?.duration_ms ?? 0;
        fileMs.set(event.data.file, (fileMs.get(event.data.file) ?? 0) + ms);
      }
      yield event;
    }
  }
  totals.duration_ms = Math.round((performance.now() - started) * 1000) / 1000;
  for (const key of COUNTS) yield { type: 'test:diagnostic', data: { nesting: 0, message: `${key} ${totals[key]}` } };
}

const reporter = Readable.from(events()).compose(spec);
reporter.pipe(process.stdout);
reporter.on('end', () => {
  const slowest = [...fileMs].sort((a, b) => b[1] - a[1]).slice(0, 20);
  process.stderr.write(`\nslowest test files (seconds):\n`);
  for (const [file, ms] of slowest) process.stderr.write(`  ${(ms / 1000).toFixed(1).padStart(7)}  ${file.slice(testRoot.length + 1)}\n`);
  process.exitCode = totals.fail > 0 || totals.cancelled > 0 ? 1 : 0;
});
