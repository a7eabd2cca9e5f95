/**
 * The Prometheus metrics of one process (prom-client), recorded in each
 * worker and collected by the primary over cluster IPC (src/metrics/server.ts
 * aggregates them and serves GET /metrics on [metrics] bind_host:port).
 *
 * Wiring in a worker (src/cli/keystone-all.ts, worker branch), once:
 *
 *     import { initWorkerMetrics, httpMetrics, observeCache, instrumentDatabase,
 *              observeDatabasePool } from '../metrics/metrics.js';
 *     initWorkerMetrics({ service });                 // 'public' | 'admin'; answers the primary's scrapes
 *     const { providers, db, cache } = buildProviders(conf, …);
 *     observeCache(cache);                            // cache hits/misses by region
 *     instrumentDatabase(pgp);                        // pgp from src/storage/database.ts: query latency
 *     observeDatabasePool(db);                        // pool use (total/idle/waiting/max)
 *
 * and in src/server/create-app.ts, first in the pipeline (before request_id,
 * so that the whole request is timed; the route template is read from
 * req.keystone.routeTemplate when the response finishes, else from the route
 * table for requests refused before routing — 405, 413, malformed JSON —,
 * else `unmatched`):
 *
 *     app.use(httpMetrics(service, (path) => routes.templateFor(path)));
 *
 * The validation fast path (src/server/fast-path.ts) runs the same stage on
 * the requests it answers; a request node's HTTP parser refuses is counted by
 * recordRefusedRequest() (src/server/refused-request.ts). A response is
 * counted once whichever of them sees it. Route labels are templates in
 * Keystone's JSON-Home form (`/v3/users/{user_id}`), never raw paths.
 *
 * Events are recorded where they happen:
 *
 *     recordTokenOperation('issue', 'fernet', 'password', 'success');   // src/token/token-manager.ts
 *     recordTokenOperation('validate', 'fernet', 'token', 'invalid');
 *     recordAuthFailure('password', 'unauthorized');    // a 401 of POST /v3/auth/tokens (src/server/pipeline/render-error.ts)
 *     recordLockout();                                  // src/identity/identity-manager.ts
 *
 * Every function here is cheap and safe to call in any process (also in
 * keystone-manage or tests, where nothing scrapes them).
 */
import cluster from 'node:cluster';
import { observeHeapAfterMajorGc } from './heap-after-gc.js';
import { KeyedHistogram, type Series } from './keyed-histogram.js';
import type { HashingLoad } from '../identity/password-hasher-port.js';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics, type MetricObjectWithValues, type MetricValue } from 'prom-client';

export type Service = 'public' | 'admin';
export type TokenOperation = 'issue' | 'validate' | 'revoke';

/** The registry of this process's own metrics (a worker's, or the primary's own). */
export const workerRegistry = new Registry();

const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export const httpRequestDuration = new KeyedHistogram({
  name: 'keystone_http_request_duration_seconds',
  help: 'HTTP requests served, by service (public/admin), method, route template and status: latency in seconds.',
  labelNames: ['service', 'method', 'route', 'status'] as const,
  buckets: LATENCY_BUCKETS,
  registers: [workerRegistry],
});

/** Requests this process is serving, by service (kept as plain numbers; the gauge reads them when collected). */
const inFlight: Record<string, number> = {};

export const httpRequestsInFlight = new Gauge({
  name: 'keystone_http_requests_in_flight',
  help: 'HTTP requests being served right now, by service.',
  labelNames: ['service'] as const,
  registers: [workerRegistry],
  collect() {
    this.reset();
    for (const [service, n] of Object.entries(inFlight)) this.set({ service }, n);
  },
});

/**
 * Counts kept in plain numbers between scrapes and added to a prom-client
 * counter when it is collected: the hot paths (a validation answered from
 * memory counts four things) pay a Map look-up instead of prom-client's
 * label hashing (about 0.35 µs an increment).
 */
class PendingCounts<L extends string> {
  private readonly pending = new Map<string, { labels: Partial<Record<L, string>>; n: number }>();

  add(key: string, labels: () => Partial<Record<L, string>>): void {
    const slot = this.pending.get(key);
    if (slot) slot.n++;
    else this.pending.set(key, { labels: labels(), n: 1 });
  }

  flush(counter: Counter<L>): void {
    for (const slot of this.pending.values()) {
      if (slot.n === 0) continue;
      counter.inc(slot.labels, slot.n);
      slot.n = 0;
    }
  }
}

