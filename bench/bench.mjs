#!/usr/bin/env node
// npm run bench — the token path measured on this machine, beside the HTTP ceiling
// (../shared/anchors/http-ceiling/hello.js) and Keystone 22 in the same run (started by
// ../shared/anchors/keystone/start.sh when python3-keystone is installed: its install.sh; KEYSTONE22=0 leaves
// it out, and the ratios then use RESULTS.md's figures).
//
// Starts real servers: keystone-all (dist/src/cli/keystone-all.js with keystone-manage, when they exist)
// or else bench/cluster-server.mjs (node:cluster workers with the same app, pipeline and fast path),
// each with WORKERS workers (default ceil(cpus × 1.5), as keystone-all and the Keystone measurement).
// Load: wrk (apt-get install -y wrk) or autocannon (HEAD: ab from apache2-utils, else a node:http client), THREADS=2 CONNS=32 DURATION=10 s a case, after a
// WARMUP (2 s) of the same request so that steady state is measured.
// Configurations (CONFIGS, comma-separated: keystone22, postgres-redis, memory, none, redis): the embedded database with the in-process cache and with [cache] enabled = false
// (Keystone's default), the embedded database with Redis when REDIS_URL is set, and PostgreSQL + Redis
// when both answer (PG_URL, default postgresql://postgres@127.0.0.1:5432/postgres: a fresh database is
// created and dropped; REDIS_URL, default redis://127.0.0.1:6379/9 for that case).
// Cases: validate (GET, ?nocatalog, HEAD), GET /v3/auth/catalog, GET /v3/users and /v3/projects of
// LIST_ROWS (1,000) + 1 entries, token-method issue (rescope), password issue at ROUNDS (12) bcrypt
// rounds beside bcrypt's own rate on this machine (both cores); CPU µs per request of the workers
// (their CPU time over the requests answered); then the resident memory of each worker. hello.js is
// measured again right before and right after each configuration's validation cases, and the validation
// rows are compared with the mean of those two. Prints a Markdown table.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

const root = new URL('..', import.meta.url).pathname;
const WORKERS = Number(process.env.WORKERS ?? Math.ceil(cpus().length * 1.5));
const THREADS = process.env.THREADS ?? '2';
const CONNS = process.env.CONNS ?? '32';
const DURATION = Number(process.env.DURATION ?? 10);
const WARMUP = Number(process.env.WARMUP ?? 2);
/**
 * A slow case (password issue) runs SLOW_DURATION (at least 30 s): at about 6 answers a second, the hashes still in
 * flight when the load stops (up to a few per worker) would otherwise weigh several percent of the count.
 */
const SLOW_DURATION = Number(process.env.SLOW_DURATION ?? Math.max(DURATION, 30));
const ROUNDS = process.env.ROUNDS ?? '12';
const HELLO = process.env.HELLO_JS ?? join(root, '..', 'shared', 'anchors', 'http-ceiling', 'hello.js');
// the floor row's answer: the size of the validation body of the bench's admin token (catalog included), and
// the length of a project-scoped Fernet password token's id
const SHAPE_BODY = 708;
const FERNET_TOKEN_LENGTH = 183;
// a p99 above OUTLIER_P99_MS and OUTLIER_RATIO times the mean keeps wrk's report (tmpdir()/wrk-outlier-*.txt)
const OUTLIER_P99_MS = Number(process.env.OUTLIER_P99_MS ?? 100);
const OUTLIER_RATIO = Number(process.env.OUTLIER_RATIO ?? 20);
const POST_LUA = join(root, 'bench', 'post.lua');
const LIST_ROWS = Number(process.env.LIST_ROWS ?? 1000);
const PG_URL = process.env.PG_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';
const CASES = process.env.CASES ? new Set(process.env.CASES.split(',')) : null;
const HOLD = process.env.BENCH_HOLD;

// Keystone 22 on this machine class (RESULTS.md: 2 cores, 3 uwsgi processes, memcached, bcrypt 12; lists of 201
// entries from issue 14's run), the denominators when Keystone 22 is not measured in this run.
const KEYSTONE_RECORDED = {
  validate: 161.53,
  nocatalog: 168.09,
  head: 156.64,
  catalog: 212,
  users: 36,
  projects: 53,
  rescope: 164.83,
  password: 5.99,
};
// Keystone 22 measured in this run (KEYSTONE22, default: when ../shared/anchors/keystone and python3-keystone are here).
const keystoneMeasured = {};
const KEYSTONE_ANCHOR = join(root, '..', 'shared', 'anchors', 'keystone');
const KEYSTONE22 =
  process.env.KEYSTONE22 !== '0' && existsSync(join(KEYSTONE_ANCHOR, 'start.sh')) && existsSync('/usr/bin/keystone-wsgi-public');

const tool = (() => {
  if (spawnSync('wrk', ['--version']).error === undefined) return 'wrk';
  if (spawnSync('autocannon', ['--version']).error === undefined) return 'autocannon';
  console.error('neither wrk nor autocannon is installed: apt-get install -y wrk');
  process.exit(2);
})();

