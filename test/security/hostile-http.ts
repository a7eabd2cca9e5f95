/**
 * Shared pieces of the hostile-input suite (test/security):
 *
 *   serverRoutes()            every route of the public and the admin app, from the route table
 *   send(base, request)       one HTTP request with full control over headers and the raw body
 *   sendRaw(port, bytes)      raw bytes on a socket (header values node's client refuses to send)
 *   checkAnswer(answer)       the problems with an answer: 5xx, a body not in Keystone's error
 *                             form, a stack trace or a file path in the body
 *   mulberry32(seed)          the suite's seeded PRNG
 *   workerRestarts(ks)        keystone_worker_restarts_total from the primary's /metrics
 */
import { request, Agent } from 'node:http';
import { connect } from 'node:net';
import type { ProviderApi } from '../../src/common/provider-api.js';
import type { Database } from '../../src/storage/database.js';
import { createApp } from '../../src/server/create-app.js';
import type { HttpMethod } from '../../src/server/route-table.js';
import { makeTestConfig } from '../helpers/test-config.js';
import type { KeystoneProcess } from '../helpers/keystone-process.js';

export interface RouteEntry {
  method: HttpMethod;
  path: string;
  rel?: string;
  service: 'public' | 'admin';
}

/**
 * Every route both apps serve, read from their route tables. The apps are built
 * over stand-in managers: registering a route only keeps references, and no
 * request is routed through these apps.
 */
export function serverRoutes(): RouteEntry[] {
  const config = makeTestConfig();
  try {
    const standIn = (): unknown =>
      new Proxy(function standIn() {}, {
        get: (_t, key) => (key === 'then' ? undefined : standIn()),
        apply: () => standIn(),
        construct: () => standIn() as object,
      });
    const known: Record<string | symbol, unknown> = { conf: config.conf };
    const services = new Proxy(known, {
      get: (target, key) => (key in target ? target[key] : standIn()),
    }) as unknown as ProviderApi;
    const out: RouteEntry[] = [];
    for (const service of ['public', 'admin'] as const) {
      for (const r of createApp(service, services, standIn() as Database).routes.list()) out.push({ ...r, service });
    }
    return out;
  } finally {
    config.cleanup();
  }
}

export interface HttpRequest {
  method: string;
  /** path and query, already encoded */
  path: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
}

export interface HttpAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
}

const agent = new Agent({ keepAlive: true, maxSockets: 8 });

export function closeAgent(): void {
  agent.destroy();
}

/** One request; resolves with the answer, rejects only when the connection fails. */
export function send(baseUrl: string, req: HttpRequest, timeoutMs = 30_000): Promise<HttpAnswer> {
  const url = new URL(baseUrl);
  const headers = { ...(req.headers ?? {}) };
  // node's client sends a GET/HEAD/DELETE body without length or chunking unless told
  const framed = Object.keys(headers).some((h) => /^(content-length|transfer-encoding)$/i.test(h));
  if (req.body !== undefined && !framed) headers['Content-Length'] = String(Buffer.byteLength(req.body));
  return new Promise((resolve, reject) => {
    const r = request({ host: url.hostname, port: url.port, method: req.method, path: req.path, agent, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString('utf8') });
      });
      res.on('error', reject);
    });
    r.setTimeout(timeoutMs, () => r.destroy(new Error(`no answer within ${timeoutMs} ms: ${req.method} ${req.path.slice(0, 200)}`)));
    r.on('error', reject);
    if (req.body !== undefined) r.end(req.body);
    else r.end();
  });
}

/** Raw bytes on a fresh connection; the whole answer as text (the connection is closed after it). */
export function sendRaw(
  port: number,
  bytes: string | Buffer,
  timeoutMs = 30_000,
): Promise<{ status: number; text: string; head: string; body: string }> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error('no answer to raw request'));
    }, timeoutMs);
    socket.on('data', (c: Buffer) => {
      chunks.push(c);
      const text = Buffer.concat(chunks).toString('latin1');
      const end = text.indexOf('\r\n\r\n');
      if (end < 0) return;
      const head = text.slice(0, end);
      const length = /\r\ncontent-length:\s*(\d+)/i.exec(head);
      const body = text.slice(end + 4);
      if (length && body.length >= Number(length[1])) socket.end();
    });
    socket.on('error', (err) => {
      clearTimeout(timer);
      if ((err as NodeJS.ErrnoException).code === 'ECONNRESET' && chunks.length) finish();
      else reject(err);
    });
    socket.on('close', () => {
      finish();
    });
    let done = false;
    function finish() {
      if (done) return;
      done = true;
      clearTimeout(timer);
      const text = Buffer.concat(chunks).toString('utf8');
      const end = text.indexOf('\r\n\r\n');
      const head = end < 0 ? text : text.slice(0, end);
      const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(text)?.[1] ?? 0);
      resolve({ status, text, head, body: end < 0 ? '' : text.slice(end + 4) });
    }
    socket.write(bytes);
  });
}