const pendingTokenOperations = new PendingCounts<'operation' | 'provider' | 'method' | 'outcome'>();
const pendingCacheHits = new PendingCounts<'cache'>();
const pendingCacheMisses = new PendingCounts<'cache'>();

export const tokenOperations: Counter<'operation' | 'provider' | 'method' | 'outcome'> = new Counter({
  name: 'keystone_token_operations_total',
  help: "Token operations by operation (issue/validate/revoke), provider (fernet/uuid), auth method and outcome. Every validation counts, the caller's token's included, whether answered from memory or from the source.",
  labelNames: ['operation', 'provider', 'method', 'outcome'] as const,
  registers: [workerRegistry],
  collect() {
    pendingTokenOperations.flush(tokenOperations);
  },
});

export const cacheHits: Counter<'cache'> = new Counter({
  name: 'keystone_cache_hits_total',
  help: 'Cache look-ups answered from the cache, by cache region (token-validation: the in-process validation memo).',
  labelNames: ['cache'] as const,
  registers: [workerRegistry],
  collect() {
    pendingCacheHits.flush(cacheHits);
  },
});

export const cacheMisses: Counter<'cache'> = new Counter({
  name: 'keystone_cache_misses_total',
  help: 'Cache look-ups that missed, by cache region.',
  labelNames: ['cache'] as const,
  registers: [workerRegistry],
  collect() {
    pendingCacheMisses.flush(cacheMisses);
  },
});

export const dbQueryDuration = new Histogram({
  name: 'keystone_db_query_duration_seconds',
  help: 'SQL statements by operation (select/insert/update/delete/other): latency in seconds.',
  labelNames: ['operation'] as const,
  buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
  registers: [workerRegistry],
});

export const dbQueryErrors = new Counter({
  name: 'keystone_db_query_errors_total',
  help: 'SQL statements or connections that failed, by operation (connect: a connection that could not be made or was lost). Statements refused for their data (SQLSTATE classes 22 and 23: invalid values, constraint violations such as a duplicate name), which clients cause and get a 4xx for, are not counted.',
  labelNames: ['operation'] as const,
  registers: [workerRegistry],
});

interface PoolLike {
  totalCount: number;
  idleCount: number;
  waitingCount: number;
  options?: { max?: number };
}
const pools = new Map<string, () => PoolLike | undefined>();

export const dbPoolConnections = new Gauge({
  name: 'keystone_db_pool_connections',
  help: 'SQL connection pool use by pool and state: total (open), idle, in_use, waiting (clients queued), max.',
  labelNames: ['pool', 'state'] as const,
  registers: [workerRegistry],
  collect() {
    this.reset();
    for (const [name, get] of pools) {
      const p = get();
      if (!p) continue;
      this.set({ pool: name, state: 'total' }, p.totalCount);
      this.set({ pool: name, state: 'idle' }, p.idleCount);
      this.set({ pool: name, state: 'in_use' }, p.totalCount - p.idleCount);
      this.set({ pool: name, state: 'waiting' }, p.waitingCount);
      if (p.options?.max !== undefined) this.set({ pool: name, state: 'max' }, p.options.max);
    }
  },
});

let passwordHasher: { load(): HashingLoad } | null = null;

export const passwordHashes = new Gauge({
  name: 'keystone_password_hashes',
  help: 'Password hashes and verifications of this process by state: running (on the libuv pool), waiting (for [identity] password_hash_concurrency), max (that limit).',
  labelNames: ['state'] as const,
  registers: [workerRegistry],
  collect() {
    this.reset();
    const load = passwordHasher?.load();
    if (!load) return;
    this.set({ state: 'running' }, load.running);
    this.set({ state: 'waiting' }, load.waiting);
    if (load.limit !== null) this.set({ state: 'max' }, load.limit);
  },
});

/** Reports the password hasher's load as keystone_password_hashes. */
export function observePasswordHashing(hasher: { load(): HashingLoad }): void {
  passwordHasher = hasher;
}

export const authFailures = new Counter({
  name: 'keystone_auth_failures_total',
  help: 'Failed authentications by auth method and reason.',
  labelNames: ['method', 'reason'] as const,
  registers: [workerRegistry],
});

export const userLockouts = new Counter({
  name: 'keystone_user_lockouts_total',
  help: 'User accounts locked after [security_compliance] lockout_failure_attempts failed authentications.',
  registers: [workerRegistry],
});

