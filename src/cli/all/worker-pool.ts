/**
 * keystone-all's workers (node:cluster): forked from the entry script with
 * the endpoint of their service, followed until they listen, replaced when
 * they die (exponential backoff, capped at 30 s, while workers keep dying
 * within 10 s of their start), and stopped by draining. Every start, exit
 * and restart is logged.
 */
import cluster, { type Worker } from 'node:cluster';
import type { ConfigSources } from '../../config/load-config.js';
import { log } from '../../log/logger.js';
import { recordWorkerRestart } from '../../metrics/server.js';
import { SERVICES, urlHost, type Endpoints, type ServiceName } from './ports.js';
import { MSG_LISTENING, MSG_SHUTDOWN, MSG_SYNC, MSG_SYNC_ACK, WORKER_ENV, type WorkerMessage } from './worker-messages.js';

/** Workers dying within this many ms of their start count as failing quickly (backoff grows). */
const QUICK_DEATH_MS = 10_000;
const BACKOFF_BASE_MS = 250;
const BACKOFF_MAX_MS = 30_000;

export interface WorkerState {
  worker: Worker;
  service: ServiceName;
  startedAt: number;
  listening: boolean;
  /** being drained on purpose (reload, shutdown): not replaced when it exits */
  stopping: boolean;
  /** selected for replacement by a reload roll: not replaced by the crash handler */
  retiring: boolean;
  /** resolves true once listening, false if it exited first */
  listened: Promise<boolean>;
  exited: Promise<void>;
}

export interface WorkerLaunch {
  /** the script the workers run (dist/src/cli/keystone-all.js) */
  entry: string;
  sources: ConfigSources;
  debug: boolean;
  /** the embedded database's socket directory, when the primary hosts it */
  embeddedSocketDir?: string;
}

/**
 * Told when a worker listens; its service's endpoint in the pool is then the
 * one it listens on, and `moved` says its URL is new (the first worker, or a
 * reload that changed the address).
 */
export type ListeningListener = (state: WorkerState, moved: boolean) => void;

export class WorkerPool {
  private readonly states = new Map<number, WorkerState>();
  private readonly failures: Record<ServiceName, number> = { public: 0, admin: 0 };
  private closing = false;
  /** the URL each service was last announced at (`keystone-public listening on …`) */
  readonly urls: Partial<Record<ServiceName, string>> = {};

  /** @param endpoints where each service's workers are forked to listen (updated as they listen, and by a reload) */
  constructor(
    private readonly launch: WorkerLaunch,
    readonly endpoints: Endpoints,
    private readonly onListening: ListeningListener,
  ) {
    // workers run with the primary's node flags (cluster's default) and V8's default young generation, which an
    // idle worker gives back (idle-heap-trim.ts)
    cluster.setupPrimary({ exec: launch.entry, args: [], silent: false });
    cluster.on('exit', (worker, code, signal) => {
      this.onExit(worker, code, signal);
    });
  }

  /** The workers of a service that are neither stopping nor being replaced. */
  live(service: ServiceName): WorkerState[] {
    return [...this.states.values()].filter((s) => s.service === service && !s.stopping && !s.retiring);
  }

  listeningCount(service: ServiceName): number {
    return this.live(service).filter((s) => s.listening).length;
  }

  /** `public: 4 workers on 5000, admin: 4 workers on 35357` */
  statusLine(): string {
    return SERVICES.map((s) => `${s}: ${this.listeningCount(s)} workers on ${this.endpoints[s].port}`).join(', ');
  }

  fork(service: ServiceName): WorkerState {
    const ep = this.endpoints[service];
    const worker = cluster.fork({
      [WORKER_ENV.service]: service,
      [WORKER_ENV.host]: ep.host,
      [WORKER_ENV.port]: String(ep.port),
      [WORKER_ENV.configSources]: JSON.stringify(this.launch.sources),
      [WORKER_ENV.embeddedSocketDir]: this.launch.embeddedSocketDir ?? '',
      [WORKER_ENV.debug]: this.launch.debug ? '1' : '',
    });
    let onListening!: (ok: boolean) => void;
    let onExit!: () => void;
    const state: WorkerState = {
      worker,
      service,
      startedAt: Date.now(),
      listening: false,
      stopping: false,
      retiring: false,
      listened: new Promise((r) => {
        onListening = r;
      }),
      exited: new Promise((r) => {
        onExit = r;
      }),
    };
    this.states.set(worker.id, state);
    log.info(`started keystone-${service} worker ${worker.id} (pid ${worker.process.pid})`);
    worker.on('message', (msg: unknown) => {
      const m = msg as WorkerMessage | undefined;
      if (m?.type === MSG_SYNC) {
        if (worker.isConnected()) worker.send({ type: MSG_SYNC_ACK, id: m.id }, undefined, () => undefined);
        return;
      }
      if (m?.type !== MSG_LISTENING || typeof m.port !== 'number') return;
      state.listening = true;
      this.endpoints[service] = { host: m.host ?? ep.host, port: m.port };
      const url = `http://${urlHost(this.endpoints[service].host)}:${m.port}`;
      const moved = this.urls[service] !== url;
      if (moved) {
        this.urls[service] = url;
        log.info(`keystone-${service} listening on ${url}`);
      }
      log.debug(`keystone-${service} worker ${worker.id} (pid ${worker.process.pid}) is listening`);
      onListening(true);
      this.onListening(state, moved);
    });
    worker.once('exit', () => {
      onListening(false);
      onExit();
    });
    return state;
  }

  /** Drains a worker (the primary's shutdown message, else SIGTERM); SIGKILL when it outlives timeoutMs by 5 s. */
  stopWorker(state: WorkerState, timeoutMs: number): Promise<void> {
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
    return state.exited.finally(() => {
      clearTimeout(hard);
    });
  }

  /** Stops every worker; none is replaced from now on. */
  async close(timeoutMs: number): Promise<void> {
    this.closing = true;
    await Promise.all([...this.states.values()].map((s) => this.stopWorker(s, timeoutMs)));
  }

  signalAll(signal: NodeJS.Signals): void {
    for (const s of this.states.values()) s.worker.process.kill(signal);
  }

  private onExit(worker: Worker, code: number, signal: string): void {
    const state = this.states.get(worker.id);
    if (!state) return;
    this.states.delete(worker.id);
    const how = signal ? `signal ${signal}` : `code ${code}`;
    const label = `keystone-${state.service} worker ${worker.id} (pid ${worker.process.pid})`;
    if (this.closing || state.stopping) {
      log.info(`${label} exited (${how})`);
      return;
    }
    if (state.retiring) {
      log.warn(`${label} exited (${how}) while being replaced`);
      return;
    }
    const lived = Date.now() - state.startedAt;
    this.failures[state.service] = lived < QUICK_DEATH_MS ? this.failures[state.service] + 1 : 0;
    const failures = this.failures[state.service];
    const delay = failures <= 1 ? 0 : Math.min(BACKOFF_BASE_MS * 2 ** (failures - 2), BACKOFF_MAX_MS);
    recordWorkerRestart(state.service, signal ?? String(code));
    log.warn(`${label} died (${how}) after ${(lived / 1000).toFixed(1)} s; restarting it${delay ? ` in ${delay} ms` : ''}`);
    setTimeout(() => {
      if (this.closing) return;
      const replacement = this.fork(state.service);
      log.info(
        `restarted keystone-${state.service}: worker ${replacement.worker.id} (pid ${replacement.worker.process.pid}) replaces worker ${worker.id} (pid ${worker.process.pid})`,
      );
    }, delay).unref();
  }
}
