#!/usr/bin/env node
// CPU, Redis commands and SQL statements per request of one keystone-all public worker: a measure that
// holds on a shared machine (process CPU time over N requests, not throughput).
//
//   node bench/cpu-per-request.mjs [postgres-redis|postgres|embedded|embedded-cache]   (after npm run build)
//
// postgres-redis: a fresh database on the machine's PostgreSQL (CI's 127.0.0.1:5432) and a private
// redis-server; postgres: the same database with [cache] enabled = false (counts SQL statements); embedded: PGlite with [cache] enabled = false (Keystone's default); embedded-cache: PGlite
// with the in-process cache. N (default 2000) requests a case, CONC (8) at a time, after WARM (1000) of warm-up.
// CASES (comma-separated, each may repeat) also takes `hello`: the bare node:http worker of
// ../shared/anchors/http-ceiling/hello.js under the same client and validation headers, the floor to compare with.
import { request, Agent } from 'node:http';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

const root = new URL('..', import.meta.url);
const { startKeystone } = await import(new URL('dist/test/helpers/keystone-process.js', root).href);
const { startRedis } = await import(new URL('dist/test/reliability/backing-services.js', root).href);
const { default: pgPromise } = await import('pg-promise');

const MODE = process.argv[2] ?? 'postgres-redis';
const N = Number(process.env.N ?? 2000);
const CONC = Number(process.env.CONC ?? 8);
const ROWS = Number(process.env.ROWS ?? 200);
const WARM = Number(process.env.WARM ?? 1000);

let redis = null;
const config = { eventlet_server: { public_workers: 1, admin_workers: 1 } };
if (MODE === 'postgres-redis') {
  redis = await startRedis();
  config.cache = { enabled: true, backend: 'dogpile.cache.redis', backend_argument: [`url:${redis.url}`] };
} else if (MODE === 'postgres') {
  config.cache = { enabled: false };
} else if (MODE === 'embedded-cache') {
  config.cache = { enabled: true, backend: 'dogpile.cache.memory' };
} else {
  config.cache = { enabled: false };
}
// PROFILE_DIR=<dir>: V8 CPU profiles of keystone-all's processes, written there when they exit.
const nodeFlags = process.env.PROFILE_DIR ? ['--cpu-prof', `--cpu-prof-dir=${process.env.PROFILE_DIR}`] : [];
const ks = await startKeystone({ database: MODE.startsWith('postgres') ? 'postgres' : 'pglite', config, nodeFlags });
const worker = ks.workers().find((w) => w.service === 'public');
const agent = new Agent({ keepAlive: true, maxSockets: CONC });

function call(method, path, headers = {}, body, base = ks.publicUrl) {
  return new Promise((resolve, reject) => {
    const data = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    const req = request(
      `${base}${path}`,
      { method, agent, headers: { ...headers, ...(data ? { 'content-type': 'application/json', 'content-length': data.length } : {}) } },
      (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, text: Buffer.concat(chunks).toString() }));
      },
    );
    req.on('error', reject);
    req.end(data);
  });
}

const cpuTicks = (pid) => {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return { user: Number(f[11]), sys: Number(f[12]) };
};
const TICK_US = 1e6 / 100;

let pg = null;
if (MODE.startsWith('postgres')) {
  const conn = readFileSync(ks.configFile, 'utf8')
    .match(/connection = (.*)/)[1]
    .trim();
  pg = pgPromise()(conn);
}
async function sqlCount() {
  if (!pg) return 0;
  const r = await pg.one('SELECT xact_commit + xact_rollback AS n FROM pg_stat_database WHERE datname = current_database()');
  return Number(r.n) - 1;
}
async function redisCount() {
  if (!redis) return 0;
  const { Redis } = await import('ioredis');
  const c = new Redis(redis.url);
  const info = await c.info('stats');
  c.disconnect();
  return Number(/total_commands_processed:(\d+)/.exec(info)[1]) - 1;
}

const password = (scope) => ({
  auth: {
    identity: { methods: ['password'], password: { user: { name: 'admin', domain: { id: 'default' }, password: ks.adminPassword } } },
    ...(scope ? { scope } : {}),
  },
});
const issued = await call('POST', '/v3/auth/tokens', {}, password({ project: { name: 'admin', domain: { id: 'default' } } }));
const admin = issued.headers['x-subject-token'];
const projectId = JSON.parse(issued.text).token.project.id;
const subject = (await call('POST', '/v3/auth/tokens', {}, password({ project: { name: 'admin', domain: { id: 'default' } } }))).headers[
  'x-subject-token'
];
const H = { 'x-auth-token': admin };

