/** Keystone's url_normalize stage: a trailing slash (and repeated slashes) do not change the route. */
import type { NextFunction, Request, Response } from 'express';

export function urlNormalize() {
  return (req: Request, _res: Response, next: NextFunction): void => {
    const q = req.url.indexOf('?');
    const path = q < 0 ? req.url : req.url.slice(0, q);
    let normal = path.replace(/\/{2,}/g, '/');
    if (normal.length > 1 && normal.endsWith('/')) normal = normal.replace(/\/+$/, '');
    if (normal !== path) req.url = normal + (q < 0 ? '' : req.url.slice(q));
    next();
  };
}
