/**
 * keystone-all: the server, as a Keystone operator runs it.
 *
 *   keystone-all [--config-file F]… [--config-dir D]… [--debug] start
 *
 * The primary process (title `keystone-all`):
 *  - loads keystone.conf (a bad value stops start-up with one line naming
 *    section, option and value; warnings are printed once);
 *  - embedded database ([database] connection empty or pglite://): hosts
 *    PGlite under state_path and hands its socket directory to the workers
 *    (and names it in the data directory's lock file for keystone-manage);
 *    on the first run (fresh data directory, or one with no schema) it
 *    applies the schema, creates the Fernet and credential key
 *    repositories when absent, and bootstraps the admin user (password
 *    OS_BOOTSTRAP_PASSWORD, else generated and printed once);
 *  - refuses to start against a schema older than the code;
 *  - forks `keystone-public` workers on public_bind_host:public_port and
 *    `keystone-admin` workers on admin_bind_host:admin_port (node:cluster;
 *    public_workers / admin_workers, default ceil(CPUs × 1.5) each); a port
 *    of 0 is resolved to one free port per service before forking, so that
 *    the workers of a service share it; logs `keystone-public listening on
 *    http://HOST:PORT` (and admin) and writes them to $state_path/ports;
 *  - relays cache invalidations between workers, serves /metrics;
 *  - logs every worker start, exit and restart, replaces a dead worker
 *    (exponential backoff, capped at 30 s, while workers keep dying within
 *    10 s of their start);
 *  - SIGTERM / SIGINT: workers stop accepting, in-flight requests finish
 *    (bounded by [eventlet_server] shutdown_timeout), the embedded database
 *    stops, exit 0;
 *  - SIGHUP: reloads keystone.conf and replaces the workers one at a time
 *    (the new worker listens before an old one is drained), so no
 *    connection is refused; new workers load the current Fernet keys;
 *  - SIGUSR1: reopens log files (and forwards to the workers).
 *
 * A worker (title `keystone-public` / `keystone-admin`) builds the services,
 * waits for the database ([database] max_retries / retry_interval) and
 * serves createApp(service, services).app through node:http. Errors that
 * escape a request are logged and the worker keeps serving.
 */
import cluster, { type Worker } from 'node:cluster';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, realpathSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer, type ServerResponse } from 'node:http';
import { createServer as createNetServer, Server as NetServerClass, type AddressInfo, type Server as NetServer, type Socket } from 'node:net';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { ConfigSources } from '../config/load-config.js';
import type { KeystoneConfig } from '../config/options.js';
import { configureLogging, log, reopenLogFiles } from '../log/logger.js';
import { closeDatabases, openDatabase, resolveDatabaseTarget, type DatabaseTarget } from '../storage/database.js';
import { CLI_CONNECTION_SLOTS, EmbeddedDatabaseBusyError, type EmbeddedHost } from '../storage/embedded-host.js';
import { assertSchemaCurrent, currentSchemaVersion, syncSchema } from '../storage/migrator.js';
import { relayCacheInvalidations } from '../cache/memory-backend.js';
import { KeyRepository, KeyRepositoryError } from '../token/fernet/key-repository.js';
import { credentialRepository } from '../credential/credential-crypto.js';
import { buildServices } from '../server/services.js';
import { createApp } from '../server/create-app.js';
import { withFastPath } from '../server/fast-path.js';
import { answerRefusedRequest } from '../server/refused-request.js';
import { markDraining } from '../server/healthcheck.js';
import { initWorkerMetrics, instrumentDatabase, observeCache, observeDatabasePool } from '../metrics/metrics.js';
import { recordWorkerRestart, startMetricsServer, type MetricsServer } from '../metrics/server.js';
import { notifyReady, notifyReloading, notifyStatus, notifyStopping, startWatchdog } from './systemd-notify.js';
import { runBootstrap } from './bootstrap.js';
import { describeError, loadCliConfig, oneLine, type CliConfig } from './cli-config.js';
import { configSourcesOf, parseGlobalArgs } from './global-args.js';
import { describeTarget, hostEmbeddedDatabase, waitForDatabase } from './cli-database.js';

const PROGRAM = 'keystone-all';
export type ServiceName = 'public' | 'admin';
const SERVICES: ServiceName[] = ['public', 'admin'];

