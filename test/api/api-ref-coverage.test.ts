/**
 * Route by route against Keystone's API reference: every `.. rest_method::`
 * of api-ref/source/v3 and v3-ext (test/fixtures/keystone-api-ref/
 * v3-operations.json, with the file, line and commit each came from, made by
 * extract.py there) is in the route table of both apps, and a real request
 * to it, with real ids where the reference names a resource, is answered by
 * that route's handler: never the router's 404 ("The resource could not be
 * found.") or 405, never a 5xx. A GET or HEAD of something that exists
 * answers a success, or the refusal Keystone 22 gives (EXPECTED_REFUSALS).
 * docs/api-coverage.md holds the table by family.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { startTestServer, type TestServer } from '../helpers/test-server.js';
import { adminToken, getToken } from '../helpers/tokens.js';
import { createApp } from '../../src/server/create-app.js';
import type { HttpMethod } from '../../src/server/route-table.js';
import { call, type ApiResponse } from './identity-resource-fixtures.js';

interface Operation {
  method: string;
  /** as the reference writes it */
  path: string;
  /** the route Keystone 22 serves for it, where the reference's text is not one (see note) */
  route?: string;
  note?: string;
  file: string;
  line: number;
  title: string;
  keystone22_routed: boolean;
}

interface ApiReference {
  commit: string;
  operations: Operation[];
}

const FIXTURE = new URL('../../../test/fixtures/keystone-api-ref/v3-operations.json', import.meta.url);
const reference = JSON.parse(readFileSync(FIXTURE, 'utf8')) as ApiReference;

const routeOf = (op: Operation): string => op.route ?? op.path;
const where = (op: Operation): string => `${op.method} ${op.path} (${op.file}:${op.line})`;
/** {user_id} and :user_id alike: the parameter's place, not its name */
const shape = (method: string, path: string): string => `${method} ${path.replace(/\{[^}]+\}|:[A-Za-z0-9_]+/g, '{}')}`;

/** The router's own answers for what it does not route (a HEAD has no body: the table says whether it routes the path). */
function answeredByRouter(res: ApiResponse, routesIt: boolean): boolean {
  if (res.status === 405) return true;
  if (res.status !== 404) return false;
  return res.body === '' ? !routesIt : (res.body as { error?: { message?: string } }).error?.message === 'The resource could not be found.';
}

/**
 * GETs and HEADs of existing things that Keystone 22 refuses all the same, and why. Every other GET or HEAD
 * in the reference, with the ids made in before(), answers 2xx.
 */
const EXPECTED_REFUSALS: Record<string, { status: number; why: string }> = {
  'GET /v3/OS-SIMPLE-CERT/ca': { status: 410, why: 'PKI is gone (Keystone 22: 410)' },
  'GET /v3/OS-SIMPLE-CERT/certificates': { status: 410, why: 'PKI is gone (Keystone 22: 410)' },
  'GET /v3/auth/tokens/OS-PKI/revoked': { status: 403, why: 'deprecated, unsupported: 403 with [token] revoke_by_id (Keystone 22)' },
  'GET /v3/OS-FEDERATION/identity_providers/{}/protocols/{}/auth': { status: 401, why: 'no federated assertion in the request' },
  'GET /v3/auth/OS-FEDERATION/websso/{}': { status: 401, why: "no IdP's entity id from a front proxy (Keystone 22 looks for it first)" },
  'GET /v3/auth/OS-FEDERATION/identity_providers/{}/protocols/{}/websso': {
    status: 401,
    why: 'the origin is no [federation] trusted_dashboard (Keystone 22: 401)',
  },
  'GET /v3/users/{}/OS-OAUTH1/access_tokens/{}': { status: 404, why: 'no OAuth1 access token (made only by a signed exchange)' },
  'GET /v3/users/{}/OS-OAUTH1/access_tokens/{}/roles': { status: 404, why: 'no OAuth1 access token' },
  'GET /v3/users/{}/OS-OAUTH1/access_tokens/{}/roles/{}': { status: 404, why: 'no OAuth1 access token' },
};

