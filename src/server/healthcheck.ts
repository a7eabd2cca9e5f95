/**
 * GET/HEAD /healthcheck, as oslo.middleware's healthcheck answers it in
 * Keystone: 200 (HEAD: 204) with an empty body when this worker can serve;
 * 503 with the reasons, one a line, when it cannot:
 *
 *  - `database unreachable`: `SELECT 1` failed or did not answer within
 *    DATABASE_TIMEOUT_MS. The result is kept for CHECK_TTL_MS, and at most
 *    one check is in flight per worker, so a load balancer polling every
 *    node many times a second costs the database one query a second per
 *    worker at most (and nothing more while it hangs);
 *  - `draining`: the worker received SIGTERM (or is being replaced by a
 *    reload) and finishes its in-flight requests; keep-alive connections
 *    still reach it for a moment, and a load balancer must stop sending.
 *
 * `Accept: application/json` gets {"detailed": false, "reasons": [...]}.
 * `[healthcheck] detailed = true` adds, for `?detail` or a JSON request, each
 * check's details, the pid, uptime and versions; `allowed_source_ranges`
 * limits who gets any answer (others get 404, as if there were no health
 * check: oslo.middleware ignores their request), and
 * `ignore_proxied_requests` refuses requests that came through a proxy.
 */
import { arch, release, type as osType } from 'node:os';
import type { Request, Response } from 'express';
import type { KeystoneConfig } from '../config/options.js';
import { addressInRanges, addressRanges } from '../config/address-ranges.js';
import { NotFound, messageOf } from '../common/errors.js';
import { pingDatabase, type Database } from '../storage/database.js';
import type { RouteTable } from './route-table.js';
import { V3_VERSION_ID } from './discovery.js';

/** How long the database gets to answer `SELECT 1`. */
export const DATABASE_TIMEOUT_MS = 2000;
/** How long a check's result is reused. */
export const CHECK_TTL_MS = 1000;

export interface CheckResult {
  available: boolean;
  /** one line, shown to every caller when the check fails */
  reason: string;
  /** shown only in the detailed answer */
  details: string;
  class: string;
}

let draining = false;

/** This process stops serving (SIGTERM, or replaced by a reload): /healthcheck answers 503 from now on. */
export function markDraining(): void {
  draining = true;
}

function drainingCheck(): CheckResult {
  return draining
    ? {
        available: false,
        reason: 'draining',
        details: 'The worker received SIGTERM (or is being replaced) and finishes its in-flight requests.',
        class: 'DrainingCheck',
      }
    : { available: true, reason: 'OK', details: 'Accepting requests.', class: 'DrainingCheck' };
}

/** `SELECT 1` with a short timeout, its result reused for a moment, one at a time. */
export class DatabaseCheck {
  private last: { at: number; result: CheckResult } | undefined;
  private running: Promise<CheckResult> | undefined;
  /** a query of an earlier check that has not answered yet (the database hangs) */
  private unanswered = false;

  /** `ping`: one round trip to the database (`SELECT 1`) */
  constructor(
    private readonly ping: () => Promise<unknown>,
    private readonly timeoutMs = DATABASE_TIMEOUT_MS,
    private readonly ttlMs = CHECK_TTL_MS,
  ) {}

  result(): Promise<CheckResult> {
    if (this.last && Date.now() - this.last.at < this.ttlMs) return Promise.resolve(this.last.result);
    this.running ??= this.probe().then((result) => {
      this.last = { at: Date.now(), result };
      this.running = undefined;
      return result;
    });
    return this.running;
  }

  private probe(): Promise<CheckResult> {
    const fail = (details: string): CheckResult => ({ available: false, reason: 'database unreachable', details, class: 'DatabaseCheck' });
    if (this.unanswered) return Promise.resolve(fail("The previous check's query has not been answered yet."));
    const started = process.hrtime.bigint();
    this.unanswered = true;
    const query = this.ping().finally(() => {
      this.unanswered = false;
    });
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        reject(new Error(`no answer within ${this.timeoutMs} ms`));
      }, this.timeoutMs);
    });
    return Promise.race([query, timeout])
      .then(
        (): CheckResult => ({
          available: true,
          reason: 'OK',
          details: `SELECT 1 answered in ${(Number(process.hrtime.bigint() - started) / 1e6).toFixed(1)} ms.`,
          class: 'DatabaseCheck',
        }),
        (err: unknown) => fail(messageOf(err).split('\n')[0]),
      )
      .finally(() => {
        clearTimeout(timer);
      });
  }
}

/** As Keystone (webob) writes it. */
const TEXT_PLAIN = 'text/plain; charset=UTF-8';

const PROXY_HEADERS = ['x-forwarded', 'x-forwarded-proto', 'x-forwarded-host', 'x-forwarded-for', 'x-forwarded-prefix', 'forwarded'];

/** Registers /healthcheck on a service's route table, checking `db`. */
export function registerHealthcheck(routes: RouteTable, conf: KeystoneConfig, db: Pick<Database, 'one'>, service: string): void {
  const options = conf.healthcheck;
  const ranges = options.allowed_source_ranges.length ? addressRanges(options.allowed_source_ranges) : null;
  const database = new DatabaseCheck(() => pingDatabase(db));

  routes.getAndHead(
    '/healthcheck',
    async (req: Request, res: Response) => {
      if (ranges && !addressInRanges(ranges, req.socket.remoteAddress)) throw new NotFound('The resource could not be found.');
      if (options.ignore_proxied_requests && PROXY_HEADERS.some((h) => req.headers[h] !== undefined))
        throw new NotFound('The resource could not be found.');
      const results = [drainingCheck(), await database.result()];
      const healthy = results.every((r) => r.available);
      const failing = results.filter((r) => !r.available).map((r) => r.reason);
      if (req.method === 'HEAD') {
        res.status(healthy ? 204 : 503).setHeader('Content-Type', TEXT_PLAIN);
        res.end();
        return;
      }
      res.status(healthy ? 200 : 503);
      const json = req.accepts(['text/plain', 'application/json']) === 'application/json';
      if (options.detailed && (json || req.query.detail !== undefined)) {
        res.type('application/json').send(
          JSON.stringify(
            {
              detailed: true,
              reasons: results,
              service,
              pid: process.pid,
              uptime_seconds: Math.round(process.uptime()),
              now: new Date().toISOString(),
              node_version: process.version,
              platform: `${osType()} ${release()} ${arch()}`,
              identity_api_version: V3_VERSION_ID,
            },
            null,
            4,
          ),
        );
        return;
      }
      if (json) {
        res.type('application/json').send(JSON.stringify({ detailed: false, reasons: failing }, null, 4));
        return;
      }
      // end(), not send(): send() would rewrite the charset to express's lower case
      const text = failing.join('\n');
      res.setHeader('Content-Type', TEXT_PLAIN);
      res.setHeader('Content-Length', Buffer.byteLength(text));
      res.end(text);
    },
    { public: 'health check for load balancers (oslo.middleware healthcheck)' },
  );
}
