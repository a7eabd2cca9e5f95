/**
 * Fills a Keystone 22 through its own API with one of everything an operator
 * has (users with several hash formats, groups, a project hierarchy, implied
 * and domain-specific roles, inherited grants, a catalog, EC2 and application
 * credentials with access rules, a trust, limits), and records the ids and
 * secrets the checks need. Hash formats other than bcrypt are made by passlib
 * (Keystone's own hashing library) and written to the password rows.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import assert from 'node:assert/strict';
import { call, ok, tokenFor } from './keystone-api.js';

const PASSLIB_TOOL = fileURLToPath(new URL('../../../test/fixtures/passwords/passlib_tool.py', import.meta.url));

export interface FilledUser {
  id: string;
  name: string;
  password: string;
  /** the passlib format of its stored hash */
  format: 'bcrypt' | 'scrypt' | 'pbkdf2_sha512' | 'sha512_crypt';
  /** a project it holds a role on (directly or inherited) */
  projectId: string;
}

export interface FilledKeystone {
  adminId: string;
  adminProjectId: string;
  domainId: string;
  projectA: string;
  projectA1: string;
  projectB: string;
  groupId: string;
  operatorRoleId: string;
  domainRoleId: string;
  memberRoleId: string;
  readerRoleId: string;
  serviceId: string;
  users: FilledUser[];
  ec2: { access: string; secret: string; userId: string; projectId: string };
  applicationCredential: { id: string; secret: string; userId: string };
  trustId: string;
}

