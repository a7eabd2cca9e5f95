/**
 * The primary's side of metrics: on each GET /metrics it asks every live
 * worker for its registry over the cluster IPC channel (src/metrics/metrics.ts
 * answers), merges the answers with the primary's own metrics (worker
 * restarts, fernet key repositories, its process metrics) and serves them in
 * the Prometheus text format on a listener of its own ([metrics] enabled,
 * bind_host, port; 127.0.0.1:9180 by default, never the API ports).
 *
 * Every series carries a `worker` label (public-1, admin-3, primary): one
 * scrape shows each worker, and sum without(worker) (…) gives the totals. A
 * worker that does not answer within `timeoutMs` is left out of that scrape
 * (counted in keystone_metrics_collect_failures_total) instead of failing it.
 *
 * Wiring in the primary (src/cli/keystone-all.ts), after the workers are forked:
 *
 *     import cluster from 'node:cluster';
 *     import { startMetricsServer, recordWorkerRestart } from '../metrics/server.js';
 *     const metricsServer = await startMetricsServer(conf, cluster);   // null when [metrics] enabled = false
 *     cluster.on('exit', (worker, code, signal) => {
 *       if (!shuttingDown) recordWorkerRestart(serviceOf(worker), signal ?? String(code));
 *       …fork a replacement…
 *     });
 *     // on SIGTERM:
 *     await metricsServer?.close();
 */
import { readdirSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import {
  AggregatorRegistry,
  Counter,
  Gauge,
  Registry,
  collectDefaultMetrics,
  type MetricObjectWithValues,
  type MetricValue,
} from 'prom-client';
import { messageOf } from '../common/errors.js';
import type { KeystoneConfig } from '../config/options.js';
import { METRICS_REQUEST, METRICS_RESPONSE, workerRegistry, type MetricsResponse } from './metrics.js';

/** The primary's own metrics. */
export const primaryRegistry = new Registry();
primaryRegistry.setDefaultLabels({ worker: 'primary' });

export const workerRestarts = new Counter({
  name: 'keystone_worker_restarts_total',
  help: 'Workers that exited unexpectedly and were replaced, by service and exit reason (code or signal).',
  labelNames: ['service', 'reason'] as const,
  registers: [primaryRegistry],
});

export const workersScraped = new Gauge({
  name: 'keystone_workers',
  help: 'Workers that answered the last metrics collection, by service.',
  labelNames: ['service'] as const,
  registers: [primaryRegistry],
});

export const collectFailures = new Counter({
  name: 'keystone_metrics_collect_failures_total',
  help: 'Workers that did not answer a metrics collection in time (or answered with an error).',
  registers: [primaryRegistry],
});

/** Call from the primary's cluster 'exit' handler for each worker it replaces. */
export function recordWorkerRestart(service: string, reason = 'exit'): void {
  workerRestarts.inc({ service, reason });
}

export interface KeyRepositoryStats {
  keys: number;
  /** seconds since the primary key (the highest index) was put in place; undefined without keys */
  primaryKeyAgeSeconds?: number;
  primaryKeyIndex?: number;
}

/**
 * Reads a Fernet key repository: keys are files named by integers, 0 is the
 * staged key and the highest index the primary. The primary key's age is
 * taken from its ctime, which fernet_rotate's rename sets when it promotes
 * the staged key (on a node that receives keys by rsync, the time of sync).
 */
export function keyRepositoryStats(dir: string, now = Date.now()): KeyRepositoryStats {
  let names: string[];
  try {
    names = readdirSync(dir).filter((n) => /^\d+$/.test(n));
  } catch {
    return { keys: 0 };
  }
  if (names.length === 0) return { keys: 0 };
  const primary = Math.max(...names.map(Number));
  try {
    const st = statSync(join(dir, String(primary)));
    return { keys: names.length, primaryKeyIndex: primary, primaryKeyAgeSeconds: Math.max(0, (now - st.ctimeMs) / 1000) };
  } catch {
    return { keys: names.length, primaryKeyIndex: primary };
  }
}

let keyRepositories: Record<string, string> = {};

new Gauge({
  name: 'keystone_fernet_keys',
  help: 'Keys in each Fernet key repository (staged + primary + secondary).',
  labelNames: ['repository'] as const,
  registers: [primaryRegistry],
  collect() {
    this.reset();
    for (const [name, dir] of Object.entries(keyRepositories)) this.set({ repository: name }, keyRepositoryStats(dir).keys);
  },
});

new Gauge({
  name: 'keystone_fernet_primary_key_age_seconds',
  help: 'Seconds since the primary key of each Fernet key repository was promoted (rotated in).',
  labelNames: ['repository'] as const,
  registers: [primaryRegistry],
  collect() {
    this.reset();
    for (const [name, dir] of Object.entries(keyRepositories)) {
      const age = keyRepositoryStats(dir).primaryKeyAgeSeconds;
      if (age !== undefined) this.set({ repository: name }, age);
    }
  },
});

/** Which repositories the primary reports: fernet_tokens, fernet_receipts (when another directory), credential. */
export function watchKeyRepositories(conf: KeystoneConfig): void {
  keyRepositories = { fernet_tokens: conf.fernet_tokens.key_repository, credential: conf.credential.key_repository };
  if (conf.fernet_receipts.key_repository !== conf.fernet_tokens.key_repository)
    keyRepositories.fernet_receipts = conf.fernet_receipts.key_repository;
}

// ---- collecting from the workers ---------------------------------------------

interface WorkerLike {
  id: number;
  process?: { pid?: number };
  isConnected?(): boolean;
  send(message: unknown, callback?: (error: Error | null) => void): boolean;
}
/** What startMetricsServer needs of node:cluster (the module itself, or a stand-in in tests). */
export interface ClusterLike {
  workers?: NodeJS.Dict<WorkerLike>;
  on(event: 'message', listener: (worker: WorkerLike, message: unknown) => void): unknown;
  off?(event: 'message', listener: (worker: WorkerLike, message: unknown) => void): unknown;
}

type MetricJson = MetricObjectWithValues<MetricValue<string>>;

export interface CollectOptions {
  timeoutMs?: number;
}

let nextId = 1;
const pending = new Map<number, { expect: Set<number>; responses: MetricsResponse[]; done: () => void }>();
const listening = new WeakSet();

function listen(cluster: ClusterLike): void {
  if (listening.has(cluster)) return;
  listening.add(cluster);
  cluster.on('message', (worker, message) => {
    const m = message as MetricsResponse | null;
    if (!m || typeof m !== 'object' || m.type !== METRICS_RESPONSE) return;
    const p = pending.get(m.id);
    if (!p || !p.expect.has(worker.id)) return;
    p.expect.delete(worker.id);
    p.responses.push(m);
    if (p.expect.size === 0) p.done();
  });
}

/** Asks every connected worker for its metrics; resolves with those that answered within the timeout. */
export async function collectWorkerMetrics(cluster: ClusterLike, options: CollectOptions = {}): Promise<MetricsResponse[]> {
  listen(cluster);
  const workers = Object.values(cluster.workers ?? {}).filter((w): w is WorkerLike => !!w && (w.isConnected?.() ?? true));
  if (workers.length === 0) return [];
  const id = nextId++;
  const entry = { expect: new Set(workers.map((w) => w.id)), responses: [] as MetricsResponse[], done: (): void => undefined };
  const finished = new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, options.timeoutMs ?? 3000);
    entry.done = () => {
      clearTimeout(timer);
      resolve();
    };
  });
  pending.set(id, entry);
  for (const w of workers) {
    try {
      w.send({ type: METRICS_REQUEST, id }, (err) => {
        if (err && entry.expect.delete(w.id) && entry.expect.size === 0) entry.done();
      });
    } catch {
      entry.expect.delete(w.id);
    }
  }
  if (entry.expect.size === 0) entry.done();
  await finished;
  pending.delete(id);
  const failed = entry.expect.size + entry.responses.filter((r) => r.error).length;
  if (failed) collectFailures.inc(failed);
  return entry.responses;
}

