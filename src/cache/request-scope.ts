/**
 * Look-ups shared within one HTTP request when there is no cache
 * ([cache] enabled = false, Keystone's default): a rescope looks up the
 * same user, domain, project and roles when it validates the token it is
 * given and again when it mints the new one. Cache.memoize asks this scope
 * first, so each look-up reaches the database once per request; a write in
 * the request (Cache.invalidate) drops what the scope holds of the regions it
 * invalidates, so a read after a write sees the write.
 *
 * Only installed without a cache: AsyncLocalStorage puts a hook on every
 * promise of the process, a cost that only pays off where every look-up is a
 * SQL statement (and with the embedded database, a turn in the one queue of
 * the PGlite process).
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { NextFunction, Request, Response } from 'express';

/** region → key → the look-up's JSON (each caller parses its own copy) */
export type RequestScope = Map<string, Map<string, Promise<string | undefined>>>;

const storage = new AsyncLocalStorage<RequestScope>();

/** The scope of the request being handled, if any. */
export function currentRequestScope(): RequestScope | undefined {
  return storage.getStore();
}

/** Express middleware: the rest of the request runs in a fresh scope. */
export function requestScope() {
  return (_req: Request, _res: Response, next: NextFunction): void => {
    storage.run(new Map(), next);
  };
}
