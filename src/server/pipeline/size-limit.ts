/** oslo.middleware's sizelimit stage: bodies above [oslo_middleware] max_request_body_size get 413. */
import type { NextFunction, Request, Response } from 'express';
import { RequestEntityTooLarge } from '../../common/errors.js';

export function sizeLimit(maxBytes: number) {
  return (req: Request, _res: Response, next: NextFunction): void => {
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > maxBytes) {
      next(new RequestEntityTooLarge(maxBytes));
      return;
    }
    next();
  };
}
