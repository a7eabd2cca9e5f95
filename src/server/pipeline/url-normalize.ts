/**
 * Keystone's url_normalize stage: a trailing slash (and repeated slashes) do
 * not change the route. Also refuses a NUL byte (%00) in the URL here, at the
 * edge: no id or name can hold one, and PostgreSQL's protocol cannot carry it
 * (a query with one fails as a protocol violation) — 404 in the path, 400 in
 * the query.
 *
 * A path segment that does not percent-decode to valid UTF-8 (%ED%A0%BD,
 * %C0%AF, %FF%FE) or holds a '%' that starts no escape (%u0041) is decoded
 * as Keystone's WSGI stack decodes it (werkzeug: the bytes as UTF-8 with
 * each invalid sequence replaced by U+FFFD; a stray '%' kept as it is) and
 * re-encoded, so the route sees that text and answers as Keystone does (an
 * unknown id: 404) instead of failing to decode its parameter.
 */
import type { NextFunction, Request, Response } from 'express';
import { NotFound, ValidationError } from '../../common/errors.js';

const NUL = /%00|\0/i;

/** The segment's bytes: each %XX one byte, anything else its UTF-8. */
function segmentBytes(segment: string): Buffer {
  const out: number[] = [];
  for (let i = 0; i < segment.length; i++) {
    const hex = segment.charCodeAt(i) === 37 /* % */ ? segment.slice(i + 1, i + 3) : '';
    if (/^[0-9A-Fa-f]{2}$/.test(hex)) {
      out.push(Number.parseInt(hex, 16));
      i += 2;
    } else {
      out.push(...Buffer.from(segment[i], 'utf8'));
    }
  }
  return Buffer.from(out);
}

const LENIENT_UTF8 = new TextDecoder('utf-8', { fatal: false, ignoreBOM: true });

/** The path with every segment that does not decode re-encoded as its lenient decoding (see above). */
export function decodablePath(path: string): string {
  if (!path.includes('%')) return path;
  return path
    .split('/')
    .map((segment) => {
      try {
        decodeURIComponent(segment);
        return segment;
      } catch {
        return encodeURIComponent(LENIENT_UTF8.decode(segmentBytes(segment)));
      }
    })
    .join('/');
}

export function urlNormalize() {
  return (req: Request, _res: Response, next: NextFunction): void => {
    const q = req.url.indexOf('?');
    const path = q < 0 ? req.url : req.url.slice(0, q);
    if (NUL.test(path)) {
      next(new NotFound('The resource could not be found.'));
      return;
    }
    if (q >= 0 && NUL.test(req.url.slice(q))) {
      next(new ValidationError('Invalid input: a query parameter contains a NUL character.'));
      return;
    }
    let normal = decodablePath(path).replace(/\/{2,}/g, '/');
    if (normal.length > 1 && normal.endsWith('/')) normal = normal.replace(/\/+$/, '');
    if (normal !== path) req.url = normal + (q < 0 ? '' : req.url.slice(q));
    next();
  };
}
