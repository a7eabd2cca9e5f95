/**
 * Path and query parameters, typed. Express types a path parameter as
 * `string | string[]` (a wildcard segment gives an array) and a query value
 * as qs's nested `string | string[] | ParsedQs | ParsedQs[]`; the handlers
 * read them through these helpers instead of casting.
 */
import type { Request } from 'express';

/** A named segment of the route's path (`:user_id`); the route table guarantees it is there. */
export function pathParam(req: Request, name: string): string {
  const value = req.params[name];
  if (typeof value !== 'string') throw new Error(`no path parameter ${name} on ${req.method} ${req.path}`);
  return value;
}

/**
 * A query parameter given once as a plain string; absent otherwise. A
 * repeated key (`?name=a&name=b`) or a nested one (`?name[x]=a`) reads as
 * absent, as the handlers have always treated a value that is not a string.
 */
export function queryString(req: Request, name: string): string | undefined {
  const value = req.query[name];
  return typeof value === 'string' ? value : undefined;
}

/** A path parameter of the routes that share a handler with and without that segment (`/roles/:role_id` and the collection). */
export function optionalPathParam(req: Request, name: string): string | undefined {
  const value = req.params[name];
  return typeof value === 'string' ? value : undefined;
}
