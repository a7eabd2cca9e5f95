#!/usr/bin/env node
// npm run soak [-- --minutes N --rate R …] — a bounded soak of a real keystone-all on loopback.
//
// Starts keystone-all (dist/, built by `npm run soak`) with its own state directory and free ports, then
// sends a fixed rate of requests (open loop: a request is started every 1/R s whether or not the earlier
// ones have answered) mixing token issue (password and token methods), validation, revocation (and checks
// that revoked tokens stay refused) and CRUD of projects and users. Every minute it prints the requests,
// errors and p50/p99/max latency of that minute and the resident memory of each worker (from the
// primary's /metrics). At the end: a summary table, and exit status 1 when
//   - any request got no answer or an answer other than the one expected (an error), or
//   - a worker restarted, or
//   - the resident memory of any worker, or its live heap (nodejs_heap_used_after_major_gc_bytes: the JS
//     heap right after its last full collection), grew by more than 10% between the end of the warm-up
//     (the first 20% of the run, at most 2 minutes, but at least the longest of --cache-ttl and
//     --token-expiration + 1 minute) and the last minute (medians of 5-second samples), or
//   - the rate could not be held (more than 1% of the scheduled requests could not start because
//     MAX_IN_FLIGHT were still waiting).
//
// Options (or environment):  --minutes N (SOAK_MINUTES, default 10)   --rate R requests/s (SOAK_RATE, 25)
//   --workers N public and admin workers each (SOAK_WORKERS, 2)   --database pglite|postgres (SOAK_DATABASE,
//   pglite; postgres: a fresh database on KEYSTONE_TEST_POSTGRES_URL's server)   --cache memory|redis|none
//   (SOAK_CACHE, memory; redis: REDIS_URL, default redis://127.0.0.1:6379/0, under a fresh key prefix)
//   --rounds N bcrypt rounds of the password hashes (SOAK_ROUNDS, 4: the soak is about stability, not hashing)
//   --cache-ttl S [cache] expiration_time and [token] cache_time of the server (SOAK_CACHE_TTL, 60)
//   --token-expiration S [token] expiration of the server (SOAK_TOKEN_EXPIRATION, 60), with [revoke]
//     expiration_buffer = 0 and [token] allow_expired_window = 0 (events are kept for the longest of the
//     two); the mix only uses tokens with more than 15 s left
//
// Why a 60-second cache TTL: the caches (validated tokens, cached entities) are bounded by size and by their
// TTL. With Keystone's default of 600 s they keep filling for the first 10 minutes (every token issued is
// remembered until its entry expires), so a worker's memory rises through a whole 10-minute soak by design,
// not by a leak. With the TTL below the warm-up's length the caches reach their steady size during the
// warm-up, and growth after it means memory that is never given back. (--cache-ttl 600 --minutes 30 soaks
// with the defaults.) Likewise for the token lifetime: revocation events are kept as long as a token they
// revoke could still be validated (with the defaults 1 h, or 2 days for ?allow_expired), so at this rate of
// revocations the set of events grows for days with the defaults; with 60 s tokens it is steady within
// the warm-up.
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';

const root = new URL('..', import.meta.url).pathname;
const helpers = `${root}dist/test/helpers/keystone-process.js`;
if (!existsSync(helpers)) {
  console.error('dist/ is missing: run `npm run soak` (it builds first) or `npm run build`.');
  process.exit(2);
}
const { startKeystone } = await import(helpers);
const { KeystoneClient, timed } = await import(`${root}dist/test/reliability/load.js`);

