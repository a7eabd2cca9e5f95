#!/usr/bin/env node
// CPU, Redis commands and SQL statements per request of one keystone-all public worker: a measure that
// holds on a shared machine (process CPU time over N requests, not throughput).
//
//   node bench/cpu-per-request.mjs [postgres-redis|postgres|embedded|embedded-cache]   (after npm run build)
//
// postgres-redis: a fresh database on the machine's PostgreSQL (CI's 127.0.0.1:5432) and a private
// redis-server; postgres: the same database with [cache] enabled = false (counts SQL statements); embedded: PGlite with [cache] enabled = false (Keystone's default); embedded-cache: PGlite
// with the in-process cache. N (default 2000) requests a case, CONC (8) at a time, after 200 of warm-up.
import { request, Agent } from 'node:http';
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

const root = new URL('..', import.meta.url);
const { startKeystone } = await import(new URL('dist/test/helpers/keystone-process.js', root).href);
const { startRedis } = await import(new URL('dist/test/reliability/backing-services.js', root).href);
const { default: pgPromise } = await import('pg-promise');

const MODE = process.argv[2] ?? 'postgres-redis';
const N = Number(process.env.N ?? 2000);
const CONC = Number(process.env.CONC ?? 8);
const ROWS = Number(process.env.ROWS ?? 200);

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
const env = process.env.PROFILE_DIR ? { NODE_OPTIONS: `--cpu-prof --cpu-prof-dir=${process.env.PROFILE_DIR}` } : {};
const ks = await startKeystone({ database: MODE.startsWith('postgres') ? 'postgres' : 'pglite', config, env });
const worker = ks.workers().find((w) => w.service === 'public');
const agent = new Agent({ keepAlive: true, maxSockets: CONC });

function call(method, path, headers = {}, body) {
  return new Promise((resolve, reject) => {
    const data = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    const req = request(
      `${ks.publicUrl}${path}`,
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
  return Number(f[11]) + Number(f[12]);
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

async function run(name, make) {
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
  await once(200);
  await sleep(1200);
  const [c0, s0, r0] = [cpuTicks(worker.pid), await sqlCount(), await redisCount()];
  const t0 = Date.now();
  await once(N);
  const ms = Date.now() - t0;
  await sleep(1200);
  const [c1, s1, r1] = [cpuTicks(worker.pid), await sqlCount(), await redisCount()];
  // the idle second before and after: the worker's own polls are counted in, as a small overhead
  const line = `${MODE} | ${name} | ${(((c1 - c0) * TICK_US) / N).toFixed(0)} µs CPU | ${((s1 - s0) / N).toFixed(3)} SQL | ${((r1 - r0) / N).toFixed(3)} Redis | ${((N / ms) * 1000).toFixed(0)} req/s (shared machine)`;
  console.log(line);
}

const cases = (process.env.CASES ?? 'validate,nocatalog,catalog,rescope,users,projects').split(',');
try {
  for (const c of cases) {
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