export const ldapQueryDuration = new Histogram({
  name: 'keystone_ldap_query_duration_seconds',
  help: 'LDAP operations of the identity LDAP drivers by domain and operation (search, bind, connect): latency in seconds; its _count is the number of queries.',
  labelNames: ['domain', 'operation'] as const,
  buckets: LATENCY_BUCKETS,
  registers: [workerRegistry],
});

export const ldapQueryErrors = new Counter({
  name: 'keystone_ldap_query_errors_total',
  help: 'LDAP operations that failed for the directory (not for a wrong password), by domain and operation: unreachable servers, timeouts, server errors.',
  labelNames: ['domain', 'operation'] as const,
  registers: [workerRegistry],
});

let defaultMetricsOn = false;
/** Process metrics (CPU, memory, event loop lag, GC, handles) of this process, once. */
export function collectProcessMetrics(): void {
  if (defaultMetricsOn) return;
  defaultMetricsOn = true;
  collectDefaultMetrics({ register: workerRegistry });
  observeHeapAfterMajorGc(workerRegistry);
}

// ---- recording -------------------------------------------------------------

const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);

/** The route label of requests that matched no route (404s, and requests refused by node's HTTP parser). */
export const UNMATCHED_ROUTE = 'unmatched';

const labelTemplates = new Map<string, string>();
/** An express route path as a route label in JSON-Home form: /v3/users/:user_id → /v3/users/{user_id}. */
export function routeLabel(path: string): string {
  let label = labelTemplates.get(path);
  if (label === undefined) {
    label = path.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
    // bounded by the routes an app registers; a caller passing raw paths must not grow it without end
    if (labelTemplates.size < 2000) labelTemplates.set(path, label);
  }
  return label;
}

export function recordHttpRequest(service: string, method: string, route: string, status: number, seconds: number): void {
  const m = METHODS.has(method) ? method : 'OTHER';
  httpRequestDuration.observe(`${service} ${m} ${route} ${status}`, () => ({ service, method: m, route, status: String(status) }), seconds);
}

/** operation -> provider -> method -> outcome -> the key of its pending count: look-ups of strings callers hold. */
const tokenOperationKeys = new Map<string, Map<string, Map<string, Map<string, string>>>>();
function tokenOperationKey(operation: string, provider: string, method: string, outcome: string): string {
  let byProvider = tokenOperationKeys.get(operation);
  if (byProvider === undefined) tokenOperationKeys.set(operation, (byProvider = new Map<string, Map<string, Map<string, string>>>()));
  let byMethod = byProvider.get(provider);
  if (byMethod === undefined) byProvider.set(provider, (byMethod = new Map<string, Map<string, string>>()));
  let byOutcome = byMethod.get(method);
  if (byOutcome === undefined) byMethod.set(method, (byOutcome = new Map<string, string>()));
  let key = byOutcome.get(outcome);
  if (key === undefined) {
    key = `${operation}\u0000${provider}\u0000${method}\u0000${outcome}`;
    // bounded like the counter's own series: methods are the few configured auth methods
    if (byOutcome.size < 64) byOutcome.set(outcome, key);
  }
  return key;
}

export function recordTokenOperation(operation: TokenOperation, provider: string, method: string, outcome: string): void {
  const m = method || '-';
  pendingTokenOperations.add(tokenOperationKey(operation, provider, m, outcome), () => ({
    operation,
    provider,
    method: m,
    outcome,
  }));
}

export function recordCacheLookup(cache: string, hit: boolean): void {
  (hit ? pendingCacheHits : pendingCacheMisses).add(cache, () => ({ cache }));
}

export function recordDbQuery(operation: string, seconds: number): void {
  dbQueryDuration.observe({ operation }, seconds);
}

export function recordAuthFailure(method: string, reason: string): void {
  authFailures.inc({ method, reason });
}

export function recordLdapQuery(domain: string, operation: string, seconds: number): void {
  ldapQueryDuration.observe({ domain, operation }, seconds);
}

export function recordLdapError(domain: string, operation: string): void {
  ldapQueryErrors.inc({ domain, operation });
}

export function recordLockout(): void {
  userLockouts.inc();
}

/** Counts every look-up of a Cache (src/cache/cache.ts) by region. */
export function observeCache(cache: { onLookup(observer: (region: string, hit: boolean) => void): void }): void {
  cache.onLookup((region, hit) => {
    recordCacheLookup(region, hit);
  });
}

