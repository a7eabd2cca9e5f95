/**
 * python-openstackclient (/usr/bin/openstack, from Debian's packages) driving
 * domains, projects, users and groups against a running server, as a new
 * user would: create, list, show, set, delete, memberships, and a user
 * changing their own password. With CI=true a missing client fails the
 * test; elsewhere it is skipped with the reason.
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

describe('python-openstackclient against the identity and resource APIs', { skip: process.env.CI === 'true' ? false : skipReason }, () => {
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

  test('domain, project, user and group create/list/show/set/delete, memberships and a self-service password change', async () => {
    // Domains
    const domain = await json(['domain', 'create', '--description', 'made by osc', 'osc-domain']);
    assert.equal(domain.name, 'osc-domain');
    assert.equal(domain.description, 'made by osc');
    assert.equal(domain.enabled, true);
    const domains = await json(['domain', 'list']);
    assert.ok(domains.some((d: { Name: string }) => d.Name === 'osc-domain'));
    await ok(['domain', 'set', '--description', 'changed', 'osc-domain']);
    assert.equal((await json(['domain', 'show', 'osc-domain'])).description, 'changed');
    const dup = await run(['domain', 'create', 'osc-domain']);
    assert.notEqual(dup.code, 0);
    assert.match(dup.stderr, /Conflict|409/);

    // Projects
    const project = await json([
      'project',
      'create',
      '--domain',
      'osc-domain',
      '--description',
      'first project',
      '--tag',
      'blue',
      'osc-project',
    ]);
    assert.equal(project.domain_id, domain.id);
    assert.equal(project.parent_id, domain.id);
    const child = await json(['project', 'create', '--domain', 'osc-domain', '--parent', project.id, 'osc-child']);
    assert.equal(child.parent_id, project.id);
    const projects = await json(['project', 'list', '--domain', 'osc-domain']);
    assert.deepEqual(projects.map((x: { Name: string }) => x.Name).sort(), ['osc-child', 'osc-project']);
    await ok(['project', 'set', '--description', 'renamed project', '--tag', 'green', '--domain', 'osc-domain', 'osc-project']);
    const shown = await json(['project', 'show', '--domain', 'osc-domain', 'osc-project']);
    assert.equal(shown.description, 'renamed project');
    assert.ok(String(shown.tags).includes('green'));
    const tagged = await json(['project', 'list', '--tags', 'green']);
    assert.deepEqual(
      tagged.map((x: { ID: string }) => x.ID),
      [project.id],
    );

    // Users
    const user = await json([
      'user',
      'create',
      '--domain',
      'osc-domain',
      '--password',
      'osc-pass-1',
      '--email',
      'osc@example.com',
      '--description',
      'osc user',
      '--project',
      project.id,
      'osc-user',
    ]);
    assert.equal(user.domain_id, domain.id);
    assert.equal(user.email, 'osc@example.com');
    assert.equal(user.default_project_id, project.id);
    const users = await json(['user', 'list', '--domain', 'osc-domain']);
    assert.deepEqual(
      users.map((u: { Name: string }) => u.Name),
      ['osc-user'],
    );
    await ok(['user', 'set', '--email', 'new@example.com', '--disable', user.id]);
    const userShown = await json(['user', 'show', user.id]);
    assert.equal(userShown.email, 'new@example.com');
    assert.equal(userShown.enabled, false);
    await ok(['user', 'set', '--enable', user.id]);

    // Groups and membership
    const group = await json(['group', 'create', '--domain', 'osc-domain', '--description', 'osc team', 'osc-group']);
    assert.equal(group.domain_id, domain.id);
    await ok(['group', 'add', 'user', '--group-domain', 'osc-domain', '--user-domain', 'osc-domain', 'osc-group', 'osc-user']);
    assert.match(
      await ok(['group', 'contains', 'user', '--group-domain', 'osc-domain', '--user-domain', 'osc-domain', 'osc-group', 'osc-user']),
      /osc-user in group osc-group/,
    );
    const members = await json(['user', 'list', '--group', group.id]);
    assert.deepEqual(
      members.map((u: { ID: string }) => u.ID),
      [user.id],
    );
    const groups = await json(['group', 'list', '--domain', 'osc-domain']);
    assert.deepEqual(
      groups.map((g: { Name: string }) => g.Name),
      ['osc-group'],
    );
    await ok(['group', 'set', '--description', 'renamed team', group.id]);
    assert.equal((await json(['group', 'show', group.id])).description, 'renamed team');
    await ok(['group', 'remove', 'user', '--group-domain', 'osc-domain', '--user-domain', 'osc-domain', 'osc-group', 'osc-user']);
    assert.match(
      (await run(['group', 'contains', 'user', '--group-domain', 'osc-domain', '--user-domain', 'osc-domain', 'osc-group', 'osc-user']))
        .stderr,
      /osc-user not in group osc-group/,
    );

    // The user changes their own password.
    await server.providers.assignment_api.createGrant(server.bootstrap.memberRoleId, { userId: user.id }, { projectId: project.id });
    const userEnv = {
      ...baseEnv,
      OS_USERNAME: 'osc-user',
      OS_PASSWORD: 'osc-pass-1',
      OS_PROJECT_ID: project.id,
      OS_USER_DOMAIN_NAME: 'osc-domain',
    };
    await ok(['user', 'password', 'set', '--original-password', 'osc-pass-1', '--password', 'osc-pass-2'], userEnv);
    await new Promise((r) => setTimeout(r, 1100));
    const token = await json(['token', 'issue'], { ...userEnv, OS_PASSWORD: 'osc-pass-2' });
    assert.equal(token.user_id, user.id);

    // Deletion: a domain must be disabled first.
    await ok(['group', 'delete', group.id]);
    await ok(['user', 'delete', user.id]);
    const notLeaf = await run(['project', 'delete', project.id]);
    assert.notEqual(notLeaf.code, 0);
    await ok(['project', 'delete', child.id]);
    await ok(['project', 'delete', project.id]);
    const enabled = await run(['domain', 'delete', 'osc-domain']);
    assert.notEqual(enabled.code, 0);
    await ok(['domain', 'set', '--disable', 'osc-domain']);
    await ok(['domain', 'delete', 'osc-domain']);
    const gone = await run(['domain', 'show', domain.id]);
    assert.notEqual(gone.code, 0);
    assert.match(gone.stderr, /No domain|Could not find|404/);
  });
});
