/**
 * python-openstackclient (/usr/bin/openstack, from Debian's packages)
 * driving roles, role assignments, regions, services and endpoints against
 * a running server, as a new user would: role create/list/show/set/delete,
 * implied roles, role add/remove (project, domain, system, inherited) and
 * role assignment list; region/service/endpoint create/list/show/set/delete
 * and the catalog a token then carries. With CI=true a missing client fails
 * the test; elsewhere it is skipped with the reason.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OPENSTACK, OpenstackRunner, type Run } from './python-clients.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';
import { runBootstrap } from '../../src/cli/bootstrap.js';

const available = existsSync(OPENSTACK);
const skipReason = available ? false : `${OPENSTACK} is not installed (apt-get install python3-openstackclient)`;

type Row = Record<string, unknown>;

describe('python-openstackclient against the assignment and catalog APIs', { skip: process.env.CI === 'true' ? false : skipReason }, () => {
  let server: TestServer;
  let home: string;
  let baseEnv: Record<string, string>;

  before(async () => {
    assert.ok(available, `${OPENSTACK} is required when CI=true`);
    server = await startTestServer();
    // The catalog must point at this server: bootstrap again with its real URLs.
    await runBootstrap(server, {
      password: server.adminPassword,
      regionId: 'RegionOne',
      publicUrl: `${server.publicUrl}/v3`,
      internalUrl: `${server.publicUrl}/v3`,
      adminUrl: `${server.adminUrl}/v3`,
    });
    home = mkdtempSync(join(tmpdir(), 'keystone-osc-'));
    baseEnv = {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      HOME: home,
      LANG: 'C.UTF-8',
      OS_AUTH_URL: `${server.publicUrl}/v3`,
      OS_IDENTITY_API_VERSION: '3',
      OS_INTERFACE: 'public',
      OS_REGION_NAME: 'RegionOne',
    };
  });
  after(async () => {
    osc?.close();
    await server?.close();
    if (home) rmSync(home, { recursive: true, force: true });
  });

  const adminEnv = () => ({
    ...baseEnv,
    OS_USERNAME: 'admin',
    OS_PASSWORD: server.adminPassword,
    OS_PROJECT_NAME: 'admin',
    OS_USER_DOMAIN_NAME: 'Default',
    OS_PROJECT_DOMAIN_NAME: 'Default',
  });

  const osc = new OpenstackRunner();
  const run = (args: string[], env: Record<string, string> = adminEnv()): Promise<Run> => osc.run(args, env);
  const ok = async (args: string[], env?: Record<string, string>): Promise<string> => {
    const r = await run(args, env);
    assert.equal(r.code, 0, `openstack ${args.join(' ')} failed (${r.code}): ${r.stderr}${r.stdout}`);
    return r.stdout;
  };
  const json = async (args: string[], env?: Record<string, string>) => JSON.parse(await ok([...args, '-f', 'json'], env));
  const fails = async (args: string[], pattern: RegExp) => {
    const r = await run(args);
    assert.notEqual(r.code, 0, `openstack ${args.join(' ')} should fail`);
    assert.match(r.stderr + r.stdout, pattern);
  };

  test('roles: create/list/show/set/delete, domain roles, immutable, implied roles', async () => {
    const role = await json(['role', 'create', '--description', 'made by osc', 'osc-role']);
    assert.equal(role.name, 'osc-role');
    assert.equal(role.description, 'made by osc');
    assert.ok(role.id);
    const roles = await json(['role', 'list']);
    assert.ok(roles.some((r: Row) => r.Name === 'osc-role'));
    assert.ok(roles.some((r: Row) => r.Name === 'admin'));
    await ok(['role', 'set', '--name', 'osc-role-renamed', '--description', 'changed', 'osc-role']);
    const shown = await json(['role', 'show', 'osc-role-renamed']);
    assert.equal(shown.id, role.id);
    assert.equal(shown.description, 'changed');
    await fails(['role', 'create', 'osc-role-renamed'], /Conflict|409/);

    // a domain-specific role
    await json(['domain', 'create', 'osc-roles-domain']);
    const domainRole = await json(['role', 'create', '--domain', 'osc-roles-domain', 'osc-domain-role']);
    assert.ok(domainRole.domain_id);
    const domainRoles = await json(['role', 'list', '--domain', 'osc-roles-domain']);
    assert.deepEqual(
      domainRoles.map((r: Row) => r.Name),
      ['osc-domain-role'],
    );
    assert.equal((await json(['role', 'show', '--domain', 'osc-roles-domain', 'osc-domain-role'])).id, domainRole.id);

    // immutable
    const frozen = await json(['role', 'create', '--immutable', 'osc-frozen']);
    assert.deepEqual(frozen.options, { immutable: true });
    await fails(['role', 'delete', 'osc-frozen'], /immutable/);
    await ok(['role', 'set', '--no-immutable', 'osc-frozen']);
    await ok(['role', 'delete', 'osc-frozen']);

    // implied roles
    await json(['role', 'create', 'osc-implied']);
    const inference = await json(['implied', 'role', 'create', '--implied-role', 'osc-implied', 'osc-role-renamed']);
    assert.ok(JSON.stringify(inference).includes(role.id));
    const inferences = await json(['implied', 'role', 'list']);
    assert.ok(inferences.some((i: Row) => i['Prior Role Name'] === 'osc-role-renamed' && i['Implied Role Name'] === 'osc-implied'));
    await ok(['implied', 'role', 'delete', '--implied-role', 'osc-implied', 'osc-role-renamed']);
    assert.ok(!(await json(['implied', 'role', 'list'])).some((i: Row) => i['Prior Role Name'] === 'osc-role-renamed'));

    await ok(['role', 'delete', 'osc-role-renamed', 'osc-implied']);
    await ok(['role', 'delete', '--domain', 'osc-roles-domain', 'osc-domain-role']);
    const after = await json(['role', 'list']);
    assert.ok(!after.some((r: Row) => String(r.Name).startsWith('osc-')));
    await fails(['role', 'show', 'osc-role-renamed'], /No role|not found|404/i);
  });

  test('role add/remove on projects, domains, the system, inherited; role assignment list', async () => {
    await json(['domain', 'create', 'osc-grants-domain']);
    const project = await json(['project', 'create', '--domain', 'osc-grants-domain', 'osc-grants-project']);
    const user = await json(['user', 'create', '--domain', 'osc-grants-domain', '--password', 'osc-grant-pass-1', 'osc-grant-user']);
    const group = await json(['group', 'create', '--domain', 'osc-grants-domain', 'osc-grant-group']);
    const role = await json(['role', 'create', 'osc-grant-role']);
    const scope = ['--user-domain', 'osc-grants-domain', '--project-domain', 'osc-grants-domain'];

    await ok(['role', 'add', '--project', 'osc-grants-project', '--user', 'osc-grant-user', ...scope, 'osc-grant-role']);
    await ok(['role', 'add', '--project', 'osc-grants-project', '--user', 'osc-grant-user', ...scope, 'member']);
    await ok([
      'role',
      'add',
      '--domain',
      'osc-grants-domain',
      '--group',
      'osc-grant-group',
      '--group-domain',
      'osc-grants-domain',
      'reader',
    ]);
    await ok(['role', 'add', '--system', 'all', '--user', 'osc-grant-user', '--user-domain', 'osc-grants-domain', 'reader']);
    await ok([
      'role',
      'add',
      '--domain',
      'osc-grants-domain',
      '--user',
      'osc-grant-user',
      '--user-domain',
      'osc-grants-domain',
      '--inherited',
      'osc-grant-role',
    ]);

    const mine = await json(['role', 'assignment', 'list', '--user', user.id]);
    const summary = mine.map((a: Row) => [a.Role, a.Project, a.Domain, a.System, a.Inherited].join('|')).sort();
    assert.deepEqual(
      summary,
      [
        `${role.id}|${project.id}|||false`,
        `${role.id}||${project.domain_id}||true`,
        `${server.bootstrap.memberRoleId}|${project.id}|||false`,
        `${server.bootstrap.readerRoleId}|||all|false`,
      ].sort(),
    );
    const named = await json(['role', 'assignment', 'list', '--user', user.id, '--project', project.id, '--names']);
    assert.deepEqual(named.map((a: Row) => a.Role).sort(), ['member', 'osc-grant-role']);
    assert.ok(
      named.every((a: Row) => a.User === 'osc-grant-user@osc-grants-domain' && a.Project === 'osc-grants-project@osc-grants-domain'),
    );
    const effective = await json(['role', 'assignment', 'list', '--user', user.id, '--project', project.id, '--effective', '--names']);
    assert.deepEqual([...new Set(effective.map((a: Row) => a.Role))].sort(), ['member', 'osc-grant-role', 'reader']);
    const byGroup = await json(['role', 'assignment', 'list', '--group', group.id, '--names']);
    assert.deepEqual(
      byGroup.map((a: Row) => a.Role),
      ['reader'],
    );
    const byRole = await json(['role', 'assignment', 'list', '--role', 'osc-grant-role']);
    assert.equal(byRole.length, 2);

    // the user's token carries what was granted
    const userEnv = {
      ...baseEnv,
      OS_USERNAME: 'osc-grant-user',
      OS_PASSWORD: 'osc-grant-pass-1',
      OS_PROJECT_NAME: 'osc-grants-project',
      OS_USER_DOMAIN_NAME: 'osc-grants-domain',
      OS_PROJECT_DOMAIN_NAME: 'osc-grants-domain',
    };
    const token = await json(['token', 'issue'], userEnv);
    assert.equal(token.project_id, project.id);

    await ok(['role', 'remove', '--project', 'osc-grants-project', '--user', 'osc-grant-user', ...scope, 'osc-grant-role']);
    await ok([
      'role',
      'remove',
      '--domain',
      'osc-grants-domain',
      '--user',
      'osc-grant-user',
      '--user-domain',
      'osc-grants-domain',
      '--inherited',
      'osc-grant-role',
    ]);
    await ok(['role', 'remove', '--system', 'all', '--user', 'osc-grant-user', '--user-domain', 'osc-grants-domain', 'reader']);
    await ok([
      'role',
      'remove',
      '--domain',
      'osc-grants-domain',
      '--group',
      'osc-grant-group',
      '--group-domain',
      'osc-grants-domain',
      'reader',
    ]);
    const left = await json(['role', 'assignment', 'list', '--user', user.id, '--names']);
    assert.deepEqual(
      left.map((a: Row) => a.Role),
      ['member'],
    );
    await fails(
      ['role', 'remove', '--project', 'osc-grants-project', '--user', 'osc-grant-user', ...scope, 'osc-grant-role'],
      /Could not find role assignment|404/,
    );
    await fails(
      ['role', 'add', '--project', 'osc-grants-project', '--user', 'osc-grant-user', ...scope, 'no-such-role'],
      /No role|not found|404/i,
    );
  });

  test('regions, services and endpoints: create/list/show/set/delete, and the catalog a token carries', async () => {
    const region = await json(['region', 'create', '--description', 'osc region', '--parent-region', 'RegionOne', 'OscRegion']);
    assert.equal(region.region, 'OscRegion');
    assert.equal(region.parent_region, 'RegionOne');
    const regions = await json(['region', 'list']);
    assert.ok(regions.some((r: Row) => r.Region === 'OscRegion' && r['Parent Region'] === 'RegionOne'));
    await ok(['region', 'set', '--description', 'changed region', 'OscRegion']);
    assert.equal((await json(['region', 'show', 'OscRegion'])).description, 'changed region');
    await fails(['region', 'create', 'OscRegion'], /Conflict|409/);

    const service = await json(['service', 'create', '--name', 'osc-volume', '--description', 'block storage', 'volumev3']);
    assert.equal(service.name, 'osc-volume');
    assert.equal(service.type, 'volumev3');
    assert.equal(service.enabled, true);
    const services = await json(['service', 'list', '--long']);
    assert.ok(services.some((s: Row) => s.Name === 'osc-volume' && s.Type === 'volumev3' && s.Description === 'block storage'));
    await ok(['service', 'set', '--description', 'cinder', 'osc-volume']);
    assert.equal((await json(['service', 'show', 'osc-volume'])).description, 'cinder');

    const url = 'http://volume.example.com:8776/v3/$(project_id)s';
    const endpoint = await json(['endpoint', 'create', '--region', 'OscRegion', 'osc-volume', 'public', url]);
    assert.equal(endpoint.url, url);
    assert.equal(endpoint.region, 'OscRegion');
    assert.equal(endpoint.interface, 'public');
    assert.equal(endpoint.service_name, 'osc-volume');
    const internal = await json([
      'endpoint',
      'create',
      '--region',
      'OscRegion',
      '--disable',
      'osc-volume',
      'internal',
      'http://volume.internal:8776/v3/%(tenant_id)s',
    ]);
    assert.equal(internal.enabled, false);
    const endpoints = await json(['endpoint', 'list', '--service', 'osc-volume']);
    assert.deepEqual(endpoints.map((e: Row) => e.Interface).sort(), ['internal', 'public']);
    const publicOnly = await json(['endpoint', 'list', '--service', 'osc-volume', '--interface', 'public', '--region', 'OscRegion']);
    assert.deepEqual(
      publicOnly.map((e: Row) => e.ID),
      [endpoint.id],
    );
    await ok(['endpoint', 'set', '--enable', internal.id]);
    assert.equal((await json(['endpoint', 'show', internal.id])).enabled, true);
    await fails(['endpoint', 'create', 'osc-volume', 'public', 'http://x/$(nope)s'], /invalid URL|400/);

    // the admin's token catalog has the filled URL
    const catalog = await json(['catalog', 'show', 'volumev3']);
    const adminProject = await json(['project', 'show', 'admin']);
    assert.ok(JSON.stringify(catalog).includes(`http://volume.example.com:8776/v3/${adminProject.id}`), JSON.stringify(catalog));

    await fails(['region', 'delete', 'OscRegion'], /associated endpoints|403/);
    await ok(['endpoint', 'delete', endpoint.id, internal.id]);
    await ok(['service', 'set', '--disable', 'osc-volume']);
    assert.equal((await json(['service', 'show', 'osc-volume'])).enabled, false);
    await ok(['service', 'delete', 'osc-volume']);
    await ok(['region', 'delete', 'OscRegion']);
    assert.ok(!(await json(['region', 'list'])).some((r: Row) => r.Region === 'OscRegion'));
    assert.ok(!(await json(['service', 'list'])).some((s: Row) => s.Name === 'osc-volume'));
  });
});