const SQL_OPERATIONS = new Set([
  'select',
  'insert',
  'update',
  'delete',
  'with',
  'begin',
  'commit',
  'rollback',
  'savepoint',
  'create',
  'alter',
  'drop',
]);
export function sqlOperation(query: unknown): string {
  const text = typeof query === 'string' ? query : (query as { text?: string } | null)?.text;
  const word = /^\s*(?:--[^\n]*\n\s*)*([A-Za-z]+)/.exec(text ?? '')?.[1]?.toLowerCase() ?? 'other';
  return SQL_OPERATIONS.has(word) ? word : 'other';
}

/** SQLSTATE 22xxx (data exception) or 23xxx (integrity constraint violation): the request's data, not the database. */
function isDataError(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code.length === 5 && (code.startsWith('22') || code.startsWith('23'));
}

interface PgpLike {
  $config: { options: Record<string, unknown> };
}
const instrumented = new WeakSet();

/**
 * Times every statement of a pg-promise instance (its `receive` event carries
 * the duration of single-result queries) and counts failures (`error`
 * event) other than data errors. The hooks already set are kept and called first.
 */
export function instrumentDatabase(pgp: PgpLike): void {
  if (instrumented.has(pgp)) return;
  instrumented.add(pgp);
  const options = pgp.$config.options;
  const receive = options.receive as ((e: unknown) => void) | undefined;
  const error = options.error as ((err: unknown, e: unknown) => void) | undefined;
  options.receive = (e: { result?: { duration?: number }; ctx?: { query?: unknown } }) => {
    receive?.(e);
    const ms = e?.result?.duration;
    if (typeof ms === 'number') recordDbQuery(sqlOperation(e.ctx?.query), ms / 1000);
  };
  options.error = (err: unknown, e: { query?: unknown; cn?: unknown }) => {
    error?.(err, e);
    if (isDataError(err)) return;
    dbQueryErrors.inc({ operation: e?.query !== undefined ? sqlOperation(e.query) : 'connect' });
  };
}

/** Reports a pg pool's use (a pg-promise database's db.$pool, or a pg.Pool) as keystone_db_pool_connections. */
export function observeDatabasePool(db: { $pool?: PoolLike } | PoolLike, name = 'default'): void {
  const pool = '$pool' in db ? db.$pool : (db as PoolLike);
  pools.set(name, () => pool);
}

interface ReqLike {
  method?: string;
  url?: string;
  originalUrl?: string;
  keystone?: { routeTemplate?: string };
}
interface ResLike {
  statusCode: number;
  readonly writableFinished: boolean;
  on(event: 'close', fn: () => void): unknown;
}

/** Marks a response already timed, so that it is counted once whichever stages see it. */
const TIMED = Symbol('keystone.metrics.timed');

/** The path of a request as the router matches it: no query, no repeated or trailing slashes. */
function routedPath(req: ReqLike): string {
  const url = req.originalUrl ?? req.url ?? '/';
  const q = url.indexOf('?');
  let path = (q < 0 ? url : url.slice(0, q)).replace(/\/{2,}/g, '/');
  if (path.length > 1 && path.endsWith('/')) path = path.replace(/\/+$/, '');
  return path;
}

/**
 * Middleware timing each request of `service` into
 * keystone_http_request_duration_seconds, once per response. The route label
 * is the template the router matched (req.keystone.routeTemplate); for a
 * request refused before routing it is `routeOf(path)` (the route table's
 * template for that path, e.g. for a 405, a 413 or malformed JSON), else
 * `unmatched`. A response closed before it was finished (the client went
 * away) counts with status 499, as the access log writes it.
 */
export function httpMetrics(service: string, routeOf?: (path: string) => string | undefined) {
  return (req: ReqLike, res: ResLike, next: (err?: unknown) => void): void => {
    timeResponse(service, req, res, routeOf);
    next();
  };
}

/** What httpMetrics does for one request (also called by the validation fast path): times its response, once. */
export function timeResponse(service: string, req: ReqLike, res: ResLike, routeOf?: (path: string) => string | undefined): void {
  const marked = res as ResLike & { [TIMED]?: true };
  if (marked[TIMED]) return;
  marked[TIMED] = true;
  const start = performance.now();
  inFlight[service] = (inFlight[service] ?? 0) + 1;
  // A response always emits 'close', after 'finish' when it was sent whole: one listener tells both.
  res.on('close', () => {
    inFlight[service] = (inFlight[service] ?? 1) - 1;
    const seconds = (performance.now() - start) / 1000;
    const template = req.keystone?.routeTemplate ?? routeOf?.(routedPath(req));
    recordHttpRequest(
      service,
      req.method ?? 'OTHER',
      template === undefined ? UNMATCHED_ROUTE : routeLabel(template),
      res.writableFinished ? res.statusCode : 499,
      seconds,
    );
  });
}