describe("Keystone's v3 API reference, operation by operation", () => {
  let server: TestServer;
  let token: string;
  /** the user's own token: its access rules are the system reader's or their owner's (Keystone 22's rules) */
  let userToken: string;
  /** placeholder name → a real id (or name) made in before() */
  const ids: Record<string, string> = {};

  const ok = async (method: string, path: string, body?: unknown): Promise<ApiResponse['body']> => {
    const res = await call(server, method, path, { token, body });
    assert.ok(res.status >= 200 && res.status < 300, `${method} ${path}: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body;
  };

  before(async () => {
    server = await startTestServer({ config: { saml: { idp_metadata_path: '/dev/null' } } });
    // the caller: the bootstrap admin (a cloud admin); {user_id}: a user of the test's, with a role on the admin project
    token = await adminToken(server);
    const { projectId, domainId, adminRoleId } = server.bootstrap;
    const user = (await ok('POST', '/v3/users', { user: { name: 'api-ref-user', password: 'api-ref-password', domain_id: domainId } })).user
      .id as string;
    await ok('PUT', `/v3/projects/${projectId}/users/${user}/roles/${adminRoleId}`);
    userToken = (await getToken(server, { userId: user, password: 'api-ref-password', project: { id: projectId } })).id;
    /** what only the user may make: its trusts and application credentials */
    const asUser = async (path: string, body: unknown): Promise<ApiResponse['body']> => {
      const res = await call(server, 'POST', path, { token: userToken, body });
      assert.equal(res.status, 201, `POST ${path}: ${res.status} ${JSON.stringify(res.body)}`);
      return res.body;
    };

    const id = async (path: string, key: string, body: Record<string, unknown>): Promise<string> =>
      ((await ok('POST', path, { [key]: body }))[key] as { id: string }).id;
    const domain = await id('/v3/domains', 'domain', { name: 'api-ref-domain' });
    const project = await id('/v3/projects', 'project', { name: 'api-ref-project', domain_id: domain });
    const group = await id('/v3/groups', 'group', { name: 'api-ref-group', domain_id: domain });
    const role = await id('/v3/roles', 'role', { name: 'api-ref-role' });
    const prior = await id('/v3/roles', 'role', { name: 'api-ref-prior' });
    const implied = await id('/v3/roles', 'role', { name: 'api-ref-implied' });
    await ok('PUT', `/v3/roles/${prior}/implies/${implied}`);
    const region = await id('/v3/regions', 'region', { description: 'api-ref' });
    const service = await id('/v3/services', 'service', { type: 'api-ref', name: 'api-ref' });
    const endpoint = await id('/v3/endpoints', 'endpoint', {
      service_id: service,
      interface: 'public',
      url: 'http://api-ref.example.com/',
      region_id: region,
    });
    const policy = await id('/v3/policies', 'policy', { blob: '{}', type: 'application/json' });
    await ok('PUT', `/v3/policies/${policy}/OS-ENDPOINT-POLICY/endpoints/${endpoint}`);
    await ok('PUT', `/v3/policies/${policy}/OS-ENDPOINT-POLICY/services/${service}`);
    await ok('PUT', `/v3/policies/${policy}/OS-ENDPOINT-POLICY/services/${service}/regions/${region}`);
    const credential = await id('/v3/credentials', 'credential', {
      user_id: user,
      project_id: projectId,
      type: 'ec2',
      blob: '{"access":"a","secret":"s"}',
    });
    const endpointGroup = await id('/v3/OS-EP-FILTER/endpoint_groups', 'endpoint_group', {
      name: 'api-ref',
      filters: { interface: 'public' },
    });
    await ok('PUT', `/v3/OS-EP-FILTER/projects/${project}/endpoints/${endpoint}`);
    await ok('PUT', `/v3/OS-EP-FILTER/endpoint_groups/${endpointGroup}/projects/${project}`);
    await ok('PUT', `/v3/projects/${project}/tags/api-ref-tag`);
    await ok('PUT', `/v3/domains/${domain}/config`, { config: { ldap: { url: 'ldap://api-ref.example.com' } } });
    // the grants the reference's role routes check, inherited ones included, and the system's
    await ok('PUT', `/v3/groups/${group}/users/${user}`);
    for (const target of [`domains/${domain}`, `projects/${project}`])
      for (const actor of [`users/${user}`, `groups/${group}`]) {
        await ok('PUT', `/v3/${target}/${actor}/roles/${role}`);
        await ok('PUT', `/v3/OS-INHERIT/${target}/${actor}/roles/${role}/inherited_to_projects`);
      }
    await ok('PUT', `/v3/system/users/${user}/roles/${role}`);
    await ok('PUT', `/v3/system/groups/${group}/roles/${role}`);
    const consumer = await id('/v3/OS-OAUTH1/consumers', 'consumer', { description: 'api-ref' });
    const trust = (
      await asUser('/v3/OS-TRUST/trusts', {
        trust: {
          trustor_user_id: user,
          trustee_user_id: server.bootstrap.userId,
          project_id: projectId,
          impersonation: false,
          roles: [{ id: adminRoleId }],
        },
      })
    ).trust.id as string;
    const appCred = (
      await asUser(`/v3/users/${user}/application_credentials`, {
        application_credential: { name: 'api-ref', access_rules: [{ service: 'identity', method: 'GET', path: '/v3/users' }] },
      })
    ).application_credential as { id: string; access_rules: { id: string }[] };
    const registeredLimit = (
      await ok('POST', '/v3/registered_limits', {
        registered_limits: [{ service_id: service, resource_name: 'api-ref', default_limit: 10 }],
      })
    ).registered_limits[0].id as string;
    const limit = (
      await ok('POST', '/v3/limits', {
        limits: [{ service_id: service, project_id: project, resource_name: 'api-ref', resource_limit: 5 }],
      })
    ).limits[0].id as string;
    await ok('PUT', '/v3/OS-FEDERATION/mappings/api-ref-mapping', {
      mapping: { rules: [{ local: [{ user: { name: '{0}' } }], remote: [{ type: 'REMOTE_USER' }] }] },
    });
    await ok('PUT', '/v3/OS-FEDERATION/identity_providers/api-ref-idp', {
      identity_provider: { remote_ids: ['https://api-ref.example.com'] },
    });
    await ok('PUT', '/v3/OS-FEDERATION/identity_providers/api-ref-idp/protocols/saml2', { protocol: { mapping_id: 'api-ref-mapping' } });
    await ok('PUT', '/v3/OS-FEDERATION/service_providers/api-ref-sp', {
      service_provider: {
        auth_url: 'https://sp.example.com/v3/OS-FEDERATION/identity_providers/x/protocols/saml2/auth',
        sp_url: 'https://sp.example.com/Shibboleth.sso/SAML2/ECP',
      },
    });
    Object.assign(ids, {
      user_id: user,
      domain_id: domain,
      project_id: project,
      group_id: group,
      role_id: role,
      prior_role_id: prior,
      implies_role_id: implied,
      region_id: region,
      service_id: service,
      endpoint_id: endpoint,
      policy_id: policy,
      credential_id: credential,
      endpoint_group_id: endpointGroup,
      tag: 'api-ref-tag',
      group: 'ldap',
      option: 'url',
      consumer_id: consumer,
      trust_id: trust,
      application_credential_id: appCred.id,
      access_rule_id: appCred.access_rules[0]?.id ?? '',
      registered_limit_id: registeredLimit,
      limit_id: limit,
      idp_id: 'api-ref-idp',
      protocol_id: 'saml2',
      // made only by a signed OAuth 1.0a exchange: ids that do not exist, answered by the handler's 404
      request_token_id: 'f0e1d2c3b4a5968778695a4b3c2d1e0f',
      access_token_id: 'f0e1d2c3b4a5968778695a4b3c2d1e0f',
    });
  });
  after(async () => {
    await server?.close();
  });

  /** The reference's path with its placeholders filled ({id} by the collection it follows). */
  const fill = (path: string): string =>
    path.replace(/\{([a-z_]+)\}/g, (_all, name: string, offset: number) => {
      const collection =
        path
          .slice(0, offset - 1)
          .split('/')
          .at(-1) ?? '';
      let value: string | undefined;
      if (name === 'id')
        value = { identity_providers: 'api-ref-idp', mappings: 'api-ref-mapping', service_providers: 'api-ref-sp' }[collection];
      else if (name === 'role_id' && path.includes('/OS-TRUST/'))
        value = server.bootstrap.adminRoleId; // the trust's role
      else value = ids[name];
      assert.ok(value, `no id for {${name}} in ${path}`);
      return encodeURIComponent(value);
    });

  test('the fixture: 244 operations of the reference at one commit, each a route of Keystone 22', () => {
    assert.match(reference.commit, /^[0-9a-f]{40}$/);
    assert.equal(reference.operations.length, 244);
    const distinct = new Set(reference.operations.map((op) => shape(op.method, routeOf(op))));
    assert.equal(distinct.size, 232);
    assert.deepEqual(
      reference.operations.filter((op) => !op.keystone22_routed).map(where),
      [],
      'every operation is one Keystone 22 routes',
    );
    for (const op of reference.operations) {
      assert.match(op.method, /^(GET|HEAD|POST|PUT|PATCH|DELETE)$/, where(op));
      assert.ok(routeOf(op).startsWith('/v3/'), where(op));
      assert.ok(op.route === undefined || op.note, `${where(op)}: a corrected route says why`);
    }
  });

  for (const service of ['public', 'admin'] as const) {
    test(`${service} app: every operation is in the route table with the same parameter shape`, () => {
      const routed = new Set(
        createApp(service, server.providers, server.db)
          .routes.list()
          .map((r) => shape(r.method, r.path)),
      );
      assert.deepEqual(reference.operations.filter((op) => !routed.has(shape(op.method, routeOf(op)))).map(where), []);
    });
  }

  test("a real request to each operation is answered by its route's handler", async () => {
    const problems: string[] = [];
    const table = createApp('public', server.providers, server.db).routes;
    const ordered = [
      ...reference.operations.filter((op) => op.method !== 'DELETE'),
      // the deletions last, the longest paths first, so that each still finds what it deletes
      ...reference.operations
        .filter((op) => op.method === 'DELETE')
        .sort((a, b) => routeOf(b).split('/').length - routeOf(a).split('/').length),
    ];
    for (const op of ordered) {
      const route = routeOf(op);
      if (op.method === 'DELETE' && route === '/v3/users/{user_id}') continue; // deleted below, last
      const path = fill(route) + (op.path.includes('?') ? op.path.slice(op.path.indexOf('?')) : '');
      const headers: Record<string, string> = {};
      let body: unknown = op.method === 'POST' || op.method === 'PUT' || op.method === 'PATCH' ? {} : undefined;
      if (route === '/v3/auth/tokens') {
        if (op.method === 'POST') body = { auth: { identity: { methods: ['token'], token: { id: token } } } };
        else headers['X-Subject-Token'] = await adminToken(server);
      }
      const caller = route.startsWith('/v3/users/{user_id}/access_rules') ? userToken : token;
      const res = await call(server, op.method, path, { token: caller, body, headers });
      if (answeredByRouter(res, table.allowedMethods(path.split('?')[0] ?? '').includes(op.method as HttpMethod)))
        problems.push(`${where(op)}: ${res.status} from the router`);
      else if (res.status >= 500) problems.push(`${where(op)}: ${res.status} ${JSON.stringify(res.body)}`);
      else if (op.method === 'GET' || op.method === 'HEAD') {
        const expected = EXPECTED_REFUSALS[shape('GET', route)];
        if (expected ? res.status !== expected.status : res.status >= 300)
          problems.push(`${where(op)} → ${path}: ${res.status} ${JSON.stringify(res.body)} (expected ${expected?.status ?? '2xx'})`);
      }
    }
    const last = await call(server, 'DELETE', fill('/v3/users/{user_id}'), { token });
    assert.equal(last.status, 204);
    assert.deepEqual(problems, []);
  });
});
