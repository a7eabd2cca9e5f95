/**
 * The access log: one Apache combined-format line per request, through
 * winston. A response the client did not wait for (the connection closed
 * before it was finished) is logged with status 499, as the metrics count
 * it; a request node's HTTP parser refused gets a line with "-" for its
 * request line (src/server/refused-request.ts).
 */
import type { NextFunction, Request, Response } from 'express';
import { log } from '../../log/logger.js';

function clfDate(d: Date): string {
  const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${pad(d.getUTCDate())}/${months[d.getUTCMonth()]}/${d.getUTCFullYear()}:${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())} +0000`;
}

const quote = (s: string | undefined) => (s ? s.replace(/["\\\r\n]/g, (c) => `\\x${c.charCodeAt(0).toString(16)}`) : '-');

function line(
  remote: string | undefined,
  requestLine: string,
  status: number,
  size: unknown,
  referer?: string,
  userAgent?: string,
): string {
  return `${remote ?? '-'} - - [${clfDate(new Date())}] "${requestLine}" ${status} ${typeof size === 'number' || typeof size === 'string' ? size : '-'} "${quote(referer)}" "${quote(userAgent)}"`;
}

/** The line of a request refused by node's HTTP parser: no request line, method or path to show. */
export function refusedRequestLogLine(remote: string | undefined, status: number, size: number): string {
  return line(remote, '-', status, size);
}

export function accessLog() {
  return (req: Request, res: Response, next: NextFunction): void => {
    let logged = false;
    const write = (aborted: boolean) => {
      if (logged) return;
      logged = true;
      // The path only: query strings can carry tokens (?belongsTo is harmless, but be safe).
      const path = req.originalUrl.split('?')[0];
      const status = aborted ? 499 : res.statusCode;
      const size = aborted ? '-' : res.getHeader('content-length');
      log.info(
        line(
          req.socket.remoteAddress,
          `${req.method} ${quote(path)} HTTP/${req.httpVersion}`,
          status,
          size,
          req.headers.referer,
          req.headers['user-agent'],
        ),
        { requestId: req.keystone?.requestId, access: true },
      );
    };
    res.once('finish', () => {
      write(false);
    });
    res.once('close', () => {
      write(true);
    });
    next();
  };
}
