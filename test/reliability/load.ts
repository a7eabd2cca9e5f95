/**
 * Steady load from the test process against a running keystone-all: plain
 * node:http with keep-alive agents (as a service's keystonemiddleware pools
 * its connections), a fixed number of concurrent loops, every answer and
 * every failure recorded with the time it started and ended.
 *
 *   const client = new KeystoneClient(ks.publicUrl, { sockets: 4 });
 *   const admin = await client.token(adminPassword);
 *   const load = runLoad({ loops: 4, step: (i) => client.get('/v3', {}), classify: … });
 *   … a fault …
 *   const report = await load.stop();          // report.results, report.failures()
 *
 * A request "fails" when it gets no HTTP answer (reset, refused, timeout);
 * what counts as a wrong answer is up to each test (classify).
 */
import { Agent, request } from 'node:http';
import { sleep } from '../process/http-client.js';

export interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

export interface Outcome {
  op: string;
  startedAt: number;
  endedAt: number;
  /** the HTTP status, or 0 when there was no answer */
  status: number;
  /** the error code (ECONNRESET, ECONNREFUSED, …) when there was no answer */
  error?: string;
  body?: string;
  /** what the step made of it (e.g. the id of a created entity) */
  note?: string;
}

export class NoAnswer extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** A keep-alive client of one keystone-all address. */
export class KeystoneClient {
  readonly agent: Agent;

  constructor(
    readonly baseUrl: string,
    options: { sockets?: number; timeoutMs?: number } = {},
  ) {
    this.agent = new Agent({ keepAlive: true, maxSockets: options.sockets ?? 4, maxFreeSockets: options.sockets ?? 4 });
    this.timeoutMs = options.timeoutMs ?? 15_000;
  }

  private readonly timeoutMs: number;

  send(
    method: string,
    path: string,
    options: { token?: string; subject?: string; body?: unknown; headers?: Record<string, string> } = {},
  ): Promise<Answer> {
    const headers: Record<string, string> = { ...(options.headers ?? {}) };
    if (options.token) headers['X-Auth-Token'] = options.token;
    if (options.subject) headers['X-Subject-Token'] = options.subject;
    const payload = options.body === undefined ? undefined : JSON.stringify(options.body);
    if (payload !== undefined) {
      headers['Content-Type'] = 'application/json';
      headers['Content-Length'] = String(Buffer.byteLength(payload));
    }
    return new Promise((resolve, reject) => {
      const req = request(`${this.baseUrl}${path}`, { method, headers, agent: this.agent }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d) => {
          body += d;
        });
        res.on('end', () => {
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body });
        });
        res.on('error', (err: NodeJS.ErrnoException) => {
          reject(new NoAnswer(err.code ?? 'ERESPONSE', err.message));
        });
      });
      req.setTimeout(this.timeoutMs, () =>
        req.destroy(Object.assign(new Error(`no answer within ${this.timeoutMs} ms`), { code: 'ETIMEDOUT' })),
      );
      req.on('error', (err: NodeJS.ErrnoException) => {
        reject(new NoAnswer(err.code ?? 'EREQUEST', err.message));
      });
      req.end(payload);
    });
  }

  /** A project-scoped password token (the bootstrap admin's by default); throws unless 201. */
  async token(
    password: string,
    user: { name?: string; id?: string } = { name: 'admin' },
    project: { name: string } | { id: string } | null = { name: 'admin' },
  ): Promise<string> {
    const u = user.id ? { id: user.id, password } : { name: user.name, domain: { id: 'default' }, password };
    const auth: Record<string, unknown> = { identity: { methods: ['password'], password: { user: u } } };
    if (project) auth.scope = { project: 'id' in project ? project : { ...project, domain: { id: 'default' } } };
    const r = await this.send('POST', '/v3/auth/tokens?nocatalog', { body: { auth } });
    const id = r.headers['x-subject-token'];
    if (r.status !== 201 || typeof id !== 'string') throw new Error(`no token from ${this.baseUrl}: ${r.status} ${r.body}`);
    return id;
  }

  /** GET /v3/auth/tokens?nocatalog: the status (200 valid, 404 not). */
  async validate(authToken: string, subject: string): Promise<number> {
    return (await this.send('GET', '/v3/auth/tokens?nocatalog', { token: authToken, subject })).status;
  }

  close(): void {
    this.agent.destroy();
  }
}