// IPC messages between the primary and its workers
const MSG_LISTENING = 'keystone:worker-listening';
const MSG_SHUTDOWN = 'keystone:worker-shutdown';
const MSG_SYNC = 'keystone:worker-sync';
const MSG_SYNC_ACK = 'keystone:worker-sync-ack';

/** Workers dying within this many ms of their start count as failing quickly (backoff grows). */
const QUICK_DEATH_MS = 10_000;
const BACKOFF_BASE_MS = 250;
const BACKOFF_MAX_MS = 30_000;
/** How long a draining worker keeps idle keep-alive connections open (see drain()). */
const KEEP_ALIVE_GRACE_MS = 1000;
/** net.Server's close: stops accepting without http.Server's immediate closing of idle connections. */
const netClose = NetServerClass.prototype.close;

const USAGE = `usage: ${PROGRAM} [--config-file PATH]... [--config-dir DIR]... [--debug] start

Runs the Keystone public and admin services in the foreground: a primary
process and its keystone-public / keystone-admin workers.

  --config-file PATH   A keystone.conf to read (repeatable; later files override earlier ones).
  --config-dir DIR     Read every *.conf in DIR, in name order (repeatable).
  --debug, -d          Log at debug level.
  --help, -h           Show this help.

Signals: SIGTERM/SIGINT drain and stop; SIGHUP reloads the configuration and
replaces the workers one at a time; SIGUSR1 reopens log files.`;

/** The default worker count of a service: ceil(CPUs × 1.5). */
export function defaultWorkerCount(): number {
  return Math.max(1, Math.ceil(availableParallelism() * 1.5));
}

function displayHost(host: string): string {
  if (host === '' || host === '0.0.0.0') return '127.0.0.1';
  if (host === '::') return '[::1]';
  return host.includes(':') ? `[${host}]` : host;
}

function urlHost(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}

// =====================================================================================
// worker
// =====================================================================================