function parseWrk(out) {
  const num = (re) => {
    const m = re.exec(out);
    return m ? m[1] : null;
  };
  const ms = (v) => {
    if (!v) return null;
    const m = /^([\d.]+)(us|ms|s)$/.exec(v);
    if (!m) return null;
    return Number(m[1]) * (m[2] === 'us' ? 0.001 : m[2] === 's' ? 1000 : 1);
  };
  return {
    rps: Number(num(/Requests\/sec:\s+([\d.]+)/)),
    mean: ms(num(/Latency\s+(\S+)/)),
    p99: ms(num(/\s99%\s+(\S+)/)),
    non2xx: Number(num(/Non-2xx or 3xx responses:\s+(\d+)/) ?? 0),
    errors: (() => {
      const m = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
      return m ? m.slice(1).reduce((a, b) => a + Number(b), 0) : 0;
    })(),
  };
}

async function load(url, { headers = {}, method = 'GET', bodyFile, duration = DURATION } = {}) {
  if (tool === 'wrk') {
    const args = ['-t', THREADS, '-c', CONNS, '-d', `${duration}s`, '--latency', '--timeout', '10s'];
    for (const [k, v] of Object.entries(headers)) args.push('-H', `${k}: ${v}`);
    const env = { ...process.env };
    let script;
    if (bodyFile) {
      args.push('-s', POST_LUA);
      env.BODY_FILE = bodyFile;
    } else if (method !== 'GET') {
      script = join(tmpdir(), `wrk-${method}-${process.pid}.lua`);
      writeFileSync(script, `wrk.method = "${method}"\n`);
      args.push('-s', script);
    }
    args.push(url);
    const r = spawnSync('wrk', args, { env, encoding: 'utf8', timeout: (duration + 30) * 1000 });
    if (script) rmSync(script, { force: true });
    const parsed = parseWrk(r.stdout + r.stderr);
    // a tail far beyond the rest (seen now and then: p99 of hundreds of ms at normal throughput) keeps wrk's own report
    if (parsed.p99 !== null && parsed.mean !== null && parsed.p99 > OUTLIER_P99_MS && parsed.p99 > OUTLIER_RATIO * parsed.mean) {
      const kept = join(tmpdir(), `wrk-outlier-${process.pid}-${Date.now()}.txt`);
      writeFileSync(kept, `wrk ${args.join(' ')}\n\n${r.stdout}${r.stderr}`);
      process.stderr.write(`p99 ${parsed.p99} ms on ${url}: wrk's report kept in ${kept}\n`);
    }
    return parsed;
  }
  const args = ['-j', '-c', CONNS, '-d', String(duration), '-m', method];
  for (const [k, v] of Object.entries(headers)) args.push('-H', `${k}=${v}`);
  if (bodyFile) args.push('-H', 'Content-Type=application/json', '-i', bodyFile, '-m', 'POST');
  args.push(url);
  const r = spawnSync('autocannon', args, { encoding: 'utf8', timeout: (duration + 30) * 1000 });
  const j = JSON.parse(r.stdout);
  return { rps: j.requests.average, mean: j.latency.average, p99: j.latency.p99, non2xx: j.non2xx, errors: j.errors + j.timeouts };
}

// HEAD: wrk waits for the body a Content-Length announces, so HEAD is measured with ApacheBench (apache2-utils:
// one thread, HTTP/1.0 keep-alive, -i for HEAD; percentiles in whole milliseconds), else with a node:http client.
const HEAD_TOOL = spawnSync('ab', ['-V']).error === undefined ? 'ab' : 'node';
const HEAD_TOOL_LABEL = HEAD_TOOL === 'ab' ? 'ab -k' : 'node:http client';

function abLoad(url, { headers = {}, duration = DURATION } = {}) {
  const args = ['-q', '-k', '-i', '-c', CONNS, '-t', String(duration), '-n', '100000000', '-s', '10'];
  for (const [k, v] of Object.entries(headers)) args.push('-H', `${k}: ${v}`);
  args.push(url);
  const r = spawnSync('ab', args, { encoding: 'utf8', timeout: (duration + 30) * 1000, maxBuffer: 1 << 24 });
  const out = r.stdout + r.stderr;
  const num = (re) => {
    const m = re.exec(out);
    return m ? Number(m[1]) : null;
  };
  return {
    rps: num(/Requests per second:\s+([\d.]+)/) ?? 0,
    mean: num(/Time per request:\s+([\d.]+) \[ms\] \(mean\)/),
    p99: num(/\s99%\s+(\d+)/),
    non2xx: num(/Non-2xx responses:\s+(\d+)/) ?? 0,
    errors: num(/Failed requests:\s+(\d+)/) ?? 0,
  };
}

/**
 * HEAD load from node:http, when ab is not installed. Same connection count; the client shares the cores
 * and tops out near 20,000 requests/s, so this figure is a lower bound.
 */