/**
 * One registry holding every worker's series (each with its `worker`
 * label) and the primary's. Aggregation is by name and label set: series of
 * different workers never merge; the same series twice (a worker answering
 * with the same label twice) add up.
 */
export function mergeMetrics(parts: MetricJson[][]): Registry {
  // With a distinct worker label per process, every aggregator reduces to "the
  // value of that worker": use sum everywhere, so that no metric is dropped
  // ('omit') or averaged away.
  const normalised = parts.map((metrics) => metrics.map((m) => ({ ...m, aggregator: 'sum' as const })));
  return AggregatorRegistry.aggregate(normalised);
}

/** The text exposition of the whole cluster: every worker plus the primary. */
export async function clusterMetrics(cluster: ClusterLike, options: CollectOptions = {}): Promise<{ contentType: string; body: string }> {
  const responses = await collectWorkerMetrics(cluster, options);
  workersScraped.reset();
  const counts: Record<string, number> = {};
  for (const r of responses) if (!r.error) counts[r.service] = (counts[r.service] ?? 0) + 1;
  for (const [service, n] of Object.entries(counts)) workersScraped.set({ service }, n);
  const parts: MetricJson[][] = responses.filter((r) => r.metrics).map((r) => r.metrics as MetricJson[]);
  parts.push(await primaryRegistry.getMetricsAsJSON());
  const registry = mergeMetrics(parts);
  return { contentType: registry.contentType, body: await registry.metrics() };
}

export interface MetricsServer {
  server: Server;
  host: string;
  port: number;
  close(): Promise<void>;
}

export interface MetricsServerOptions extends CollectOptions {
  /** process metrics of the primary (default true) */
  processMetrics?: boolean;
}

let primaryProcessMetrics = false;

/**
 * Starts the primary's metrics listener (GET /metrics; GET / answers a short
 * pointer). Resolves with null when [metrics] enabled is false. The port is
 * [metrics] port (0 picks a free one: see .port).
 */
export async function startMetricsServer(
  conf: KeystoneConfig,
  cluster: ClusterLike,
  options: MetricsServerOptions = {},
): Promise<MetricsServer | null> {
  if (!conf.metrics.enabled) return null;
  watchKeyRepositories(conf);
  listen(cluster);
  if (options.processMetrics !== false && !primaryProcessMetrics) {
    primaryProcessMetrics = true;
    // workerRegistry's metrics are the worker's; the primary's process metrics go in its own registry.
    collectDefaultMetrics({ register: primaryRegistry });
  }
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { Allow: 'GET, HEAD' }).end();
      return;
    }
    if (path === '/metrics') {
      clusterMetrics(cluster, options).then(
        ({ contentType, body }) => {
          res.writeHead(200, { 'Content-Type': contentType, 'Cache-Control': 'no-store' });
          res.end(req.method === 'HEAD' ? undefined : body);
        },
        (err: unknown) => {
          res.writeHead(500, { 'Content-Type': 'text/plain' }).end(`metrics collection failed: ${messageOf(err)}\n`);
        },
      );
      return;
    }
    if (path === '/' || path === '/healthcheck') {
      res.writeHead(200, { 'Content-Type': 'text/plain' }).end(path === '/' ? 'OpenStack Keystone metrics: /metrics\n' : '');
      return;
    }
    res.writeHead(404, { 'Content-Type': 'text/plain' }).end('Not Found\n');
  });
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(conf.metrics.port, conf.metrics.bind_host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  return {
    server,
    host: address.address,
    port: address.port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => {
          resolve();
        });
        server.closeAllConnections?.();
      }),
  };
}

/** For a single-process run (tests, a debugging `keystone-all --workers 0`): this process's own metrics. */
export async function localMetrics(): Promise<string> {
  return mergeMetrics([await workerRegistry.getMetricsAsJSON(), await primaryRegistry.getMetricsAsJSON()]).metrics();
}
