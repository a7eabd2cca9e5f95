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

/** the value each kept look-up settled on (read synchronously by settledInRequest) */
const settled = new WeakMap<Promise<string | undefined>, string | undefined>();

/** The scope of the request being handled, if any. */
export function currentRequestScope(): RequestScope | undefined {
  return storage.getStore();
}

/**
 * What `load` gives, loaded once per request (in a request scope; outside one, every call loads) and kept
 * under `region` and `key` until Cache.invalidate drops the region. A failed load is not kept.
 */
export function onceInRequest(region: string, key: string, load: () => Promise<string | undefined>): Promise<string | undefined> {
  const scope = storage.getStore();
  if (!scope) return load();
  let keys = scope.get(region);
  if (!keys) scope.set(region, (keys = new Map<string, Promise<string | undefined>>()));
  let value = keys.get(key);
  if (!value) {
    const loading = load();
    keys.set(key, loading);
    const held = keys;
    loading.then(
      (loaded) => {
        settled.set(loading, loaded);
      },
      () => {
        if (held.get(key) === loading) held.delete(key);
      },
    );
    value = loading;
  }
  return value;
}

/** What onceInRequest loaded under `region` and `key` in this request, once it settled and while the region was not dropped; else undefined. */
export function settledInRequest(region: string, key: string): string | undefined {
  const loading = storage.getStore()?.get(region)?.get(key);
  return loading === undefined ? undefined : settled.get(loading);
}

/** Express middleware: the rest of the request runs in a fresh scope. */
export function requestScope() {
  return (_req: Request, _res: Response, next: NextFunction): void => {
    storage.run(new Map(), next);
  };
}
