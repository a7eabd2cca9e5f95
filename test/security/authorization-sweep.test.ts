/**
 * The authorization sweep: for the resource collections and entities of the
 * JSON-Home document (and the writes on them), every persona's token — none,
 * unscoped, a member of another project, the admin of another domain, the
 * system reader, the (project) admin, the system admin — gets the status
 * Keystone 22's default policy gives (enforce_scope and enforce_new_defaults
 * off: each new default ORed with its deprecated rule, and admin_required is
 * "role:admin" on any scope). The allowed sets below were read from
 * keystone/common/policies/*.py and checked with oslo.policy over those
 * defaults. Then: a domain admin's lists (users, projects, groups, role
 * assignments) hold only their own domain, whatever the query asks.
 */
import { after, before, describe, test } from 'node:test';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import assert from 'node:assert/strict';
import { startTestServer, type TestServer } from '../helpers/test-server.js';
import { call, expectStatus, passwordToken, setupPersonas, unique, type Personas } from '../api/identity-resource-fixtures.js';

const PERSONAS = ['none', 'unscoped', 'memberOther', 'domainAdminOther', 'reader', 'admin', 'systemAdmin'] as const;
type Persona = (typeof PERSONAS)[number];

// who passes a rule, by the rule's shape in Keystone 22's defaults
const ADMIN: Persona[] = ['domainAdminOther', 'admin', 'systemAdmin']; // rule:admin_required (role:admin, any scope)
const ADMIN_OR_SYSTEM_READER: Persona[] = [...ADMIN, 'reader']; // … or (role:reader and system_scope:all), none of the owner / domain clauses hold
const ANY_TOKEN: Persona[] = ['unscoped', 'memberOther', 'domainAdminOther', 'reader', 'admin', 'systemAdmin']; // "" (empty rule)
const SYSTEM_READER_OR_OWNER: Persona[] = ['reader', 'systemAdmin']; // access rules: no admin_required at all
const OWNER_ONLY: Persona[] = []; // user_id:%(user_id)s / trustor: nobody but the target user

interface World {
  domainA: string;
  projectA: string;
  userA: string;
  userAPassword: string;
  groupA: string;
  readerRole: string;
  memberRole: string;
  region: string;
  service: string;
  endpoint: string;
  policy: string;
}

interface SweepCase {
  rule: string;
  method: 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** the path; `fresh` is a new object made for this persona's request (writes that consume it) */
  path: (w: World, fresh: string) => string;
  allowed: Persona[];
  body?: (w: World) => unknown;
  /** makes the object a write consumes (by the system admin), once per persona */
  fresh?: (server: TestServer, admin: string, w: World) => Promise<string>;
}

const freshUser = async (server: TestServer, admin: string, w: World) =>
  expectStatus(
    await call(server, 'POST', '/v3/users', { token: admin, body: { user: { name: unique('sweep-u'), domain_id: w.domainA } } }),
    201,
  ).user.id as string;
const freshProject = async (server: TestServer, admin: string, w: World) =>
  expectStatus(
    await call(server, 'POST', '/v3/projects', { token: admin, body: { project: { name: unique('sweep-p'), domain_id: w.domainA } } }),
    201,
  ).project.id as string;

/** A fresh object made by the system admin: POST `path` with `{ key: body }`, its id. */
const freshOf =
  (path: string, key: string, body: (w: World) => Record<string, unknown>) => async (server: TestServer, admin: string, w: World) =>
    expectStatus(await call(server, 'POST', path, { token: admin, body: { [key]: body(w) } }), 201)[key].id as string;
const freshGroup = freshOf('/v3/groups', 'group', (w) => ({ name: unique('sweep-g'), domain_id: w.domainA }));
const freshRole = freshOf('/v3/roles', 'role', () => ({ name: unique('sweep-r') }));
const freshDisabledDomain = freshOf('/v3/domains', 'domain', () => ({ name: unique('sweep-d'), enabled: false }));
const freshRegion = freshOf('/v3/regions', 'region', () => ({ id: unique('sweep-region') }));
const freshService = freshOf('/v3/services', 'service', () => ({ type: unique('sweep-type') }));
const freshPolicy = freshOf('/v3/policies', 'policy', () => ({ blob: '{}', type: 'application/json' }));
/** a fresh user of domain A holding the reader role on project A */
const freshGrantee = async (server: TestServer, admin: string, w: World) => {
  const id = await freshUser(server, admin, w);
  expectStatus(await call(server, 'PUT', `/v3/projects/${w.projectA}/users/${id}/roles/${w.readerRole}`, { token: admin }), 204);
  return id;
};
/** a fresh user of domain A in group A */
const freshMember = async (server: TestServer, admin: string, w: World) => {
  const id = await freshUser(server, admin, w);
  expectStatus(await call(server, 'PUT', `/v3/groups/${w.groupA}/users/${id}`, { token: admin }), 204);
  return id;
};

