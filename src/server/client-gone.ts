/**
 * An AbortSignal aborted when the client's connection closes before its answer was sent, for work a request
 * queues (a password hash waiting for its turn) that nobody would read the result of.
 */
import type { ServerResponse } from 'node:http';

export function clientGoneSignal(res: ServerResponse): AbortSignal {
  const gone = new AbortController();
  // 'close' follows the answer too (then writableFinished is true) or the connection's end before it
  res.once('close', () => {
    if (!res.writableFinished) gone.abort();
  });
  return gone.signal;
}