/** Times a response the handler sent whole before returning: see answeredTimer. */
export type AnsweredTimer = (method: string, res: { destroyed: boolean; statusCode: number }, startedAt: number) => void;

/**
 * The timing of `service`'s responses on `route` sent whole before the handler returned (the validation fast
 * path, which makes one per route when it is set up): counted at once, timed from `startedAt`
 * (performance.now()), without a 'close' listener; 499 when the connection was already gone. Its 200s go
 * straight to their series, found once per method.
 */
export function answeredTimer(service: string, route: string): AnsweredTimer {
  const label = routeLabel(route);
  const ok = new Map<string, Series<string>>();
  return (method, res, startedAt) => {
    const seconds = (performance.now() - startedAt) / 1000;
    if (res.destroyed || res.statusCode !== 200) {
      recordHttpRequest(service, method, label, res.destroyed ? 499 : res.statusCode, seconds);
      return;
    }
    let series = ok.get(method);
    if (series === undefined) {
      const m = METHODS.has(method) ? method : 'OTHER';
      series = httpRequestDuration.seriesOf(`${service} ${m} ${label} 200`, () => ({ service, method: m, route: label, status: '200' }));
      ok.set(method, series);
    }
    httpRequestDuration.observeIn(series, seconds);
  };
}

/**
 * A request refused by node's HTTP parser before any stage ran (malformed
 * request line or headers: 400; headers over node's limit: 431), answered
 * by src/server/refused-request.ts: counted with method OTHER and route
 * `unmatched`.
 */
export function recordRefusedRequest(service: string, status: number): void {
  recordHttpRequest(service, 'OTHER', UNMATCHED_ROUTE, status, 0);
}

// ---- the cluster protocol (worker side) ---------------------------------------

export const METRICS_REQUEST = 'keystone:metrics:request';
export const METRICS_RESPONSE = 'keystone:metrics:response';

export interface MetricsRequest {
  type: typeof METRICS_REQUEST;
  id: number;
}
export interface MetricsResponse {
  type: typeof METRICS_RESPONSE;
  id: number;
  service: string;
  worker: string;
  pid: number;
  metrics?: MetricObjectWithValues<MetricValue<string>>[];
  error?: string;
}

let workerIdentity: { service: string; worker: string } | null = null;

export interface WorkerMetricsOptions {
  service: string;
  /** the `worker` label; default `<service>-<cluster worker id>` (or the pid outside a cluster) */
  worker?: string;
  /** also collect process metrics (default true) */
  processMetrics?: boolean;
}

/**
 * Labels this process's metrics with `worker` and answers the primary's
 * collection requests over the cluster IPC channel. Call once per worker.
 */
export function initWorkerMetrics(options: WorkerMetricsOptions): { service: string; worker: string } {
  const worker = options.worker ?? `${options.service}-${cluster.worker?.id ?? process.pid}`;
  const first = workerIdentity === null;
  workerIdentity = { service: options.service, worker };
  workerRegistry.setDefaultLabels({ worker });
  if (options.processMetrics !== false) collectProcessMetrics();
  if (first && typeof process.send === 'function') {
    process.on('message', (msg: unknown) => {
      if (!msg || typeof msg !== 'object' || (msg as MetricsRequest).type !== METRICS_REQUEST) return;
      void answerMetricsRequest((msg as MetricsRequest).id);
    });
  }
  return workerIdentity;
}

async function answerMetricsRequest(id: number): Promise<void> {
  const identity = workerIdentity ?? { service: 'unknown', worker: String(process.pid) };
  let response: MetricsResponse;
  try {
    response = {
      type: METRICS_RESPONSE,
      id,
      ...identity,
      pid: process.pid,
      metrics: await workerRegistry.getMetricsAsJSON(),
    };
  } catch (err) {
    response = { type: METRICS_RESPONSE, id, ...identity, pid: process.pid, error: (err as Error).message };
  }
  if (process.connected) process.send?.(response, undefined, undefined, () => undefined);
}
