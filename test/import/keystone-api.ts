/** A small JSON client for a Keystone-compatible API (Keystone 22's or ours), for the import tests. */
import assert from 'node:assert/strict';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the bodies are checked field by field by the tests
export type Json = any;

export interface Answer {
  status: number;
  body: Json;
  subjectToken: string | null;
}

export async function call(
  base: string,
  method: string,
  path: string,
  options: { token?: string; subject?: string; body?: unknown } = {},
): Promise<Answer> {
  const headers: Record<string, string> = { Accept: 'application/json' };
  if (options.token) headers['X-Auth-Token'] = options.token;
  if (options.subject) headers['X-Subject-Token'] = options.subject;
  if (options.body !== undefined) headers['Content-Type'] = 'application/json';
  const res = await fetch(base + path, { method, headers, body: options.body === undefined ? undefined : JSON.stringify(options.body) });
  const text = await res.text();
  let body: Json;
  try {
    body = text === '' ? null : JSON.parse(text);
  } catch {
    body = text;
  }
  return { status: res.status, body, subjectToken: res.headers.get('x-subject-token') };
}

/** Calls and asserts the status; returns the body. */
export async function ok(
  base: string,
  method: string,
  path: string,
  options: { token?: string; subject?: string; body?: unknown } = {},
  status?: number,
): Promise<Json> {
  const answer = await call(base, method, path, options);
  const expected = status ?? (method === 'POST' ? 201 : method === 'PUT' || method === 'DELETE' ? 204 : 200);
  assert.equal(answer.status, expected, `${method} ${path} on ${base}: ${JSON.stringify(answer.body)}`);
  return answer.body;
}

export type Scope = { project: string } | { domain: string } | { system: true } | null;

export function passwordAuthBody(userId: string, password: string, scope: Scope): unknown {
  const auth: Json = { identity: { methods: ['password'], password: { user: { id: userId, password } } } };
  if (scope && 'project' in scope) auth.scope = { project: { id: scope.project } };
  if (scope && 'domain' in scope) auth.scope = { domain: { id: scope.domain } };
  if (scope && 'system' in scope) auth.scope = { system: { all: true } };
  return { auth };
}

export async function passwordToken(base: string, userId: string, password: string, scope: Scope = null): Promise<Answer> {
  return call(base, 'POST', '/v3/auth/tokens', { body: passwordAuthBody(userId, password, scope) });
}

/** A token id, asserting the login worked. */
export async function tokenFor(base: string, userId: string, password: string, scope: Scope = null): Promise<string> {
  const answer = await passwordToken(base, userId, password, scope);
  assert.equal(answer.status, 201, `login of ${userId} on ${base}: ${JSON.stringify(answer.body)}`);
  assert.ok(answer.subjectToken);
  return answer.subjectToken;
}
