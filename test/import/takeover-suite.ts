/**
 * The take-over, end to end, from one source database kind: a Keystone 22
 * made by its own keystone-manage and filled through its own API, then
 * `keystone-manage db_import` into a fresh server of ours on the same key
 * repositories, then every object and login checked through both.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { spawn } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import {
  KEYSTONE_MANAGE,
  runKeystoneManage,
  SUITE_NODE_FLAGS,
  startKeystone,
  type KeystoneProcess,
  type RunResult,
} from '../helpers/keystone-process.js';
import { prepareKeystone22, type Keystone22 } from '../helpers/keystone-python.js';
import { call, ok, tokenFor, type Json } from './keystone-api.js';
import { fillKeystone, type FilledKeystone } from './keystone-fill.js';

const SIGN_TOOL = fileURLToPath(new URL('../../../test/fixtures/ec2/sign_tool.py', import.meta.url));
const ADMIN_PASSWORD = 'keystone-admin-secret';

export interface SourceDatabase {
  dialect: 'mysql' | 'postgresql';
  /** the SQLAlchemy URL Keystone and db_import use */
  url: string;
  /** runs SQL on the source (its own placeholder style) */
  exec(sql: string, values?: unknown[]): Promise<void>;
  /** SQL that sets a user's current password hash (placeholders: hash, user id) */
  setPasswordHashSql: string;
  stop(): Promise<void>;
}

/** An EC2 v2 signature made by keystoneclient's Ec2Signer over a request, as the ec2tokens body. */
function ec2Credentials(access: string, secret: string): Json {
  const credentials: Json = {
    access,
    host: 'ec2.example.org:8773',
    verb: 'GET',
    path: '/',
    params: {
      SignatureVersion: '2',
      SignatureMethod: 'HmacSHA256',
      AWSAccessKeyId: access,
      Action: 'DescribeInstances',
      Timestamp: new Date().toISOString().slice(0, 19) + 'Z',
    },
  };
  const r = spawnSync('/usr/bin/python3', [SIGN_TOOL], {
    input: JSON.stringify([{ kind: 'keystoneclient', secret, credentials }]),
    encoding: 'utf8',
  });
  assert.equal(r.status, 0, r.stderr);
  return { ...credentials, signature: (JSON.parse(r.stdout) as { signature: string }[])[0].signature };
}

