/**
 * A keystone-all worker (title `keystone-public` / `keystone-admin`): builds
 * the providers, waits for the database ([database] max_retries /
 * retry_interval) and serves createApp(service, providers, db).app through
 * node:http on the endpoint the primary gave it. Errors that escape a
 * request are logged and the worker keeps serving. Asked to stop (by the
 * primary, SIGTERM, or the primary gone), it drains: no new connections,
 * in-flight requests finish within the given time.
 */
import { Server as NetServerClass, type AddressInfo } from 'node:net';
import type { ConfigSources } from '../../config/load-config.js';
import { configureLogging, log } from '../../log/logger.js';
import { closeDatabases, resolveDatabaseTarget } from '../../storage/database.js';
import { buildProviders } from '../../wiring/build-providers.js';
import { createApp } from '../../server/create-app.js';
import { withFastPath } from '../../server/fast-path.js';
import { markDraining } from '../../server/healthcheck.js';
import { initWorkerMetrics, instrumentDatabase, observeCache, observeDatabasePool, observePasswordHashing } from '../../metrics/metrics.js';
import { describeError, loadCliConfig, oneLine, type CliConfig } from '../cli-config.js';
import { describeTarget, waitForDatabase } from '../cli-database.js';
import { announceListening, syncWithPrimary } from './primary-channel.js';
import type { ServiceName } from './ports.js';
import { MSG_SHUTDOWN, WORKER_ENV, type WorkerMessage } from './worker-messages.js';
import { createWorkerHttpServer, type WorkerHttpServer } from './worker-http-server.js';
import { trimHeapWhenIdle } from './idle-heap-trim.js';
import { stackOf } from '../../common/errors.js';

/** How long a draining worker keeps idle keep-alive connections open (see drain). */
const KEEP_ALIVE_GRACE_MS = 1000;
/** net.Server's close: stops accepting without http.Server's immediate closing of idle connections. */
// eslint-disable-next-line @typescript-eslint/unbound-method -- always called as netClose.call(server, …)
const netClose = NetServerClass.prototype.close;

/** The service of this worker, as the primary set it in its environment. */
export function workerService(): ServiceName {
  return process.env[WORKER_ENV.service] === 'admin' ? 'admin' : 'public';
}

/**
 * Nothing a client sends may take the worker down: log and carry on. A storm
 * of unexpected exceptions (a broken process) ends it so that the primary
 * replaces it.
 */
function keepServingThroughErrors(name: string): void {
  let uncaught: number[] = [];
  process.on('uncaughtException', (err, origin) => {
    log.error(`${name}: unexpected ${origin}: ${stackOf(err)}`);
    const now = Date.now();
    uncaught = uncaught.filter((t) => now - t < 60_000);
    uncaught.push(now);
    if (uncaught.length > 50) {
      log.error(`${name}: ${uncaught.length} unexpected exceptions within a minute; exiting so that a fresh worker replaces this one`);
      process.exit(70);
    }
  });
  process.on('unhandledRejection', (reason) => {
    log.error(`${name}: unhandled promise rejection: ${stackOf(reason)}`);
  });
}

