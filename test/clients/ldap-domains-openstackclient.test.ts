/**
 * Domains served by a real slapd, driven by python-openstackclient: one
 * domain configured by a keystone.<domain name>.conf file under
 * domain_config_dir, one through /v3/domains/{id}/config (PUT, PATCH and
 * DELETE take effect without a restart), the default domain on SQL. An LDAP
 * user is listed with the id Keystone's sha256 generator gives it, lists its
 * groups, gets a role on a SQL project and a token; a user the directory
 * disables is refused; writes answer 403.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OPENSTACK, OpenstackRunner, adminClientEnv, catalogAtServer, type Run } from './python-clients.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';
import { renderIni } from '../helpers/test-config.js';
import { startSlapd, slapdAvailable, type Slapd } from '../helpers/slapd.js';
import { ONE_LEVEL_USERS, ldapOptions, seedDirectory } from '../helpers/ldap-fixture.js';

const skipReason = !existsSync(OPENSTACK)
  ? `${OPENSTACK} is not installed (apt-get install python3-openstackclient)`
  : !slapdAvailable()
    ? 'slapd is not installed (apt-get install slapd ldap-utils)'
    : false;

type Row = Record<string, unknown>;
const str = (value: unknown): string => (typeof value === 'string' ? value : JSON.stringify(value));

/** Keystone's sha256 generator: hex SHA-256 of domain_id, entity_type and local_id, in that (sorted key) order. */
const keystonePublicId = (domainId: string, localId: string, entityType: 'user' | 'group') =>
  createHash('sha256').update(domainId).update(entityType).update(localId).digest('hex');