export function describeTakeover(name: string, skip: string | false, openSource: () => Promise<SourceDatabase>): void {
  describe(name, { skip: skip === false ? false : skip }, () => {
    let source: SourceDatabase;
    let keystone: Keystone22;
    let keystoneApi: { url: string; stop(): Promise<void> };
    let filled: FilledKeystone;
    let ours: KeystoneProcess;
    let firstImport: RunResult;
    /** tokens Keystone issued before the import */
    let keystoneAliceToken: string;
    let keystoneAdmin: string;
    let ourAdmin: string;
    let keystoneSystem: string;
    let ourSystem: string;

    const dbImport = (...extra: string[]) =>
      runKeystoneManage(['db_import', '--from', source.url, ...extra], { configFile: ours.configFile, timeoutMs: 300_000 });

    before(async () => {
      source = await openSource();
      keystone = await prepareKeystone22(source.url, { adminPassword: ADMIN_PASSWORD });
      keystoneApi = await keystone.serve();
      filled = await fillKeystone(keystoneApi.url, ADMIN_PASSWORD, (userId, hash) =>
        source.exec(source.setPasswordHashSql, [hash, userId]),
      );
      const alice = filled.users[0];
      keystoneAliceToken = await tokenFor(keystoneApi.url, alice.id, alice.password, { project: filled.projectA });
      keystoneAdmin = await tokenFor(keystoneApi.url, filled.adminId, ADMIN_PASSWORD, { project: filled.adminProjectId });
      // a fresh server of ours (its first run bootstraps an admin and roles of its own), on Keystone's key repositories
      ours = await startKeystone({
        config: {
          fernet_tokens: { key_repository: keystone.fernetKeyRepository },
          fernet_receipts: { key_repository: keystone.fernetKeyRepository },
          credential: { key_repository: keystone.credentialKeyRepository },
        },
        readyTimeoutMs: 180_000, // beside a running Keystone 22 and its database on a 2-core machine
      });
      firstImport = await dbImport();
      ourAdmin = await tokenFor(ours.publicUrl, filled.adminId, ADMIN_PASSWORD, { project: filled.adminProjectId });
      keystoneSystem = await tokenFor(keystoneApi.url, filled.adminId, ADMIN_PASSWORD, { system: true });
      ourSystem = await tokenFor(ours.publicUrl, filled.adminId, ADMIN_PASSWORD, { system: true });
    });
    after(async () => {
      await ours?.stop();
      await keystoneApi?.stop();
      keystone?.remove();
      await source?.stop();
    });

    it('imports every table with a summary of counts, progress on stderr', () => {
      assert.equal(firstImport.code, 0, firstImport.stdout + firstImport.stderr);
      assert.match(
        firstImport.stderr,
        /Keystone schema alembic 29e87d24a316 \(Yoga expand\), e25ffa003242 \(Yoga contract\)|Keystone schema alembic e25ffa003242 \(Yoga contract\), 29e87d24a316 \(Yoga expand\)/,
      );
      assert.match(firstImport.stderr, /db_import: assignment: \d+ rows read/);
      for (const table of [
        'project',
        'user',
        'password',
        'assignment',
        'implied_role',
        'credential',
        'trust',
        'application_credential',
        'access_rule',
        'limit',
      ])
        assert.match(firstImport.stdout, new RegExp(`^${table} +\\d+ +\\d+`, 'm'), table);
      assert.match(firstImport.stdout, /0 refused\.$/m);
      assert.match(firstImport.stdout, /^Applied to the served tables in one transaction: \d+ row\(s\) written\.$/m);
    });

    it('every user logs in here with the same password, whatever its hash format', async () => {
      for (const user of filled.users) {
        const token = await tokenFor(ours.publicUrl, user.id, user.password, { project: user.projectId });
        assert.ok(token, `${user.name} (${user.format})`);
        const wrong = await call(ours.publicUrl, 'POST', '/v3/auth/tokens', {
          body: { auth: { identity: { methods: ['password'], password: { user: { id: user.id, password: 'not-' + user.password } } } } },
        });
        assert.equal(wrong.status, 401, user.format);
      }
    });

    it('lists the same objects with the same ids as Keystone', async () => {
      const lists: [path: string, key: string][] = [
        ['/v3/domains', 'domains'],
        ['/v3/projects', 'projects'],
        ['/v3/users', 'users'],
        ['/v3/groups', 'groups'],
        ['/v3/roles', 'roles'],
        [`/v3/roles?domain_id=${filled.domainId}`, 'roles'],
        ['/v3/regions', 'regions'],
        ['/v3/services', 'services'],
        ['/v3/endpoints', 'endpoints'],
        ['/v3/credentials', 'credentials'],
        ['/v3/registered_limits', 'registered_limits'],
        ['/v3/limits', 'limits'],
        ['/v3/OS-TRUST/trusts', 'trusts'],
        [`/v3/groups/${filled.groupId}/users`, 'users'],
        [`/v3/projects?parent_id=${filled.projectA}`, 'projects'],
      ];
      for (const [path, key] of lists) {
        const theirs = ((await ok(keystoneApi.url, 'GET', path, { token: keystoneSystem }))[key] as { id: string }[])
          .map((o) => o.id)
          .sort();
        const mine = ((await ok(ours.publicUrl, 'GET', path, { token: ourSystem }))[key] as { id: string }[]).map((o) => o.id).sort();
        assert.deepEqual(mine, theirs, path);
        assert.ok(theirs.length > 0, path);
      }
      const assignments = async (base: string, token: string) =>
        ((await ok(base, 'GET', '/v3/role_assignments', { token }))['role_assignments'] as Json[])
          .map((a) =>
            JSON.stringify([
              a.user?.id ?? a.group?.id,
              a.scope?.project?.id ?? a.scope?.domain?.id ?? 'system',
              a.role.id,
              a.scope?.['OS-INHERIT:inherited_to'] ?? '',
            ]),
          )
          .sort();
      assert.deepEqual(await assignments(ours.publicUrl, ourAdmin), await assignments(keystoneApi.url, keystoneAdmin));
      const inferences = async (base: string, token: string) =>
        ((await ok(base, 'GET', '/v3/role_inferences', { token }))['role_inferences'] as Json[])
          .flatMap((r) => (r.implies as Json[]).map((i) => `${r.prior_role.id as string}>${i.id as string}`))
          .sort();
      assert.deepEqual(await inferences(ours.publicUrl, ourAdmin), await inferences(keystoneApi.url, keystoneAdmin));
      const dave = filled.users.find((u) => u.name === 'dave')!;
      const daveToken = await ok(ours.publicUrl, 'POST', '/v3/auth/tokens', {
        body: {
          auth: {
            identity: { methods: ['password'], password: { user: { id: dave.id, password: dave.password } } },
            scope: { project: { id: filled.projectA1 } },
          },
        },
      });
      assert.ok(
        (daveToken.token.roles as { id: string }[]).some((r) => r.id === filled.memberRoleId),
        'inherited group grant',
      );
    });

    it('a Fernet token Keystone issued before validates here, and one issued here validates on Keystone', async () => {
      const here = await ok(ours.publicUrl, 'GET', '/v3/auth/tokens', { token: ourAdmin, subject: keystoneAliceToken });
      assert.equal(here.token.user.id, filled.users[0].id);
      assert.equal(here.token.project.id, filled.projectA);
      const roleIds = (here.token.roles as { id: string }[]).map((r) => r.id).sort();
      const there = await ok(keystoneApi.url, 'GET', '/v3/auth/tokens', { token: keystoneAdmin, subject: keystoneAliceToken });
      assert.deepEqual(roleIds, (there.token.roles as { id: string }[]).map((r) => r.id).sort());
      const alice = filled.users[0];
      const ourAliceToken = await tokenFor(ours.publicUrl, alice.id, alice.password, { project: filled.projectA });
      const validated = await ok(keystoneApi.url, 'GET', '/v3/auth/tokens', { token: keystoneAdmin, subject: ourAliceToken });
      assert.equal(validated.token.user.id, alice.id);
      assert.equal(validated.token.project.id, filled.projectA);
    });

    it('EC2 signatures made with the old secrets verify here (and on Keystone)', async () => {
      const credentials = ec2Credentials(filled.ec2.access, filled.ec2.secret);
      const there = await ok(keystoneApi.url, 'POST', '/v3/ec2tokens', { token: keystoneAdmin, body: { credentials } }, 200);
      // (Keystone 22 also answers without X-Auth-Token; this server asks for one: not the import's business)
      const here = await ok(ours.publicUrl, 'POST', '/v3/ec2tokens', { token: ourAdmin, body: { credentials } }, 200);
      assert.equal(here.token.user.id, filled.ec2.userId);
      assert.equal(here.token.project.id, there.token.project.id);
      const forged = ec2Credentials(filled.ec2.access, 'not-the-secret');
      assert.equal((await call(ours.publicUrl, 'POST', '/v3/ec2tokens', { token: ourAdmin, body: { credentials: forged } })).status, 401);
    });

    it('the application credential (with its access rules) and the trust work here', async () => {
      const app = await ok(ours.publicUrl, 'POST', '/v3/auth/tokens', {
        body: {
          auth: {
            identity: {
              methods: ['application_credential'],
              application_credential: { id: filled.applicationCredential.id, secret: filled.applicationCredential.secret },
            },
          },
        },
      });
      assert.equal(app.token.application_credential.id, filled.applicationCredential.id);
      assert.deepEqual(
        (app.token.application_credential.access_rules as Json[]).map((r) => [r.service, r.path, r.method]),
        [['compute', '/v2.1/servers', 'GET']],
      );
      const bob = filled.users[1];
      const bobToken = await tokenFor(ours.publicUrl, bob.id, bob.password);
      const trustScoped = await ok(ours.publicUrl, 'POST', '/v3/auth/tokens', {
        body: { auth: { identity: { methods: ['token'], token: { id: bobToken } }, scope: { 'OS-TRUST:trust': { id: filled.trustId } } } },
      });
      assert.equal(trustScoped.token['OS-TRUST:trust'].id, filled.trustId);
    });

    it('a second run with nothing changed writes nothing; changes made on Keystone come over, deletions too', async () => {
      const again = await dbImport();
      assert.equal(again.code, 0, again.stderr);
      assert.match(again.stdout, /staged: 0 new, 0 changed, 0 gone; 0 refused\./);
      // the source's own checksum says nothing changed: the big tables are not read again
      assert.match(again.stdout, /^assignment .*\(unchanged at the source: not read again\)$/m);
      assert.match(again.stdout, /^\d+ table\(s\) unchanged at the source since the last run/m);
      // only what this server changed itself since comes back to Keystone's values (the failed logins above)
      for (const line of again.stdout.split('\n').filter((l) => /^[a-z_]+ +\d+/.test(l) && !l.startsWith('local_user ')))
        assert.match(line, /\+0 ~0 -0( {2}\(unchanged at the source: not read again\))?$/, line);

      const t = { token: keystoneAdmin };
      const newProject = (
        await ok(keystoneApi.url, 'POST', '/v3/projects', { ...t, body: { project: { name: 'late', domain_id: filled.domainId } } })
      ).project.id as string;
      await ok(
        keystoneApi.url,
        'PATCH',
        `/v3/projects/${filled.projectB}`,
        { ...t, body: { project: { description: 'changed on Keystone' } } },
        200,
      );
      await ok(keystoneApi.url, 'DELETE', `/v3/projects/${filled.projectA}/users/${filled.users[1].id}/roles/${filled.memberRoleId}`, t);

      const dry = await dbImport('--dry-run');
      assert.equal(dry.code, 0, dry.stderr);
      assert.match(
        dry.stdout,
        /^Dry run, nothing changed: \d+ rows read .*would stage: [1-9]\d* new, [1-9]\d* changed, [1-9]\d* gone; 0 refused\.$/m,
      );
      assert.equal((await call(ours.publicUrl, 'GET', `/v3/projects/${newProject}`, { token: ourAdmin })).status, 404);

      const delta = await dbImport();
      assert.equal(delta.code, 0, delta.stderr);
      assert.match(delta.stdout, /^project +\d+ +1 +1 +0 /m);
      assert.match(delta.stdout, /^assignment +\d+ +0 +0 +1 /m);
      assert.equal((await ok(ours.publicUrl, 'GET', `/v3/projects/${newProject}`, { token: ourAdmin })).project.name, 'late');
      assert.equal(
        (await ok(ours.publicUrl, 'GET', `/v3/projects/${filled.projectB}`, { token: ourAdmin })).project.description,
        'changed on Keystone',
      );
      const bobGrants = await ok(
        ours.publicUrl,
        'GET',
        `/v3/role_assignments?user.id=${filled.users[1].id}&scope.project.id=${filled.projectA}`,
        {
          token: ourAdmin,
        },
      );
      assert.deepEqual(bobGrants.role_assignments, []);

      // what this server changed itself stays on a re-run unless Keystone changed the row; --full compares every row
      const ourPath = `/v3/projects/${newProject}`;
      await ok(ours.publicUrl, 'PATCH', ourPath, { token: ourAdmin, body: { project: { enabled: false } } }, 200);
      await ok(ours.publicUrl, 'DELETE', ourPath, { token: ourAdmin }, 204);
      const plain = await dbImport();
      assert.equal(plain.code, 0, plain.stderr);
      assert.equal((await call(ours.publicUrl, 'GET', ourPath, { token: ourAdmin })).status, 404);
      const full = await dbImport('--full');
      assert.equal(full.code, 0, full.stderr);
      assert.doesNotMatch(full.stdout, /not read again/);
      assert.match(full.stdout, /^project +\d+ +0 +0 +0 .*\+1 ~\d+ -0$/m);
      assert.equal((await ok(ours.publicUrl, 'GET', ourPath, { token: ourAdmin })).project.name, 'late');
    });

    it("refuses a database at an alembic revision newer than it knows, and one that is not Keystone's, changing nothing", async () => {
      await source.exec("UPDATE alembic_version SET version_num = 'ffffffffffff' WHERE version_num = 'e25ffa003242'");
      try {
        const newer = await dbImport();
        assert.notEqual(newer.code, 0);
        assert.match(newer.stderr, /alembic revision ffffffffffff, which this code does not know/);
      } finally {
        await source.exec("UPDATE alembic_version SET version_num = 'e25ffa003242' WHERE version_num = 'ffffffffffff'");
      }
      const notKeystone = await runKeystoneManage(
        ['db_import', '--from', source.url.replace(/\/[^/]+$/, source.dialect === 'mysql' ? '/information_schema' : '/postgres')],
        {
          configFile: ours.configFile,
        },
      );
      assert.notEqual(notKeystone.code, 0);
      assert.match(notKeystone.stderr, /is not a Keystone database/);
      const bad = await runKeystoneManage(['db_import', '--from', 'sqlite:////tmp/keystone.db'], { configFile: ours.configFile });
      assert.equal(bad.code, 2);
      assert.match(bad.stderr, /--from must be the SQLAlchemy URL of a Keystone database/);
      await tokenFor(ours.publicUrl, filled.adminId, ADMIN_PASSWORD, { project: filled.adminProjectId });
    });

    it('a row that breaks our constraints stops the apply with a clear message; nothing half-imported is served', async () => {
      if (source.dialect !== 'mysql') return; // only MySQL lets a Keystone database hold such a row (foreign key checks off)
      const t = { token: keystoneAdmin };
      const late = (
        await ok(keystoneApi.url, 'POST', '/v3/projects', { ...t, body: { project: { name: 'before-orphan', domain_id: 'default' } } })
      ).project.id as string;
      await source.exec(
        `SET FOREIGN_KEY_CHECKS = 0; INSERT INTO user_group_membership (user_id, group_id) VALUES ('${filled.users[0].id}', 'no-such-group'); SET FOREIGN_KEY_CHECKS = 1`,
      );
      try {
        const broken = await dbImport();
        assert.equal(broken.code, 1, broken.stdout);
        assert.match(
          broken.stderr,
          /A row of table user_group_membership breaks our constraint .*Nothing was applied: the server serves what it served before/,
        );
        assert.equal((await call(ours.publicUrl, 'GET', `/v3/projects/${late}`, { token: ourAdmin })).status, 404);
      } finally {
        await source.exec("DELETE FROM user_group_membership WHERE group_id = 'no-such-group'");
      }
      const fixed = await dbImport();
      assert.equal(fixed.code, 0, fixed.stderr);
      assert.equal((await ok(ours.publicUrl, 'GET', `/v3/projects/${late}`, { token: ourAdmin })).project.name, 'before-orphan');
    });

    it('an import killed midway leaves the served tables as they were, and the next run resumes', async () => {
      const rows = 30_000;
      const values: string[] = [];
      for (let i = 0; i < rows; i++)
        values.push(`('UserProject', 'bulk-${String(i).padStart(6, '0')}', '${filled.projectB}', '${filled.memberRoleId}', false)`);
      for (let i = 0; i < rows; i += 5000)
        await source.exec(
          `INSERT INTO assignment (type, actor_id, target_id, role_id, inherited) VALUES ${values.slice(i, i + 5000).join(', ')}`,
        );
      const grantsOnB = async () =>
        (
          (await ok(ours.publicUrl, 'GET', `/v3/role_assignments?scope.project.id=${filled.projectB}`, { token: ourAdmin }))
            .role_assignments as Json[]
        ).length;
      const before = await grantsOnB();
      // started by hand to be killed once it has committed a few batches of assignment rows
      const child = spawn(
        process.execPath,
        [...SUITE_NODE_FLAGS, KEYSTONE_MANAGE, '--config-file', ours.configFile, 'db_import', '--from', source.url],
        {
          stdio: ['ignore', 'ignore', 'pipe'],
        },
      );
      const exited = new Promise<void>((resolve) =>
        child.once('exit', () => {
          resolve();
        }),
      );
      let stderr = '';
      await new Promise<void>((resolve) => {
        child.stderr.on('data', (d: Buffer) => {
          stderr += d.toString();
          if (/assignment: (1[05]|20)\d{3} rows read/.test(stderr)) resolve();
        });
        void exited.then(() => {
          resolve();
        });
      });
      child.kill('SIGKILL');
      await exited;
      assert.match(stderr, /assignment: \d+ rows read, \d+ to stage/, 'killed while staging assignments');
      assert.doesNotMatch(stderr, /applying to the served tables/);
      assert.equal(await grantsOnB(), before, 'nothing of the killed run is served');
      const doctor = await runKeystoneManage(['doctor'], { configFile: ours.configFile });
      assert.match(doctor.stdout + doctor.stderr, /import: the db_import started at .* did not finish/);
      const resumed = await dbImport();
      assert.equal(resumed.code, 0, resumed.stderr);
      const m = /^assignment +(\d+) +(\d+) /m.exec(resumed.stdout);
      assert.ok(m, resumed.stdout);
      assert.ok(Number(m[2]) < rows, `the resumed run staged only what the killed one had not: ${m[2]} new of ${String(rows)}`);
      assert.equal(await grantsOnB(), before + rows);
      const healthy = await runKeystoneManage(['doctor'], { configFile: ours.configFile });
      assert.doesNotMatch(healthy.stdout + healthy.stderr, /import: /);
    });
  });
}