async function workerMain(): Promise<void> {
  const service = (process.env.KEYSTONE_WORKER_SERVICE === 'admin' ? 'admin' : 'public') as ServiceName;
  const name = `keystone-${service}`;
  process.title = name;

  let server: ReturnType<typeof createHttpServer> | null = null;
  let draining = false;
  const inFlight = new Set<ServerResponse>();
  let uncaught: number[] = [];

  // Nothing a client sends may take the worker down: log and carry on. A storm of
  // unexpected exceptions (a broken process) ends it so that the primary replaces it.
  process.on('uncaughtException', (err, origin) => {
    log.error(`${name}: unexpected ${origin}: ${err?.stack ?? err}`);
    const now = Date.now();
    uncaught = uncaught.filter((t) => now - t < 60_000);
    uncaught.push(now);
    if (uncaught.length > 50) {
      log.error(`${name}: ${uncaught.length} unexpected exceptions within a minute; exiting so that a fresh worker replaces this one`);
      process.exit(70);
    }
  });
  process.on('unhandledRejection', (reason) => {
    log.error(`${name}: unhandled promise rejection: ${(reason as Error)?.stack ?? String(reason)}`);
  });
  // The primary coordinates signals: a terminal's Ctrl-C or hang-up reaches the whole process group.
  process.on('SIGINT', () => undefined);
  process.on('SIGHUP', () => undefined);

  // A round trip over the IPC channel: everything the primary sent before its answer
  // (e.g. a connection handed to this worker just before it stopped listening) has
  // been processed here, and everything sent from here (the refusal of such a
  // connection, which makes the primary hand it to another worker) has reached it.
  let syncId = 0;
  const syncWithPrimary = (): Promise<void> => new Promise((resolve) => {
    if (!process.connected || !process.send) { resolve(); return; }
    const id = ++syncId;
    const timer = setTimeout(() => { process.off('message', onMessage); resolve(); }, 2000);
    const onMessage = (msg: unknown) => {
      const m = msg as { type?: string; id?: number };
      if (m?.type === MSG_SYNC_ACK && m.id === id) { clearTimeout(timer); process.off('message', onMessage); resolve(); }
    };
    process.on('message', onMessage);
    process.send({ type: MSG_SYNC, id }, undefined, undefined, () => undefined);
  });

  let finishing = false;
  const finish = (code: number): void => {
    if (finishing) return;
    finishing = true;
    setTimeout(() => process.exit(code), 5000).unref();
    void (async () => {
      // twice: primary → worker, then worker → primary, so that no connection is lost in between
      await syncWithPrimary();
      await syncWithPrimary();
      await closeDatabases().catch(() => undefined);
      process.exit(code);
    })();
  };

  const drain = (timeoutMs: number): void => {
    if (draining) return;
    draining = true;
    markDraining(); // /healthcheck answers 503 on the connections still open
    if (!server || !server.listening) {
      finish(0);
      return;
    }
    log.info(`${name}: draining ${inFlight.size} in-flight request(s) (at most ${Math.round(timeoutMs / 1000)} s)`);
    for (const res of inFlight) {
      if (!res.headersSent) res.setHeader('Connection', 'close');
    }
    // Stop accepting, but leave the keep-alive connections open for a moment: a client that
    // sends on one gets its answer with "Connection: close" and closes it itself. Closing an
    // idle connection at once (http.Server.close does) resets a request already on its way.
    netClose.call(server, () => finish(0));
    setTimeout(() => server?.closeIdleConnections(), Math.min(KEEP_ALIVE_GRACE_MS, timeoutMs)).unref();
    setTimeout(() => {
      if (inFlight.size) log.warn(`${name}: ${inFlight.size} request(s) still in flight after [eventlet_server] shutdown_timeout; closing them`);
      server?.closeAllConnections();
      finish(0);
    }, timeoutMs).unref();
  };

  process.on('message', (msg: unknown) => {
    const m = msg as { type?: string; timeoutMs?: number };
    if (m?.type === MSG_SHUTDOWN) drain(typeof m.timeoutMs === 'number' ? m.timeoutMs : 30_000);
  });
  process.on('SIGTERM', () => drain(30_000));
  // The primary went away (killed): stop too, gracefully.
  process.on('disconnect', () => drain(5_000));

  let config: CliConfig;
  try {
    const sources = JSON.parse(process.env.KEYSTONE_CONFIG_SOURCES ?? '{}') as ConfigSources;
    config = loadCliConfig(sources, process.env.KEYSTONE_DEBUG === '1');
  } catch (err) {
    process.stderr.write(`${name}: ${oneLine(describeError(err))}\n`);
    process.exit(78);
  }
  const { conf } = config;
  configureLogging(conf, name);
  initWorkerMetrics({ service });

  const embeddedSocketDir = process.env.KEYSTONE_EMBEDDED_SOCKET_DIR || undefined;
  const services = buildServices(conf, { embeddedSocketDir });
  observeCache(services.cache);
  instrumentDatabase(services.db as unknown as Parameters<typeof instrumentDatabase>[0]);
  observeDatabasePool(services.db);

  try {
    await waitForDatabase(services.db, conf, (attempt, err) => {
      log.warn(`${name}: database not reachable (${oneLine(err.message)}); retry ${attempt}${conf.database.max_retries === -1 ? '' : ` of ${conf.database.max_retries}`} in ${conf.database.retry_interval} s`);
    });
  } catch (err) {
    log.error(`${name}: cannot reach ${describeTarget(resolveDatabaseTarget(conf))} after ${conf.database.max_retries} retries: ${oneLine((err as Error).message)}`);
    finish(3);
    return;
  }
  if (draining) return;

  const app = createApp(service, services).app;
  const handler = withFastPath(app, service, services);
  server = createHttpServer((req, res) => {
    inFlight.add(res);
    res.once('close', () => inFlight.delete(res));
    if (draining) res.setHeader('Connection', 'close');
    try {
      handler(req, res);
    } catch (err) {
      log.error(`${name}: request handler failed: ${(err as Error)?.stack ?? err}`);
      if (!res.headersSent) {
        res.writeHead(500, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify({ error: { code: 500, title: 'Internal Server Error', message: 'An unexpected error prevented the server from fulfilling your request.' } }));
      } else {
        res.destroy();
      }
    }
  });
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  // Refused by node's HTTP parser before any middleware ran: still Keystone's error body, an access log line and a count.
  server.on('clientError', (err: NodeJS.ErrnoException, socket) => answerRefusedRequest(service, err, socket as Socket));
  server.on('error', (err: NodeJS.ErrnoException) => {
    log.error(`${name}: cannot listen on ${process.env.KEYSTONE_WORKER_HOST}:${process.env.KEYSTONE_WORKER_PORT}: ${err.message}`);
    finish(4);
  });
  const host = process.env.KEYSTONE_WORKER_HOST ?? '0.0.0.0';
  const port = Number(process.env.KEYSTONE_WORKER_PORT ?? (service === 'public' ? conf.eventlet_server.public_port : conf.eventlet_server.admin_port));
  server.listen(port, host, () => {
    const address = server!.address() as AddressInfo;
    process.send?.({ type: MSG_LISTENING, service, host, port: address.port });
  });
}