const { values: args } = parseArgs({
  options: {
    minutes: { type: 'string' },
    rate: { type: 'string' },
    workers: { type: 'string' },
    database: { type: 'string' },
    cache: { type: 'string' },
    rounds: { type: 'string' },
    'cache-ttl': { type: 'string' },
    'token-expiration': { type: 'string' },
  },
});
const MINUTES = Number(args.minutes ?? process.env.SOAK_MINUTES ?? 10);
const RATE = Number(args.rate ?? process.env.SOAK_RATE ?? 25);
const WORKERS = Number(args.workers ?? process.env.SOAK_WORKERS ?? 2);
const DATABASE = args.database ?? process.env.SOAK_DATABASE ?? 'pglite';
const CACHE = args.cache ?? process.env.SOAK_CACHE ?? 'memory';
const ROUNDS = Number(args.rounds ?? process.env.SOAK_ROUNDS ?? 4);
const CACHE_TTL = Number(args['cache-ttl'] ?? process.env.SOAK_CACHE_TTL ?? 60);
const TOKEN_EXPIRATION = Number(args['token-expiration'] ?? process.env.SOAK_TOKEN_EXPIRATION ?? 60);
const MAX_IN_FLIGHT = 256;
const SAMPLE_MS = 5000;
const MEMORY_LIMIT = 0.1;
for (const [name, v] of Object.entries({
  minutes: MINUTES,
  rate: RATE,
  workers: WORKERS,
  rounds: ROUNDS,
  'cache-ttl': CACHE_TTL,
  'token-expiration': TOKEN_EXPIRATION,
})) {
  if (!(v > 0)) {
    console.error(`--${name} must be a positive number`);
    process.exit(2);
  }
}
if (TOKEN_EXPIRATION < 40) {
  console.error('--token-expiration must be at least 40 s');
  process.exit(2);
}
if (!['pglite', 'postgres'].includes(DATABASE) || !['memory', 'redis', 'none'].includes(CACHE)) {
  console.error('--database pglite|postgres, --cache memory|redis|none');
  process.exit(2);
}

const DURATION_MS = MINUTES * 60_000;
// 20% of the run, at most 2 minutes — but at least the longest cache or token lifetime + 1 minute (the
// time those take to reach their steady size), within the first 80% of the run
const WARMUP_MS = Math.min(
  DURATION_MS * 0.8,
  Math.max(Math.min(120_000, DURATION_MS * 0.2), (Math.max(CACHE_TTL, TOKEN_EXPIRATION) + 60) * 1000),
);
const WINDOW_MS = Math.min(60_000, DURATION_MS * 0.2);

const cache =
  CACHE === 'none'
    ? { enabled: false }
    : CACHE === 'memory'
      ? { enabled: true, backend: 'dogpile.cache.memory', expiration_time: CACHE_TTL }
      : {
          enabled: true,
          backend: 'dogpile.cache.redis',
          expiration_time: CACHE_TTL,
          backend_argument: [
            `url:${process.env.REDIS_URL ?? 'redis://127.0.0.1:6379/0'}`,
            `key_prefix:soak-${randomBytes(4).toString('hex')}:`,
          ],
        };

const log = (line) => process.stderr.write(`${line}\n`);
log(
  `soak: ${MINUTES} min at ${RATE} req/s, ${WORKERS}+${WORKERS} workers, database ${DATABASE}, cache ${CACHE} (TTL ${CACHE_TTL} s), tokens of ${TOKEN_EXPIRATION} s, bcrypt rounds ${ROUNDS}`,
);
const ks = await startKeystone({
  database: DATABASE,
  config: {
    eventlet_server: { public_workers: WORKERS, admin_workers: WORKERS },
    identity: { password_hash_rounds: ROUNDS },
    token: { cache_time: CACHE_TTL, expiration: TOKEN_EXPIRATION, allow_expired_window: 0 },
    revoke: { expiration_buffer: 0 },
    cache,
  },
});
let stopping = false;
const shutdown = async () => {
  if (!stopping) {
    stopping = true;
    await ks.stop();
  }
};
process.on('SIGINT', () => {
  void shutdown().then(() => process.exit(130));
});

const metricsUrl = await (async () => {
  for (let i = 0; i < 50; i++) {
    const m = /metrics listening on (http:\/\/\S+\/metrics)/.exec(ks.output());
    if (m) return m[1];
    await new Promise((r) => setTimeout(r, 100));
  }
  return null;
})();

const pub = new KeystoneClient(ks.publicUrl, { sockets: 64, timeoutMs: 30_000 });
const adm = new KeystoneClient(ks.adminUrl, { sockets: 32, timeoutMs: 30_000 });
const password = ks.adminPassword;
let admin = await pub.token(password);
const workersAtStart = ks
  .workers()
  .map((w) => w.pid)
  .sort();