export async function workerMain(): Promise<void> {
  const service = workerService();
  const name = `keystone-${service}`;
  process.title = name;
  keepServingThroughErrors(name);
  // The primary coordinates signals: a terminal's Ctrl-C or hang-up reaches the whole process group.
  process.on('SIGINT', () => undefined);
  process.on('SIGHUP', () => undefined);

  let http: WorkerHttpServer | null = null;
  let draining = false;

  let finishing = false;
  /** gives up this worker's broadcast lease, so that writers elsewhere do not wait for it (src/token/memo-version.ts) */
  let closeTokens: (() => void) | null = null;
  const finish = (code: number): void => {
    if (finishing) return;
    finishing = true;
    setTimeout(() => process.exit(code), 5000).unref();
    void (async () => {
      // twice: primary → worker, then worker → primary, so that no connection is lost in between
      await syncWithPrimary();
      await syncWithPrimary();
      closeTokens?.();
      await closeDatabases().catch(() => undefined);
      process.exit(code);
    })();
  };

  const drain = (timeoutMs: number): void => {
    if (draining) return;
    draining = true;
    markDraining(); // /healthcheck answers 503 on the connections still open
    if (!http || !http.server.listening) {
      finish(0);
      return;
    }
    const { server, inFlight } = http;
    log.info(`${name}: draining ${inFlight.size} in-flight request(s) (at most ${Math.round(timeoutMs / 1000)} s)`);
    for (const res of inFlight) {
      if (!res.headersSent) res.setHeader('Connection', 'close');
    }
    // Stop accepting, but leave the keep-alive connections open for a moment: a client that
    // sends on one gets its answer with "Connection: close" and closes it itself. Closing an
    // idle connection at once (http.Server.close does) resets a request already on its way.
    netClose.call(server, () => {
      finish(0);
    });
    setTimeout(
      () => {
        server.closeIdleConnections();
      },
      Math.min(KEEP_ALIVE_GRACE_MS, timeoutMs),
    ).unref();
    setTimeout(() => {
      if (inFlight.size)
        log.warn(`${name}: ${inFlight.size} request(s) still in flight after [eventlet_server] shutdown_timeout; closing them`);
      server.closeAllConnections();
      finish(0);
    }, timeoutMs).unref();
  };

  process.on('message', (msg: unknown) => {
    const m = msg as WorkerMessage | undefined;
    if (m?.type === MSG_SHUTDOWN) drain(typeof m.timeoutMs === 'number' ? m.timeoutMs : 30_000);
  });
  process.on('SIGTERM', () => {
    drain(30_000);
  });
  // The primary went away (killed): stop too, gracefully.
  process.on('disconnect', () => {
    drain(5_000);
  });

  let config: CliConfig;
  try {
    const sources = JSON.parse(process.env[WORKER_ENV.configSources] ?? '{}') as ConfigSources;
    config = loadCliConfig(sources, process.env[WORKER_ENV.debug] === '1');
  } catch (err) {
    process.stderr.write(`${name}: ${oneLine(describeError(err))}\n`);
    process.exit(78);
  }
  const { conf } = config;
  configureLogging(conf, name);
  initWorkerMetrics({ service });

  const embeddedSocketDir = process.env[WORKER_ENV.embeddedSocketDir] || undefined;
  const { providers, db, cache } = buildProviders(conf, { embeddedSocketDir });
  closeTokens = () => {
    providers.token_provider_api.close();
  };
  observeCache(cache);
  instrumentDatabase(db as unknown as Parameters<typeof instrumentDatabase>[0]);
  observeDatabasePool(db);
  observePasswordHashing(providers.identity_api.passwordHasher);

  try {
    await waitForDatabase(db, conf, (attempt, err) => {
      log.warn(
        `${name}: database not reachable (${oneLine(err.message)}); retry ${attempt}${conf.database.max_retries === -1 ? '' : ` of ${conf.database.max_retries}`} in ${conf.database.retry_interval} s`,
      );
    });
  } catch (err) {
    log.error(
      `${name}: cannot reach ${describeTarget(resolveDatabaseTarget(conf))} after ${conf.database.max_retries} retries: ${oneLine((err as Error).message)}`,
    );
    finish(3);
    return;
  }
  if (draining) return;

  const { app, requestClasses } = createApp(service, providers, db);
  http = createWorkerHttpServer(name, service, withFastPath(app, service, providers), () => draining, requestClasses);
  const { server } = http;
  trimHeapWhenIdle(server);
  server.on('error', (err: NodeJS.ErrnoException) => {
    log.error(`${name}: cannot listen on ${process.env[WORKER_ENV.host]}:${process.env[WORKER_ENV.port]}: ${err.message}`);
    finish(4);
  });
  const host = process.env[WORKER_ENV.host] ?? '0.0.0.0';
  const port = Number(
    process.env[WORKER_ENV.port] ?? (service === 'public' ? conf.eventlet_server.public_port : conf.eventlet_server.admin_port),
  );
  server.listen(port, host, () => {
    announceListening(service, host, (server.address() as AddressInfo).port);
  });
}