async function nodeLoad(url, { headers = {}, method = 'HEAD', duration = DURATION } = {}) {
  const { request, Agent } = await import('node:http');
  const agent = new Agent({ keepAlive: true, maxSockets: Number(CONNS) });
  const latencies = [];
  let non2xx = 0;
  let errors = 0;
  const until = Date.now() + duration * 1000;
  const one = () =>
    new Promise((resolve) => {
      const t0 = process.hrtime.bigint();
      const req = request(url, { method, headers, agent }, (res) => {
        res.resume();
        res.on('end', () => {
          latencies.push(Number(process.hrtime.bigint() - t0) / 1e6);
          if (res.statusCode < 200 || res.statusCode >= 300) non2xx++;
          resolve();
        });
      });
      req.on('error', () => {
        errors++;
        resolve();
      });
      req.end();
    });
  const loop = async () => {
    while (Date.now() < until) await one();
  };
  const started = Date.now();
  await Promise.all(Array.from({ length: Number(CONNS) }, loop));
  agent.destroy();
  latencies.sort((a, b) => a - b);
  const seconds = (Date.now() - started) / 1000;
  return {
    rps: latencies.length / seconds,
    mean: latencies.reduce((a, b) => a + b, 0) / Math.max(1, latencies.length),
    p99: latencies[Math.floor(latencies.length * 0.99)] ?? null,
    non2xx,
    errors,
  };
}

async function measure(url, opts = {}) {
  const started = () => opts.onStart?.();
  if (opts?.method === 'HEAD') {
    const headLoad = HEAD_TOOL === 'ab' ? abLoad : nodeLoad;
    if (WARMUP > 0) await headLoad(url, { ...opts, duration: WARMUP });
    started();
    return headLoad(url, opts);
  }
  // A slow case (bcrypt) gets no warm-up: the warm-up's unanswered requests would still be queued
  // in the server when the measured run starts. It runs longer instead (SLOW_DURATION).
  if (opts.slow) {
    started();
    return load(url, { ...opts, duration: SLOW_DURATION });
  }
  if (WARMUP > 0) await load(url, { ...opts, duration: WARMUP });
  started();
  return load(url, opts);
}

function rssOf(pid) {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : null;
  } catch {
    return null;
  }
}

function cpuTicksOf(pids) {
  let ticks = 0;
  for (const pid of pids) {
    try {
      const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
      ticks += Number(f[11]) + Number(f[12]);
    } catch {
      // a worker that exited
    }
  }
  return ticks;
}

function childrenOf(pid) {
  const r = spawnSync('pgrep', ['-P', String(pid)], { encoding: 'utf8' });
  return r.stdout.split('\n').filter(Boolean).map(Number);
}

// ---- servers -------------------------------------------------------------------------------

async function waitForPort(port, timeoutMs = 60_000) {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    try {
      const r = await fetch(`http://127.0.0.1:${port}/v3`);
      await r.arrayBuffer();
      return;
    } catch {
      await sleep(300);
    }
  }
  throw new Error(`nothing answers on port ${port}`);
}

