/**
 * Fixtures for the identity and resource API tests: an HTTP client for the
 * test server, password tokens of any scope (POST /v3/auth/tokens), and the
 * personas of Keystone's default policy: system admin and reader, domain
 * admin and reader of domain A, admin of domain B, project member and
 * reader in domain A, and a user with no role at all.
 */
import assert from 'node:assert/strict';
import type { TestServer } from '../helpers/test-server.js';

export interface ApiResponse {
  status: number;
  headers: Headers;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  body: any;
}

export interface CallOptions {
  token?: string;
  body?: unknown;
  rawBody?: string;
  headers?: Record<string, string>;
}

export async function call(server: TestServer, method: string, path: string, options: CallOptions = {}): Promise<ApiResponse> {
  const headers: Record<string, string> = { ...(options.headers ?? {}) };
  if (options.token) headers['X-Auth-Token'] = options.token;
  let body: string | undefined;
  if (options.rawBody !== undefined) body = options.rawBody;
  else if (options.body !== undefined) body = JSON.stringify(options.body);
  if (body !== undefined) headers['Content-Type'] ??= 'application/json';
  const res = await fetch(`${server.publicUrl}${path}`, { method, headers, body });
  const text = await res.text();
  let parsed: unknown = text;
  if (text) {
    try {
      parsed = JSON.parse(text);
    } catch {
      /* keep the text */
    }
  }
  return { status: res.status, headers: res.headers, body: parsed };
}

/** Asserts the status, and for errors Keystone's error body; returns the body. */
export function expectStatus(res: ApiResponse, status: number, message?: string | RegExp): ApiResponse['body'] {
  assert.equal(res.status, status, `expected ${status}, got ${res.status}: ${JSON.stringify(res.body)}`);
  // HEAD answers carry no body.
  if (status >= 400 && res.body !== '') {
    assert.equal(res.body.error.code, status);
    if (message !== undefined) {
      if (typeof message === 'string') assert.equal(res.body.error.message, message);
      else assert.match(res.body.error.message, message);
    }
  }
  return res.body;
}

export type Scope = { system: true } | { projectId: string } | { domainId: string } | undefined;

export async function passwordToken(server: TestServer, userId: string, password: string, scope?: Scope): Promise<string> {
  const auth: Record<string, unknown> = { identity: { methods: ['password'], password: { user: { id: userId, password } } } };
  if (scope && 'system' in scope) auth.scope = { system: { all: true } };
  else if (scope && 'projectId' in scope) auth.scope = { project: { id: scope.projectId } };
  else if (scope && 'domainId' in scope) auth.scope = { domain: { id: scope.domainId } };
  const res = await fetch(`${server.publicUrl}/v3/auth/tokens`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ auth }),
  });
  const token = res.headers.get('x-subject-token');
  assert.equal(res.status, 201, `token for ${userId}: ${res.status} ${await res.text()}`);
  assert.ok(token);
  return token;
}

/** A token's validation as another caller sees it: GET /v3/auth/tokens. */
export async function tokenStatus(server: TestServer, adminToken: string, subjectToken: string): Promise<number> {
  const res = await fetch(`${server.publicUrl}/v3/auth/tokens`, {
    headers: { 'X-Auth-Token': adminToken, 'X-Subject-Token': subjectToken },
  });
  await res.arrayBuffer();
  return res.status;
}

export interface Persona {
  userId: string;
  password: string;
  token: string;
}

export interface Personas {
  systemAdmin: Persona;
  systemReader: Persona;
  /** the bootstrap admin on the admin project: a cloud admin under Keystone's default policy */
  projectAdmin: Persona;
  domainA: string;
  domainB: string;
  domainAAdmin: Persona;
  domainAReader: Persona;
  domainBAdmin: Persona;
  /** a project in domain A */
  projectA: string;
  projectAMember: Persona;
  projectAReader: Persona;
  /** an unscoped token of a user holding no role */
  noRole: Persona;
}

let counter = 0;
export function unique(prefix: string): string {
  counter += 1;
  return `${prefix}-${process.pid}-${counter}-${Math.random().toString(16).slice(2, 8)}`;
}

/** Creates the personas with the managers (their own APIs are tested elsewhere) and issues their tokens. */
export async function setupPersonas(server: TestServer): Promise<Personas> {
  const { identity_api: identity, resource_api: resource, assignment_api: assignment } = server.providers;
  const roles = server.bootstrap;
  const domainA = (await resource.createDomainRef({ name: unique('domain-a') })).id;
  const domainB = (await resource.createDomainRef({ name: unique('domain-b') })).id;
  const projectA = (await resource.createProjectRef({ name: unique('project-a'), domainId: domainA, parentId: domainA })).id;
  const password = 'persona-secret-1';
  const user = async (domainId: string) => (await identity.createUser({ name: unique('user'), domainId, password })).id;

  const systemReaderId = await user(roles.domainId);
  await assignment.createGrant(roles.readerRoleId, { userId: systemReaderId }, { system: true });
  const domainAAdminId = await user(domainA);
  await assignment.createGrant(roles.adminRoleId, { userId: domainAAdminId }, { domainId: domainA });
  const domainAReaderId = await user(domainA);
  await assignment.createGrant(roles.readerRoleId, { userId: domainAReaderId }, { domainId: domainA });
  const domainBAdminId = await user(domainB);
  await assignment.createGrant(roles.adminRoleId, { userId: domainBAdminId }, { domainId: domainB });
  const memberId = await user(domainA);
  await assignment.createGrant(roles.memberRoleId, { userId: memberId }, { projectId: projectA });
  const readerId = await user(domainA);
  await assignment.createGrant(roles.readerRoleId, { userId: readerId }, { projectId: projectA });
  const noRoleId = await user(domainA);

  const persona = async (userId: string, pw: string, scope: Scope): Promise<Persona> => ({
    userId,
    password: pw,
    token: await passwordToken(server, userId, pw, scope),
  });
  return {
    systemAdmin: await persona(roles.userId, server.adminPassword, { system: true }),
    systemReader: await persona(systemReaderId, password, { system: true }),
    projectAdmin: await persona(roles.userId, server.adminPassword, { projectId: roles.projectId }),
    domainA,
    domainB,
    domainAAdmin: await persona(domainAAdminId, password, { domainId: domainA }),
    domainAReader: await persona(domainAReaderId, password, { domainId: domainA }),
    domainBAdmin: await persona(domainBAdminId, password, { domainId: domainB }),
    projectA,
    projectAMember: await persona(memberId, password, { projectId: projectA }),
    projectAReader: await persona(readerId, password, { projectId: projectA }),
    noRole: await persona(noRoleId, password, undefined),
  };
}

/**
 * Kept for the tests that still call it: the policy engine (src/rbac) is
 * always installed as providers.enforcer now, so nothing is skipped.
 */
export function policyEnginePending(_server: TestServer, _t: unknown): boolean {
  return false;
}