const CASES: SweepCase[] = [
  { rule: 'list_domains', method: 'GET', path: () => '/v3/domains', allowed: ADMIN_OR_SYSTEM_READER },
  { rule: 'get_domain', method: 'GET', path: (w) => `/v3/domains/${w.domainA}`, allowed: ADMIN_OR_SYSTEM_READER },
  { rule: 'list_projects', method: 'GET', path: () => '/v3/projects', allowed: ADMIN_OR_SYSTEM_READER },
  { rule: 'get_project', method: 'GET', path: (w) => `/v3/projects/${w.projectA}`, allowed: ADMIN_OR_SYSTEM_READER },
  { rule: 'list_project_tags', method: 'GET', path: (w) => `/v3/projects/${w.projectA}/tags`, allowed: ADMIN_OR_SYSTEM_READER },
  { rule: 'list_users', method: 'GET', path: () => '/v3/users', allowed: ADMIN_OR_SYSTEM_READER },
  { rule: 'get_user', method: 'GET', path: (w) => `/v3/users/${w.userA}`, allowed: ADMIN_OR_SYSTEM_READER },
  { rule: 'list_groups_for_user', method: 'GET', path: (w) => `/v3/users/${w.userA}/groups`, allowed: ADMIN_OR_SYSTEM_READER },
  { rule: 'list_user_projects', method: 'GET', path: (w) => `/v3/users/${w.userA}/projects`, allowed: ADMIN_OR_SYSTEM_READER },
  {
    rule: 'list_application_credentials',
    method: 'GET',
    path: (w) => `/v3/users/${w.userA}/application_credentials`,
    allowed: ADMIN_OR_SYSTEM_READER,
  },
  { rule: 'list_access_rules', method: 'GET', path: (w) => `/v3/users/${w.userA}/access_rules`, allowed: SYSTEM_READER_OR_OWNER },
  { rule: 'list_groups', method: 'GET', path: () => '/v3/groups', allowed: ADMIN_OR_SYSTEM_READER },
  { rule: 'get_group', method: 'GET', path: (w) => `/v3/groups/${w.groupA}`, allowed: ADMIN_OR_SYSTEM_READER },
  { rule: 'list_users_in_group', method: 'GET', path: (w) => `/v3/groups/${w.groupA}/users`, allowed: ADMIN_OR_SYSTEM_READER },
  { rule: 'check_user_in_group', method: 'HEAD', path: (w) => `/v3/groups/${w.groupA}/users/${w.userA}`, allowed: ADMIN_OR_SYSTEM_READER },
  { rule: 'list_roles', method: 'GET', path: () => '/v3/roles', allowed: ADMIN_OR_SYSTEM_READER },
  { rule: 'get_role', method: 'GET', path: (w) => `/v3/roles/${w.readerRole}`, allowed: ADMIN_OR_SYSTEM_READER },
  { rule: 'list_implied_roles', method: 'GET', path: (w) => `/v3/roles/${w.memberRole}/implies`, allowed: ADMIN_OR_SYSTEM_READER },
  { rule: 'list_role_inference_rules', method: 'GET', path: () => '/v3/role_inferences', allowed: ADMIN_OR_SYSTEM_READER },
  { rule: 'list_role_assignments', method: 'GET', path: () => '/v3/role_assignments', allowed: ADMIN_OR_SYSTEM_READER },
  { rule: 'list_grants', method: 'GET', path: (w) => `/v3/projects/${w.projectA}/users/${w.userA}/roles`, allowed: ADMIN_OR_SYSTEM_READER },
  { rule: 'list_system_grants_for_user', method: 'GET', path: (w) => `/v3/system/users/${w.userA}/roles`, allowed: ADMIN_OR_SYSTEM_READER },
  { rule: 'list_regions', method: 'GET', path: () => '/v3/regions', allowed: ANY_TOKEN },
  { rule: 'get_region', method: 'GET', path: (w) => `/v3/regions/${w.region}`, allowed: ANY_TOKEN },
  { rule: 'list_services', method: 'GET', path: () => '/v3/services', allowed: ADMIN_OR_SYSTEM_READER },
  { rule: 'get_service', method: 'GET', path: (w) => `/v3/services/${w.service}`, allowed: ADMIN_OR_SYSTEM_READER },
  { rule: 'list_endpoints', method: 'GET', path: () => '/v3/endpoints', allowed: ADMIN_OR_SYSTEM_READER },
  { rule: 'get_endpoint', method: 'GET', path: (w) => `/v3/endpoints/${w.endpoint}`, allowed: ADMIN_OR_SYSTEM_READER },
  { rule: 'list_policies', method: 'GET', path: () => '/v3/policies', allowed: ADMIN_OR_SYSTEM_READER },
  { rule: 'get_policy', method: 'GET', path: (w) => `/v3/policies/${w.policy}`, allowed: ADMIN_OR_SYSTEM_READER },
  { rule: 'list_registered_limits', method: 'GET', path: () => '/v3/registered_limits', allowed: ANY_TOKEN },
  { rule: 'list_limits', method: 'GET', path: () => '/v3/limits', allowed: ANY_TOKEN },
  { rule: 'get_limit_model', method: 'GET', path: () => '/v3/limits/model', allowed: ANY_TOKEN },
  { rule: 'list_trusts', method: 'GET', path: () => '/v3/OS-TRUST/trusts', allowed: ADMIN_OR_SYSTEM_READER },
  { rule: 'list_consumers', method: 'GET', path: () => '/v3/OS-OAUTH1/consumers', allowed: ADMIN_OR_SYSTEM_READER },
  { rule: 'list_endpoint_groups', method: 'GET', path: () => '/v3/OS-EP-FILTER/endpoint_groups', allowed: ADMIN_OR_SYSTEM_READER },
  { rule: 'get_domain_config', method: 'GET', path: (w) => `/v3/domains/${w.domainA}/config`, allowed: ADMIN_OR_SYSTEM_READER },
  { rule: 'get_domain_config_default', method: 'GET', path: () => '/v3/domains/config/default', allowed: ADMIN_OR_SYSTEM_READER },
  { rule: 'list_revoke_events', method: 'GET', path: () => '/v3/OS-REVOKE/events', allowed: ADMIN }, // rule:service_or_admin
  { rule: 'get_auth_projects', method: 'GET', path: () => '/v3/auth/projects', allowed: ANY_TOKEN },
  // writes
  {
    rule: 'create_user',
    method: 'POST',
    path: () => '/v3/users',
    body: (w) => ({ user: { name: unique('sweep-new'), domain_id: w.domainA } }),
    allowed: ADMIN,
  },
  {
    rule: 'update_user',
    method: 'PATCH',
    path: (_w, id) => `/v3/users/${id}`,
    body: () => ({ user: { description: 'swept' } }),
    fresh: freshUser,
    allowed: ADMIN,
  },
  { rule: 'delete_user', method: 'DELETE', path: (_w, id) => `/v3/users/${id}`, fresh: freshUser, allowed: ADMIN },
  {
    rule: 'create_project',
    method: 'POST',
    path: () => '/v3/projects',
    body: (w) => ({ project: { name: unique('sweep-new'), domain_id: w.domainA } }),
    allowed: ADMIN,
  },
  {
    rule: 'update_project',
    method: 'PATCH',
    path: (_w, id) => `/v3/projects/${id}`,
    body: () => ({ project: { description: 'swept' } }),
    fresh: freshProject,
    allowed: ADMIN,
  },
  { rule: 'delete_project', method: 'DELETE', path: (_w, id) => `/v3/projects/${id}`, fresh: freshProject, allowed: ADMIN },
  { rule: 'create_project_tag', method: 'PUT', path: (w) => `/v3/projects/${w.projectA}/tags/${unique('tag')}`, allowed: ADMIN },
  {
    rule: 'create_group',
    method: 'POST',
    path: () => '/v3/groups',
    body: (w) => ({ group: { name: unique('sweep-g'), domain_id: w.domainA } }),
    allowed: ADMIN,
  },
  { rule: 'create_role', method: 'POST', path: () => '/v3/roles', body: () => ({ role: { name: unique('sweep-r') } }), allowed: ADMIN },
  {
    rule: 'create_domain',
    method: 'POST',
    path: () => '/v3/domains',
    body: () => ({ domain: { name: unique('sweep-d') } }),
    allowed: ADMIN,
  },
  {
    rule: 'create_region',
    method: 'POST',
    path: () => '/v3/regions',
    body: () => ({ region: { id: unique('sweep-region') } }),
    allowed: ADMIN,
  },
  {
    rule: 'create_service',
    method: 'POST',
    path: () => '/v3/services',
    body: () => ({ service: { type: unique('sweep-type') } }),
    allowed: ADMIN,
  },
  {
    rule: 'create_policy',
    method: 'POST',
    path: () => '/v3/policies',
    body: () => ({ policy: { blob: '{}', type: 'application/json' } }),
    allowed: ADMIN,
  },
  {
    rule: 'create_grant',
    method: 'PUT',
    path: (w, id) => `/v3/projects/${w.projectA}/users/${id}/roles/${w.readerRole}`,
    fresh: freshUser,
    allowed: ADMIN,
  },
  {
    rule: 'revoke_grant',
    method: 'DELETE',
    path: (w, id) => `/v3/projects/${w.projectA}/users/${id}/roles/${w.readerRole}`,
    fresh: freshGrantee,
    allowed: ADMIN,
  },
  { rule: 'add_user_to_group', method: 'PUT', path: (w, id) => `/v3/groups/${w.groupA}/users/${id}`, fresh: freshUser, allowed: ADMIN },
  {
    rule: 'remove_user_from_group',
    method: 'DELETE',
    path: (w, id) => `/v3/groups/${w.groupA}/users/${id}`,
    fresh: freshMember,
    allowed: ADMIN,
  },
  {
    rule: 'update_group',
    method: 'PATCH',
    path: (_w, id) => `/v3/groups/${id}`,
    body: () => ({ group: { description: 'swept' } }),
    fresh: freshGroup,
    allowed: ADMIN,
  },
  { rule: 'delete_group', method: 'DELETE', path: (_w, id) => `/v3/groups/${id}`, fresh: freshGroup, allowed: ADMIN },
  {
    rule: 'update_role',
    method: 'PATCH',
    path: (_w, id) => `/v3/roles/${id}`,
    body: () => ({ role: { description: 'swept' } }),
    fresh: freshRole,
    allowed: ADMIN,
  },
  { rule: 'delete_role', method: 'DELETE', path: (_w, id) => `/v3/roles/${id}`, fresh: freshRole, allowed: ADMIN },
  {
    rule: 'update_domain',
    method: 'PATCH',
    path: (_w, id) => `/v3/domains/${id}`,
    body: () => ({ domain: { description: 'swept' } }),
    fresh: freshDisabledDomain,
    allowed: ADMIN,
  },
  { rule: 'delete_domain', method: 'DELETE', path: (_w, id) => `/v3/domains/${id}`, fresh: freshDisabledDomain, allowed: ADMIN },
  {
    rule: 'update_region',
    method: 'PATCH',
    path: (_w, id) => `/v3/regions/${id}`,
    body: () => ({ region: { description: 'swept' } }),
    fresh: freshRegion,
    allowed: ADMIN,
  },
  { rule: 'delete_region', method: 'DELETE', path: (_w, id) => `/v3/regions/${id}`, fresh: freshRegion, allowed: ADMIN },
  {
    rule: 'update_service',
    method: 'PATCH',
    path: (_w, id) => `/v3/services/${id}`,
    body: () => ({ service: { description: 'swept' } }),
    fresh: freshService,
    allowed: ADMIN,
  },
  { rule: 'delete_service', method: 'DELETE', path: (_w, id) => `/v3/services/${id}`, fresh: freshService, allowed: ADMIN },
  { rule: 'delete_policy', method: 'DELETE', path: (_w, id) => `/v3/policies/${id}`, fresh: freshPolicy, allowed: ADMIN },
  {
    rule: 'update_domain_config',
    method: 'PATCH',
    path: (w) => `/v3/domains/${w.domainA}/config`,
    body: () => ({ config: { identity: { driver: 'sql' } } }),
    allowed: ADMIN,
  },
  {
    rule: 'create_application_credential',
    method: 'POST',
    path: (w) => `/v3/users/${w.userA}/application_credentials`,
    body: () => ({ application_credential: { name: unique('sweep-ac') } }),
    allowed: OWNER_ONLY,
  },
  {
    rule: 'create_trust',
    method: 'POST',
    path: () => '/v3/OS-TRUST/trusts',
    allowed: OWNER_ONLY,
    body: (w) => ({
      trust: {
        trustor_user_id: w.userA,
        trustee_user_id: w.userA,
        project_id: w.projectA,
        impersonation: false,
        roles: [{ name: 'member' }],
      },
    }),
  },
];

