/**
 * Tokens for tests, over HTTP (POST /v3/auth/tokens) against a test server:
 *
 *   const t = await getToken(server, { username: 'admin', password: server.adminPassword, project: 'admin' });
 *   t.id        the X-Subject-Token
 *   t.body      the token body ({ token: { … } })
 *
 *   adminToken(server)                     the bootstrap admin, project-scoped to the admin project
 *   systemAdminToken(server)               the bootstrap admin, system-scoped
 *   issueToken(server, authObject)         any auth body, raw response (status, headers, body) for error tests
 *   validateToken(server, authToken, subjectToken, query?)  GET /v3/auth/tokens (status + body)
 *   revokeToken(server, authToken, subjectToken)            DELETE /v3/auth/tokens (status)
 */
import assert from 'node:assert/strict';
import type { TestServer } from './test-server.js';

export interface TokenRequest {
  /** user name (with userDomain, default "Default"), or userId */
  username?: string;
  userId?: string;
  userDomain?: string | { id: string } | { name: string };
  password: string;
  /** project name (in projectDomain, default "Default"), or { id } */
  project?: string | { id: string } | { name: string; domain: { id: string } | { name: string } };
  projectDomain?: string;
  /** domain name or { id } */
  domain?: string | { id: string };
  system?: boolean;
  unscoped?: boolean;
  nocatalog?: boolean;
}

export interface IssuedToken {
  id: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  body: any;
  status: number;
}

export interface RawResponse {
  status: number;
  headers: Headers;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  body: any;
}

async function readBody(res: Response): Promise<unknown> {
  const text = await res.text();
  if (!text) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

export function passwordAuth(req: TokenRequest): Record<string, unknown> {
  const user: Record<string, unknown> = { password: req.password };
  if (req.userId) user.id = req.userId;
  else {
    user.name = req.username;
    const d = req.userDomain ?? 'Default';
    user.domain = typeof d === 'string' ? { name: d } : d;
  }
  const auth: Record<string, unknown> = { identity: { methods: ['password'], password: { user } } };
  if (req.system) auth.scope = { system: { all: true } };
  else if (req.unscoped) auth.scope = 'unscoped';
  else if (req.domain !== undefined) auth.scope = { domain: typeof req.domain === 'string' ? { name: req.domain } : req.domain };
  else if (req.project !== undefined) {
    const p = req.project;
    auth.scope = { project: typeof p === 'string' ? { name: p, domain: { name: req.projectDomain ?? 'Default' } } : p };
  }
  return auth;
}

/** POST /v3/auth/tokens with any auth object; the raw answer. */
export async function issueToken(
  server: TestServer,
  auth: unknown,
  options: { query?: string; headers?: Record<string, string>; url?: string } = {},
): Promise<RawResponse> {
  const res = await fetch(`${options.url ?? server.publicUrl}/v3/auth/tokens${options.query ?? ''}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', ...(options.headers ?? {}) },
    body: JSON.stringify({ auth }),
  });
  return { status: res.status, headers: res.headers, body: await readBody(res) };
}

/** A password token; fails the test unless it is issued (201). */
export async function getToken(server: TestServer, req: TokenRequest): Promise<IssuedToken> {
  const res = await issueToken(server, passwordAuth(req), { query: req.nocatalog ? '?nocatalog' : '' });
  assert.equal(res.status, 201, `token for ${req.username ?? req.userId}: ${res.status} ${JSON.stringify(res.body)}`);
  const id = res.headers.get('x-subject-token');
  assert.ok(id, 'X-Subject-Token');
  return { id, body: res.body, status: res.status };
}

/** The bootstrap admin's token on the admin project (a cloud admin under Keystone's default policy). */
export async function adminToken(server: TestServer): Promise<string> {
  return (await getToken(server, { username: 'admin', password: server.adminPassword, project: 'admin' })).id;
}

/** The bootstrap admin's system-scoped token. */
export async function systemAdminToken(server: TestServer): Promise<string> {
  return (await getToken(server, { username: 'admin', password: server.adminPassword, system: true })).id;
}

/** GET (or HEAD) /v3/auth/tokens. */
export async function validateToken(
  server: TestServer,
  authToken: string,
  subjectToken: string,
  options: { query?: string; method?: 'GET' | 'HEAD'; url?: string } = {},
): Promise<RawResponse> {
  const res = await fetch(`${options.url ?? server.publicUrl}/v3/auth/tokens${options.query ?? ''}`, {
    method: options.method ?? 'GET',
    headers: { 'X-Auth-Token': authToken, 'X-Subject-Token': subjectToken },
  });
  return { status: res.status, headers: res.headers, body: await readBody(res) };
}

/** DELETE /v3/auth/tokens; the status. */
export async function revokeToken(server: TestServer, authToken: string, subjectToken: string): Promise<number> {
  const res = await fetch(`${server.publicUrl}/v3/auth/tokens`, {
    method: 'DELETE',
    headers: { 'X-Auth-Token': authToken, 'X-Subject-Token': subjectToken },
  });
  await res.arrayBuffer();
  return res.status;
}
