/**
 * The request context of log lines (AsyncLocalStorage): every line logged
 * while a request is being served carries its request id, as oslo.log's
 * `[req-… user project domain user_domain project_domain]` block.
 *
 * Wiring (src/server/create-app.ts), right after the request_id stage that
 * sets req.keystone.requestId:
 *
 *     app.use(requestId(conf, service));
 *     app.use(logContext());          // from '../log/context.js'
 *
 * Later stages may add who is calling once the token is validated:
 *
 *     setLogUser({ userId, projectId, domainId, userDomainId, projectDomainId });
 *
 * Code outside express (a worker's background job) can use
 * runWithLogContext({ requestId }, fn).
 */
import { AsyncLocalStorage } from 'node:async_hooks';

export interface LogContext {
  requestId: string;
  globalRequestId?: string;
  userId?: string;
  projectId?: string;
  domainId?: string;
  userDomainId?: string;
  projectDomainId?: string;
}

const storage = new AsyncLocalStorage<LogContext>();

export function runWithLogContext<T>(context: LogContext, fn: () => T): T {
  return storage.run(context, fn);
}

export function currentLogContext(): LogContext | undefined {
  return storage.getStore();
}

export function currentRequestId(): string | undefined {
  return storage.getStore()?.requestId;
}

/** Adds the caller's identity to the current request's context (no-op outside a request). */
export function setLogUser(user: Omit<LogContext, 'requestId' | 'globalRequestId'>): void {
  const store = storage.getStore();
  if (store) Object.assign(store, user);
}

interface RequestLike {
  keystone?: { requestId?: string; globalRequestId?: string };
  headers: Record<string, string | string[] | undefined>;
}

/**
 * Express middleware: runs the rest of the pipeline inside a log context
 * holding req.keystone.requestId (set by the request_id stage; when absent a
 * `req-<uuid>` is made here and stored on req.keystone as well).
 */
export function logContext() {
  return (req: RequestLike, _res: unknown, next: (err?: unknown) => void): void => {
    let requestId = req.keystone?.requestId;
    if (!requestId) {
      requestId = `req-${crypto.randomUUID()}`;
      (req as { keystone?: object }).keystone = { ...(req.keystone ?? {}), requestId };
    }
    storage.run({ requestId, globalRequestId: req.keystone?.globalRequestId }, () => {
      next();
    });
  };
}

/** oslo.log's context block: `req-… user project domain user_domain project_domain`, '-' for unknowns. */
export function contextBlock(context: LogContext | undefined, requestIdOverride?: string): string {
  const id = requestIdOverride ?? context?.requestId;
  if (!id) return '[-]';
  const c = context ?? ({} as Partial<LogContext>);
  const f = (v: string | undefined) => v ?? '-';
  return `[${id} ${f(c.userId)} ${f(c.projectId)} ${f(c.domainId)} ${f(c.userDomainId)} ${f(c.projectDomainId)}]`;
}
