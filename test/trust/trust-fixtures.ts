/**
 * Fixtures for the trust and application credential tests: users holding
 * roles on a project (the admin role, so the calls pass the interim policy
 * as well as Keystone's defaults), tokens by password, by trust and by
 * application credential, and validation as the system admin sees it.
 */
import assert from 'node:assert/strict';
import { startTestServer, type TestServer } from '../helpers/test-server.js';
import type { DatabaseKind } from '../helpers/test-database.js';
import { passwordToken, unique } from '../api/identity-resource-fixtures.js';

export const PASSWORD = 'trust-fixture-secret-1';

export interface ProjectUser {
  userId: string;
  token: string;
}

/** A user of the default domain with these roles on the project, and a token scoped to it. */
export async function userOnProject(server: TestServer, projectId: string, roleIds: string[]): Promise<ProjectUser> {
  const { identity_api: identity, assignment_api: assignment } = server.providers;
  const userId = (await identity.createUser({ name: unique('user'), domainId: server.bootstrap.domainId, password: PASSWORD })).id;
  for (const roleId of roleIds) await assignment.createGrant(roleId, { userId }, { projectId });
  return { userId, token: await passwordToken(server, userId, PASSWORD, { projectId }) };
}

export async function newProject(server: TestServer): Promise<string> {
  return (
    await server.providers.resource_api.createProjectRef({
      name: unique('project'),
      domainId: server.bootstrap.domainId,
      parentId: server.bootstrap.domainId,
    })
  ).id;
}

export interface AuthResult {
  status: number;
  token: string | null;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the JSON body, read by the assertions
  body: any;
}

export async function authenticate(
  server: TestServer,
  auth: Record<string, unknown>,
  headers: Record<string, string> = {},
): Promise<AuthResult> {
  const res = await fetch(`${server.publicUrl}/v3/auth/tokens`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', ...headers },
    body: JSON.stringify({ auth }),
  });
  const text = await res.text();
  return { status: res.status, token: res.headers.get('x-subject-token'), body: text ? JSON.parse(text) : null };
}

export function trustAuth(userId: string, trustId: string): Record<string, unknown> {
  return {
    identity: { methods: ['password'], password: { user: { id: userId, password: PASSWORD } } },
    scope: { 'OS-TRUST:trust': { id: trustId } },
  };
}

export async function trustToken(server: TestServer, userId: string, trustId: string): Promise<AuthResult> {
  const r = await authenticate(server, trustAuth(userId, trustId));
  assert.equal(r.status, 201, JSON.stringify(r.body));
  return r;
}

/** GET /v3/auth/tokens as the system admin: the status and body. */
export async function validate(
  server: TestServer,
  adminToken: string,
  subject: string,
  headers: Record<string, string> = {},
): Promise<AuthResult> {
  const res = await fetch(`${server.publicUrl}/v3/auth/tokens`, {
    headers: { 'X-Auth-Token': adminToken, 'X-Subject-Token': subject, ...headers },
  });
  const text = await res.text();
  return { status: res.status, token: null, body: text ? JSON.parse(text) : null };
}

export interface World {
  server: TestServer;
  roles: TestServer['bootstrap'];
  /** the bootstrap admin, system-scoped */
  systemAdmin: string;
  projectId: string;
  /** a user with the admin role on the project */
  owner: ProjectUser;
}

/** A test server, a project and a user holding the admin role on it. */
export async function startWorld(kind: DatabaseKind): Promise<World> {
  const server = await startTestServer({ database: kind });
  const roles = server.bootstrap;
  const systemAdmin = await passwordToken(server, roles.userId, server.adminPassword, { system: true });
  const projectId = await newProject(server);
  return { server, roles, systemAdmin, projectId, owner: await userOnProject(server, projectId, [roles.adminRoleId]) };
}
