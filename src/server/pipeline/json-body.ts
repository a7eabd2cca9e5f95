/**
 * The json_body stage: reads the body (bounded by max_request_body_size),
 * parses it as JSON — or with another registered parser for its media type
 * (the v2.0 API registers XML) — and drops top-level keys starting with '_'.
 * A body nested deeper than MAX_BODY_DEPTH is refused as Keystone's json_body
 * refuses JSON it cannot load (Python's decoder stops at its recursion limit,
 * 1,000): a 400, so that no later walk of the body (validation, NUL checks,
 * rendering) can run out of stack. On a path with a parser of its own (the
 * OAuth 2.0 token endpoint's form, SAML WebSSO's HTTP-POST consumer), the
 * body is that parser's alone, whatever its media type: Keystone's json_body
 * lets /v3/OS-OAUTH2/ through.
 */
import type { NextFunction, Request, Response } from 'express';
import { RequestEntityTooLarge, ValidationError } from '../../common/errors.js';
import { preReadBody } from '../handed-over.js';

export type BodyParser = (text: string, req: Request) => unknown;

/** The paths (matched against the request's path) whose body one parser reads. */
export type PathBodyParsers = ReadonlyArray<readonly [RegExp, BodyParser]>;

/** A NUL character in the body: raw, or as a JSON \\u0000 escape that is not itself an escaped backslash. */
const NUL_IN_BODY = /\0|(?<!\\)(?:\\\\)*\\u0000/i;

/** The deepest nesting of arrays and objects a body may have (Python's default recursion limit). */
export const MAX_BODY_DEPTH = 1000;

/** Whether `value` nests arrays/objects deeper than `limit` (iterative: no stack for any depth). */
export function nestedDeeperThan(value: unknown, limit: number): boolean {
  const stack: Array<[unknown, number]> = [[value, 0]];
  for (let top = stack.pop(); top !== undefined; top = stack.pop()) {
    const [node, depth] = top;
    if (node === null || typeof node !== 'object') continue;
    if (depth + 1 > limit) return true;
    for (const child of Array.isArray(node) ? node : Object.values(node)) {
      if (child !== null && typeof child === 'object') stack.push([child, depth + 1]);
    }
  }
  return false;
}

/** The media type of a Content-Type header, lowercased, without its parameters. */
export function mediaTypeOf(contentType: string | undefined): string {
  return (contentType ?? '').split(';')[0].trim().toLowerCase();
}

export const isJsonMediaType = (mediaType: string): boolean => mediaType === 'application/json' || mediaType.endsWith('+json');

function readBody(req: Request, maxBytes: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let failed = false;
    req.on('data', (chunk: Buffer) => {
      if (failed) return;
      size += chunk.length;
      if (size > maxBytes) {
        failed = true;
        reject(new RequestEntityTooLarge(maxBytes));
        req.resume();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      if (!failed) resolve(Buffer.concat(chunks));
    });
    req.on('error', (err) => {
      if (!failed) {
        failed = true;
        reject(err);
      }
    });
  });
}

/**
 * A JSON body as this stage accepts it: no NUL, valid JSON, nested no deeper than MAX_BODY_DEPTH, top-level keys
 * starting with '_' dropped. Throws Keystone's ValidationError otherwise.
 */
export function parseJsonText(text: string): unknown {
  refuseNul(text);
  return parseJson(text);
}

function refuseNul(text: string): void {
  // no stored string can hold one (PostgreSQL's protocol cannot carry it): refused here, not as a database error
  if (NUL_IN_BODY.test(text)) throw new ValidationError('Invalid input: a string in the request body contains a NUL character.');
}

function parseJson(text: string): unknown {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new ValidationError('Expecting to find valid JSON in request body.');
  }
  return checkedBody(parsed);
}

function checkedBody(parsed: unknown): unknown {
  if (nestedDeeperThan(parsed, MAX_BODY_DEPTH)) throw new ValidationError('Expecting to find valid JSON in request body.');
  if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) {
    return Object.fromEntries(Object.entries(parsed).filter(([key]) => !key.startsWith('_')));
  }
  return parsed;
}

export function jsonBody(maxBytes: number, extraParsers: Record<string, BodyParser> = {}, pathParsers: PathBodyParsers = []) {
  return async (req: Request, _res: Response, next: NextFunction): Promise<void> => {
    req.body = undefined;
    if (req.method === 'GET' || req.method === 'HEAD' || req.method === 'OPTIONS') {
      if (!req.headers['content-length'] && !req.headers['transfer-encoding']) {
        next();
        return;
      }
    }
    try {
      const raw = preReadBody(req) ?? (await readBody(req, maxBytes));
      if (raw.length === 0) {
        next();
        return;
      }
      const text = raw.toString('utf8');
      const ownParser = pathParsers.find(([path]) => path.test(req.path));
      if (ownParser) {
        req.body = ownParser[1](text, req);
        next();
        return;
      }
      const mediaType = mediaTypeOf(req.headers['content-type']);
      refuseNul(text);
      if (isJsonMediaType(mediaType)) {
        req.body = parseJson(text);
      } else if (extraParsers[mediaType]) {
        req.body = checkedBody(extraParsers[mediaType](text, req));
      } else {
        throw new ValidationError('Expecting to find application/json in Content-Type header.');
      }
      next();
    } catch (err) {
      next(err);
    }
  };
}
