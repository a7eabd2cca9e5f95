/**
 * Things for the hostile suite to aim at, created over HTTP on a running
 * server (never the bootstrap admin's own objects): a domain with a project,
 * a user (password "victim-password"), a group, roles, a service and its
 * endpoint, a region, a policy, a trust, an application credential.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { decrypt, encrypt, generateKey } from '../../src/token/fernet/fernet.js';
import { send } from './hostile-http.js';

export interface ApiAnswer {
  status: number;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  body: any;
  headers: Record<string, string | string[] | undefined>;
  text: string;
}

export async function api(
  baseUrl: string,
  method: string,
  path: string,
  options: { token?: string; body?: unknown; headers?: Record<string, string> } = {},
): Promise<ApiAnswer> {
  const headers: Record<string, string> = { ...(options.headers ?? {}) };
  if (options.token) headers['X-Auth-Token'] = options.token;
  let body: string | undefined;
  if (options.body !== undefined) {
    body = JSON.stringify(options.body);
    headers['Content-Type'] = 'application/json';
  }
  const a = await send(baseUrl, { method, path, headers, body });
  let parsed: unknown;
  try {
    parsed = a.text ? JSON.parse(a.text) : undefined;
  } catch {
    parsed = a.text;
  }
  return { status: a.status, body: parsed, headers: a.headers, text: a.text };
}

export async function passwordToken(
  baseUrl: string,
  user: Record<string, unknown>,
  password: string,
  scope?: unknown,
): Promise<ApiAnswer & { token?: string }> {
  const auth: Record<string, unknown> = { identity: { methods: ['password'], password: { user: { ...user, password } } } };
  if (scope !== undefined) auth.scope = scope;
  const a = await api(baseUrl, 'POST', '/v3/auth/tokens?nocatalog', { body: { auth } });
  const token = a.headers['x-subject-token'];
  return { ...a, token: typeof token === 'string' ? token : undefined };
}

/** What mustCreate answers: the entity of the body (its id), or an empty object for a 204. */
export type Created = Record<string, unknown> & { id: string };

export async function mustCreate(baseUrl: string, token: string, path: string, body: unknown, method = 'POST'): Promise<Created> {
  const a = await api(baseUrl, method, path, { token, body });
  assert.ok(a.status === 201 || a.status === 200 || a.status === 204, `${method} ${path}: ${a.status} ${a.text.slice(0, 300)}`);
  const value = a.body && typeof a.body === 'object' ? Object.values(a.body as object)[0] : undefined;
  return (value ?? {}) as Created;
}

export async function bootstrapAdminToken(baseUrl: string, password: string): Promise<string> {
  const a = await passwordToken(baseUrl, { name: 'admin', domain: { id: 'default' } }, password, {
    project: { name: 'admin', domain: { id: 'default' } },
  });
  assert.equal(a.status, 201, a.text);
  return a.token!;
}

export interface Victims {
  ids: Record<string, string>;
  userName: string;
  domainName: string;
  password: string;
  token: string;
  unscopedToken: string;
}

export async function createVictims(baseUrl: string, adminToken: string, tag = 'fuzz'): Promise<Victims> {
  const password = 'victim-password';
  const domain = await mustCreate(baseUrl, adminToken, '/v3/domains', { domain: { name: `${tag}-domain` } });
  const project = await mustCreate(baseUrl, adminToken, '/v3/projects', { project: { name: `${tag}-project`, domain_id: domain.id } });
  const user = await mustCreate(baseUrl, adminToken, '/v3/users', {
    user: { name: `${tag}-user`, domain_id: domain.id, password, default_project_id: project.id },
  });
  const group = await mustCreate(baseUrl, adminToken, '/v3/groups', { group: { name: `${tag}-group`, domain_id: domain.id } });
  const role = await mustCreate(baseUrl, adminToken, '/v3/roles', { role: { name: `${tag}-role` } });
  const implied = await mustCreate(baseUrl, adminToken, '/v3/roles', { role: { name: `${tag}-implied` } });
  const roles = (await api(baseUrl, 'GET', '/v3/roles?name=member', { token: adminToken })).body.roles as Array<{ id: string }>;
  await mustCreate(baseUrl, adminToken, `/v3/projects/${project.id}/users/${user.id}/roles/${roles[0].id}`, undefined, 'PUT');
  await mustCreate(baseUrl, adminToken, `/v3/projects/${project.id}/users/${user.id}/roles/${role.id}`, undefined, 'PUT');
  const region = await mustCreate(baseUrl, adminToken, '/v3/regions', { region: { id: `${tag}-region` } });
  const service = await mustCreate(baseUrl, adminToken, '/v3/services', { service: { type: `${tag}-type`, name: `${tag}-service` } });
  const endpoint = await mustCreate(baseUrl, adminToken, '/v3/endpoints', {
    endpoint: { service_id: service.id, interface: 'public', url: 'http://127.0.0.1:1/fuzz', region_id: region.id },
  });
  const policy = await mustCreate(baseUrl, adminToken, '/v3/policies', { policy: { blob: '{}', type: 'application/json' } });
  const scoped = await passwordToken(baseUrl, { id: user.id }, password, { project: { id: project.id } });
  assert.equal(scoped.status, 201, scoped.text);
  // best effort: the interim policy (until src/rbac lands) lets only admins create these
  const trust =
    (
      await api(baseUrl, 'POST', '/v3/OS-TRUST/trusts', {
        token: scoped.token!,
        body: {
          trust: {
            trustor_user_id: user.id,
            trustee_user_id: user.id,
            project_id: project.id,
            impersonation: false,
            roles: [{ name: 'member' }],
          },
        },
      })
    ).body?.trust ?? {};
  const appCred =
    (
      await api(baseUrl, 'POST', `/v3/users/${user.id}/application_credentials`, {
        token: scoped.token!,
        body: { application_credential: { name: `${tag}-ac`, access_rules: [{ service: 'identity', method: 'GET', path: '/v3/users' }] } },
      })
    ).body?.application_credential ?? {};
  const rules = (await api(baseUrl, 'GET', `/v3/users/${user.id}/access_rules`, { token: scoped.token! })).body?.access_rules as
    Array<{ id: string }> | undefined;
  const ids: Record<string, string> = {
    domain_id: domain.id,
    project_id: project.id,
    user_id: user.id,
    group_id: group.id,
    role_id: role.id,
    prior_role_id: role.id,
    implied_role_id: implied.id,
    region_id: region.id,
    service_id: service.id,
    endpoint_id: endpoint.id,
    policy_id: policy.id,
    group: 'identity',
    option: 'driver',
    value: 't',
  };
  if (typeof trust.id === 'string') ids.trust_id = trust.id;
  if (typeof appCred.id === 'string') ids.application_credential_id = appCred.id;
  if (rules?.[0]) ids.access_rule_id = rules[0].id;
  const unscoped = await passwordToken(baseUrl, { id: user.id }, password, 'unscoped');
  assert.equal(unscoped.status, 201, unscoped.text);
  return { ids, userName: `${tag}-user`, domainName: `${tag}-domain`, password, token: scoped.token!, unscopedToken: unscoped.token! };
}

/** `token`'s payload, encrypted with a fresh key: a well-formed token from another key repository. */
export function foreignToken(token: string, keyRepository: string): string {
  const keys = readdirSync(keyRepository)
    .filter((f) => /^\d+$/.test(f))
    .map((f) => readFileSync(join(keyRepository, f), 'utf8').trim());
  const payload = decrypt(token, keys);
  return encrypt(generateKey(), payload).replace(/=+$/, '');
}