// ---- the state the mix works on
const live = []; // valid tokens (bounded)
const revoked = []; // revoked tokens (bounded), must answer 404
const projects = []; // ids
const users = []; // ids
/** token → when it expires (ms): the mix picks only tokens with more than 15 s left */
const expiry = new Map();
const usable = (t) => (expiry.get(t) ?? 0) - Date.now() > 15_000;
for (let i = 0; i < 20; i++) {
  const t = await pub.token(password);
  expiry.set(t, Date.now() + TOKEN_EXPIRATION * 1000);
  live.push(t);
}
/** a live token with time left (expired ones leave the list), or undefined */
const pickLive = () => {
  for (let i = live.length - 1; i >= 0; i--)
    if (!usable(live[i])) {
      expiry.delete(live[i]);
      live.splice(i, 1);
    }
  return pick(live);
};
/** the note of an issue: the new token, its expiry remembered */
const issued = (a) => {
  const t = a.headers['x-subject-token'];
  try {
    if (t) expiry.set(t, Date.parse(JSON.parse(a.body).token.expires_at));
  } catch {
    /* an error answer: recorded as such */
  }
  return t;
};
/** tokens revoked and entities deleted (from the moment the request is sent): a request already on its way may find them gone */
const gone = new Set();
const pick = (list) => list[Math.floor(Math.random() * list.length)];
/** an operation on `key`: its outcome remembers the key */
const on = (key, op, send, note) => timed(op, send, note).then((o) => ({ ...o, key }));
const push = (list, v, max) => {
  list.push(v);
  if (list.length > max) list.shift();
};
const idOf = (key) => (a) => {
  try {
    return JSON.parse(a.body)[key].id;
  } catch {
    return undefined;
  }
};
const passwordAuth = {
  auth: {
    identity: { methods: ['password'], password: { user: { name: 'admin', domain: { id: 'default' }, password } } },
    scope: { project: { name: 'admin', domain: { id: 'default' } } },
  },
};

/** [weight, op, expected statuses, run] */
const MIX = [
  [
    35,
    'validate',
    [200],
    (t = pickLive()) => t && on(t, 'validate', () => pub.send('GET', '/v3/auth/tokens', { token: admin, subject: t })),
  ],
  [
    5,
    'check (HEAD)',
    [200],
    (t = pickLive()) => t && on(t, 'check (HEAD)', () => pub.send('HEAD', '/v3/auth/tokens', { token: admin, subject: t })),
  ],
  [
    5,
    'validate revoked',
    [404],
    () =>
      revoked.length
        ? timed('validate revoked', () => pub.send('GET', '/v3/auth/tokens?nocatalog', { token: admin, subject: pick(revoked) }))
        : null,
  ],
  [
    6,
    'issue (password)',
    [201],
    () => timed('issue (password)', () => pub.send('POST', '/v3/auth/tokens', { body: passwordAuth }), issued),
  ],
  [
    8,
    'issue (token)',
    [201],
    (t = pickLive()) =>
      t &&
      on(
        t,
        'issue (token)',
        () =>
          pub.send('POST', '/v3/auth/tokens?nocatalog', {
            body: {
              auth: {
                identity: { methods: ['token'], token: { id: t } },
                scope: { project: { name: 'admin', domain: { id: 'default' } } },
              },
            },
          }),
        issued,
      ),
  ],
  [
    6,
    'revoke',
    [204],
    () => {
      if (live.length < 10 || !pickLive()) return null;
      const subject = live.splice(Math.floor(Math.random() * live.length), 1)[0];
      gone.add(subject);
      return timed(
        'revoke',
        () => pub.send('DELETE', '/v3/auth/tokens', { token: admin, subject }),
        () => subject,
      );
    },
  ],
  [
    5,
    'create project',
    [201],
    () =>
      timed(
        'create project',
        () =>
          adm.send('POST', '/v3/projects', {
            token: admin,
            body: { project: { name: `soak-${randomBytes(6).toString('hex')}`, domain_id: 'default' } },
          }),
        idOf('project'),
      ),
  ],
  [
    6,
    'get project',
    [200],
    (p = pick(projects)) => (p ? on(p, 'get project', () => pub.send('GET', `/v3/projects/${p}`, { token: admin })) : null),
  ],
  [
    4,
    'update project',
    [200],
    (p = pick(projects)) =>
      p
        ? on(p, 'update project', () =>
            adm.send('PATCH', `/v3/projects/${p}`, { token: admin, body: { project: { description: randomBytes(8).toString('hex') } } }),
          )
        : null,
  ],
  [
    5,
    'delete project',
    [204],
    () => {
      if (projects.length < 20) return null;
      const id = projects.shift();
      gone.add(id);
      return timed('delete project', () => adm.send('DELETE', `/v3/projects/${id}`, { token: admin }));
    },
  ],
  [4, 'list projects', [200], () => timed('list projects', () => pub.send('GET', '/v3/projects?limit=50', { token: admin }))],
  [
    4,
    'create user',
    [201],
    () =>
      timed(
        'create user',
        () =>
          adm.send('POST', '/v3/users', {
            token: admin,
            body: { user: { name: `soak-${randomBytes(6).toString('hex')}`, domain_id: 'default', password: 'soak-pass' } },
          }),
        idOf('user'),
      ),
  ],
  [
    4,
    'delete user',
    [204],
    () => {
      if (users.length < 20) return null;
      const id = users.shift();
      return timed('delete user', () => adm.send('DELETE', `/v3/users/${id}`, { token: admin }));
    },
  ],
  [2, 'list users', [200], () => timed('list users', () => pub.send('GET', '/v3/users?limit=50', { token: admin }))],
];
const TOTAL_WEIGHT = MIX.reduce((s, m) => s + m[0], 0);
const EXPECTED = Object.fromEntries(MIX.map((m) => [m[1], m[2]]));
const chooseOp = () => {
  let r = Math.random() * TOTAL_WEIGHT;
  for (const m of MIX) {
    if ((r -= m[0]) < 0) return m;
  }
  return MIX[0];
};

