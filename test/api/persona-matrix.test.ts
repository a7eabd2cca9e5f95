/**
 * Each persona of Keystone's default policy against each resource, as a
 * table: system admin, system reader, domain admin and reader (domain A),
 * project admin (the bootstrap admin on the admin project), project member
 * and reader (a project of domain A), and a user with no role (unscoped).
 *
 * First under Keystone 22's shipped configuration ([oslo_policy]
 * enforce_scope = false, enforce_new_defaults = false: each new default is
 * OR-ed with its deprecated rule, so the admin role anywhere passes
 * rule:admin_required), then with both options on, where a domain-scoped
 * token is refused the rules whose scope_types leave domains out.
 * The expectations follow keystone/common/policies (see
 * test/policy/keystone-defaults.test.ts for the rule-by-rule comparison
 * with Keystone itself); the statuses are what Keystone's API answers.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestServer, type TestServer } from '../helpers/test-server.js';
import { databaseKinds } from '../helpers/test-database.js';
import { call, expectStatus, setupPersonas, unique, type Personas } from './identity-resource-fixtures.js';

const PERSONAS = ['systemAdmin', 'systemReader', 'domainAAdmin', 'domainAReader', 'projectAdmin', 'projectAMember', 'projectAReader', 'noRole'] as const;
type PersonaName = typeof PERSONAS[number];
type Expect = Partial<Record<PersonaName, number>> & { others: number };

interface World {
  p: Personas;
  groupA: string;
  spareUserA: string;
  memberRoleId: string;
  readerRoleId: string;
}

interface Row {
  what: string;
  method: string;
  path: (w: World, who: PersonaName) => string;
  body?: (w: World) => unknown;
  expect: Expect;
}

const ADMINS = { systemAdmin: 0, domainAAdmin: 0, projectAdmin: 0 };
const admins = (status: number) => Object.fromEntries(Object.keys(ADMINS).map((k) => [k, status])) as Partial<Record<PersonaName, number>>;
const userOf = (w: World, who: PersonaName): string => (who === 'projectAdmin' ? w.p.systemAdmin.userId : w.p[who].userId);

/** Keystone 22 as shipped. */
const SHIPPED: Row[] = [
  { what: 'list domains', method: 'GET', path: () => '/v3/domains', expect: { ...admins(200), systemReader: 200, others: 403 } },
  { what: 'get domain A', method: 'GET', path: (w) => `/v3/domains/${w.p.domainA}`, expect: { others: 200, noRole: 403 } },
  { what: 'create a domain', method: 'POST', path: () => '/v3/domains', body: () => ({ domain: { name: unique('pm-domain') } }), expect: { ...admins(201), others: 403 } },
  { what: 'list projects', method: 'GET', path: () => '/v3/projects', expect: { ...admins(200), systemReader: 200, domainAReader: 200, others: 403 } },
  { what: 'get project A', method: 'GET', path: (w) => `/v3/projects/${w.p.projectA}`, expect: { others: 200, noRole: 403 } },
  { what: 'create a project in domain A', method: 'POST', path: () => '/v3/projects', body: (w) => ({ project: { name: unique('pm-project'), domain_id: w.p.domainA } }), expect: { ...admins(201), others: 403 } },
  { what: 'list users', method: 'GET', path: () => '/v3/users', expect: { ...admins(200), systemReader: 200, domainAReader: 200, others: 403 } },
  { what: 'get the project member', method: 'GET', path: (w) => `/v3/users/${w.p.projectAMember.userId}`, expect: { ...admins(200), systemReader: 200, domainAReader: 200, projectAMember: 200, others: 403 } },
  { what: 'get oneself', method: 'GET', path: (w, who) => `/v3/users/${userOf(w, who)}`, expect: { others: 200 } },
  { what: 'create a user in domain A', method: 'POST', path: () => '/v3/users', body: (w) => ({ user: { name: unique('pm-user'), domain_id: w.p.domainA } }), expect: { ...admins(201), others: 403 } },
  { what: 'update the spare user', method: 'PATCH', path: (w) => `/v3/users/${w.spareUserA}`, body: () => ({ user: { description: unique('d') } }), expect: { ...admins(200), others: 403 } },
  { what: 'list groups', method: 'GET', path: () => '/v3/groups', expect: { ...admins(200), systemReader: 200, domainAReader: 200, others: 403 } },
  { what: 'get group A', method: 'GET', path: (w) => `/v3/groups/${w.groupA}`, expect: { ...admins(200), systemReader: 200, domainAReader: 200, others: 403 } },
  { what: 'create a group in domain A', method: 'POST', path: () => '/v3/groups', body: (w) => ({ group: { name: unique('pm-group'), domain_id: w.p.domainA } }), expect: { ...admins(201), others: 403 } },
  { what: 'list roles', method: 'GET', path: () => '/v3/roles', expect: { ...admins(200), systemReader: 200, others: 403 } },
  { what: 'get the reader role', method: 'GET', path: (w) => `/v3/roles/${w.readerRoleId}`, expect: { ...admins(200), systemReader: 200, others: 403 } },
  { what: 'create a role', method: 'POST', path: () => '/v3/roles', body: () => ({ role: { name: unique('pm-role') } }), expect: { ...admins(201), others: 403 } },
  { what: 'list role assignments', method: 'GET', path: () => '/v3/role_assignments', expect: { ...admins(200), systemReader: 200, domainAReader: 200, others: 403 } },
  { what: 'list the member\'s grants on project A', method: 'GET', path: (w) => `/v3/projects/${w.p.projectA}/users/${w.p.projectAMember.userId}/roles`, expect: { ...admins(200), systemReader: 200, domainAReader: 200, others: 403 } },
  { what: 'grant the spare user a role on project A', method: 'PUT', path: (w) => `/v3/projects/${w.p.projectA}/users/${w.spareUserA}/roles/${w.memberRoleId}`, expect: { ...admins(204), others: 403 } },
  { what: 'list system grants of the member', method: 'GET', path: (w) => `/v3/system/users/${w.p.projectAMember.userId}/roles`, expect: { ...admins(200), systemReader: 200, others: 403 } },
  { what: 'list regions', method: 'GET', path: () => '/v3/regions', expect: { others: 200 } },
  { what: 'create a region', method: 'POST', path: () => '/v3/regions', body: () => ({ region: { id: unique('pm-region') } }), expect: { ...admins(201), others: 403 } },
  { what: 'list services', method: 'GET', path: () => '/v3/services', expect: { ...admins(200), systemReader: 200, others: 403 } },
  { what: 'create a service', method: 'POST', path: () => '/v3/services', body: () => ({ service: { type: unique('pm-type'), name: 'x' } }), expect: { ...admins(201), others: 403 } },
  { what: 'list endpoints', method: 'GET', path: () => '/v3/endpoints', expect: { ...admins(200), systemReader: 200, others: 403 } },
  { what: 'list registered limits', method: 'GET', path: () => '/v3/registered_limits', expect: { others: 200 } },
  { what: 'list limits', method: 'GET', path: () => '/v3/limits', expect: { others: 200 } },
  { what: 'list one\'s own application credentials', method: 'GET', path: (w, who) => `/v3/users/${userOf(w, who)}/application_credentials`, expect: { others: 200 } },
  { what: 'list the domain B admin\'s application credentials', method: 'GET', path: (w) => `/v3/users/${w.p.domainBAdmin.userId}/application_credentials`, expect: { ...admins(200), systemReader: 200, others: 403 } },
  { what: 'list all trusts', method: 'GET', path: () => '/v3/OS-TRUST/trusts', expect: { ...admins(200), systemReader: 200, others: 403 } },
];

