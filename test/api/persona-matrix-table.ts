/**
 * The persona × resource table of test/api/persona-matrix.test.ts, apart so
 * that it can be run against any Keystone-compatible endpoint: PERSONAS,
 * the rows of Keystone 22 as shipped (SHIPPED) and with enforce_scope and
 * enforce_new_defaults on (STRICT), and runTable, which returns every
 * answer that differs from the table. Both tables were run this way against
 * the real Keystone 22 (2:22.0.2-0+deb12u6, ../shared/anchors/keystone,
 * personas made through its API) and agreed on every answer.
 */
import assert from 'node:assert/strict';
import type { TestServer } from '../helpers/test-server.js';
import { call, unique, type Personas } from './identity-resource-fixtures.js';

export const PERSONAS = [
  'systemAdmin',
  'systemReader',
  'domainAAdmin',
  'domainAReader',
  'projectAdmin',
  'projectAMember',
  'projectAReader',
  'noRole',
] as const;
export type PersonaName = (typeof PERSONAS)[number];
type Expect = Partial<Record<PersonaName, number>> & { others: number };

export interface World {
  p: Personas;
  groupA: string;
  spareUserA: string;
  /** a credential of the project member's */
  memberCredential: string;
  memberRoleId: string;
  readerRoleId: string;
}

export interface Row {
  what: string;
  method: string;
  path: (w: World, who: PersonaName) => string;
  body?: (w: World, who: PersonaName) => unknown;
  expect: Expect;
}

const ADMINS = { systemAdmin: 0, domainAAdmin: 0, projectAdmin: 0 };
const admins = (status: number) => Object.fromEntries(Object.keys(ADMINS).map((k) => [k, status])) as Partial<Record<PersonaName, number>>;
const userOf = (w: World, who: PersonaName): string => (who === 'projectAdmin' ? w.p.systemAdmin.userId : w.p[who].userId);

/** Keystone 22 as shipped. */
export const SHIPPED: Row[] = [
  { what: 'list domains', method: 'GET', path: () => '/v3/domains', expect: { ...admins(200), systemReader: 200, others: 403 } },
  { what: 'get domain A', method: 'GET', path: (w) => `/v3/domains/${w.p.domainA}`, expect: { others: 200, noRole: 403 } },
  {
    what: 'create a domain',
    method: 'POST',
    path: () => '/v3/domains',
    body: () => ({ domain: { name: unique('pm-domain') } }),
    expect: { ...admins(201), others: 403 },
  },
  {
    what: 'list projects',
    method: 'GET',
    path: () => '/v3/projects',
    expect: { ...admins(200), systemReader: 200, domainAReader: 200, others: 403 },
  },
  { what: 'get project A', method: 'GET', path: (w) => `/v3/projects/${w.p.projectA}`, expect: { others: 200, noRole: 403 } },
  {
    what: 'create a project in domain A',
    method: 'POST',
    path: () => '/v3/projects',
    body: (w) => ({ project: { name: unique('pm-project'), domain_id: w.p.domainA } }),
    expect: { ...admins(201), others: 403 },
  },
  {
    what: 'list users',
    method: 'GET',
    path: () => '/v3/users',
    expect: { ...admins(200), systemReader: 200, domainAReader: 200, others: 403 },
  },
  {
    what: 'get the project member',
    method: 'GET',
    path: (w) => `/v3/users/${w.p.projectAMember.userId}`,
    expect: { ...admins(200), systemReader: 200, domainAReader: 200, projectAMember: 200, others: 403 },
  },
  { what: 'get oneself', method: 'GET', path: (w, who) => `/v3/users/${userOf(w, who)}`, expect: { others: 200 } },
  {
    what: 'create a user in domain A',
    method: 'POST',
    path: () => '/v3/users',
    body: (w) => ({ user: { name: unique('pm-user'), domain_id: w.p.domainA } }),
    expect: { ...admins(201), others: 403 },
  },
  {
    what: 'update the spare user',
    method: 'PATCH',
    path: (w) => `/v3/users/${w.spareUserA}`,
    body: () => ({ user: { description: unique('d') } }),
    expect: { ...admins(200), others: 403 },
  },
  {
    what: 'list groups',
    method: 'GET',
    path: () => '/v3/groups',
    expect: { ...admins(200), systemReader: 200, domainAReader: 200, others: 403 },
  },
  {
    what: 'get group A',
    method: 'GET',
    path: (w) => `/v3/groups/${w.groupA}`,
    expect: { ...admins(200), systemReader: 200, domainAReader: 200, others: 403 },
  },
  {
    what: 'create a group in domain A',
    method: 'POST',
    path: () => '/v3/groups',
    body: (w) => ({ group: { name: unique('pm-group'), domain_id: w.p.domainA } }),
    expect: { ...admins(201), others: 403 },
  },
  { what: 'list roles', method: 'GET', path: () => '/v3/roles', expect: { ...admins(200), systemReader: 200, others: 403 } },
  {
    what: 'get the reader role',
    method: 'GET',
    path: (w) => `/v3/roles/${w.readerRoleId}`,
    expect: { ...admins(200), systemReader: 200, others: 403 },
  },
  {
    what: 'create a role',
    method: 'POST',
    path: () => '/v3/roles',
    body: () => ({ role: { name: unique('pm-role') } }),
    expect: { ...admins(201), others: 403 },
  },
  {
    what: 'list role assignments',
    method: 'GET',
    path: () => '/v3/role_assignments',
    expect: { ...admins(200), systemReader: 200, domainAReader: 200, others: 403 },
  },
  {
    what: "list the member's grants on project A",
    method: 'GET',
    path: (w) => `/v3/projects/${w.p.projectA}/users/${w.p.projectAMember.userId}/roles`,
    expect: { ...admins(200), systemReader: 200, domainAReader: 200, others: 403 },
  },
  {
    what: 'grant the spare user a role on project A',
    method: 'PUT',
    path: (w) => `/v3/projects/${w.p.projectA}/users/${w.spareUserA}/roles/${w.memberRoleId}`,
    expect: { ...admins(204), others: 403 },
  },
  {
    what: 'list system grants of the member',
    method: 'GET',
    path: (w) => `/v3/system/users/${w.p.projectAMember.userId}/roles`,
    expect: { ...admins(200), systemReader: 200, others: 403 },
  },
  { what: 'list regions', method: 'GET', path: () => '/v3/regions', expect: { others: 200 } },
  {
    what: 'create a region',
    method: 'POST',
    path: () => '/v3/regions',
    body: () => ({ region: { id: unique('pm-region') } }),
    expect: { ...admins(201), others: 403 },
  },
  { what: 'list services', method: 'GET', path: () => '/v3/services', expect: { ...admins(200), systemReader: 200, others: 403 } },
  {
    what: 'create a service',
    method: 'POST',
    path: () => '/v3/services',
    body: () => ({ service: { type: unique('pm-type'), name: 'x' } }),
    expect: { ...admins(201), others: 403 },
  },
  { what: 'list endpoints', method: 'GET', path: () => '/v3/endpoints', expect: { ...admins(200), systemReader: 200, others: 403 } },
  { what: 'list registered limits', method: 'GET', path: () => '/v3/registered_limits', expect: { others: 200 } },
  { what: 'list limits', method: 'GET', path: () => '/v3/limits', expect: { others: 200 } },
  {
    what: "list one's own application credentials",
    method: 'GET',
    path: (w, who) => `/v3/users/${userOf(w, who)}/application_credentials`,
    expect: { others: 200 },
  },
  {
    what: "list the domain B admin's application credentials",
    method: 'GET',
    path: (w) => `/v3/users/${w.p.domainBAdmin.userId}/application_credentials`,
    expect: { ...admins(200), systemReader: 200, others: 403 },
  },
  { what: 'list credentials (each sees what it may)', method: 'GET', path: () => '/v3/credentials', expect: { others: 200 } },
  {
    what: 'create a credential for oneself',
    method: 'POST',
    path: () => '/v3/credentials',
    body: (w, who) => ({ credential: { type: 'cert', user_id: userOf(w, who), blob: unique('blob') } }),
    expect: { others: 201 },
  },
  {
    what: 'create a credential for the domain B admin',
    method: 'POST',
    path: () => '/v3/credentials',
    body: (w) => ({ credential: { type: 'cert', user_id: w.p.domainBAdmin.userId, blob: unique('blob') } }),
    expect: { ...admins(201), others: 403 },
  },
  {
    what: "get the member's credential",
    method: 'GET',
    path: (w) => `/v3/credentials/${w.memberCredential}`,
    expect: { ...admins(200), systemReader: 200, projectAMember: 200, others: 403 },
  },
  { what: 'list all trusts', method: 'GET', path: () => '/v3/OS-TRUST/trusts', expect: { ...admins(200), systemReader: 200, others: 403 } },
];

