/**
 * keystone-all with two public workers and domain configurations from the
 * database: a PUT, PATCH and DELETE of /v3/domains/{id}/config take effect
 * on every worker without a restart (each request on a new connection, so
 * that the workers take turns), the users coming from a real slapd.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { startKeystone, type KeystoneProcess } from '../helpers/keystone-process.js';
import { startSlapd, slapdAvailable, type Slapd } from '../helpers/slapd.js';
import { ONE_LEVEL_USERS, ldapOptions, seedDirectory } from '../helpers/ldap-fixture.js';

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: unknown;
}

/** One request on a connection of its own. */
function call(url: string, method: string, token: string | null, body?: unknown): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const req = request(
      url,
      {
        method,
        agent: false,
        headers: {
          connection: 'close',
          ...(token ? { 'x-auth-token': token } : {}),
          ...(payload ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } : {}),
        },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (text += c));
        res.on('end', () => {
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text ? (JSON.parse(text) as unknown) : null });
        });
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

describe('domain configuration from the database on every worker', { skip: !slapdAvailable() && 'slapd is not installed' }, () => {
  let slapd: Slapd;
  let keystone: KeystoneProcess;
  let token: string;
  let domainId: string;

  before(async () => {
    slapd = await startSlapd();
    seedDirectory(slapd);
    keystone = await startKeystone({
      config: {
        identity: { domain_specific_drivers_enabled: true, domain_configurations_from_database: true },
        eventlet_server: { public_workers: 2, admin_workers: 1 },
      },
    });
    const auth = await call(`${keystone.publicUrl}/v3/auth/tokens`, 'POST', null, {
      auth: {
        identity: {
          methods: ['password'],
          password: { user: { name: 'admin', domain: { id: 'default' }, password: keystone.adminPassword } },
        },
        scope: { project: { name: 'admin', domain: { id: 'default' } } },
      },
    });
    assert.equal(auth.status, 201);
    token = String(auth.headers['x-subject-token']);
    const created = await call(`${keystone.publicUrl}/v3/domains`, 'POST', token, { domain: { name: 'ldapworkers' } });
    assert.equal(created.status, 201);
    domainId = (created.body as { domain: { id: string } }).domain.id;
  });
  after(async () => {
    await keystone?.stop();
    await slapd?.stop();
  });

  /** The user names of the domain as each of `rounds` requests saw them. */
  const userNamesSeen = async (rounds = 6): Promise<string[][]> => {
    const seen: string[][] = [];
    for (let i = 0; i < rounds; i++) {
      const r = await call(`${keystone.publicUrl}/v3/users?domain_id=${domainId}`, 'GET', token);
      assert.equal(r.status, 200, JSON.stringify(r.body));
      seen.push((r.body as { users: { name: string }[] }).users.map((u) => u.name).sort());
    }
    return seen;
  };
  const config = (method: string, body?: unknown) => call(`${keystone.publicUrl}/v3/domains/${domainId}/config`, method, token, body);

  test('PUT, PATCH and DELETE act at once on every worker', async () => {
    for (const names of await userNamesSeen()) assert.deepEqual(names, []);
    assert.equal((await config('PUT', { config: { identity: { driver: 'ldap' }, ldap: ldapOptions(slapd) } })).status, 201);
    for (const names of await userNamesSeen()) assert.deepEqual(names, ONE_LEVEL_USERS.map((u) => u.name).sort());
    assert.equal((await config('PATCH', { config: { ldap: { user_filter: '(cn=bob)' } } })).status, 200);
    for (const names of await userNamesSeen()) assert.deepEqual(names, ['bob']);
    assert.equal((await config('DELETE')).status, 204);
    for (const names of await userNamesSeen()) assert.deepEqual(names, []);
  });
});