// ---- the run
const minutes = []; // per minute: latencies, errors, count
const totals = new Map(); // op → { n, errors, latencies }
const errors = [];
const samples = []; // { t, rss: { worker: bytes } }
let inFlight = 0;
let racedCount = 0;
let scheduled = 0;
let skipped = 0;
const t0 = Date.now();

function record(o) {
  const t = o.startedAt - t0;
  const minute = Math.floor(t / 60_000);
  const m = (minutes[minute] ??= { latencies: [], errors: 0 });
  const latency = o.endedAt - o.startedAt;
  m.latencies.push(latency);
  const tot = totals.get(o.op) ?? { n: 0, errors: 0, latencies: [] };
  tot.n++;
  tot.latencies.push(latency);
  totals.set(o.op, tot);
  // a token revoked (or a project deleted) while this request was on its way: Keystone's answer for it is right
  const raced = o.key !== undefined && gone.has(o.key) && (o.status === 404 || (o.op === 'issue (token)' && o.status === 401));
  const ok = raced || (o.status !== 0 && EXPECTED[o.op].includes(o.status));
  if (raced) racedCount++;
  if (!ok) {
    m.errors++;
    tot.errors++;
    if (errors.length < 20)
      errors.push(`${new Date(o.startedAt).toISOString()} ${o.op}: ${o.status || o.error} ${(o.body ?? '').slice(0, 200)}`);
    return;
  }
  if (o.op.startsWith('issue') && o.note) push(live, o.note, 200);
  else if (o.op === 'revoke') push(revoked, o.note, 200);
  else if (o.op === 'create project' && o.note) projects.push(o.note);
  else if (o.op === 'create user' && o.note) users.push(o.note);
}

function startOne() {
  scheduled++;
  if (inFlight >= MAX_IN_FLIGHT) {
    skipped++;
    return;
  }
  let op = chooseOp();
  let p = op[3]();
  // nothing to act on (no live token, no project yet): a password issue instead
  while (!p) {
    op = MIX.find((m) => m[1] === 'issue (password)');
    p = op[3]();
  }
  inFlight++;
  p.then(record, (err) => record({ op: op[1], startedAt: Date.now(), endedAt: Date.now(), status: 0, error: String(err) })).finally(() => {
    inFlight--;
  });
}

