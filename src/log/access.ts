/**
 * The access log: one Apache combined-format line per request,
 *   %h %l %u %t "%r" %>s %b "%{Referer}i" "%{User-agent}i"
 * logged at info through `log` with `{ access: true, requestId }` (name
 * keystone.access, the request id in the context block), scrubbed like
 * every line (query strings are dropped: they can carry tokens).
 *
 * Wiring (src/server/create-app.ts), as the access_log stage:
 *     app.use(accessLog());
 * src/server/pipeline/access-log.ts may instead keep its own middleware and
 * build its line with combinedLogLine().
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { log } from './logger.js';

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** [10/Oct/2000:13:55:36 -0700], in local time with its offset, as Apache writes it. */
export function clfDate(d: Date): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  const off = -d.getTimezoneOffset();
  const sign = off >= 0 ? '+' : '-';
  const abs = Math.abs(off);
  return `${pad(d.getDate())}/${MONTHS[d.getMonth()]}/${d.getFullYear()}:${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())} ${sign}${pad(Math.floor(abs / 60))}${pad(abs % 60)}`;
}

/** Apache's escaping inside quoted fields: ", \ and control characters as \xhh. */
export function clfQuote(s: string | undefined | null): string {
  if (!s) return '-';
  // eslint-disable-next-line no-control-regex -- control characters are what it escapes
  return s.replace(/["\\\x00-\x1f\x7f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

export interface CombinedFields {
  remoteAddr?: string | null;
  remoteUser?: string | null;
  time: Date;
  method: string;
  /** path and query as requested; the query is dropped */
  url: string;
  httpVersion: string;
  status: number;
  bytes?: number | string | null;
  referer?: string | null;
  userAgent?: string | null;
}

export function combinedLogLine(f: CombinedFields): string {
  const path = f.url.split('?')[0];
  const bytes = f.bytes === undefined || f.bytes === null || f.bytes === '' || Number(f.bytes) === 0 ? '-' : String(f.bytes);
  return `${f.remoteAddr || '-'} - ${f.remoteUser ? clfQuote(f.remoteUser) : '-'} [${clfDate(f.time)}] "${clfQuote(`${f.method} ${path} HTTP/${f.httpVersion}`)}" ${f.status} ${bytes} "${clfQuote(f.referer)}" "${clfQuote(f.userAgent)}"`;
}

type Req = IncomingMessage & { originalUrl?: string; keystone?: { requestId?: string } };

/** Counts the body bytes actually written (Content-Length is absent on chunked responses). */
function countBytes(res: ServerResponse): () => number {
  let n = 0;
  const write = res.write.bind(res);
  const end = res.end.bind(res);
  const add = (chunk: unknown, encoding?: unknown) => {
    if (typeof chunk === 'string') n += Buffer.byteLength(chunk, typeof encoding === 'string' ? (encoding as BufferEncoding) : 'utf8');
    else if (chunk instanceof Uint8Array) n += chunk.byteLength;
  };
  res.write = ((chunk: unknown, ...rest: unknown[]) => {
    add(chunk, rest[0]);
    return (write as (...a: unknown[]) => boolean)(chunk, ...rest);
  }) as typeof res.write;
  res.end = ((chunk?: unknown, ...rest: unknown[]) => {
    if (chunk !== undefined && typeof chunk !== 'function') add(chunk, rest[0]);
    return (end as (...a: unknown[]) => ServerResponse)(chunk, ...rest);
  }) as typeof res.end;
  return () => n;
}

/** Express/connect middleware writing one combined line per finished (or aborted) request. */
export function accessLog(logger: { info(message: string, meta: Record<string, unknown>): unknown } = log) {
  return (req: Req, res: ServerResponse, next: (err?: unknown) => void): void => {
    const started = Date.now();
    const bytes = countBytes(res);
    let done = false;
    const write = () => {
      if (done) return;
      done = true;
      const line = combinedLogLine({
        remoteAddr: req.socket?.remoteAddress,
        time: new Date(started),
        method: req.method ?? '-',
        url: req.originalUrl ?? req.url ?? '/',
        httpVersion: req.httpVersion,
        status: res.headersSent ? res.statusCode : 499,
        bytes: req.method === 'HEAD' ? 0 : bytes(),
        referer: req.headers.referer,
        userAgent: req.headers['user-agent'],
      });
      logger.info(line, { access: true, requestId: req.keystone?.requestId, duration_ms: Date.now() - started });
    };
    res.on('finish', write);
    res.on('close', write);
    next();
  };
}
