/**
 * What the issue fast path (src/server/fast-path-issue.ts) did with a request
 * before it handed it to express: the body it read off the socket (the
 * json_body stage takes it instead of the spent stream), and the error its
 * attempt met, which the route renders instead of authenticating twice.
 */
import type { IncomingMessage } from 'node:http';

interface HandedOver {
  raw: Buffer;
  attempt?: { error: unknown };
}

const handedOver = new WeakMap<IncomingMessage, HandedOver>();

export function handOverBody(req: IncomingMessage, raw: Buffer): void {
  handedOver.set(req, { raw });
}

export function handOverRefusal(req: IncomingMessage, raw: Buffer, error: unknown): void {
  handedOver.set(req, { raw, attempt: { error } });
}

export function preReadBody(req: IncomingMessage): Buffer | undefined {
  return handedOver.get(req)?.raw;
}

/** The attempt's error, when the fast path authenticated this request already and failed. */
export function attemptedRefusal(req: IncomingMessage): { error: unknown } | undefined {
  return handedOver.get(req)?.attempt;
}