// =====================================================================================
// primary
// =====================================================================================

interface WorkerState {
  worker: Worker;
  service: ServiceName;
  startedAt: number;
  listening: boolean;
  /** being drained on purpose (reload, shutdown): not replaced when it exits */
  stopping: boolean;
  /** selected for replacement by a reload roll: not replaced by the crash handler */
  retiring: boolean;
  listened: Promise<boolean>;
  exited: Promise<void>;
}

interface Endpoint {
  host: string;
  port: number;
}

/** Picks free ports for the services configured with port 0 (held together, so they differ). */
async function resolvePorts(conf: KeystoneConfig): Promise<Record<ServiceName, Endpoint>> {
  const es = conf.eventlet_server;
  const wanted: Record<ServiceName, Endpoint> = {
    public: { host: es.public_bind_host, port: es.public_port },
    admin: { host: es.admin_bind_host, port: es.admin_port },
  };
  const probes: NetServer[] = [];
  try {
    for (const s of SERVICES) {
      if (wanted[s].port !== 0) continue;
      const probe = createNetServer();
      probes.push(probe);
      wanted[s].port = await new Promise<number>((resolve, reject) => {
        probe.once('error', reject);
        probe.listen(0, wanted[s].host, () => resolve((probe.address() as AddressInfo).port));
      });
    }
  } finally {
    await Promise.all(probes.map((p) => new Promise((r) => p.close(r))));
  }
  return wanted;
}

function ensureKeyRepositories(conf: KeystoneConfig, say: (line: string) => void): void {
  const repos = [new KeyRepository({ path: conf.fernet_tokens.key_repository, maxActiveKeys: conf.fernet_tokens.max_active_keys, configGroup: 'fernet_tokens' })];
  if (conf.fernet_receipts.key_repository !== conf.fernet_tokens.key_repository) {
    repos.push(new KeyRepository({ path: conf.fernet_receipts.key_repository, maxActiveKeys: conf.fernet_receipts.max_active_keys, configGroup: 'fernet_receipts' }));
  }
  repos.push(credentialRepository(conf.credential.key_repository));
  for (const repo of repos) {
    if (existsSync(join(repo.path, '0'))) continue;
    const r = repo.setup();
    if (r.created) say(`created the [${repo.configGroup}] key repository ${repo.path} (keys ${r.keyIds.slice().sort((a, b) => a - b).join(', ')})`);
  }
}

class StartupError extends Error {}