/** [oslo_policy] enforce_scope = true, enforce_new_defaults = true */
const STRICT: Row[] = [
  { what: 'list domains (system, project scope)', method: 'GET', path: () => '/v3/domains', expect: { systemAdmin: 200, systemReader: 200, projectAdmin: 200, others: 403 } },
  { what: 'create a region (system, project scope)', method: 'POST', path: () => '/v3/regions', body: () => ({ region: { id: unique('pm-region') } }), expect: { systemAdmin: 201, projectAdmin: 201, others: 403 } },
  { what: 'list roles (system, project scope)', method: 'GET', path: () => '/v3/roles', expect: { systemAdmin: 200, systemReader: 200, projectAdmin: 200, others: 403 } },
  { what: 'list users (any scope)', method: 'GET', path: () => '/v3/users', expect: { ...admins(200), systemReader: 200, domainAReader: 200, others: 403 } },
  { what: 'get oneself (any scope)', method: 'GET', path: (w, who) => `/v3/users/${userOf(w, who)}`, expect: { others: 200 } },
  { what: 'list regions (any scope)', method: 'GET', path: () => '/v3/regions', expect: { others: 200 } },
  { what: 'list one\'s own application credentials (system, project scope)', method: 'GET', path: (w, who) => `/v3/users/${userOf(w, who)}/application_credentials`, expect: { others: 200, domainAAdmin: 403, domainAReader: 403 } },
];

