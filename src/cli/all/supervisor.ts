/**
 * keystone-all's primary once the database is ready: forks the workers
 * (worker-pool.ts) and supervises them.
 *  - ready when every worker of both services listens: the banner, the
 *    ports file, sd_notify READY=1 and the watchdog (systemd-notify.ts), the
 *    /metrics listener;
 *  - SIGTERM / SIGINT: workers stop accepting, in-flight requests finish
 *    (bounded by [eventlet_server] shutdown_timeout), the embedded database
 *    stops, exit 0;
 *  - SIGHUP: reloads keystone.conf and rolls the workers (rolling-reload.ts);
 *  - SIGUSR1: reopens log files (and forwards to the workers).
 */
import cluster from 'node:cluster';
import type { ConfigSources } from '../../config/load-config.js';
import type { KeystoneConfig } from '../../config/options.js';
import { configureLogging, log, reopenLogFiles } from '../../log/logger.js';
import { relayCacheInvalidations } from '../../cache/memory-backend.js';
import type { EmbeddedHost } from '../../storage/embedded-host.js';
import { startMetricsServer, type MetricsServer } from '../../metrics/server.js';
import { describeError, loadCliConfig, oneLine, type CliConfig } from '../cli-config.js';
import { PROGRAM } from './args.js';
import { readyBanner } from './banner.js';
import type { FirstRun } from './first-run.js';
import { configuredEndpoints, SERVICES, urlHost, writePortsFile, type Endpoints } from './ports.js';
import { rollWorkers } from './rolling-reload.js';
import { notifyReady, notifyReloading, notifyStatus, notifyStopping, startWatchdog } from './systemd-notify.js';
import { desiredWorkers } from './worker-counts.js';
import { WorkerPool } from './worker-pool.js';
import { stackOf, messageOf } from '../../common/errors.js';

export interface SupervisorOptions {
  conf: KeystoneConfig;
  sources: ConfigSources;
  debug: boolean;
  /** where the services listen, ports of 0 already resolved */
  endpoints: Endpoints;
  /** the script the workers run */
  entry: string;
  /** the embedded database, hosted by this process */
  host?: EmbeddedHost;
  firstRun: FirstRun | null;
}

export class Supervisor {
  private conf: KeystoneConfig;
  private desired: ReturnType<typeof desiredWorkers>;
  private readonly pool: WorkerPool;
  private firstRun: FirstRun | null;
  private shuttingDown = false;
  private ready = false;
  private rolling = false;
  private reloadPending = false;
  private metricsServer: MetricsServer | null = null;

  constructor(private readonly options: SupervisorOptions) {
    this.conf = options.conf;
    this.desired = desiredWorkers(this.conf);
    this.firstRun = options.firstRun;
    this.pool = new WorkerPool(
      { entry: options.entry, sources: options.sources, debug: options.debug, embeddedSocketDir: options.host?.socketDir },
      options.endpoints,
      (_state, moved) => {
        if (moved && this.ready) this.writePorts();
        this.checkReady();
      },
    );
  }

  /** Forks the workers of both services and takes over the signals. */
  start(): void {
    relayCacheInvalidations();
    this.handleSignals();
    const { endpoints } = this.pool;
    log.info(
      `starting ${this.desired.public} keystone-public worker(s) on ${urlHost(endpoints.public.host)}:${endpoints.public.port} and ${this.desired.admin} keystone-admin worker(s) on ${urlHost(endpoints.admin.host)}:${endpoints.admin.port}`,
    );
    void notifyStatus('Starting workers');
    for (const service of SERVICES) for (let i = 0; i < this.desired[service]; i++) this.pool.fork(service);
  }

  private writePorts(): void {
    writePortsFile(this.conf.DEFAULT.state_path, this.pool.endpoints, this.pool.urls);
  }

  private checkReady(): void {
    if (this.ready || this.shuttingDown) return;
    if (SERVICES.some((s) => this.pool.listeningCount(s) < this.desired[s])) return;
    this.ready = true;
    this.writePorts();
    process.stdout.write(readyBanner(this.pool.endpoints, this.firstRun));
    this.firstRun = null;
    log.info(`keystone-all ready: ${this.desired.public} keystone-public and ${this.desired.admin} keystone-admin workers`);
    void notifyReady(this.pool.statusLine());
    startWatchdog();
    void startMetricsServer(this.conf, cluster).then(
      (m) => {
        this.metricsServer = m;
        if (m) log.info(`metrics listening on http://${urlHost(m.host)}:${m.port}/metrics`);
      },
      (err: unknown) => log.warn(`metrics listener not started: ${messageOf(err)}`),
    );
  }

  private async shutdown(signal: string): Promise<void> {
    if (this.shuttingDown) {
      log.info(`${signal} received again; still draining`);
      return;
    }
    this.shuttingDown = true;
    const { shutdown_timeout } = this.conf.eventlet_server;
    log.info(`${signal} received: stopping; in-flight requests get up to ${shutdown_timeout} s`);
    void notifyStopping();
    await this.pool.close(shutdown_timeout * 1000);
    await this.metricsServer?.close().catch(() => undefined);
    await this.options.host?.stop().catch(() => undefined);
    log.info('keystone-all stopped');
    process.exit(0);
  }

  private async reload(): Promise<void> {
    if (this.shuttingDown) return;
    if (this.rolling) {
      this.reloadPending = true;
      log.info('SIGHUP received during a reload; another reload follows');
      return;
    }
    this.rolling = true;
    try {
      let next: CliConfig;
      try {
        next = loadCliConfig(this.options.sources, this.options.debug);
      } catch (err) {
        log.error(`SIGHUP: the configuration was not reloaded: ${oneLine(describeError(err))}; the workers keep the previous one`);
        return;
      }
      const conf = this.conf;
      if (
        (next.conf.database.connection ?? '') !== (conf.database.connection ?? '') ||
        next.conf.DEFAULT.state_path !== conf.DEFAULT.state_path
      ) {
        log.warn('SIGHUP: [database] connection and state_path changes take effect at the next restart only');
      }
      this.conf = next.conf;
      configureLogging(this.conf, PROGRAM);
      for (const w of next.warnings) log.warn(w);
      log.info('SIGHUP: configuration reloaded; replacing workers one at a time');
      void notifyReloading();
      this.desired = desiredWorkers(this.conf);
      const endpoints = configuredEndpoints(this.conf, this.pool.endpoints);
      await rollWorkers(this.pool, this.desired, endpoints, this.conf.eventlet_server.shutdown_timeout * 1000, () => this.shuttingDown);
      log.info(`SIGHUP: reload complete (${this.pool.statusLine()})`);
      void notifyReady(this.pool.statusLine());
    } finally {
      this.rolling = false;
      if (this.reloadPending && !this.shuttingDown) {
        this.reloadPending = false;
        void this.reload();
      }
    }
  }

  private handleSignals(): void {
    process.on('SIGTERM', () => void this.shutdown('SIGTERM'));
    process.on('SIGINT', () => void this.shutdown('SIGINT'));
    process.on('SIGHUP', () => void this.reload());
    process.on('SIGUSR1', () => {
      reopenLogFiles();
      this.pool.signalAll('SIGUSR1');
    });
    process.on('uncaughtException', (err, origin) => log.error(`keystone-all: unexpected ${origin}: ${stackOf(err)}`));
    process.on('unhandledRejection', (reason) => log.error(`keystone-all: unhandled promise rejection: ${stackOf(reason)}`));
  }
}