/** Keystone answers 5xx by design only with these (NotImplemented; ServiceUnavailable when a backend is down). */
export const KEYSTONE_5XX = new Set([501]);

/** What leaks the server's insides: a V8 or Python stack frame, a source path, a module path. */
const LEAKS: Array<[string, RegExp]> = [
  ['a stack frame', /\n\s+at [^\n]*\(|^\s*at [\w.<>$]+ \(/m],
  ['a Python traceback', /Traceback \(most recent call last\)/],
  ['a source file path', /(?:\/work\/|\/usr\/lib\/|\/home\/|\/tmp\/keystone|node_modules|[\w-]+\.(?:ts|js|mjs|py):\d+)/],
  ['an internal error name', /\b(?:TypeError|ReferenceError|RangeError|SyntaxError|QueryResultError|error: relation)\b/],
];

export function leaksIn(text: string): string[] {
  return LEAKS.filter(([, re]) => re.test(text)).map(([what]) => what);
}

/**
 * The problems with one answer (empty when it is fine): a 5xx Keystone would
 * not give, an error that is not {"error": {"code", "title", "message"}} with
 * code = status, a leak.
 */
export function checkAnswer(method: string, answer: HttpAnswer): string[] {
  const problems: string[] = [];
  if (answer.status >= 500 && !KEYSTONE_5XX.has(answer.status)) problems.push(`status ${answer.status}`);
  if (answer.status === 0) problems.push('no status');
  for (const what of leaksIn(answer.text)) problems.push(`${what} in the body`);
  // (a request line plus headers over node's 16 KB limit is refused by keystone-all's clientError
  // handler before the pipeline runs: a 431, in Keystone's error form too)
  if (answer.status >= 400 && method !== 'HEAD' && answer.text.startsWith('<?xml')) {
    // the v2.0 API answers in XML when the Accept header asks for it, its errors included
    const error = /^<\?xml[^>]*\?>\s*<error xmlns="http:\/\/docs\.openstack\.org\/identity\/api\/v2\.0"([^>]*)\/>$/.exec(answer.text);
    const attr = (name: string) => (error ? new RegExp(` ${name}="([^"]*)"`).exec(error[1])?.[1] : undefined);
    if (!error) problems.push('an XML error body that is not <error code title message/>');
    else {
      if (attr('code') !== String(answer.status)) problems.push(`error code ${String(attr('code'))} ≠ status ${answer.status}`);
      if (!attr('title')) problems.push('no error title');
      if (attr('message') === undefined) problems.push('no error message');
    }
  } else if (answer.status >= 400 && method !== 'HEAD') {
    let body: { error?: Record<string, unknown> | string; error_description?: unknown } | null | undefined;
    try {
      body = JSON.parse(answer.text);
    } catch {
      problems.push('an error body that is not JSON');
    }
    if (body !== undefined) {
      const error = body?.error;
      // /v3/OS-OAUTH2/token answers in RFC 6749's form, as Keystone's does: {"error": "...", "error_description": "..."}
      if (typeof error === 'string') {
        if (typeof body?.error_description !== 'string') problems.push('an OAuth 2.0 error without error_description');
      } else if (!error || typeof error !== 'object') problems.push('no "error" object in the error body');
      else {
        if (error.code !== answer.status) problems.push(`error.code ${String(error.code)} ≠ status ${answer.status}`);
        if (typeof error.title !== 'string' || !error.title) problems.push('no error.title');
        if (typeof error.message !== 'string') problems.push('no error.message');
      }
    }
  }
  if (method === 'HEAD' && answer.text.length > 0) problems.push('a body on HEAD');
  return problems;
}

/** mulberry32: a small, fast, well-mixed 32-bit PRNG; the same seed gives the same sequence everywhere. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface Random {
  next(): number;
  int(n: number): number;
  pick<T>(items: readonly T[]): T;
  chance(p: number): boolean;
}

export function random(seed: number): Random {
  const next = mulberry32(seed);
  return {
    next,
    int: (n) => Math.floor(next() * n),
    pick: (items) => items[Math.floor(next() * items.length)],
    chance: (p) => next() < p,
  };
}

/** The primary's metrics URL, from its log line. */
export async function metricsUrl(ks: KeystoneProcess): Promise<string> {
  const m = await ks.waitForOutput(/metrics listening on (http:\/\/\S+\/metrics)/, 10_000);
  return m[1];
}

/** Sum of keystone_worker_restarts_total over all labels (0 when no worker was ever replaced). */
export async function workerRestarts(ks: KeystoneProcess): Promise<number> {
  const res = await fetch(await metricsUrl(ks));
  const text = await res.text();
  let total = 0;
  for (const line of text.split('\n')) {
    const m = /^keystone_worker_restarts_total(?:\{[^}]*\})?\s+([0-9.eE+-]+)/.exec(line);
    if (m) total += Number(m[1]);
  }
  return total;
}
