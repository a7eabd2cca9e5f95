/** Small HTTP helpers of the v2.0 tests. */
import assert from 'node:assert/strict';
import type { TestServer } from '../../helpers/test-server.js';

export interface V2Response {
  status: number;
  headers: Headers;
  text: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  json: any;
}

export interface V2CallOptions {
  token?: string;
  body?: unknown;
  xml?: string;
  accept?: string;
  admin?: boolean;
}

export async function v2call(server: TestServer, method: string, path: string, options: V2CallOptions = {}): Promise<V2Response> {
  const headers: Record<string, string> = {};
  if (options.token) headers['X-Auth-Token'] = options.token;
  if (options.accept) headers.Accept = options.accept;
  let body: string | undefined;
  if (options.xml !== undefined) {
    headers['Content-Type'] = 'application/xml';
    body = options.xml;
  } else if (options.body !== undefined) {
    headers['Content-Type'] = 'application/json';
    body = JSON.stringify(options.body);
  }
  const base = options.admin ? server.adminUrl : server.publicUrl;
  const res = await fetch(base + path, { method, headers, body });
  const text = await res.text();
  let json: unknown;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, text, json };
}

export function expect(res: V2Response, status: number): V2Response {
  assert.equal(res.status, status, `expected ${status}, got ${res.status}: ${res.text}`);
  return res;
}

/** POST /v2.0/tokens with passwordCredentials (and a tenant name when given): the access body. */
export async function v2Token(server: TestServer, username: string, password: string, tenantName?: string) {
  const auth: Record<string, unknown> = { passwordCredentials: { username, password } };
  if (tenantName) auth.tenantName = tenantName;
  return expect(await v2call(server, 'POST', '/v2.0/tokens', { body: { auth } }), 200).json.access;
}