describe('LDAP domains through python-openstackclient', { skip: process.env.CI === 'true' ? false : skipReason }, () => {
  let slapd: Slapd;
  let home: string;
  let domainDir: string;
  let fileServer: TestServer;
  let apiServer: TestServer;
  const osc = new OpenstackRunner();

  before(async () => {
    slapd = await startSlapd();
    seedDirectory(slapd);
    home = mkdtempSync(join(tmpdir(), 'keystone-osc-ldap-'));
    domainDir = join(home, 'domains');
    mkdirSync(domainDir);
    writeFileSync(join(domainDir, 'keystone.ldapfile.conf'), renderIni({ identity: { driver: 'ldap' }, ldap: ldapOptions(slapd) }));
    fileServer = await startTestServer({
      config: { identity: { domain_specific_drivers_enabled: true, domain_config_dir: domainDir } },
    });
    apiServer = await startTestServer({
      config: { identity: { domain_specific_drivers_enabled: true, domain_configurations_from_database: true } },
    });
    await catalogAtServer(fileServer);
    await catalogAtServer(apiServer);
  });
  after(async () => {
    osc.close();
    await fileServer?.close();
    await apiServer?.close();
    await slapd?.stop();
    if (home) rmSync(home, { recursive: true, force: true });
  });

  const run = (server: TestServer, args: string[], env: Record<string, string> = adminClientEnv(server, home)): Promise<Run> =>
    osc.run(args, env);
  const ok = async (server: TestServer, args: string[], env?: Record<string, string>): Promise<string> => {
    const r = await run(server, args, env);
    assert.equal(r.code, 0, `openstack ${args.join(' ')} failed (${JSON.stringify(r.code)}): ${r.stderr}${r.stdout}`);
    return r.stdout;
  };
  const json = async (server: TestServer, args: string[], env?: Record<string, string>): Promise<Row & Row[]> =>
    JSON.parse(await ok(server, [...args, '-f', 'json'], env)) as Row & Row[];
  const userEnv = (server: TestServer, user: string, password: string, domain: string, project = 'admin') => ({
    ...adminClientEnv(server, home),
    OS_USERNAME: user,
    OS_PASSWORD: password,
    OS_USER_DOMAIN_NAME: domain,
    OS_PROJECT_NAME: project,
    OS_PROJECT_DOMAIN_NAME: 'Default',
  });

  test('a domain configured by file: users and groups listed, a role on a SQL project, a token, a disabled user refused', async () => {
    const domain = await json(fileServer, ['domain', 'create', 'ldapfile']);
    const domainId = str(domain.id);
    const users = await json(fileServer, ['user', 'list', '--domain', 'ldapfile']);
    assert.deepEqual(users.map((u) => u.Name).sort(), ONE_LEVEL_USERS.map((u) => u.name).sort());
    const alice = users.find((u) => u.Name === 'Alice Liddell') as Row;
    assert.equal(alice.ID, keystonePublicId(domainId, 'alice', 'user'), 'the id is the one Keystone would give');
    const shown = await json(fileServer, ['user', 'show', str(alice.ID)]);
    assert.equal(shown.domain_id, domainId);
    assert.equal(shown.email, 'alice@example.org');
    assert.equal(shown.enabled, true);

    const groups = await json(fileServer, ['group', 'list', '--domain', 'ldapfile']);
    assert.deepEqual(groups.map((g) => g.Name).sort(), ['developers', 'lonely', 'operators']);
    const mine = await json(fileServer, ['group', 'list', '--user', str(alice.ID)]);
    assert.deepEqual(mine.map((g) => g.Name).sort(), ['developers', 'operators']);
    const developers = groups.find((g) => g.Name === 'developers') as Row;
    assert.equal(developers.ID, keystonePublicId(domainId, 'devs', 'group'));
    await ok(fileServer, ['group', 'contains', 'user', str(developers.ID), str(alice.ID)]);

    await ok(fileServer, ['role', 'create', 'ldap-member']);
    await ok(fileServer, ['role', 'add', '--user', str(alice.ID), '--project', 'admin', 'ldap-member']);
    const assignments = await json(fileServer, ['role', 'assignment', 'list', '--user', str(alice.ID), '--names']);
    assert.ok(assignments.some((a) => a.Role === 'ldap-member'));
    const token = await json(fileServer, ['token', 'issue'], userEnv(fileServer, 'Alice Liddell', 'alice-pw', 'ldapfile'));
    assert.equal(token.user_id, alice.ID);
    assert.ok(token.project_id);
    const admin = await json(fileServer, ['token', 'issue']);
    const validated = await fetch(`${fileServer.publicUrl}/v3/auth/tokens`, {
      headers: { 'x-auth-token': str(admin.id), 'x-subject-token': str(token.id) },
    });
    assert.equal(validated.status, 200);
    const body = (await validated.json()) as { token: { user: { id: string; domain: { id: string } }; roles: { name: string }[] } };
    assert.equal(body.token.user.id, alice.ID);
    assert.equal(body.token.user.domain.id, domainId);
    assert.ok(body.token.roles.some((r) => r.name === 'ldap-member'));

    // a role through an LDAP group: carol is one of the operators
    const operators = groups.find((g) => g.Name === 'operators') as Row;
    await ok(fileServer, ['role', 'add', '--group', str(operators.ID), '--project', 'admin', 'ldap-member']);
    const carolToken = await json(fileServer, ['token', 'issue'], userEnv(fileServer, 'carol', 'carol-pw', 'ldapfile'));
    assert.equal(carolToken.user_id, keystonePublicId(domainId, 'carol', 'user'));

    const wrong = await run(fileServer, ['token', 'issue'], userEnv(fileServer, 'Alice Liddell', 'wrong', 'ldapfile'));
    const unknown = await run(fileServer, ['token', 'issue'], userEnv(fileServer, 'nobody', 'alice-pw', 'ldapfile'));
    assert.notEqual(wrong.code, 0);
    assert.notEqual(unknown.code, 0);
    assert.match(wrong.stderr, /401/);
    assert.match(unknown.stderr, /401/);

    // bob is disabled in the directory (employeeType FALSE)
    await ok(fileServer, ['role', 'add', '--user', keystonePublicId(domainId, 'bob', 'user'), '--project', 'admin', 'ldap-member']);
    const bob = await run(fileServer, ['token', 'issue'], userEnv(fileServer, 'bob', 'bob-pw', 'ldapfile'));
    assert.notEqual(bob.code, 0);
    assert.match(bob.stderr, /401/);
    // and alice, once the directory disables her
    slapd.modify(`dn: cn=alice,ou=Users,${slapd.suffix}\nchangetype: modify\nreplace: employeeType\nemployeeType: FALSE\n`);
    try {
      const refused = await run(fileServer, ['token', 'issue'], userEnv(fileServer, 'Alice Liddell', 'alice-pw', 'ldapfile'));
      assert.notEqual(refused.code, 0);
      assert.match(refused.stderr, /401/);
    } finally {
      slapd.modify(`dn: cn=alice,ou=Users,${slapd.suffix}\nchangetype: modify\nreplace: employeeType\nemployeeType: TRUE\n`);
    }
  });

  test('an LDAP domain is read-only: creating, changing and deleting its users and groups answer 403; deleting the domain forgets its ids', async () => {
    const create = await run(fileServer, ['user', 'create', '--domain', 'ldapfile', '--password', 'x', 'newcomer']);
    assert.notEqual(create.code, 0);
    assert.match(create.stderr, /LDAP does not support write operations|403/);
    const aliceId = (await json(fileServer, ['user', 'list', '--domain', 'ldapfile'])).find((u) => u.Name === 'Alice Liddell')?.ID;
    const setUser = await run(fileServer, ['user', 'set', '--email', 'a@b.c', str(aliceId)]);
    assert.match(setUser.stderr, /403|LDAP does not support write operations/);
    const deleteUser = await run(fileServer, ['user', 'delete', str(aliceId)]);
    assert.notEqual(deleteUser.code, 0);
    const createGroup = await run(fileServer, ['group', 'create', '--domain', 'ldapfile', 'newgroup']);
    assert.match(createGroup.stderr, /403|LDAP does not support write operations/);
    // the SQL default domain is untouched
    await ok(fileServer, ['user', 'create', '--domain', 'default', '--password', 'sql-pw', 'sql-user']);
    assert.ok((await json(fileServer, ['user', 'list', '--domain', 'default'])).some((u) => u.Name === 'sql-user'));

    // a deleted LDAP domain leaves the directory alone and forgets its public ids
    const domainId = str((await json(fileServer, ['domain', 'show', 'ldapfile'])).id);
    assert.ok((await fileServer.providers.id_mapping_api.listDomainMappings(domainId)).length > 0);
    await ok(fileServer, ['domain', 'set', '--disable', 'ldapfile']);
    await ok(fileServer, ['domain', 'delete', 'ldapfile']);
    assert.deepEqual(await fileServer.providers.id_mapping_api.listDomainMappings(domainId), []);
  });

  test('a domain configured through the API: takes effect on PUT, follows a PATCH, is SQL again after DELETE', async () => {
    const domain = await json(apiServer, ['domain', 'create', 'ldapapi']);
    const domainId = str(domain.id);
    assert.deepEqual(await json(apiServer, ['user', 'list', '--domain', 'ldapapi']), []);
    const tokenRes = await fetch(`${apiServer.publicUrl}/v3/auth/tokens`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        auth: {
          identity: {
            methods: ['password'],
            password: { user: { name: 'admin', domain: { id: 'default' }, password: apiServer.adminPassword } },
          },
          scope: { system: { all: true } },
        },
      }),
    });
    const adminToken = tokenRes.headers.get('x-subject-token') ?? '';
    const config = async (method: string, body?: unknown) => {
      const res = await fetch(`${apiServer.publicUrl}/v3/domains/${domainId}/config`, {
        method,
        headers: { 'x-auth-token': adminToken, 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      return res.status;
    };
    assert.equal(await config('PUT', { config: { identity: { driver: 'ldap' }, ldap: ldapOptions(slapd) } }), 201);
    const users = await json(apiServer, ['user', 'list', '--domain', 'ldapapi']);
    assert.deepEqual(users.map((u) => u.Name).sort(), ONE_LEVEL_USERS.map((u) => u.name).sort());
    const carol = users.find((u) => u.Name === 'carol') as Row;
    assert.equal(carol.ID, keystonePublicId(domainId, 'carol', 'user'));
    await ok(apiServer, ['role', 'add', '--user', str(carol.ID), '--project', 'admin', 'member']);
    const token = await json(apiServer, ['token', 'issue'], userEnv(apiServer, 'carol', 'carol-pw', 'ldapapi'));
    assert.equal(token.user_id, carol.ID);

    // hostile names through the API: matched literally, never a crash
    const names = async (query: string) => {
      const res = await fetch(`${apiServer.publicUrl}/v3/users?domain_id=${domainId}&${query}`, {
        headers: { 'x-auth-token': adminToken },
      });
      assert.ok(res.status === 200 || res.status === 400, `${query}: ${String(res.status)}`);
      return res.status === 200 ? ((await res.json()) as { users: { name: string }[] }).users.map((u) => u.name) : [];
    };
    assert.deepEqual(await names('name=*'), []);
    assert.deepEqual(await names(`name=${encodeURIComponent('a)(sn=*')}`), ['a)(sn=*']);
    assert.deepEqual(await names(`name=${encodeURIComponent('back\\slash')}`), ['back\\slash']);
    assert.deepEqual(await names('name=bob%00'), []);
    assert.deepEqual(await names(`name=${encodeURIComponent('*)(|(sn=*')}`), []);
    const starLogin = await run(apiServer, ['token', 'issue'], userEnv(apiServer, '*', 'carol-pw', 'ldapapi'));
    assert.match(starLogin.stderr, /401/);

    // Active Directory's userAccountControl: carol's 514 has the disabled bit (2)
    assert.equal(
      await config('PATCH', {
        config: { ldap: { user_enabled_attribute: 'departmentNumber', user_enabled_mask: 2, user_enabled_default: '512' } },
      }),
      200,
    );
    const shown = await json(apiServer, ['user', 'show', str(carol.ID)]);
    assert.equal(shown.enabled, false);
    const refused = await run(apiServer, ['token', 'issue'], userEnv(apiServer, 'carol', 'carol-pw', 'ldapapi'));
    assert.match(refused.stderr, /401/);

    assert.equal(await config('DELETE'), 204);
    assert.deepEqual(await json(apiServer, ['user', 'list', '--domain', 'ldapapi']), []);
  });
});