export function passlibHashes(items: { algorithm: string; password: string; params: Record<string, number> }[]): string[] {
  const r = spawnSync('/usr/bin/python3', [PASSLIB_TOOL], { input: JSON.stringify({ hash: items }), encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`passlib_tool failed: ${r.stderr}`);
  return (JSON.parse(r.stdout) as { hashes: string[] }).hashes;
}

const HASH_PARAMS: Record<string, Record<string, number>> = {
  scrypt: { rounds: 4 },
  pbkdf2_sha512: { rounds: 1000 },
  sha512_crypt: { rounds: 1000 },
};

export async function fillKeystone(
  base: string,
  adminPassword: string,
  setPasswordHash: (userId: string, hash: string) => Promise<void>,
): Promise<FilledKeystone> {
  const adminAuth = await fetch(`${base}/v3/auth/tokens`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({
      auth: {
        identity: { methods: ['password'], password: { user: { name: 'admin', domain: { id: 'default' }, password: adminPassword } } },
        scope: { project: { name: 'admin', domain: { id: 'default' } } },
      },
    }),
  });
  const admin = adminAuth.headers.get('x-subject-token') ?? '';
  const adminBody = await adminAuth.json();
  const t = { token: admin };
  const post = async (path: string, body: unknown, token = admin) => ok(base, 'POST', path, { token, body });
  const put = async (path: string) => {
    const answer = await call(base, 'PUT', path, t);
    assert.ok(answer.status === 201 || answer.status === 204, `PUT ${path}: ${String(answer.status)} ${JSON.stringify(answer.body)}`);
  };

  const domainId = (await post('/v3/domains', { domain: { name: 'dom1', description: 'imported' } })).domain.id as string;
  const projectA = (await post('/v3/projects', { project: { name: 'proj-a', domain_id: domainId, tags: ['blue'] } })).project.id as string;
  const projectA1 = (await post('/v3/projects', { project: { name: 'proj-a1', domain_id: domainId, parent_id: projectA } })).project
    .id as string;
  const projectB = (await post('/v3/projects', { project: { name: 'proj-b', domain_id: 'default' } })).project.id as string;

  const roles = (await ok(base, 'GET', '/v3/roles', t)).roles as { id: string; name: string }[];
  const roleId = (name: string) => roles.find((r) => r.name === name)?.id ?? '';
  const memberRoleId = roleId('member');
  const readerRoleId = roleId('reader');
  const operatorRoleId = (await post('/v3/roles', { role: { name: 'operator', description: 'implies member' } })).role.id as string;
  await put(`/v3/roles/${operatorRoleId}/implies/${memberRoleId}`);
  const domainRoleId = (await post('/v3/roles', { role: { name: 'dom1-special', domain_id: domainId } })).role.id as string;
  await put(`/v3/roles/${domainRoleId}/implies/${readerRoleId}`);

  const specs: { name: string; domain: string; format: FilledUser['format']; projectId: string }[] = [
    { name: 'alice', domain: 'default', format: 'bcrypt', projectId: projectA },
    { name: 'bob', domain: 'default', format: 'bcrypt', projectId: projectA },
    { name: 'carol', domain: domainId, format: 'scrypt', projectId: projectA1 },
    { name: 'dave', domain: domainId, format: 'pbkdf2_sha512', projectId: projectA1 },
    { name: 'erin', domain: 'default', format: 'sha512_crypt', projectId: projectB },
  ];
  const users: FilledUser[] = [];
  for (const spec of specs) {
    const password = `${spec.name}-pässword`;
    const id = (await post('/v3/users', { user: { name: spec.name, domain_id: spec.domain, password, email: `${spec.name}@example.org` } }))
      .user.id as string;
    users.push({ id, name: spec.name, password, format: spec.format, projectId: spec.projectId });
  }
  const rehash = users.filter((u) => u.format !== 'bcrypt');
  const hashes = passlibHashes(rehash.map((u) => ({ algorithm: u.format, password: u.password, params: HASH_PARAMS[u.format] })));
  for (const [i, u] of rehash.entries()) await setPasswordHash(u.id, hashes[i]);
  const user = (name: string) => users.find((u) => u.name === name) as FilledUser;

  const groupId = (await post('/v3/groups', { group: { name: 'devs', domain_id: domainId } })).group.id as string;
  await put(`/v3/groups/${groupId}/users/${user('carol').id}`);
  await put(`/v3/groups/${groupId}/users/${user('dave').id}`);
  await put(`/v3/projects/${projectA}/users/${user('alice').id}/roles/${memberRoleId}`);
  await put(`/v3/projects/${projectA}/users/${user('alice').id}/roles/${operatorRoleId}`);
  await put(`/v3/projects/${projectA}/users/${user('bob').id}/roles/${memberRoleId}`);
  await put(`/v3/projects/${projectB}/users/${user('erin').id}/roles/${memberRoleId}`);
  await put(`/v3/OS-INHERIT/domains/${domainId}/groups/${groupId}/roles/${memberRoleId}/inherited_to_projects`);
  await put(`/v3/domains/${domainId}/users/${user('carol').id}/roles/${domainRoleId}`);

  await post('/v3/regions', { region: { id: 'RegionTwo', description: 'second' } });
  const serviceId = (await post('/v3/services', { service: { type: 'compute', name: 'nova', description: 'Compute' } })).service
    .id as string;
  await post('/v3/endpoints', {
    endpoint: { service_id: serviceId, interface: 'public', url: 'http://nova.example/v2.1', region_id: 'RegionTwo' },
  });
  await post('/v3/endpoints', {
    endpoint: { service_id: serviceId, interface: 'internal', url: 'http://nova.internal/v2.1', region_id: 'RegionTwo' },
  });
  await post('/v3/registered_limits', {
    registered_limits: [{ service_id: serviceId, region_id: 'RegionTwo', resource_name: 'cores', default_limit: 10 }],
  });
  await post('/v3/limits', {
    limits: [{ service_id: serviceId, region_id: 'RegionTwo', project_id: projectA, resource_name: 'cores', resource_limit: 20 }],
  });

  const ec2 = (await post(`/v3/users/${user('alice').id}/credentials/OS-EC2`, { tenant_id: projectA })).credential;
  const aliceToken = await tokenFor(base, user('alice').id, user('alice').password, { project: projectA });
  const appCred = (
    await post(
      `/v3/users/${user('alice').id}/application_credentials`,
      {
        application_credential: {
          name: 'ci',
          secret: 'app-cred-secret',
          roles: [{ id: memberRoleId }],
          access_rules: [{ service: 'compute', path: '/v2.1/servers', method: 'GET' }],
        },
      },
      aliceToken,
    )
  ).application_credential;
  const trust = (
    await post(
      '/v3/OS-TRUST/trusts',
      {
        trust: {
          trustor_user_id: user('alice').id,
          trustee_user_id: user('bob').id,
          project_id: projectA,
          impersonation: false,
          roles: [{ id: memberRoleId }],
          expires_at: new Date(Date.now() + 86_400_000).toISOString(),
        },
      },
      aliceToken,
    )
  ).trust;

  return {
    adminId: adminBody.token.user.id as string,
    adminProjectId: adminBody.token.project.id as string,
    domainId,
    projectA,
    projectA1,
    projectB,
    groupId,
    operatorRoleId,
    domainRoleId,
    memberRoleId,
    readerRoleId,
    serviceId,
    users,
    ec2: { access: ec2.access as string, secret: ec2.secret as string, userId: user('alice').id, projectId: projectA },
    applicationCredential: { id: appCred.id as string, secret: 'app-cred-secret', userId: user('alice').id },
    trustId: trust.id as string,
  };
}
