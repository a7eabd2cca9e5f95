/**
 * Requests node's HTTP parser refuses before any stage runs (a malformed
 * request line or header: 400; headers over node's 16 KB limit: 431; a
 * request not received within the server's requestTimeout: 408): answered with
 * Keystone's error body, written to the access log and counted in
 * keystone_http_request_duration_seconds like every other request (method
 * OTHER, route `unmatched`), so that the log and the metrics agree.
 *
 * Wiring, where the HTTP server is created (keystone-all's workers):
 *
 *     server.on('clientError', (err, socket) => answerRefusedRequest(service, err, socket));
 *
 * Errors of a connection that carries no request to answer (a reset, an
 * error after a response began) close it without a line or a count.
 */
import type { Socket } from 'node:net';
import { log } from '../log/logger.js';
import { recordRefusedRequest } from '../metrics/metrics.js';
import { refusedRequestLogLine } from './pipeline/access-log.js';

export function answerRefusedRequest(service: string, err: NodeJS.ErrnoException, socket: Socket): void {
  log.debug(`keystone-${service}: client error: ${err.code ?? err.message}`);
  if (!socket.writable || (socket as unknown as { _httpMessage?: unknown })._httpMessage) {
    socket.destroy();
    return;
  }
  const [code, title, message] =
    err.code === 'HPE_HEADER_OVERFLOW'
      ? [431, 'Request Header Fields Too Large', 'The request line and headers are too large.']
      : err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? [408, 'Request Timeout', 'The request was not received in time.']
        : [400, 'Bad Request', 'The request could not be parsed as HTTP.'];
  const body = JSON.stringify({ error: { code, message, title } });
  const length = Buffer.byteLength(body);
  socket.end(
    `HTTP/1.1 ${code} ${title}\r\nContent-Type: application/json\r\nConnection: close\r\nContent-Length: ${length}\r\n\r\n${body}`,
  );
  log.info(refusedRequestLogLine(socket.remoteAddress, code, length), { access: true });
  recordRefusedRequest(service, code);
}