export async function primaryMain(argv: string[]): Promise<void> {
  const args = parseGlobalArgs(argv);
  if (args.help) {
    process.stdout.write(USAGE + '\n');
    return;
  }
  const command = args.rest[0] ?? 'start';
  if (command !== 'start' || args.rest.length > 1) {
    process.stderr.write(`${USAGE}\n${PROGRAM}: unknown command or argument ${JSON.stringify(args.rest.join(' '))}\n`);
    process.exit(2);
  }
  const sources = configSourcesOf(args);
  let config: CliConfig;
  try {
    config = loadCliConfig(sources, args.debug);
  } catch (err) {
    process.stderr.write(`${PROGRAM}: ${oneLine(describeError(err))}\n`);
    process.exit(1);
  }
  process.title = PROGRAM;
  let conf = config.conf;
  configureLogging(conf, PROGRAM);
  for (const w of config.warnings) log.warn(w);
  if (conf.DEFAULT.admin_token) log.warn('[DEFAULT] admin_token is set: anyone who knows it has full access. Remove it once bootstrapped (keystone-manage bootstrap).');

  let host: EmbeddedHost | undefined;
  const fail = async (message: string): Promise<never> => {
    process.stderr.write(`${PROGRAM}: ${oneLine(message)}\n`);
    await closeDatabases().catch(() => undefined);
    await host?.stop().catch(() => undefined);
    process.exit(1);
  };

  let target: DatabaseTarget;
  try {
    target = resolveDatabaseTarget(conf);
  } catch (err) {
    return fail(`[database] connection: ${(err as Error).message}`);
  }
  const counts = (c: KeystoneConfig): Record<ServiceName, number> => ({
    public: c.eventlet_server.public_workers ?? defaultWorkerCount(),
    admin: c.eventlet_server.admin_workers ?? defaultWorkerCount(),
  });
  let desired = counts(conf);

  let endpoints: Record<ServiceName, Endpoint>;
  try {
    endpoints = await resolvePorts(conf);
  } catch (err) {
    return fail(`cannot bind the configured address: ${(err as Error).message}`);
  }

  // ---- the database, the first run, the schema
  let firstRun: { password: string; generated: boolean } | null = null;
  try {
    if (target.kind === 'embedded') {
      try {
        // 4 per worker (+2 for SIGHUP's replacements), 4 for this process, and room for keystone-manage beside them
        host = await hostEmbeddedDatabase(conf, target.dataDir, (desired.public + desired.admin + 2) * 4 + 4 + CLI_CONNECTION_SLOTS, (attempt, err) =>
          log.warn(`${err.message.replace(/; try again.*$/, '')}; retry ${attempt}${conf.database.max_retries === -1 ? '' : ` of ${conf.database.max_retries}`} in ${conf.database.retry_interval} s`));
      } catch (err) {
        if (err instanceof EmbeddedDatabaseBusyError) throw new StartupError(err.message);
        throw new StartupError(`cannot open the embedded database at ${target.dataDir}: ${(err as Error).message}`);
      }
    }
    const db = openDatabase(conf, { embeddedSocketDir: host?.socketDir, poolSize: 2 });
    try {
      await waitForDatabase(db, conf, (attempt, err) =>
        log.warn(`database not reachable (${oneLine(err.message)}); retry ${attempt}${conf.database.max_retries === -1 ? '' : ` of ${conf.database.max_retries}`} in ${conf.database.retry_interval} s`));
    } catch (err) {
      throw new StartupError(`Cannot connect to ${describeTarget(target)}: ${oneLine((err as Error).message)}`);
    }
    if (target.kind === 'embedded') {
      const fresh = host!.created || (await currentSchemaVersion(db)) === 0;
      const say = (line: string) => log.info(line);
      ensureKeyRepositories(conf, say);
      if (fresh) {
        log.info(`first run: creating the schema in ${target.dataDir}`);
        await syncSchema(db);
        const fromEnv = process.env.OS_BOOTSTRAP_PASSWORD;
        firstRun = { password: fromEnv || randomBytes(18).toString('base64url'), generated: !fromEnv };
        const services = buildServices(conf, { db, embeddedSocketDir: host!.socketDir });
        try {
          const base = (s: ServiceName) => (s === 'public' ? conf.DEFAULT.public_endpoint : conf.DEFAULT.admin_endpoint)?.replace(/\/+$/, '')
            ?? `http://${displayHost(endpoints[s].host)}:${endpoints[s].port}`;
          await runBootstrap(services, {
            password: firstRun.password,
            regionId: 'RegionOne',
            publicUrl: `${base('public')}/v3`,
            internalUrl: `${base('public')}/v3`,
            adminUrl: `${base('admin')}/v3`,
          });
        } finally {
          await services.cache.close().catch(() => undefined);
        }
        log.info('first run: bootstrapped the admin user, project and roles and the identity service');
      }
    } else if (conf.token.provider === 'fernet') {
      try {
        new KeyRepository({ path: conf.fernet_tokens.key_repository, maxActiveKeys: conf.fernet_tokens.max_active_keys, configGroup: 'fernet_tokens' }).loadKeysSync();
      } catch (err) {
        if (err instanceof KeyRepositoryError) throw new StartupError(err.message);
        throw err;
      }
    }
    try {
      await assertSchemaCurrent(db);
    } catch (err) {
      throw new StartupError(`refusing to start: ${(err as Error).message}`);
    }
    await closeDatabases();
  } catch (err) {
    if (err instanceof StartupError) return fail(err.message);
    return fail(describeError(err));
  }

  // ---- the cluster
  const thisFile = fileURLToPath(import.meta.url);
  cluster.setupPrimary({ exec: thisFile, args: [], silent: false, execArgv: workerExecArgv() });
  relayCacheInvalidations();

  const states = new Map<number, WorkerState>();
  const failures: Record<ServiceName, number> = { public: 0, admin: 0 };
  const announced: Partial<Record<ServiceName, string>> = {};
  let shuttingDown = false;
  let ready = false;
  let rolling = false;
  let reloadPending = false;
  let metricsServer: MetricsServer | null = null;

  const live = (service: ServiceName) => [...states.values()].filter((s) => s.service === service && !s.stopping && !s.retiring);

  const writePortsFile = () => {
    const dir = conf.DEFAULT.state_path;
    const data = {
      pid: process.pid,
      public: { host: endpoints.public.host, port: endpoints.public.port, url: announced.public },
      admin: { host: endpoints.admin.host, port: endpoints.admin.port, url: announced.admin },
    };
    try {
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, 'ports'), JSON.stringify(data, null, 2) + '\n');
    } catch (err) {
      log.debug(`not writing ${join(dir, 'ports')}: ${(err as Error).message}`);
    }
  };

  const statusLine = () => `public: ${live('public').filter((s) => s.listening).length} workers on ${endpoints.public.port}, admin: ${live('admin').filter((s) => s.listening).length} workers on ${endpoints.admin.port}`;

  const checkReady = () => {
    if (ready || shuttingDown) return;
    if (SERVICES.some((s) => live(s).filter((w) => w.listening).length < desired[s])) return;
    ready = true;
    writePortsFile();
    printBanner();
    log.info(`keystone-all ready: ${desired.public} keystone-public and ${desired.admin} keystone-admin workers`);
    void notifyReady(statusLine());
    startWatchdog();
    void startMetricsServer(conf, cluster).then(
      (m) => {
        metricsServer = m;
        if (m) log.info(`metrics listening on http://${urlHost(m.host)}:${m.port}/metrics`);
      },
      (err: Error) => log.warn(`metrics listener not started: ${err.message}`),
    );
  };

  const printBanner = () => {
    const pub = `http://${displayHost(endpoints.public.host)}:${endpoints.public.port}`;
    const adm = `http://${displayHost(endpoints.admin.host)}:${endpoints.admin.port}`;
    const lines = ['', 'Keystone is running.', `  public: ${pub}/v3`, `  admin:  ${adm}/v3`];
    if (firstRun) {
      lines.push(
        '',
        'First run: created the schema, the Fernet and credential keys, and the admin user',
        '(user "admin", project "admin", domain "Default").',
        firstRun.generated
          ? `  admin password: ${firstRun.password}    (generated; shown only this once. Set OS_BOOTSTRAP_PASSWORD to choose it.)`
          : '  admin password: the value of OS_BOOTSTRAP_PASSWORD',
        '',
        'Get a token:',
        `  export OS_AUTH_URL=${pub}/v3 OS_IDENTITY_API_VERSION=3 OS_USERNAME=admin OS_PASSWORD='${firstRun.generated ? firstRun.password : '$OS_BOOTSTRAP_PASSWORD'}' \\`,
        '         OS_PROJECT_NAME=admin OS_USER_DOMAIN_NAME=Default OS_PROJECT_DOMAIN_NAME=Default',
        '  openstack token issue',
        'or:',
        `  curl -si ${pub}/v3/auth/tokens -H 'Content-Type: application/json' -d '{"auth": {"identity": {"methods": ["password"], "password": {"user": {"name": "admin", "domain": {"name": "Default"}, "password": "${firstRun.generated ? firstRun.password : '<OS_BOOTSTRAP_PASSWORD>'}"}}}, "scope": {"project": {"name": "admin", "domain": {"name": "Default"}}}}}'`,
        '  (the token is in the X-Subject-Token header)',
      );
      firstRun = null;
    }
    process.stdout.write(lines.join('\n') + '\n\n');
  };

  const fork = (service: ServiceName): WorkerState => {
    const ep = endpoints[service];
    const worker = cluster.fork({
      KEYSTONE_WORKER_SERVICE: service,
      KEYSTONE_WORKER_HOST: ep.host,
      KEYSTONE_WORKER_PORT: String(ep.port),
      KEYSTONE_CONFIG_SOURCES: JSON.stringify(sources),
      KEYSTONE_EMBEDDED_SOCKET_DIR: host?.socketDir ?? '',
      KEYSTONE_DEBUG: args.debug ? '1' : '',
    });
    let onListening!: (ok: boolean) => void;
    let onExit!: () => void;
    const state: WorkerState = {
      worker, service, startedAt: Date.now(), listening: false, stopping: false, retiring: false,
      listened: new Promise((r) => { onListening = r; }),
      exited: new Promise((r) => { onExit = r; }),
    };
    states.set(worker.id, state);
    log.info(`started keystone-${service} worker ${worker.id} (pid ${worker.process.pid})`);
    worker.on('message', (msg: unknown) => {
      const m = msg as { type?: string; port?: number; host?: string; id?: number };
      if (m?.type === MSG_SYNC) {
        if (worker.isConnected()) worker.send({ type: MSG_SYNC_ACK, id: m.id }, undefined, () => undefined);
        return;
      }
      if (m?.type !== MSG_LISTENING || typeof m.port !== 'number') return;
      state.listening = true;
      endpoints[service] = { host: m.host ?? ep.host, port: m.port };
      const url = `http://${urlHost(endpoints[service].host)}:${m.port}`;
      if (announced[service] !== url) {
        announced[service] = url;
        log.info(`keystone-${service} listening on ${url}`);
        if (ready) writePortsFile();
      }
      log.debug(`keystone-${service} worker ${worker.id} (pid ${worker.process.pid}) is listening`);
      onListening(true);
      checkReady();
    });
    worker.once('exit', () => { onListening(false); onExit(); });
    return state;
  };

  cluster.on('exit', (worker, code, signal) => {
    const state = states.get(worker.id);
    if (!state) return;
    states.delete(worker.id);
    const how = signal ? `signal ${signal}` : `code ${code}`;
    const label = `keystone-${state.service} worker ${worker.id} (pid ${worker.process.pid})`;
    if (shuttingDown || state.stopping) {
      log.info(`${label} exited (${how})`);
      return;
    }
    if (state.retiring) {
      log.warn(`${label} exited (${how}) while being replaced`);
      return;
    }
    const lived = Date.now() - state.startedAt;
    failures[state.service] = lived < QUICK_DEATH_MS ? failures[state.service] + 1 : 0;
    const delay = failures[state.service] <= 1 ? 0 : Math.min(BACKOFF_BASE_MS * 2 ** (failures[state.service] - 2), BACKOFF_MAX_MS);
    recordWorkerRestart(state.service, signal ?? String(code));
    log.warn(`${label} died (${how}) after ${(lived / 1000).toFixed(1)} s; restarting it${delay ? ` in ${delay} ms` : ''}`);
    setTimeout(() => {
      if (shuttingDown) return;
      const replacement = fork(state.service);
      log.info(`restarted keystone-${state.service}: worker ${replacement.worker.id} (pid ${replacement.worker.process.pid}) replaces worker ${worker.id} (pid ${worker.process.pid})`);
    }, delay).unref();
  });

  const stopWorker = (state: WorkerState, timeoutMs: number): Promise<void> => {
    state.stopping = true;
    try {
      if (state.worker.isConnected()) state.worker.send({ type: MSG_SHUTDOWN, timeoutMs });
      else state.worker.process.kill('SIGTERM');
    } catch {
      state.worker.process.kill('SIGTERM');
    }
    const hard = setTimeout(() => {
      log.warn(`keystone-${state.service} worker ${state.worker.id} (pid ${state.worker.process.pid}) did not stop in time; killing it`);
      state.worker.process.kill('SIGKILL');
    }, timeoutMs + 5000);
    hard.unref();
    return state.exited.finally(() => clearTimeout(hard));
  };

  const shutdown = async (signal: string) => {
    if (shuttingDown) {
      log.info(`${signal} received again; still draining`);
      return;
    }
    shuttingDown = true;
    const timeoutMs = conf.eventlet_server.shutdown_timeout * 1000;
    log.info(`${signal} received: stopping; in-flight requests get up to ${conf.eventlet_server.shutdown_timeout} s`);
    void notifyStopping();
    await Promise.all([...states.values()].map((s) => stopWorker(s, timeoutMs)));
    await metricsServer?.close().catch(() => undefined);
    await host?.stop().catch(() => undefined);
    log.info('keystone-all stopped');
    process.exit(0);
  };

  const reload = async () => {
    if (shuttingDown) return;
    if (rolling) {
      reloadPending = true;
      log.info('SIGHUP received during a reload; another reload follows');
      return;
    }
    rolling = true;
    try {
      let next: CliConfig;
      try {
        next = loadCliConfig(sources, args.debug);
      } catch (err) {
        log.error(`SIGHUP: the configuration was not reloaded: ${oneLine(describeError(err))}; the workers keep the previous one`);
        return;
      }
      if ((next.conf.database.connection ?? '') !== (conf.database.connection ?? '') || next.conf.DEFAULT.state_path !== conf.DEFAULT.state_path) {
        log.warn('SIGHUP: [database] connection and state_path changes take effect at the next restart only');
      }
      conf = next.conf;
      configureLogging(conf, PROGRAM);
      for (const w of next.warnings) log.warn(w);
      log.info('SIGHUP: configuration reloaded; replacing workers one at a time');
      void notifyReloading();
      desired = counts(conf);
      const es = conf.eventlet_server;
      const wanted: Record<ServiceName, Endpoint> = {
        public: { host: es.public_bind_host, port: es.public_port || endpoints.public.port },
        admin: { host: es.admin_bind_host, port: es.admin_port || endpoints.admin.port },
      };
      const timeoutMs = es.shutdown_timeout * 1000;
      for (const service of SERVICES) {
        endpoints[service] = wanted[service];
        const old = live(service);
        for (const s of old) s.retiring = true;
        const slots = Math.max(desired[service], old.length);
        for (let i = 0; i < slots && !shuttingDown; i++) {
          if (i < desired[service]) {
            const fresh = fork(service);
            const ok = await Promise.race([fresh.listened, new Promise<boolean>((r) => setTimeout(() => r(false), 60_000).unref())]);
            if (!ok) {
              log.error(`SIGHUP: a new keystone-${service} worker did not start listening; keeping the remaining old workers`);
              for (const s of old.slice(i)) s.retiring = false;
              break;
            }
          }
          if (i < old.length) await stopWorker(old[i]!, timeoutMs);
        }
      }
      log.info(`SIGHUP: reload complete (${statusLine()})`);
      void notifyReady(statusLine());
    } finally {
      rolling = false;
      if (reloadPending && !shuttingDown) {
        reloadPending = false;
        void reload();
      }
    }
  };

  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGHUP', () => void reload());
  process.on('SIGUSR1', () => {
    reopenLogFiles();
    for (const s of states.values()) s.worker.process.kill('SIGUSR1');
  });
  process.on('uncaughtException', (err, origin) => log.error(`keystone-all: unexpected ${origin}: ${err?.stack ?? err}`));
  process.on('unhandledRejection', (reason) => log.error(`keystone-all: unhandled promise rejection: ${(reason as Error)?.stack ?? String(reason)}`));

  log.info(`starting ${desired.public} keystone-public worker(s) on ${urlHost(endpoints.public.host)}:${endpoints.public.port} and ${desired.admin} keystone-admin worker(s) on ${urlHost(endpoints.admin.host)}:${endpoints.admin.port}`);
  void notifyStatus('Starting workers');
  for (const service of SERVICES) for (let i = 0; i < desired[service]; i++) fork(service);
}