/**
 * [oslo_policy] enforce_scope = true, enforce_new_defaults = true: the same
 * rows, where these answers change (a domain-scoped token on rules scoped to
 * system and project; get_project without the deprecated admin_required).
 */
const STRICT_CHANGES: Record<string, Partial<Record<PersonaName, number>>> = {
  'list domains': { domainAAdmin: 403 },
  'create a domain': { domainAAdmin: 403 },
  'get project A': { projectAdmin: 403 },
  'list roles': { domainAAdmin: 403 },
  'get the reader role': { domainAAdmin: 403 },
  'create a role': { domainAAdmin: 403 },
  'list system grants of the member': { domainAAdmin: 403 },
  'create a region': { domainAAdmin: 403 },
  'list services': { domainAAdmin: 403 },
  'create a service': { domainAAdmin: 403 },
  'list endpoints': { domainAAdmin: 403 },
  "list one's own application credentials": { domainAAdmin: 403, domainAReader: 403 },
  "list the domain B admin's application credentials": { domainAAdmin: 403 },
  'list all trusts': { domainAAdmin: 403 },
  'list credentials (each sees what it may)': { domainAAdmin: 403, domainAReader: 403 },
  'create a credential for oneself': { domainAAdmin: 403, domainAReader: 403 },
  'create a credential for the domain B admin': { domainAAdmin: 403 },
  "get the member's credential": { domainAAdmin: 403 },
};
export const STRICT: Row[] = SHIPPED.map((row) => ({ ...row, expect: { ...row.expect, ...(STRICT_CHANGES[row.what] ?? {}) } }));

/** The answers that differ from the table (empty when all agree). */
export async function runTable(server: Pick<TestServer, 'publicUrl'>, w: World, rows: Row[]): Promise<string[]> {
  const wrong: string[] = [];
  for (const row of rows) {
    for (const who of PERSONAS) {
      const expected = row.expect[who] ?? row.expect.others;
      const res = await call(server as TestServer, row.method, row.path(w, who), { token: w.p[who].token, body: row.body?.(w, who) });
      if (res.status !== expected)
        wrong.push(`${row.what} as ${who}: ${res.status}, expected ${expected} ${res.status >= 400 ? JSON.stringify(res.body) : ''}`);
      else if (expected === 403) assert.equal(res.body.error.title, 'Forbidden');
    }
  }
  return wrong;
}
