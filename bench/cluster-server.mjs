// A keystone-all stand-in for the benchmark while src/cli/keystone-all.ts does not exist:
// node:cluster workers serving the public app on one port, the embedded PGlite (or PostgreSQL)
// in the primary, the memory cache's invalidation relay, fernet keys, bootstrap.
// Env: PORT (0), WORKERS (3), CACHE (memory|redis|none), ROUNDS (12), PG_URL (unset: embedded PGlite),
//      FAST_PATH (1|0), ADMIN_PASSWORD (secret)
// Prints one JSON line {"port":…, "adminPassword":…} on stdout when every worker listens.
import cluster from 'node:cluster';
import { createServer } from 'node:http';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const dist = new URL('../dist/src/', import.meta.url).pathname;
const { loadConfig } = await import(join(dist, 'config/load-config.js'));
const { buildProviders } = await import(join(dist, 'wiring/build-providers.js'));

const WORKERS = Number(process.env.WORKERS ?? 3);

if (cluster.isPrimary) {
  const { startEmbeddedHost } = await import(join(dist, 'storage/embedded-host.js'));
  const { syncSchema } = await import(join(dist, 'storage/migrator.js'));
  const { runBootstrap } = await import(join(dist, 'cli/bootstrap.js'));
  const { KeyRepository } = await import(join(dist, 'token/fernet/key-repository.js'));
  const { relayCacheInvalidations } = await import(join(dist, 'cache/memory-backend.js'));
  const dir = mkdtempSync(join(tmpdir(), 'keystone-bench-'));
  let socketDir;
  let host;
  let connection = process.env.PG_URL;
  if (!connection) {
    host = await startEmbeddedHost(join(dir, 'pglite'), 16);
    socketDir = host.socketDir;
    connection = `pglite://${join(dir, 'pglite')}`;
  }
  const cache = process.env.CACHE ?? 'memory';
  const cacheLines =
    cache === 'none'
      ? ['enabled = false']
      : cache === 'redis'
        ? [
            'enabled = true',
            'backend = dogpile.cache.redis',
            `backend_argument = url:${process.env.REDIS_URL ?? 'redis://127.0.0.1:6379/0'}`,
            `backend_argument = key_prefix:bench-${process.pid}:`,
          ]
        : ['enabled = true', 'backend = dogpile.cache.memory'];
  const conf = [
    '[DEFAULT]',
    `state_path = ${dir}`,
    '',
    '[database]',
    `connection = ${connection}`,
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
    `password_hash_rounds = ${process.env.ROUNDS ?? 12}`,
    '',
    '[cache]',
    ...cacheLines,
    '',
  ].join('\n');
  const file = join(dir, 'keystone.conf');
  writeFileSync(file, conf);
  const { conf: config } = loadConfig({ configFiles: [file] });
  new KeyRepository({ path: config.fernet_tokens.key_repository, maxActiveKeys: 3 }).setup();
  const built = buildProviders(config, { embeddedSocketDir: socketDir });
  await syncSchema(built.db);
  const adminPassword = process.env.ADMIN_PASSWORD ?? 'secret';
  const port = Number(process.env.PORT ?? 0) || 15000 + Math.floor(Math.random() * 1000);
  await runBootstrap(built, {
    password: adminPassword,
    regionId: 'RegionOne',
    publicUrl: `http://127.0.0.1:${port}/v3`,
    adminUrl: `http://127.0.0.1:${port}/v3`,
    internalUrl: `http://127.0.0.1:${port}/v3`,
  });
  relayCacheInvalidations();
  // V8's default young generation, as keystone-all's workers run (WORKER_EXEC_ARGV to try others).
  cluster.setupPrimary({ execArgv: (process.env.WORKER_EXEC_ARGV ?? '').split(' ').filter(Boolean) });
  let listening = 0;
  for (let i = 0; i < WORKERS; i++) {
    const w = cluster.fork({ BENCH_CONF: file, BENCH_SOCKET: socketDir ?? '', BENCH_PORT: String(port) });
    w.on('message', (m) => {
      if (m === 'listening' && ++listening === WORKERS)
        process.stdout.write(
          JSON.stringify({ port, adminPassword, pids: Object.values(cluster.workers).map((x) => x.process.pid) }) + '\n',
        );
    });
  }
  const stop = async () => {
    for (const w of Object.values(cluster.workers ?? {})) w?.kill();
    await new Promise((r) => setTimeout(r, 300));
    await host?.stop();
    rmSync(dir, { recursive: true, force: true });
    process.exit(0);
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
} else {
  const { createApp } = await import(join(dist, 'server/create-app.js'));
  const { conf } = loadConfig({ configFiles: [process.env.BENCH_CONF] });
  const { providers, db } = buildProviders(conf, { embeddedSocketDir: process.env.BENCH_SOCKET || undefined });
  const { app, requestClasses } = createApp('public', providers, db);
  let handler = app;
  if (process.env.FAST_PATH !== '0') {
    try {
      const { withFastPath } = await import(join(dist, 'server/fast-path.js'));
      handler = withFastPath(handler, 'public', providers);
    } catch (err) {
      if (err.code !== 'ERR_MODULE_NOT_FOUND') throw err;
    }
  }
  createServer(requestClasses, handler).listen(Number(process.env.BENCH_PORT), '127.0.0.1', () => process.send('listening'));
  if (process.env.MEMORY_REPORT_MS) {
    // memory of this worker (after a full GC when --expose-gc) to stderr, periodically
    setInterval(() => {
      globalThis.gc?.();
      const m = process.memoryUsage();
      process.stderr.write(
        `memory ${process.pid} rss=${(m.rss / 1e6).toFixed(0)} heapUsed=${(m.heapUsed / 1e6).toFixed(0)} heapTotal=${(m.heapTotal / 1e6).toFixed(0)} external=${(m.external / 1e6).toFixed(0)}\n`,
      );
    }, Number(process.env.MEMORY_REPORT_MS)).unref();
  }
  if (process.env.PROFILE_MS) {
    // CPU profile of this worker (PROFILE_DELAY_MS after start, for PROFILE_MS), written to PROFILE_DIR.
    const { Session } = await import('node:inspector/promises');
    const { writeFileSync: write } = await import('node:fs');
    const session = new Session();
    session.connect();
    setTimeout(
      async () => {
        await session.post('Profiler.enable');
        await session.post('Profiler.start');
        setTimeout(async () => {
          const { profile } = await session.post('Profiler.stop');
          write(join(process.env.PROFILE_DIR ?? tmpdir(), `worker-${process.pid}.cpuprofile`), JSON.stringify(profile));
        }, Number(process.env.PROFILE_MS));
      },
      Number(process.env.PROFILE_DELAY_MS ?? 3000),
    );
  }
}