async function sampleMemory() {
  if (!metricsUrl) return;
  try {
    const text = await (await fetch(metricsUrl)).text();
    const rss = {};
    const heap = {};
    const live = {};
    for (const m of text.matchAll(/^process_resident_memory_bytes\{worker="([^"]+)"\} (\d+)/gm)) rss[m[1]] = Number(m[2]);
    for (const m of text.matchAll(/^nodejs_heap_size_used_bytes\{worker="([^"]+)"\} (\d+)/gm)) heap[m[1]] = Number(m[2]);
    for (const m of text.matchAll(/^nodejs_heap_used_after_major_gc_bytes\{worker="([^"]+)"\} (\d+)/gm)) live[m[1]] = Number(m[2]);
    samples.push({ t: Date.now() - t0, rss, heap, live });
  } catch (err) {
    log(`soak: /metrics not read: ${err.message}`);
  }
}

const quantile = (sorted, q) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] : NaN);
const mb = (b) => (b / 1048576).toFixed(1);
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.floor(s.length / 2)] : NaN;
};
const workerNames = () => [...new Set(samples.flatMap((s) => Object.keys(s.rss)))].filter((w) => w !== 'primary').sort();
/** the last sample of a minute: { rss, live } per worker */
const memoryAt = (minute) => samples.filter((s) => Math.floor(s.t / 60_000) === minute).at(-1) ?? { rss: {}, live: {} };

function minuteRow(i) {
  const m = minutes[i] ?? { latencies: [], errors: 0 };
  const sorted = [...m.latencies].sort((a, b) => a - b);
  const { rss, live = {} } = memoryAt(i);
  const cell = (x) => (x ? mb(x) : '-');
  return `| ${i + 1} | ${sorted.length} | ${m.errors} | ${(sorted.length / 60).toFixed(1)} | ${quantile(sorted, 0.5)} | ${quantile(sorted, 0.99)} | ${sorted.at(-1) ?? '-'} | ${workerNames()
    .map((w) => cell(rss[w]))
    .join(' / ')} | ${workerNames()
    .map((w) => cell(live[w]))
    .join(' / ')} |`;
}

let lastPrinted = -1;
const printMinutes = (upTo) => {
  for (let i = lastPrinted + 1; i < upTo; i++) log(`soak: minute ${i + 1}: ${minuteRow(i)}`);
  lastPrinted = Math.max(lastPrinted, upTo - 1);
};

await sampleMemory();
const sampler = setInterval(() => {
  void sampleMemory();
  printMinutes(Math.floor((Date.now() - t0) / 60_000));
}, SAMPLE_MS);
const ADMIN_REFRESH_MS = Math.min(20 * 60_000, TOKEN_EXPIRATION * 500);
let nextAdminRefresh = t0 + ADMIN_REFRESH_MS;
await new Promise((resolve) => {
  const interval = 1000 / RATE;
  let next = Date.now();
  const tick = () => {
    const now = Date.now();
    if (now - t0 >= DURATION_MS) {
      resolve();
      return;
    }
    if (now >= nextAdminRefresh) {
      nextAdminRefresh = now + ADMIN_REFRESH_MS;
      void pub.token(password).then(
        (t) => {
          admin = t;
        },
        () => undefined,
      );
    }
    while (next <= now) {
      startOne();
      next += interval;
    }
    setTimeout(tick, Math.max(1, Math.min(10, next - Date.now())));
  };
  tick();
});
while (inFlight > 0) await new Promise((r) => setTimeout(r, 50));
clearInterval(sampler);
await sampleMemory();
printMinutes(minutes.length);
const workersAtEnd = ks
  .workers()
  .map((w) => w.pid)
  .sort();
const output = ks.output();
await shutdown();
pub.close();
adm.close();

// ---- the summary
const inWindow = (from, to) => samples.filter((s) => s.t >= from && s.t <= to);
const baseline = inWindow(WARMUP_MS, WARMUP_MS + WINDOW_MS);
const last = inWindow(DURATION_MS - WINDOW_MS, DURATION_MS + 60_000);
const memory = [...workerNames(), 'primary'].map((w) => {
  const before = median(baseline.map((s) => s.rss[w]).filter(Boolean));
  const after = median(last.map((s) => s.rss[w]).filter(Boolean));
  const heapBefore = median(baseline.map((s) => s.heap?.[w]).filter(Boolean));
  const heapAfter = median(last.map((s) => s.heap?.[w]).filter(Boolean));
  const liveBefore = median(baseline.map((s) => s.live?.[w]).filter(Boolean));
  const liveAfter = median(last.map((s) => s.live?.[w]).filter(Boolean));
  return {
    worker: w,
    before,
    after,
    growth: after / before - 1,
    heapBefore,
    heapAfter,
    liveBefore,
    liveAfter,
    liveGrowth: liveAfter / liveBefore - 1,
  };
});

