/**
 * A worker's node:http server around the app: the requests in flight are
 * tracked (for the drain), an error escaping the handler is logged and
 * answered with Keystone's 500, a request node's parser refuses still gets
 * Keystone's error body, and keep-alive outlives a load balancer's 60 s idle
 * timeout.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { log } from '../../log/logger.js';
import { answerRefusedRequest } from '../../server/refused-request.js';
import type { ServiceName } from './ports.js';
import { stackOf } from '../../common/errors.js';
import type { ExpressRequestClasses } from '../../server/express-request-classes.js';

export interface WorkerHttpServer {
  server: Server;
  /** responses not yet closed */
  inFlight: Set<ServerResponse>;
}

const INTERNAL_ERROR_BODY = JSON.stringify({
  error: { code: 500, title: 'Internal Server Error', message: 'An unexpected error prevented the server from fulfilling your request.' },
});

export function createWorkerHttpServer(
  name: string,
  service: ServiceName,
  handler: (req: IncomingMessage, res: ServerResponse) => void,
  isDraining: () => boolean,
  requestClasses: ExpressRequestClasses,
): WorkerHttpServer {
  const inFlight = new Set<ServerResponse>();
  const server = createServer(requestClasses, (req, res) => {
    if (isDraining()) res.setHeader('Connection', 'close');
    try {
      handler(req, res);
    } catch (err) {
      log.error(`${name}: request handler failed: ${stackOf(err)}`);
      if (!res.headersSent) {
        res.writeHead(500, { 'Content-Type': 'application/json' });
        res.end(INTERNAL_ERROR_BODY);
      } else {
        res.destroy();
      }
    }
    // A response already handed whole to the kernel (the validation fast path) has nothing left for a drain to wait for.
    if (!res.writableEnded || (res.socket?.writableLength ?? 0) > 0) {
      inFlight.add(res);
      res.on('close', () => inFlight.delete(res));
    }
  });
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  // Refused by node's HTTP parser before any middleware ran: still Keystone's error body, an access log line and a count.
  server.on('clientError', (err: NodeJS.ErrnoException, socket) => {
    // node types the socket of 'clientError' as a stream.Duplex; for an http.Server it is always a net.Socket
    // eslint-disable-next-line @typescript-eslint/no-unsafe-class-instance-assignment
    answerRefusedRequest(service, err, socket as Socket);
  });
  return { server, inFlight };
}
