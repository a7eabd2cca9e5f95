/**
 * Fixtures for the auth tests: an HTTP helper, users/projects/grants made
 * with the managers (their own APIs are tested elsewhere), and assertions
 * on Keystone's error form.
 */
import assert from 'node:assert/strict';
import type { TestServer } from '../helpers/test-server.js';
import type { RawResponse } from '../helpers/tokens.js';

export async function call(
  server: TestServer,
  method: string,
  path: string,
  options: { token?: string; subject?: string; body?: unknown; rawBody?: string; headers?: Record<string, string>; url?: string } = {},
): Promise<RawResponse> {
  const headers: Record<string, string> = { ...(options.headers ?? {}) };
  if (options.token) headers['X-Auth-Token'] = options.token;
  if (options.subject) headers['X-Subject-Token'] = options.subject;
  let body: string | undefined;
  if (options.rawBody !== undefined) body = options.rawBody;
  else if (options.body !== undefined) body = JSON.stringify(options.body);
  if (body !== undefined) headers['Content-Type'] ??= 'application/json';
  const res = await fetch(`${options.url ?? server.publicUrl}${path}`, { method, headers, body });
  const text = await res.text();
  let parsed: unknown;
  if (text) {
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = text;
    }
  }
  return { status: res.status, headers: res.headers, body: parsed };
}

export const GENERIC_401 = 'The request you have made requires authentication.';

/** Keystone's error form, status, message (exact or pattern) and, for 401, WWW-Authenticate. */
export function assertError(res: RawResponse, status: number, message?: string | RegExp): void {
  assert.equal(res.status, status, `expected ${status}, got ${res.status}: ${JSON.stringify(res.body)}`);
  if (status === 401) assert.match(res.headers.get('www-authenticate') ?? '', /^Keystone uri="http:\/\/127\.0\.0\.1:\d+\/v3"$/);
  if (res.body === undefined) return; // HEAD
  assert.equal(res.body?.error?.code, status);
  assert.equal(typeof res.body.error.title, 'string');
  if (typeof message === 'string') assert.equal(res.body.error.message, message);
  else if (message) assert.match(res.body.error.message, message);
}

let counter = 0;
export function unique(prefix: string): string {
  counter += 1;
  return `${prefix}-${process.pid}-${counter}-${Math.random().toString(16).slice(2, 6)}`;
}

export interface MadeUser {
  id: string;
  name: string;
  password: string;
  domainId: string;
}

export async function makeUser(
  server: TestServer,
  options: { domainId?: string; password?: string; enabled?: boolean; defaultProjectId?: string; options?: Record<string, unknown> } = {},
): Promise<MadeUser> {
  const password = options.password ?? 'secret-' + Math.random().toString(16).slice(2);
  const domainId = options.domainId ?? 'default';
  const name = unique('user');
  const user = await server.providers.identity_api.createUser({
    name,
    domainId,
    password,
    enabled: options.enabled,
    defaultProjectId: options.defaultProjectId,
    options: options.options,
  });
  return { id: user.id, name, password, domainId };
}

export async function makeProject(
  server: TestServer,
  options: { domainId?: string; parentId?: string; enabled?: boolean } = {},
): Promise<{ id: string; name: string }> {
  const domainId = options.domainId ?? 'default';
  const name = unique('project');
  const ref = await server.providers.resource_api.createProjectRef({
    name,
    domainId,
    parentId: options.parentId ?? domainId,
    enabled: options.enabled,
  });
  return { id: ref.id, name };
}

export async function makeDomain(server: TestServer, options: { enabled?: boolean } = {}): Promise<{ id: string; name: string }> {
  const name = unique('domain');
  const ref = await server.providers.resource_api.createDomainRef({ name, enabled: options.enabled });
  return { id: ref.id, name };
}

export async function grant(
  server: TestServer,
  roleId: string,
  userId: string,
  target: { projectId?: string; domainId?: string; system?: boolean },
): Promise<void> {
  await server.providers.assignment_api.createGrant(roleId, { userId }, target);
}

/** Waits until the wall clock enters a new second (revocation events have whole-second granularity, as Keystone's). */
export async function nextSecond(): Promise<void> {
  const now = Date.now();
  await new Promise((r) => setTimeout(r, 1000 - (now % 1000) + 20));
}

export const ISO_SECONDS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.000000Z$/;