describe("authorization sweep: every persona against Keystone 22's default policy", () => {
  let server: TestServer;
  let p: Personas;
  let w: World;
  let tokens: Record<Persona, string | undefined>;

  before(async () => {
    server = await startTestServer();
    p = await setupPersonas(server);
    const admin = p.systemAdmin.token;
    const post = async (path: string, body: unknown) =>
      Object.values(expectStatus(await call(server, 'POST', path, { token: admin, body }), 201))[0] as { id: string };
    const roles = server.bootstrap;
    // a member of a project in domain B: another project than the targets' (in domain A)
    const projectB = await post('/v3/projects', { project: { name: unique('sweep-pb'), domain_id: p.domainB } });
    const memberB = await post('/v3/users', { user: { name: unique('sweep-mb'), domain_id: p.domainB, password: 'member-b-secret' } });
    expectStatus(
      await call(server, 'PUT', `/v3/projects/${projectB.id}/users/${memberB.id}/roles/${roles.memberRoleId}`, { token: admin }),
      204,
    );
    // the targets, all in domain A
    const userAPassword = 'user-a-secret';
    const userA = await post('/v3/users', { user: { name: unique('sweep-ua'), domain_id: p.domainA, password: userAPassword } });
    const groupA = await post('/v3/groups', { group: { name: unique('sweep-ga'), domain_id: p.domainA } });
    expectStatus(await call(server, 'PUT', `/v3/groups/${groupA.id}/users/${userA.id}`, { token: admin }), 204);
    expectStatus(
      await call(server, 'PUT', `/v3/projects/${p.projectA}/users/${userA.id}/roles/${roles.memberRoleId}`, { token: admin }),
      204,
    );
    expectStatus(await call(server, 'PUT', `/v3/projects/${p.projectA}/tags/swept`, { token: admin }), 201);
    expectStatus(
      await call(server, 'PUT', `/v3/domains/${p.domainA}/config`, { token: admin, body: { config: { identity: { driver: 'sql' } } } }),
      201,
    );
    const region = await post('/v3/regions', { region: { id: unique('sweep-region') } });
    const service = await post('/v3/services', { service: { type: unique('sweep-type') } });
    const endpoint = await post('/v3/endpoints', {
      endpoint: { service_id: service.id, interface: 'public', url: 'http://sweep.example.com/' },
    });
    const policy = await post('/v3/policies', { policy: { blob: '{}', type: 'application/json' } });
    w = {
      domainA: p.domainA,
      projectA: p.projectA,
      userA: userA.id,
      userAPassword,
      groupA: groupA.id,
      readerRole: roles.readerRoleId,
      memberRole: roles.memberRoleId,
      region: region.id,
      service: service.id,
      endpoint: endpoint.id,
      policy: policy.id,
    };
    tokens = {
      none: undefined,
      unscoped: p.noRole.token,
      memberOther: await passwordToken(server, memberB.id, 'member-b-secret', { projectId: projectB.id }),
      domainAdminOther: p.domainBAdmin.token,
      reader: p.systemReader.token,
      admin: p.projectAdmin.token,
      systemAdmin: p.systemAdmin.token,
    };
  });
  after(async () => {
    await server?.close();
  });

  for (const c of CASES) {
    test(`${c.method} ${c.path({ domainA: '{domain_id}', projectA: '{project_id}', userA: '{user_id}', groupA: '{group_id}', readerRole: '{role_id}', memberRole: '{role_id}', region: '{region_id}', service: '{service_id}', endpoint: '{endpoint_id}', policy: '{policy_id}', userAPassword: '' }, '{id}')} (identity:${c.rule})`, async () => {
      const mismatches: string[] = [];
      for (const persona of PERSONAS) {
        const expected = persona === 'none' ? 'unauthenticated' : c.allowed.includes(persona) ? 'allowed' : 'forbidden';
        const fresh = c.fresh ? await c.fresh(server, p.systemAdmin.token, w) : '';
        const res = await call(server, c.method, c.path(w, fresh), { token: tokens[persona], body: c.body?.(w) });
        const got =
          res.status === 401
            ? 'unauthenticated'
            : res.status === 403
              ? 'forbidden'
              : res.status >= 200 && res.status < 300
                ? 'allowed'
                : `status ${res.status}`;
        if (got !== expected)
          mismatches.push(`${persona}: expected ${expected}, got ${res.status} ${JSON.stringify(res.body).slice(0, 160)}`);
        if (res.status >= 400 && c.method !== 'HEAD') assert.equal(res.body?.error?.code, res.status, `${persona}: Keystone's error body`);
      }
      assert.deepEqual(mismatches, []);
    });
  }

  describe('no cross-domain leak: the admin of domain B lists only domain B', () => {
    const inDomainB = (kind: string, item: Record<string, unknown>, projectsOfB: Set<string>): boolean => {
      if (kind === 'role_assignments') {
        const scope = item.scope as { domain?: { id: string }; project?: { id: string }; system?: unknown };
        return scope.domain?.id === p.domainB || (scope.project !== undefined && projectsOfB.has(scope.project.id));
      }
      return item.domain_id === p.domainB;
    };
    for (const kind of ['users', 'projects', 'groups', 'role_assignments']) {
      for (const query of ['', `?domain_id={domainA}`, '?name=admin', '?scope.domain.id={domainA}', '?user.id={userA}']) {
        test(`GET /v3/${kind}${query}`, async () => {
          const q = query.replace('{domainA}', p.domainA).replace('{userA}', w.userA);
          const projectsOfB = new Set<string>(
            (await call(server, 'GET', `/v3/projects?domain_id=${p.domainB}`, { token: p.systemAdmin.token })).body.projects.map(
              (x: { id: string }) => x.id,
            ),
          );
          const res = await call(server, 'GET', `/v3/${kind}${q}`, { token: tokens.domainAdminOther });
          if (res.status !== 200) {
            // a filter this persona may not use is refused, never answered with another domain's data
            assert.ok(res.status === 400 || res.status === 403, `${res.status} ${JSON.stringify(res.body)}`);
            return;
          }
          const items = res.body[kind] as Array<Record<string, unknown>>;
          const leaked = items.filter((item) => !inDomainB(kind, item, projectsOfB));
          assert.deepEqual(leaked, [], `${leaked.length} of ${items.length} ${kind} from outside domain B`);
          if (query === '') assert.ok(items.length > 0 || kind === 'groups', `the unfiltered list holds domain B's own ${kind}`);
        });
      }
    }
  });
});

