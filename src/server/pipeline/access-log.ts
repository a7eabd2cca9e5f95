/**
 * The access log: one Apache combined-format line per request, through
 * winston. A response the client did not wait for (the connection closed
 * before it was finished) is logged with status 499, as the metrics count
 * it; a request node's HTTP parser refused gets a line with "-" for its
 * request line (src/server/refused-request.ts).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { NextFunction, Request, Response } from 'express';
import { logAccess } from '../../log/logger.js';

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const pad2 = (n: number) => String(n).padStart(2, '0');

/** The current time as the common log format writes it, formatted once per second. */
let clfSecond = -1;
let clfText = '';
function clfNow(): string {
  const ms = Date.now();
  const second = Math.floor(ms / 1000);
  if (second !== clfSecond) {
    const d = new Date(second * 1000);
    clfText = `${pad2(d.getUTCDate())}/${MONTHS[d.getUTCMonth()]}/${d.getUTCFullYear()}:${pad2(d.getUTCHours())}:${pad2(d.getUTCMinutes())}:${pad2(d.getUTCSeconds())} +0000`;
    clfSecond = second;
  }
  return clfText;
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
  return `${remote ?? '-'} - - [${clfNow()}] "${requestLine}" ${status} ${typeof size === 'number' || typeof size === 'string' ? size : '-'} "${quote(referer)}" "${quote(userAgent)}"`;
}

/** The line of a request refused by node's HTTP parser: no request line, method or path to show. */
export function refusedRequestLogLine(remote: string | undefined, status: number, size: number): string {
  return line(remote, '-', status, size);
}

interface LoggedRequest extends IncomingMessage {
  originalUrl: string;
  keystone?: { requestId?: string };
}

/**
 * Writes the request's access line when its response closes (the access_log stage; also the validation fast
 * path, which gives the Content-Length it sent: headers given to writeHead alone are not readable back).
 */
export function logAccessOnClose(req: LoggedRequest, res: ServerResponse, contentLength?: number): void {
  // A response always emits 'close', after 'finish' when it was sent whole: one listener tells both.
  res.on('close', () => {
    const aborted = !res.writableFinished;
    // The path only: query strings can carry tokens (?belongsTo is harmless, but be safe).
    const path = req.originalUrl.split('?')[0];
    logAccess(
      line(
        req.socket.remoteAddress,
        `${req.method ?? '-'} ${quote(path)} HTTP/${req.httpVersion}`,
        aborted ? 499 : res.statusCode,
        aborted ? '-' : (contentLength ?? res.getHeader('content-length')),
        req.headers.referer,
        req.headers['user-agent'],
      ),
      req.keystone?.requestId,
    );
  });
}

export function accessLog() {
  return (req: Request, res: Response, next: NextFunction): void => {
    logAccessOnClose(req, res);
    next();
  };
}