/** Runs `fn`, recording its answer (or the lack of one) as an Outcome. */
export async function timed(op: string, fn: () => Promise<Answer>, note?: (a: Answer) => string | undefined): Promise<Outcome> {
  const startedAt = Date.now();
  try {
    const a = await fn();
    return { op, startedAt, endedAt: Date.now(), status: a.status, body: a.status >= 400 ? a.body : undefined, note: note?.(a) };
  } catch (err) {
    const code = err instanceof NoAnswer ? err.code : ((err as NodeJS.ErrnoException).code ?? 'ERROR');
    return { op, startedAt, endedAt: Date.now(), status: 0, error: `${code}: ${(err as Error).message}` };
  }
}

export interface LoadReport {
  results: Outcome[];
  /** requests that got no HTTP answer */
  unanswered(): Outcome[];
  /** answers whose status is not in `expected` for their op */
  unexpected(expected: Record<string, number[]>): Outcome[];
  summary(): string;
}

export interface RunningLoad {
  /** outcomes so far */
  readonly results: Outcome[];
  /** requests started and not yet ended */
  inFlight(): number;
  stop(): Promise<LoadReport>;
}

/**
 * `loops` concurrent loops, each calling `step(n)` (n counts the loop's
 * iterations) until stopped; `pauseMs` between steps (0: closed loop).
 */
export function runLoad(options: {
  loops: number;
  step: (n: number, loop: number) => Promise<Outcome | Outcome[]>;
  pauseMs?: number;
}): RunningLoad {
  const results: Outcome[] = [];
  let stopped = false;
  let pending = 0;
  const loop = async (index: number) => {
    for (let n = 0; !stopped; n++) {
      pending++;
      try {
        const r = await options.step(n, index);
        if (Array.isArray(r)) results.push(...r);
        else results.push(r);
      } finally {
        pending--;
      }
      if (options.pauseMs) await sleep(options.pauseMs);
    }
  };
  const loops = Array.from({ length: options.loops }, (_, i) => loop(i));
  return {
    results,
    inFlight: () => pending,
    async stop() {
      stopped = true;
      await Promise.all(loops);
      return reportOf(results);
    },
  };
}

export function reportOf(results: Outcome[]): LoadReport {
  return {
    results,
    unanswered: () => results.filter((r) => r.status === 0),
    unexpected: (expected) => results.filter((r) => r.status !== 0 && !(expected[r.op] ?? []).includes(r.status)),
    summary() {
      const byOp = new Map<string, Map<string, number>>();
      for (const r of results) {
        const m = byOp.get(r.op) ?? new Map<string, number>();
        const k = r.status === 0 ? (r.error ?? 'error').split(':')[0] : String(r.status);
        m.set(k, (m.get(k) ?? 0) + 1);
        byOp.set(r.op, m);
      }
      return [...byOp].map(([op, m]) => `${op}: ${[...m].map(([k, n]) => `${k}×${n}`).join(' ')}`).join('; ');
    },
  };
}

/** Keystone's error body: {"error": {"code", "title", "message"}} with the status as code. */
export function isKeystoneError(a: { status: number; body?: string }): boolean {
  try {
    const e = (JSON.parse(a.body ?? '') as { error?: { code?: unknown; title?: unknown; message?: unknown } }).error;
    return !!e && e.code === a.status && typeof e.title === 'string' && typeof e.message === 'string';
  } catch {
    return false;
  }
}