/**
 * v2.0 under a hardened policy and enforce_scope: each v2.0 operation is
 * decided by the rule of its v3 equivalent, so every persona gets on v2.0
 * (admin port) what it gets on v3 for the same operation: the rules below
 * are confined to the system admin by a policy file, and with
 * `[oslo_policy] enforce_scope = true` a project or domain admin is refused
 * on both versions, the system admin allowed on both; for a rule the file
 * leaves to Keystone's defaults (check_token), v2.0 answers each persona as
 * v3 does.
 */
const HARDENED_RULES = [
  'get_user',
  'list_users',
  'create_user',
  'update_user',
  'delete_user',
  'create_grant',
  'revoke_grant',
  'list_grants',
  'list_projects',
  'get_project',
  'create_project',
  'update_project',
  'delete_project',
  'list_roles',
  'create_role',
  'list_services',
  'create_endpoint',
  'validate_token',
  'ec2_list_credentials',
];
const HARDENED_POLICY = `${HARDENED_RULES.map((r) => `"identity:${r}": "role:admin and system_scope:all"`).join('\n')}\n`;

interface V2Pair {
  name: string;
  v2: { method: string; path: string; body?: unknown };
  v3: { method: string; path: string; body?: unknown; headers?: Record<string, string> };
}

describe('v2.0 under a hardened policy file and enforce_scope: refused wherever v3 refuses the same operation', () => {
  const V2_PERSONAS = ['none', 'unscoped', 'memberOther', 'domainAdmin', 'projectAdmin', 'reader', 'systemAdmin'] as const;
  type V2Persona = (typeof V2_PERSONAS)[number];
  let server: TestServer;
  let admin: TestServer;
  let tokens: Record<V2Persona, string | undefined>;
  let policyDir: string;
  const ids: Record<string, string> = {};

  before(async () => {
    policyDir = mkdtempSync(join(tmpdir(), 'v2-hardened-'));
    writeFileSync(join(policyDir, 'policy.yaml'), HARDENED_POLICY);
    server = await startTestServer({ config: { oslo_policy: { policy_file: join(policyDir, 'policy.yaml'), enforce_scope: true } } });
    admin = { ...server, publicUrl: server.adminUrl };
    const p = await setupPersonas(server);
    const b = server.bootstrap;
    const sys = p.systemAdmin.token;
    ids.adminRole = b.adminRoleId;
    ids.memberRole = b.memberRoleId;
    const post = async (path: string, body: unknown) =>
      Object.values(expectStatus(await call(server, 'POST', path, { token: sys, body }), 201))[0] as { id: string };
    // the targets, in the default domain (the only one v2.0 knows)
    ids.project = (await post('/v3/projects', { project: { name: unique('v2h-p'), domain_id: b.domainId } })).id;
    ids.user = (await post('/v3/users', { user: { name: unique('v2h-u'), domain_id: b.domainId, password: 'v2h-user-secret' } })).id;
    expectStatus(await call(server, 'PUT', `/v3/projects/${ids.project}/users/${ids.user}/roles/${b.memberRoleId}`, { token: sys }), 204);
    ids.service = (await post('/v3/services', { service: { type: unique('v2h-type') } })).id;
    ids.subject = await passwordToken(server, ids.user, 'v2h-user-secret', { projectId: ids.project });
    tokens = {
      none: undefined,
      unscoped: p.noRole.token,
      memberOther: p.projectAMember.token,
      domainAdmin: p.domainAAdmin.token,
      projectAdmin: p.projectAdmin.token,
      reader: p.systemReader.token,
      systemAdmin: sys,
    };
  });
  after(async () => {
    await server?.close();
    if (policyDir) rmSync(policyDir, { recursive: true, force: true });
  });

  /** a fresh default-domain user (for the writes that change or consume one) */
  const freshUser = async () =>
    expectStatus(
      await call(server, 'POST', '/v3/users', {
        token: tokens.systemAdmin,
        body: { user: { name: unique('v2h-f'), domain_id: server.bootstrap.domainId } },
      }),
      201,
    ).user.id as string;
  const freshGrantee = async () => {
    const id = await freshUser();
    expectStatus(
      await call(server, 'PUT', `/v3/projects/${ids.project}/users/${id}/roles/${server.bootstrap.memberRoleId}`, {
        token: tokens.systemAdmin,
      }),
      204,
    );
    return id;
  };

  const PAIRS: Array<(fresh: string) => V2Pair> = [
    () => ({
      name: 'get_user',
      v2: { method: 'GET', path: `/v2.0/users/${ids.user}` },
      v3: { method: 'GET', path: `/v3/users/${ids.user}` },
    }),
    () => ({ name: 'list_users', v2: { method: 'GET', path: '/v2.0/users' }, v3: { method: 'GET', path: '/v3/users' } }),
    () => ({
      name: 'create_user',
      v2: { method: 'POST', path: '/v2.0/users', body: { user: { name: unique('v2h-c') } } },
      v3: { method: 'POST', path: '/v3/users', body: { user: { name: unique('v2h-c') } } },
    }),
    (fresh) => ({
      name: 'update_user (password)',
      v2: { method: 'PUT', path: `/v2.0/users/${fresh}/OS-KSADM/password`, body: { user: { password: 'reset-by-v2' } } },
      v3: { method: 'PATCH', path: `/v3/users/${fresh}`, body: { user: { password: 'reset-by-v3' } } },
    }),
    (fresh) => ({
      name: 'update_user (enabled)',
      v2: { method: 'PUT', path: `/v2.0/users/${fresh}/OS-KSADM/enabled`, body: { user: { enabled: true } } },
      v3: { method: 'PATCH', path: `/v3/users/${fresh}`, body: { user: { enabled: true } } },
    }),
    (fresh) => ({
      name: 'delete_user',
      v2: { method: 'DELETE', path: `/v2.0/users/${fresh}` },
      v3: { method: 'DELETE', path: `/v3/users/${fresh}` },
    }),
    (fresh) => ({
      name: 'create_grant',
      v2: { method: 'PUT', path: `/v2.0/tenants/${ids.project}/users/${fresh}/roles/OS-KSADM/${ids.adminRole}` },
      v3: { method: 'PUT', path: `/v3/projects/${ids.project}/users/${fresh}/roles/${ids.adminRole}` },
    }),
    (fresh) => ({
      name: 'revoke_grant',
      v2: { method: 'DELETE', path: `/v2.0/tenants/${ids.project}/users/${fresh}/roles/OS-KSADM/${ids.memberRole}` },
      v3: { method: 'DELETE', path: `/v3/projects/${ids.project}/users/${fresh}/roles/${ids.memberRole}` },
    }),
    () => ({
      name: 'list_grants',
      v2: { method: 'GET', path: `/v2.0/tenants/${ids.project}/users/${ids.user}/roles` },
      v3: { method: 'GET', path: `/v3/projects/${ids.project}/users/${ids.user}/roles` },
    }),
    () => ({ name: 'list_projects', v2: { method: 'GET', path: '/v2.0/tenants' }, v3: { method: 'GET', path: '/v3/projects' } }),
    () => ({
      name: 'get_project',
      v2: { method: 'GET', path: `/v2.0/tenants/${ids.project}` },
      v3: { method: 'GET', path: `/v3/projects/${ids.project}` },
    }),
    () => ({
      name: 'create_project',
      v2: { method: 'POST', path: '/v2.0/tenants', body: { tenant: { name: unique('v2h-t') } } },
      v3: { method: 'POST', path: '/v3/projects', body: { project: { name: unique('v2h-t') } } },
    }),
    (fresh) => ({
      name: 'update_project',
      v2: { method: 'PUT', path: `/v2.0/tenants/${fresh}`, body: { tenant: { description: 'v2' } } },
      v3: { method: 'PATCH', path: `/v3/projects/${fresh}`, body: { project: { description: 'v3' } } },
    }),
    (fresh) => ({
      name: 'delete_project',
      v2: { method: 'DELETE', path: `/v2.0/tenants/${fresh}` },
      v3: { method: 'DELETE', path: `/v3/projects/${fresh}` },
    }),
    () => ({ name: 'list_roles', v2: { method: 'GET', path: '/v2.0/OS-KSADM/roles' }, v3: { method: 'GET', path: '/v3/roles' } }),
    () => ({
      name: 'create_role',
      v2: { method: 'POST', path: '/v2.0/OS-KSADM/roles', body: { role: { name: unique('v2h-r') } } },
      v3: { method: 'POST', path: '/v3/roles', body: { role: { name: unique('v2h-r') } } },
    }),
    () => ({ name: 'list_services', v2: { method: 'GET', path: '/v2.0/OS-KSADM/services' }, v3: { method: 'GET', path: '/v3/services' } }),
    () => ({
      name: 'create_endpoint',
      v2: {
        method: 'POST',
        path: '/v2.0/endpoints',
        body: { endpoint: { service_id: ids.service, publicurl: 'http://v2h.example.com/' } },
      },
      v3: {
        method: 'POST',
        path: '/v3/endpoints',
        body: { endpoint: { service_id: ids.service, interface: 'public', url: 'http://v2h.example.com/' } },
      },
    }),
    () => ({
      name: 'validate_token',
      v2: { method: 'GET', path: `/v2.0/tokens/${ids.subject}` },
      v3: { method: 'GET', path: '/v3/auth/tokens', headers: { 'X-Subject-Token': ids.subject } },
    }),
    () => ({
      name: 'check_token',
      v2: { method: 'HEAD', path: `/v2.0/tokens/${ids.subject}` },
      v3: { method: 'HEAD', path: '/v3/auth/tokens', headers: { 'X-Subject-Token': ids.subject } },
    }),
    () => ({
      name: 'ec2_list_credentials',
      v2: { method: 'GET', path: `/v2.0/users/${ids.user}/credentials/OS-EC2` },
      v3: { method: 'GET', path: `/v3/users/${ids.user}/credentials/OS-EC2` },
    }),
  ];
  const FRESH_GRANTEE = new Set(['revoke_grant']);
  const FRESH_PROJECT = new Set(['update_project', 'delete_project']);
  const freshProject = async () =>
    expectStatus(
      await call(server, 'POST', '/v3/projects', {
        token: tokens.systemAdmin,
        body: { project: { name: unique('v2h-fp'), domain_id: server.bootstrap.domainId } },
      }),
      201,
    ).project.id as string;
  const NEEDS_FRESH = new Set(['update_user (password)', 'update_user (enabled)', 'delete_user', 'create_grant']);
  const outcome = (status: number) =>
    status === 401 ? 'unauthenticated' : status === 403 ? 'forbidden' : status >= 200 && status < 300 ? 'allowed' : `status ${status}`;

  for (const [i, pair] of PAIRS.entries()) {
    // the titles are built before the world exists: its ids read as {id}
    const { name, v2 } = pair('{id}');
    test(`identity:${name.split(' ')[0]}: ${v2.method} ${v2.path.replace(/undefined/g, '{id}')} and its v3 equivalent`, async () => {
      const mismatches: string[] = [];
      for (const persona of V2_PERSONAS) {
        // a rule of the file: the system admin only; any other rule: whatever v3 answers (Keystone's defaults, scope enforced)
        const confined = HARDENED_RULES.includes(name.split(' ')[0]);
        let expected = persona === 'none' ? 'unauthenticated' : persona === 'systemAdmin' ? 'allowed' : 'forbidden';
        const got: Record<string, string> = {};
        for (const version of ['v3', 'v2'] as const) {
          const fresh = FRESH_GRANTEE.has(name)
            ? await freshGrantee()
            : NEEDS_FRESH.has(name)
              ? await freshUser()
              : FRESH_PROJECT.has(name)
                ? await freshProject()
                : '';
          const req = PAIRS[i](fresh)[version];
          const res = await call(version === 'v2' ? admin : server, req.method, req.path, {
            token: tokens[persona],
            body: req.body,
            headers: 'headers' in req ? req.headers : undefined,
          });
          got[version] = outcome(res.status);
          if (version === 'v3' && !confined) expected = got.v3;
          if (res.status >= 400 && req.method !== 'HEAD')
            assert.equal(res.body?.error?.code, res.status, `${persona} on ${version}: Keystone's error body`);
          if (got[version] !== expected)
            mismatches.push(`${persona} on ${version}: expected ${expected}, got ${res.status} ${JSON.stringify(res.body).slice(0, 160)}`);
        }
      }
      assert.deepEqual(mismatches, []);
    });
  }
});