async function makeWorld(server: TestServer): Promise<World> {
  const p = await setupPersonas(server);
  const admin = p.systemAdmin.token;
  const groupA = expectStatus(await call(server, 'POST', '/v3/groups', { token: admin, body: { group: { name: unique('pm-ga'), domain_id: p.domainA } } }), 201).group.id;
  const spareUserA = expectStatus(await call(server, 'POST', '/v3/users', { token: admin, body: { user: { name: unique('pm-spare'), domain_id: p.domainA } } }), 201).user.id;
  return { p, groupA, spareUserA, memberRoleId: server.bootstrap.memberRoleId, readerRoleId: server.bootstrap.readerRoleId };
}

async function runTable(server: TestServer, w: World, rows: Row[]): Promise<void> {
  const wrong: string[] = [];
  for (const row of rows) {
    for (const who of PERSONAS) {
      const expected = row.expect[who] ?? row.expect.others;
      const res = await call(server, row.method, row.path(w, who), { token: w.p[who].token, body: row.body?.(w) });
      if (res.status !== expected) wrong.push(`${row.what} as ${who}: ${res.status}, expected ${expected} ${res.status >= 400 ? JSON.stringify(res.body) : ''}`);
      else if (expected === 403) assert.equal(res.body.error.title, 'Forbidden');
    }
  }
  assert.deepEqual(wrong, []);
}

for (const kind of databaseKinds()) {
  describe(`personas × resources under Keystone 22's default policy (${kind})`, () => {
    let server: TestServer;
    let w: World;
    before(async () => {
      server = await startTestServer({ database: kind });
      w = await makeWorld(server);
    });
    after(async () => { await server?.close(); });

    test('as shipped: enforce_scope and enforce_new_defaults off', async () => {
      await runTable(server, w, SHIPPED);
    });

    test('without a token every row is 401', async () => {
      for (const row of SHIPPED) {
        const res = await call(server, row.method, row.path(w, 'noRole'), { body: row.body?.(w) });
        assert.equal(res.status, 401, `${row.what}: ${res.status}`);
      }
    });
  });

  describe(`personas × resources with enforce_scope and enforce_new_defaults (${kind})`, () => {
    let server: TestServer;
    let w: World;
    before(async () => {
      server = await startTestServer({ database: kind, config: { oslo_policy: { enforce_scope: true, enforce_new_defaults: true } } });
      w = await makeWorld(server);
    });
    after(async () => { await server?.close(); });

    test('a token outside a rule\'s scope_types is refused', async () => {
      await runTable(server, w, STRICT);
    });
  });
}