// list rows
for (let i = 0; i < ROWS; i++) {
  await call('POST', '/v3/users', H, { user: { name: `bench-user-${i}`, domain_id: 'default' } });
  await call('POST', '/v3/projects', H, { project: { name: `bench-project-${i}`, domain_id: 'default' } });
}

async function run(name, make, pid = worker.pid) {
  const once = async (count) => {
    let next = 0;
    await Promise.all(
      Array.from({ length: CONC }, async () => {
        while (next < count) {
          next++;
          const r = await make();
          if (r.status >= 300) throw new Error(`${name}: ${r.status} ${r.text.slice(0, 200)}`);
        }
      }),
    );
  };
  await once(WARM);
  await sleep(1200);
  const [c0, s0, r0] = [cpuTicks(pid), await sqlCount(), await redisCount()];
  const t0 = Date.now();
  await once(N);
  const ms = Date.now() - t0;
  await sleep(1200);
  const [c1, s1, r1] = [cpuTicks(pid), await sqlCount(), await redisCount()];
  // the idle second before and after: the worker's own polls are counted in, as a small overhead
  const us = (ticks) => ((ticks * TICK_US) / N).toFixed(0);
  const line = `${MODE} | ${name} | ${us(c1.user + c1.sys - c0.user - c0.sys)} µs CPU (user ${us(c1.user - c0.user)}, system ${us(c1.sys - c0.sys)}) | ${((s1 - s0) / N).toFixed(3)} SQL | ${((r1 - r0) / N).toFixed(3)} Redis | ${((N / ms) * 1000).toFixed(0)} req/s (shared machine)`;
  console.log(line);
}

const HELLO = process.env.HELLO_JS ?? new URL('../shared/anchors/http-ceiling/hello.js', root).pathname;

/** hello.js with one worker: the same client's cost on a bare node:http server. */
async function runHello() {
  if (!existsSync(HELLO)) {
    console.log(`hello | ${HELLO} not found`);
    return;
  }
  const port = 15100 + Math.floor(Math.random() * 800);
  const child = spawn(process.execPath, [HELLO], { env: { ...process.env, PORT: String(port), WORKERS: '1' }, stdio: 'ignore' });
  try {
    const base = `http://127.0.0.1:${port}`;
    for (let i = 0; i < 100; i++) {
      const up = await call('GET', '/', {}, undefined, base).then(
        () => true,
        () => false,
      );
      if (up) break;
      await sleep(100);
    }
    const pid = Number(spawnSync('pgrep', ['-P', String(child.pid)], { encoding: 'utf8' }).stdout.trim());
    await run('hello.js (bare node:http)', () => call('GET', '/', { ...H, 'x-subject-token': subject }, undefined, base), pid);
  } finally {
    child.kill('SIGTERM');
  }
}

const cases = (process.env.CASES ?? 'validate,nocatalog,catalog,rescope,users,projects').split(',');
try {
  for (const c of cases) {
    if (c === 'hello') await runHello();
    if (c === 'validate') await run('validate GET', () => call('GET', '/v3/auth/tokens', { ...H, 'x-subject-token': subject }));
    if (c === 'nocatalog')
      await run('validate ?nocatalog', () => call('GET', '/v3/auth/tokens?nocatalog', { ...H, 'x-subject-token': subject }));
    if (c === 'catalog') await run('GET /v3/auth/catalog', () => call('GET', '/v3/auth/catalog', H));
    if (c === 'rescope')
      await run('rescope (token method)', () =>
        call(
          'POST',
          '/v3/auth/tokens',
          {},
          { auth: { identity: { methods: ['token'], token: { id: subject } }, scope: { project: { id: projectId } } } },
        ),
      );
    if (c === 'users') await run(`GET /v3/users (${ROWS + 1})`, () => call('GET', '/v3/users', H));
    if (c === 'projects') await run(`GET /v3/projects (${ROWS + 1})`, () => call('GET', '/v3/projects', H));
  }
} finally {
  agent.destroy();
  await pg?.$pool.end();
  await ks.stop();
  await redis?.destroy();
}
