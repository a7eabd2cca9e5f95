/**
 * The access log: one Apache combined-format line per request, through
 * winston. A response the client did not wait for (the connection closed
 * before it was finished) is logged with status 499, as the metrics count
 * it; a request node's HTTP parser refused gets a line with "-" for its
 * request line (src/server/refused-request.ts).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { NextFunction, Request, Response } from 'express';
import { logAccess, logGeneratedIdAccess, scrubAccessMessage } from '../../log/logger.js';

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

/** A request's access message; the path only: query strings can carry tokens (?belongsTo is harmless, but be safe). */
function accessMessage(req: IncomingMessage, url: string, status: number, size: unknown): string {
  const q = url.indexOf('?');
  const path = q < 0 ? url : url.slice(0, q);
  return line(
    req.socket.remoteAddress,
    `${req.method ?? '-'} ${quote(path)} HTTP/${req.httpVersion}`,
    status,
    size,
    req.headers.referer,
    req.headers['user-agent'],
  );
}

interface LoggedRequest extends IncomingMessage {
  originalUrl: string;
  keystone?: { requestId?: string };
}

/** Writes the request's access line when its response closes (the access_log stage). */
export function logAccessOnClose(req: LoggedRequest, res: ServerResponse): void {
  // A response always emits 'close', after 'finish' when it was sent whole: one listener tells both.
  res.on('close', () => {
    const aborted = !res.writableFinished;
    logAccess(
      accessMessage(req, req.originalUrl, aborted ? 499 : res.statusCode, aborted ? '-' : res.getHeader('content-length')),
      req.keystone?.requestId,
    );
  });
}

/** The last access line of a connection, and what it was made of: a keep-alive client repeats it. */
interface LastAnsweredLine {
  clf: string;
  method: string | undefined;
  url: string;
  httpVersion: string;
  status: number;
  size: number | '-';
  referer: string | undefined;
  userAgent: string | undefined;
  scrubbed: string;
}
const LAST_LINE = Symbol('keystone.accessLog.lastLine');

/**
 * Writes the access line of a response the handler sent whole before returning (the validation fast path), at
 * once: no 'close' listener. 499 when its connection was already gone, as logAccessOnClose. The same line as
 * the connection's previous one (same second, request line, status, size and client headers: a keep-alive
 * client validating under load) is not formatted and scrubbed again. `requestId` is one newRequestId made.
 */
export function logAccessAnswered(
  req: IncomingMessage & { url: string },
  res: ServerResponse,
  contentLength: number,
  requestId: string,
): void {
  const gone = res.destroyed;
  const status = gone ? 499 : res.statusCode;
  const size = gone ? '-' : contentLength;
  const clf = clfNow();
  const referer = req.headers.referer;
  const userAgent = req.headers['user-agent'];
  const socket = req.socket as IncomingMessage['socket'] & { [LAST_LINE]?: LastAnsweredLine };
  const last = socket[LAST_LINE];
  if (
    last !== undefined &&
    last.clf === clf &&
    last.url === req.url &&
    last.method === req.method &&
    last.status === status &&
    last.size === size &&
    last.referer === referer &&
    last.userAgent === userAgent &&
    last.httpVersion === req.httpVersion
  ) {
    logGeneratedIdAccess(last.scrubbed, requestId);
    return;
  }
  const scrubbed = scrubAccessMessage(accessMessage(req, req.url, status, size));
  socket[LAST_LINE] = { clf, method: req.method, url: req.url, httpVersion: req.httpVersion, status, size, referer, userAgent, scrubbed };
  logGeneratedIdAccess(scrubbed, requestId);
}

export function accessLog() {
  return (req: Request, res: Response, next: NextFunction): void => {
    logAccessOnClose(req, res);
    next();
  };
}