// =====================================================================================

/** The entry point: the primary's command line, or a forked worker. */
export function run(argv: string[] = process.argv.slice(2)): void {
  const main = cluster.isPrimary ? primaryMain(argv) : workerMain();
  main.catch((err) => {
    process.stderr.write(`${cluster.isPrimary ? PROGRAM : `keystone-${process.env.KEYSTONE_WORKER_SERVICE}`}: ${oneLine(describeError(err))}\n`);
    process.exit(1);
  });
}

function invokedDirectly(): boolean {
  try {
    return !!process.argv[1] && pathToFileURL(realpathSync(process.argv[1])).href === import.meta.url;
  } catch {
    return false;
  }
}

if (invokedDirectly()) run();

/**
 * The workers' node flags: the primary's, plus a young generation of 4 MB
 * unless the operator chose one (NODE_OPTIONS or the command line). V8's
 * default lets a busy worker's heap float above 120 MB of garbage between
 * scavenges; 4 MB keeps it near 95 MB (see README, Performance).
 */
function workerExecArgv(): string[] {
  const flags = [...process.execArgv];
  const chosen = [...flags, ...(process.env.NODE_OPTIONS ?? '').split(/\s+/)].some((f) => f.startsWith('--max-semi-space-size'));
  if (!chosen) flags.push('--max-semi-space-size=4');
  return flags;
}