async function startKeystoneAll(cache) {
  const all = join(root, 'dist/src/cli/keystone-all.js');
  const manage = join(root, 'dist/src/cli/keystone-manage.js');
  if (!existsSync(all) || !existsSync(manage) || process.env.BENCH_SERVER === 'cluster') return null;
  const dir = mkdtempSync(join(tmpdir(), 'keystone-bench-all-'));
  const redisUrl = cache === 'postgres-redis' ? (process.env.REDIS_URL ?? 'redis://127.0.0.1:6379/9') : process.env.REDIS_URL;
  const cacheLines =
    cache === 'none'
      ? ['enabled = false']
      : cache === 'redis' || cache === 'postgres-redis'
        ? [
            'enabled = true',
            'backend = dogpile.cache.redis',
            `backend_argument = url:${redisUrl}`,
            `backend_argument = key_prefix:bench-${process.pid}-${Date.now()}:`,
          ]
        : ['enabled = true', 'backend = dogpile.cache.memory'];
  const database = cache === 'postgres-redis' ? await createPostgresDatabase() : null;
  const file = join(dir, 'keystone.conf');
  writeFileSync(
    file,
    [
      '[DEFAULT]',
      `state_path = ${dir}`,
      '',
      '[database]',
      `connection = ${database?.url ?? ''}`,
      '',
      '[fernet_tokens]',
      `key_repository = ${join(dir, 'fernet-keys')}`,
      '',
      '[fernet_receipts]',
      `key_repository = ${join(dir, 'fernet-keys')}`,
      '',
      '[credential]',
      `key_repository = ${join(dir, 'credential-keys')}`,
      '',
      '[identity]',
      `password_hash_rounds = ${ROUNDS}`,
      '',
      '[cache]',
      ...cacheLines,
      '',
      '[eventlet_server]',
      'public_bind_host = 127.0.0.1',
      'public_port = 0',
      'admin_bind_host = 127.0.0.1',
      'admin_port = 0',
      `public_workers = ${WORKERS}`,
      'admin_workers = 1',
      '',
      '[metrics]',
      'port = 0',
      '',
    ].join('\n'),
  );
  // The embedded database's first run: schema, key repositories and bootstrap (admin / secret);
  // PostgreSQL is prepared with keystone-manage, as the install guide does.
  if (database) {
    for (const args of [['db_sync'], ['fernet_setup'], ['credential_setup'], ['bootstrap', '--bootstrap-password', 'secret']]) {
      const r = spawnSync(process.execPath, [manage, '--config-file', file, ...args], { encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`keystone-manage ${args[0]}: ${r.stderr}${r.stdout}`);
    }
  }
  const { openSync } = await import('node:fs');
  const logFd = openSync(join(dir, 'keystone-all.log'), 'w');
  // BENCH_LOG=file keeps keystone-all's log (one access line per request, written synchronously);
  // by default it goes to /dev/null, as the Keystone and hello.js figures carry no logging cost either.
  const out = process.env.BENCH_LOG === 'file' ? logFd : 'ignore';
  // BENCH_CPU_PROF=<dir>: every process of keystone-all (primary and workers) writes a V8 CPU profile there when it exits.
  // BENCH_NODE_FLAGS='--trace-gc …': node flags for keystone-all's primary, which its workers inherit
  // (flags NODE_OPTIONS refuses, such as --trace-gc, go here).
  const nodeFlags = [
    ...(process.env.BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`] : []),
    ...(process.env.BENCH_NODE_FLAGS ?? '').split(' ').filter(Boolean),
  ];
  const child = spawn(process.execPath, [...nodeFlags, all, '--config-file', file, 'start'], {
    stdio: ['ignore', out, out],
    env: { ...process.env, OS_BOOTSTRAP_PASSWORD: 'secret' },
  });
  let exited = false;
  child.once('exit', () => {
    exited = true;
  });
  let port;
  const until = Date.now() + 90_000;
  while (Date.now() < until && port === undefined && !exited) {
    try {
      port = JSON.parse(readFileSync(join(dir, 'ports'), 'utf8')).public.port;
    } catch {
      await sleep(300);
    }
  }
  if (port === undefined) {
    const tail = (() => {
      try {
        return readFileSync(join(dir, 'keystone-all.log'), 'utf8').split('\n').slice(-15).join('\n');
      } catch {
        return '';
      }
    })();
    console.error(`keystone-all ${exited ? 'exited' : 'wrote no ports file'}:\n${tail}`);
  }
  try {
    if (port === undefined) throw new Error('no ports file');
    await waitForPort(port);
  } catch (err) {
    child.kill('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
    console.error(`keystone-all did not come up (${err.message}); using the cluster stand-in`);
    return null;
  }
  await sleep(500 * WORKERS);
  // keystone-all's children: the public workers (the first WORKERS) and the admin worker.
  const workerPids = () =>
    childrenOf(child.pid).filter((pid) => {
      try {
        return (
          readFileSync(`/proc/${pid}/cmdline`, 'utf8').length > 0 && readFileSync(`/proc/${pid}/comm`, 'utf8').trim() !== 'keystone-admin'
        );
      } catch {
        return false;
      }
    });
  return {
    kind: 'keystone-all',
    port,
    workerPids,
    async stop() {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
      rmSync(dir, { recursive: true, force: true });
      await database?.drop();
    },
  };
}

/** A fresh database on PG_URL's server (dropped by drop()). */
async function createPostgresDatabase() {
  const { default: pgPromise } = await import('pg-promise');
  const pgp = pgPromise();
  const admin = pgp(PG_URL);
  const name = `keystone_bench_${process.pid}_${Date.now()}`;
  await admin.none(`CREATE DATABASE ${name}`);
  const url = new URL(PG_URL);
  url.pathname = `/${name}`;
  return {
    url: url.href,
    async drop() {
      await admin.none(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      pgp.end();
    },
  };
}

async function servicesAnswer() {
  try {
    const { default: pgPromise } = await import('pg-promise');
    const pgp = pgPromise();
    await pgp(PG_URL).one('SELECT 1');
    pgp.end();
    const { Redis } = await import('ioredis');
    const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379/9', { lazyConnect: true, maxRetriesPerRequest: 0 });
    await redis.connect();
    await redis.ping();
    redis.disconnect();
    return true;
  } catch {
    return false;
  }
}

async function startCluster(cache) {
  const child = spawn(process.execPath, [join(root, 'bench/cluster-server.mjs')], {
    env: { ...process.env, CACHE: cache, WORKERS: String(WORKERS), ROUNDS, PORT: '0' },
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  const line = await new Promise((resolve, reject) => {
    let buf = '';
    child.stdout.on('data', (d) => {
      buf += d;
      if (buf.includes('\n')) resolve(buf.split('\n')[0]);
    });
    child.once('exit', (code) => reject(new Error(`cluster-server exited ${code}`)));
  });
  const info = JSON.parse(line);
  return {
    kind: 'node:cluster stand-in',
    port: info.port,
    workerPids: () => info.pids,
    async stop() {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
    },
  };
}

/**
 * Keystone 22 from Debian's packages under uwsgi, as ../shared/anchors/keystone/start.sh starts it: WORKERS
 * processes × 4 threads, keep-alive (KS_HTTP=http11, its best mode here), memcached, PostgreSQL on this
 * machine, bcrypt at ROUNDS; admin / secret. Null when it does not come up.
 */
async function startKeystone22() {
  const port = 16100 + Math.floor(Math.random() * 800);
  const state = mkdtempSync(join(tmpdir(), 'keystone22-bench-'));
  const env = {
    ...process.env,
    KS_PORT: String(port),
    KS_STATE: state,
    KS_HTTP: process.env.KS_HTTP ?? 'http11',
    KS_WORKERS: String(WORKERS),
    KS_HASH_ROUNDS: ROUNDS,
    KS_ADMIN_PASSWORD: 'secret',
  };
  const stop = () => {
    spawnSync(join(KEYSTONE_ANCHOR, 'stop.sh'), [], { env: { ...env, KS_DROP_DB: '1' }, stdio: 'ignore', timeout: 120_000 });
    rmSync(state, { recursive: true, force: true });
  };
  const r = spawnSync(join(KEYSTONE_ANCHOR, 'start.sh'), [], { env, encoding: 'utf8', timeout: 600_000 });
  if (r.status !== 0) {
    console.error(`Keystone 22 did not start (${r.status}): ${(r.stderr || r.stdout).split('\n').slice(-10).join('\n')}`);
    stop();
    return null;
  }
  const master = Number(readFileSync(join(state, 'uwsgi.pid'), 'utf8'));
  return {
    kind: 'Keystone 22',
    port,
    workerPids: () => childrenOf(master),
    async stop() {
      stop();
    },
  };
}

async function startServer(cache) {
  return (await startKeystoneAll(cache)) ?? startCluster(cache);
}

// ---- cases ---------------------------------------------------------------------------------

async function tokenOf(port, bodyFile) {
  const r = await fetch(`http://127.0.0.1:${port}/v3/auth/tokens`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: readFileSync(bodyFile),
  });
  const id = r.headers.get('x-subject-token');
  const body = await r.json();
  if (r.status !== 201 || !id) throw new Error(`could not get a token: ${r.status} ${JSON.stringify(body)}`);
  return { id, body };
}

const rows = [];
/** A measured case; `key` names the case for the comparison with Keystone 22 (KEYSTONE_RECORDED's keys). */
function row(server, name, result, key, { isKeystone = false } = {}) {
  const entry = { server, name, ...result, key, isKeystone };
  rows.push(entry);
  if (isKeystone && key) keystoneMeasured[key] = result.rps;
  const k = key && !isKeystone ? keystoneFor(key) : undefined;
  const x = k ? `${(result.rps / k.rps).toFixed(0)}×` : '';
  process.stderr.write(
    `${server} | ${name} | ${result.rps.toFixed(result.rps < 100 ? 1 : 0)} req/s | p99 ${result.p99?.toFixed(2)} ms ${x}\n`,
  );
  return entry;
}

/** Keystone 22's rate for a case: measured in this run when it was, else RESULTS.md's. */
function keystoneFor(key) {
  if (keystoneMeasured[key] !== undefined) return { rps: keystoneMeasured[key], source: 'this run' };
  if (KEYSTONE_RECORDED[key] !== undefined) return { rps: KEYSTONE_RECORDED[key], source: 'RESULTS.md' };
  return undefined;
}

/** The measured case with the CPU the workers spent on it, per request answered. */
async function measureCpu(server, url, opts = {}) {
  const pids = server.workerPids();
  let before = 0;
  const result = await measure(url, {
    ...opts,
    onStart: () => {
      before = cpuTicksOf(pids);
    },
  });
  const ticks = cpuTicksOf(pids) - before;
  const requests = result.rps * (opts.slow ? SLOW_DURATION : DURATION);
  return { ...result, cpuUs: requests > 0 ? (ticks * 1e4) / requests : null };
}

/** LIST_ROWS users and projects in the default domain (16 requests at a time). */
async function createListRows(base, token) {
  let next = 0;
  // A keep-alive connection the server closed between two requests fails the next one without an answer: it is
  // sent again, and a 409 then means the first one was created after all.
  const post = async (path, body, attempt = 1) => {
    let r;
    try {
      r = await fetch(`${base}${path}`, {
        method: 'POST',
        headers: { 'X-Auth-Token': token, 'Content-Type': 'application/json' },
        body: JSON.stringify(body),
      });
    } catch (err) {
      if (attempt >= 3) throw err;
      return post(path, body, attempt + 1);
    }
    await r.arrayBuffer();
    if (r.status !== 201 && !(attempt > 1 && r.status === 409)) throw new Error(`POST ${path}: ${r.status}`);
  };
  await Promise.all(
    Array.from({ length: 16 }, async () => {
      while (next < LIST_ROWS) {
        const i = next++;
        await post('/users', { user: { name: `bench-user-${i}`, domain_id: 'default' } });
        await post('/projects', { project: { name: `bench-project-${i}`, domain_id: 'default' } });
      }
    }),
  );
}

const wanted = (name) => CASES === null || CASES.has(name);

/**
 * BENCH_HOLD=<file>: the first configuration's server is started as for the benchmark and kept until SIGINT or
 * SIGTERM, for a profiler or a load generator of one's own; <file> gets its address, tokens, request bodies and
 * worker pids as shell assignments.
 */
async function hold(server, { base, admin, subject, rescope, pw }) {
  const q = (v) => `'${String(v).replace(/'/g, "'\\''")}'`;
  const vars = {
    BASE: base,
    PORT: server.port,
    ADMIN: admin,
    SUBJECT: subject,
    RESCOPE: rescope,
    PW: pw,
    PIDS: server.workerPids().join(' '),
  };
  writeFileSync(
    HOLD,
    Object.entries(vars)
      .map(([k, v]) => `${k}=${q(v)}\n`)
      .join(''),
  );
  process.stderr.write(`holding ${server.kind} on ${base} (${HOLD}); SIGINT or SIGTERM stops it\n`);
  await new Promise((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
}

async function benchServer(cache, label, tmp, start = startServer) {
  const server = await start(cache);
  if (!server) return;
  const who = { isKeystone: server.kind === 'Keystone 22' };
  const base = `http://127.0.0.1:${server.port}/v3`;
  const pw = join(tmp, 'pw.json');
  writeFileSync(
    pw,
    JSON.stringify({
      auth: {
        identity: { methods: ['password'], password: { user: { name: 'admin', domain: { id: 'default' }, password: 'secret' } } },
        scope: { project: { name: 'admin', domain: { id: 'default' } } },
      },
    }),
  );
  try {
    const admin = await tokenOf(server.port, pw);
    const subject = await tokenOf(server.port, pw);
    const rescope = join(tmp, `rescope-${cache}.json`);
    writeFileSync(
      rescope,
      JSON.stringify({
        auth: { identity: { methods: ['token'], token: { id: subject.id } }, scope: { project: { id: subject.body.token.project.id } } },
      }),
    );
    const h = { 'X-Auth-Token': admin.id, 'X-Subject-Token': subject.id };
    if (HOLD) return await hold(server, { base, admin: admin.id, subject: subject.id, rescope, pw });
    const tag = who.isKeystone ? label : `${label} (${server.kind}, ${WORKERS} workers)`;
    const m = (url, opts) => measureCpu(server, url, opts);
    const bracketed = !who.isKeystone && (wanted('validate') || wanted('nocatalog') || wanted('head'));
    const ceilingBefore = bracketed ? await benchCeiling(`before ${label}`) : null;
    const validations = [];
    if (wanted('validate'))
      validations.push(row(tag, 'validate GET /auth/tokens', await m(`${base}/auth/tokens`, { headers: h }), 'validate', who));
    if (wanted('nocatalog'))
      validations.push(row(tag, 'validate ?nocatalog', await m(`${base}/auth/tokens?nocatalog`, { headers: h }), 'nocatalog', who));
    if (wanted('head'))
      validations.push(
        row(tag, `validate HEAD (${HEAD_TOOL_LABEL})`, await m(`${base}/auth/tokens`, { headers: h, method: 'HEAD' }), 'head', who),
      );
    const ceilingAfter = bracketed ? await benchCeiling(`after ${label}`) : null;
    for (const v of validations) v.ceiling = ceilingBeside(ceilingBefore, ceilingAfter, v.key);
    if (wanted('catalog'))
      row(tag, 'GET /v3/auth/catalog', await m(`${base}/auth/catalog`, { headers: { 'X-Auth-Token': admin.id } }), 'catalog', who);
    const rssValidate = server
      .workerPids()
      .map(rssOf)
      .filter((v) => v !== null);
    rows.push({ server: tag, name: 'worker RSS after the validation cases (MB)', rss: rssValidate });
    if (wanted('lists') && LIST_ROWS > 0) {
      await createListRows(base, admin.id);
      const n = LIST_ROWS + 1;
      // Keystone 22 measured in this run lists the same rows; RESULTS.md's figures are for 201 (a ratio against them flatters nothing).
      row(tag, `GET /v3/users (${n} users)`, await m(`${base}/users`, { headers: { 'X-Auth-Token': admin.id } }), 'users', who);
      row(tag, `GET /v3/projects (${n} projects)`, await m(`${base}/projects`, { headers: { 'X-Auth-Token': admin.id } }), 'projects', who);
    }
    if (wanted('rescope')) row(tag, 'issue: token method (rescope)', await m(`${base}/auth/tokens`, { bodyFile: rescope }), 'rescope', who);
    // the embedded default with the cache off too: issue 14 asks it to beat Keystone 22 on every case
    const password =
      wanted('password') && cache !== 'redis'
        ? row(tag, `issue: password (bcrypt ${ROUNDS})`, await m(`${base}/auth/tokens`, { bodyFile: pw, slow: true }), 'password', who)
        : null;
    const rss = server
      .workerPids()
      .map(rssOf)
      .filter((v) => v !== null);
    rows.push({ server: tag, name: 'worker RSS after every case (MB)', rss });
    process.stderr.write(`${tag} | worker RSS ${rss.map((v) => v.toFixed(0)).join(', ')} MB\n`);
    // V8 returns the garbage of the issue storms once the workers are idle for a few seconds.
    await sleep(20_000);
    const settled = server
      .workerPids()
      .map(rssOf)
      .filter((v) => v !== null);
    rows.push({ server: tag, name: 'worker RSS 20 s later (MB)', rss: settled });
    // bcrypt itself within the minute of the password case, its server idle: this machine's speed drifts by
    // several percent from one minute to the next, more than the difference measured
    if (password) password.bcrypt = await benchBcrypt(tag);
  } finally {
    await server.stop();
  }
}

/**
 * bcrypt's own rate at ROUNDS on this machine, and its CPU per compare (this process's, which does nothing else
 * meanwhile): hashes compared on the libuv pool, as many at once as cores × 2.
 */
async function benchBcrypt(beside) {
  const { default: bcrypt } = await import('bcrypt');
  const hash = await bcrypt.hash('secret', Number(ROUNDS));
  const until = Date.now() + SLOW_DURATION * 1000;
  let done = 0;
  const started = Date.now();
  const cpu0 = process.cpuUsage();
  await Promise.all(
    Array.from({ length: cpus().length * 2 }, async () => {
      while (Date.now() < until) {
        await bcrypt.compare('secret', hash);
        done++;
      }
    }),
  );
  const rps = done / ((Date.now() - started) / 1000);
  const cpu = process.cpuUsage(cpu0);
  const cpuUs = (cpu.user + cpu.system) / done;
  row(`bcrypt itself (node bcrypt, ${ROUNDS} rounds, libuv pool)`, `compare, beside ${beside}`, {
    rps,
    mean: null,
    p99: null,
    cpuUs,
    non2xx: 0,
    errors: 0,
  });
  return { rps, cpuUs };
}

/** Runs `fn(port, workerPids)` against a bare node:cluster script started on a free port, then stops it. */
async function withBareServer(script, env, fn) {
  const port = 15100 + Math.floor(Math.random() * 800);
  const child = spawn(process.execPath, [script], {
    env: { ...process.env, ...env, PORT: String(port), WORKERS: String(WORKERS) },
    stdio: 'ignore',
  });
  try {
    await waitForPort(port);
    return await fn(port, () => childrenOf(child.pid));
  } finally {
    child.kill('SIGTERM');
  }
}

/**
 * hello.js's rate under wrk (GET) and, when HEAD is measured, under the HEAD tool; `when` tells the rows apart
 * (the first of the run, or the ones bracketing a configuration's validation cases).
 */
async function benchCeiling(when = '') {
  if (!existsSync(HELLO)) return null;
  const suffix = when ? `, ${when}` : '';
  return withBareServer(HELLO, {}, async (port) => {
    const r = await measure(`http://127.0.0.1:${port}/`);
    row(`hello.js (bare node:cluster, ${WORKERS} workers)`, `GET / (ceiling${suffix})`, r);
    // HEAD rows are compared with the bare server under the same load generator
    if (!wanted('head')) return { get: r };
    const head = await measure(`http://127.0.0.1:${port}/`, { method: 'HEAD' });
    row(`hello.js (bare node:cluster, ${WORKERS} workers)`, `HEAD / (ceiling${suffix}, ${HEAD_TOOL_LABEL})`, head);
    return { get: r, head };
  });
}

/**
 * The ceiling a validation row is compared with: the mean of hello.js's rates, and of its p99s, measured right
 * before and right after that configuration's validation cases (this machine's speed drifts by tens of percent
 * within a run, so the ceiling measured minutes earlier is not the one beside the case).
 */
function ceilingBeside(before, after, key) {
  const measured = (c) => (key === 'head' ? (c?.head ?? c?.get) : c?.get);
  const both = [measured(before), measured(after)].filter((m) => m?.rps !== undefined);
  if (both.length === 0) return undefined;
  const mean = (values) => values.reduce((a, b) => a + b, 0) / values.length;
  const p99s = both.map((m) => m.p99).filter((v) => typeof v === 'number' && v > 0);
  return { rps: mean(both.map((m) => m.rps)), p99: p99s.length ? mean(p99s) : undefined };
}

/**
 * The bare server answering with a validation's headers and body size (bench/validation-shape-server.cjs),
 * asked with two token headers of a Fernet token's length: node:http's own cost and p99 for that exchange.
 */
async function benchValidationShape() {
  const script = join(root, 'bench/validation-shape-server.cjs');
  await withBareServer(script, { BODY: String(SHAPE_BODY) }, async (port, workerPids) => {
    const token = `gAAAAA${'x'.repeat(FERNET_TOKEN_LENGTH - 6)}`;
    const r = await measureCpu({ workerPids }, `http://127.0.0.1:${port}/v3/auth/tokens`, {
      headers: { 'X-Auth-Token': token, 'X-Subject-Token': token },
    });
    row(`bare node:cluster, ${WORKERS} workers`, `a validation's headers and ${SHAPE_BODY} B body (floor)`, r);
  });
}

const tmp = mkdtempSync(join(tmpdir(), 'keystone-bench-'));
try {
  spawnSync('npx', ['tsc', '-p', '.'], { cwd: root, stdio: 'ignore' });
  const ceiling = HOLD ? null : await benchCeiling();
  if (!HOLD && wanted('validate')) await benchValidationShape();
  const configs = (process.env.CONFIGS ?? 'keystone22,postgres-redis,memory,none,redis').split(',').slice(0, HOLD ? 1 : undefined);
  if (configs.includes('keystone22') && KEYSTONE22)
    await benchServer('keystone22', `Keystone 22 (uwsgi, ${WORKERS} × 4 threads, memcached, PostgreSQL)`, tmp, startKeystone22);
  if (configs.includes('postgres-redis')) {
    if (await servicesAnswer()) await benchServer('postgres-redis', 'PostgreSQL + Redis', tmp);
    else process.stderr.write(`PostgreSQL (${PG_URL}) or Redis not answering: the PostgreSQL + Redis configuration is left out\n`);
  }
  if (configs.includes('memory')) await benchServer('memory', 'embedded, cache on (memory)', tmp);
  if (configs.includes('none')) await benchServer('none', "embedded, cache off (Keystone's default)", tmp);
  if (configs.includes('redis') && process.env.REDIS_URL) await benchServer('redis', 'embedded, cache on (Redis)', tmp);
  if (!HOLD) printTable(ceiling);
} finally {
  rmSync(tmp, { recursive: true, force: true });
}

function printTable(ceiling) {
  const fmt = (v, d = 0) => (v === null || v === undefined ? '-' : Number(v).toFixed(d));
  console.log(
    `\nwrk -t${THREADS} -c${CONNS}, ${DURATION} s a case after ${WARMUP} s of warm-up (${tool}); Keystone 22 ${
      Object.keys(keystoneMeasured).length > 0 ? 'measured in this run' : 'figures from RESULTS.md (KEYSTONE22: not measured here)'
    }.\n`,
  );
  console.log(`${new Date().toISOString()}, ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, node ${process.version}`);
  console.log(
    "vs ceiling: against the mean of hello.js's rates (and p99s) measured right before and right after that\nconfiguration's validation cases (HEAD: under the same load generator).\n",
  );
  console.log('| server | case | req/s | mean ms | p99 ms | CPU µs/req | non-2xx/errors | vs Keystone 22 | vs ceiling |');
  console.log('|---|---|---|---|---|---|---|---|---|');
  for (const r of rows) {
    if (r.rss) {
      console.log(`| ${r.server} | ${r.name} | ${r.rss.map((v) => v.toFixed(0)).join(', ')} | | | | | | |`);
      continue;
    }
    const k = r.key && !r.isKeystone ? keystoneFor(r.key) : undefined;
    const vsK = k
      ? `${(r.rps / k.rps).toFixed(1)}× (${fmt(k.rps, k.rps < 100 ? 1 : 0)}/s${k.source === 'this run' ? '' : `, ${k.source}`})`
      : '';
    const beside = !r.isKeystone && r.name.startsWith('validate') ? (r.ceiling ?? ceilingBeside(ceiling, null, r.key)) : undefined;
    const vsC =
      beside !== undefined
        ? `${((r.rps / beside.rps) * 100).toFixed(0)}%${
            beside.p99 && r.p99 ? `; p99 ${(r.p99 / beside.p99).toFixed(1)}× its ${beside.p99.toFixed(1)} ms` : ''
          }`
        : r.bcrypt
          ? `${((r.rps / r.bcrypt.rps) * 100).toFixed(0)}% of bcrypt's rate${
              r.cpuUs ? `, CPU ${((r.cpuUs / r.bcrypt.cpuUs) * 100).toFixed(0)}% of a compare's` : ''
            }`
          : '';
    console.log(
      `| ${r.server} | ${r.name} | ${fmt(r.rps, r.rps < 100 ? 1 : 0)} | ${fmt(r.mean, 2)} | ${fmt(r.p99, 2)} | ${fmt(r.cpuUs)} | ${r.non2xx}/${r.errors} | ${vsK} | ${vsC} |`,
    );
  }
}
