/**
 * Keystone's url_normalize stage: a trailing slash (and repeated slashes) do
 * not change the route. Also refuses a NUL byte (%00) in the URL here, at the
 * edge: no id or name can hold one, and PostgreSQL's protocol cannot carry it
 * (a query with one fails as a protocol violation) — 404 in the path, 400 in
 * the query.
 */
import type { NextFunction, Request, Response } from 'express';
import { NotFound, ValidationError } from '../../common/errors.js';

const NUL = /%00|\0/i;

export function urlNormalize() {
  return (req: Request, _res: Response, next: NextFunction): void => {
    const q = req.url.indexOf('?');
    const path = q < 0 ? req.url : req.url.slice(0, q);
    if (NUL.test(path)) { next(new NotFound('The resource could not be found.')); return; }
    if (q >= 0 && NUL.test(req.url.slice(q))) { next(new ValidationError('Invalid input: a query parameter contains a NUL character.')); return; }
    let normal = path.replace(/\/{2,}/g, '/');
    if (normal.length > 1 && normal.endsWith('/')) normal = normal.replace(/\/+$/, '');
    if (normal !== path) req.url = normal + (q < 0 ? '' : req.url.slice(q));
    next();
  };
}