const totalRequests = [...totals.values()].reduce((s, t) => s + t.n, 0);
const totalErrors = [...totals.values()].reduce((s, t) => s + t.errors, 0);
const restarted = JSON.stringify(workersAtStart) !== JSON.stringify(workersAtEnd) || /died \(/.test(output);
// judged on both: what the operator sees (RSS) and what is kept (the live set after a full collection)
const grown = memory.filter((m) => m.worker !== 'primary' && !(m.growth <= MEMORY_LIMIT && m.liveGrowth <= MEMORY_LIMIT));
const behind = skipped / Math.max(1, scheduled);

const lines = [];
lines.push(
  `Soak: ${MINUTES} min at ${RATE} req/s on loopback, keystone-all with ${WORKERS} public + ${WORKERS} admin workers, database ${DATABASE}, cache ${CACHE} (TTL ${CACHE_TTL} s), tokens of ${TOKEN_EXPIRATION} s, bcrypt rounds ${ROUNDS} (${new Date(t0).toISOString().slice(0, 16)}Z, node ${process.version}).`,
);
lines.push('');
lines.push(
  `| minute | requests | errors | req/s | p50 ms | p99 ms | max ms | RSS MB (${workerNames().join(' / ')}) | live heap MB (same order) |`,
);
lines.push('|---:|---:|---:|---:|---:|---:|---:|---|---|');
for (let i = 0; i < minutes.length; i++) lines.push(minuteRow(i));
lines.push('');
lines.push('| operation | requests | errors | p50 ms | p99 ms |');
lines.push('|---|---:|---:|---:|---:|');
for (const [op, t] of [...totals].sort((a, b) => b[1].n - a[1].n)) {
  const s = [...t.latencies].sort((a, b) => a - b);
  lines.push(`| ${op} | ${t.n} | ${t.errors} | ${quantile(s, 0.5)} | ${quantile(s, 0.99)} |`);
}
lines.push('');
lines.push(
  `| process | RSS after warm-up (MB) | RSS last minute (MB) | RSS growth | live heap after full GC (MB) | live heap growth | JS heap used, sampled (MB) |`,
);
lines.push('|---|---:|---:|---:|---:|---:|---:|');
const pct = (x) => (Number.isFinite(x) ? `${(x * 100).toFixed(1)}%` : '-');
for (const m of memory)
  lines.push(
    `| ${m.worker}${m.worker === 'primary' ? ' (embedded database host; not judged)' : ''} | ${mb(m.before)} | ${mb(m.after)} | ${pct(m.growth)} | ${mb(m.liveBefore)} → ${mb(m.liveAfter)} | ${pct(m.liveGrowth)} | ${mb(m.heapBefore)} → ${mb(m.heapAfter)} |`,
  );
lines.push('');
if (racedCount)
  lines.push(
    `${racedCount} request(s) found their token revoked or their project deleted by a request sent while they were on their way (Keystone's 404/401 is right then).`,
    '',
  );
const verdicts = [];
if (totalErrors) verdicts.push(`${totalErrors} error(s)`);
if (restarted) verdicts.push('a worker restarted');
if (grown.length) verdicts.push(`memory grew more than ${MEMORY_LIMIT * 100}% in ${grown.map((g) => g.worker).join(', ')}`);
if (behind > 0.01) verdicts.push(`the rate was not held (${skipped} of ${scheduled} requests not started)`);
lines.push(
  verdicts.length
    ? `FAILED: ${verdicts.join('; ')}.`
    : `PASSED: ${totalRequests} requests, 0 errors, no worker restart, worker memory growth within ${MEMORY_LIMIT * 100}% after warm-up${skipped ? `, ${skipped} requests not started (rate held within 1%)` : ''}.`,
);
if (errors.length) lines.push('', 'First errors:', ...errors.map((e) => `  ${e}`));
process.stdout.write(lines.join('\n') + '\n');
process.exit(verdicts.length ? 1 : 0);
