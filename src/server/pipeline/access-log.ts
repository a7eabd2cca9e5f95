/** The access log: one Apache combined-format line per request, through winston. */
import type { NextFunction, Request, Response } from 'express';
import { log } from '../../log/logger.js';

function clfDate(d: Date): string {
  const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${pad(d.getUTCDate())}/${months[d.getUTCMonth()]}/${d.getUTCFullYear()}:${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())} +0000`;
}

const quote = (s: string | undefined) => (s ? s.replace(/["\\\r\n]/g, (c) => `\\x${c.charCodeAt(0).toString(16)}`) : '-');

export function accessLog() {
  return (req: Request, res: Response, next: NextFunction): void => {
    res.on('finish', () => {
      // The path only: query strings can carry tokens (?belongsTo is harmless, but be safe).
      const path = req.originalUrl.split('?')[0];
      const size = res.getHeader('content-length') ?? '-';
      const line = `${req.socket.remoteAddress ?? '-'} - - [${clfDate(new Date())}] "${req.method} ${quote(path)} HTTP/${req.httpVersion}" ${res.statusCode} ${size} "${quote(req.headers.referer)}" "${quote(req.headers['user-agent'])}"`;
      log.info(line, { requestId: req.keystone?.requestId, access: true });
    });
    next();
  };
}
