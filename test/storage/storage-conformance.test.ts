/**
 * One storage suite, every backend: embedded PGlite always, the machine's
 * PostgreSQL when CI=true (or KEYSTONE_TEST_POSTGRES=1).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createTestDatabase, databaseKinds, type TestDatabase } from '../helpers/test-database.js';
import { makeTestConfig, type TestConfig } from '../helpers/test-config.js';
import { buildServices, type Services } from '../../src/server/services.js';
import { currentSchemaVersion, syncSchema, assertSchemaCurrent, LATEST_SCHEMA_VERSION, SchemaOutOfDateError } from '../../src/storage/migrator.js';
import { closeDatabases, isDatabaseUnavailable } from '../../src/storage/database.js';
import { runBootstrap } from '../../src/cli/bootstrap.js';

for (const kind of databaseKinds()) {
  describe(`storage conformance on ${kind}`, () => {
    let database: TestDatabase;
    let config: TestConfig;
    let services: Services;

    before(async () => {
      database = await createTestDatabase(kind);
      config = makeTestConfig({ database: { connection: database.connection } });
      services = buildServices(config.conf, { embeddedSocketDir: database.embeddedSocketDir });
    });
    after(async () => {
      await closeDatabases();
      await database.close();
      config.cleanup();
    });

    test('an empty database has no schema, and the server refuses it', async () => {
      assert.equal(await currentSchemaVersion(services.db), 0);
      await assert.rejects(assertSchemaCurrent(services.db), SchemaOutOfDateError);
    });

    test('db_sync applies every migration once; a second run is a no-op', async () => {
      const first = await syncSchema(services.db);
      assert.deepEqual(first.at(-1), LATEST_SCHEMA_VERSION);
      assert.deepEqual(await syncSchema(services.db), []);
      assert.equal(await currentSchemaVersion(services.db), LATEST_SCHEMA_VERSION);
      await assertSchemaCurrent(services.db);
    });

    test('bootstrap creates the default domain, roles with implications, admin user and project; running it again changes nothing', async () => {
      const first = await runBootstrap(services, { password: 'bootstrap-secret', regionId: 'RegionOne', publicUrl: 'http://ks:5000/v3' });
      const second = await runBootstrap(services, { password: 'bootstrap-secret', regionId: 'RegionOne', publicUrl: 'http://ks:5000/v3' });
      assert.deepEqual(second, first);
      const domain = await services.resource.getDomain('default');
      assert.equal(domain.name, 'Default');
      const roles = await services.assignment.rolesForUserOnProject(first.userId, first.projectId);
      assert.deepEqual(roles.map((r) => r.name).sort(), ['admin', 'member', 'reader']);
      const systemRoles = await services.assignment.rolesForUserOnSystem(first.userId);
      assert.deepEqual(systemRoles.map((r) => r.name).sort(), ['admin', 'member', 'reader']);
      const endpoints = (await services.catalog.listEndpoints()).filter((e) => e.serviceId === first.serviceId);
      assert.equal(endpoints.length, 1);
      const user = await services.identity.getUser(first.userId);
      assert.equal((await services.identity.authenticatePassword(user, 'bootstrap-secret')).id, first.userId);
    });

    test('project hierarchy: parents and subtree, depth limit', async () => {
      const a = await services.resource.createProject({ name: 'a', domainId: 'default' });
      const b = await services.resource.createProject({ name: 'b', parentId: a.id });
      const c = await services.resource.createProject({ name: 'c', parentId: b.id });
      assert.equal(a.parentId, 'default');
      assert.deepEqual((await services.resource.listParents(c.id)).map((p) => p.name), ['b', 'a']);
      assert.deepEqual((await services.resource.listSubtree(a.id)).map((p) => p.name), ['b', 'c']);
      let parent = c;
      await assert.rejects(async () => {
        for (let i = 0; i < 10; i++) parent = await services.resource.createProject({ name: `deep${i}`, parentId: parent.id });
      }, /Max hierarchy depth reached/);
    });

    test('duplicate names are a 409 Conflict, and nothing is written', async () => {
      await services.identity.createUser({ name: 'dup', domainId: 'default', password: 'x' });
      await assert.rejects(services.identity.createUser({ name: 'dup', domainId: 'default', password: 'y' }), (err: { code: number }) => err.code === 409);
      assert.equal((await services.identity.listUsers({ name: 'dup' })).length, 1);
    });

    test('inherited and group assignments reach the effective roles; implied roles expand', async () => {
      const user = await services.identity.createUser({ name: 'grp-user', domainId: 'default', password: 'pw' });
      const member = await services.assignment.findRoleByName('member');
      const admin = await services.assignment.findRoleByName('admin');
      assert.ok(member && admin);
      const parent = await services.resource.createProject({ name: 'parent-x', domainId: 'default' });
      const child = await services.resource.createProject({ name: 'child-x', parentId: parent.id });
      await services.db.none('INSERT INTO "group" (id, domain_id, name) VALUES ($1, $2, $3)', ['g1', 'default', 'group-one']);
      await services.db.none('INSERT INTO user_group_membership (user_id, group_id) VALUES ($1, $2)', [user.id, 'g1']);
      await services.assignment.createGrant(member.id, { groupId: 'g1' }, { projectId: parent.id }, true);
      assert.deepEqual((await services.assignment.rolesForUserOnProject(user.id, child.id)).map((r) => r.name), ['member', 'reader']);
      assert.deepEqual(await services.assignment.rolesForUserOnProject(user.id, parent.id), []);
      await services.assignment.createGrant(admin.id, { userId: user.id }, { domainId: 'default' });
      assert.deepEqual((await services.assignment.rolesForUserOnDomain(user.id, 'default')).map((r) => r.name), ['admin', 'member', 'reader']);
    });

    test('a transaction that fails leaves nothing behind', async () => {
      await assert.rejects(services.db.tx(async (t) => {
        await t.none("INSERT INTO region (id, description) VALUES ('tx-region', '')");
        await t.none('INSERT INTO region (id, description) VALUES (NULL, NULL)');
      }));
      assert.equal(await services.db.oneOrNone("SELECT id FROM region WHERE id = 'tx-region'"), null);
    });

    test('over-long values are refused by the database as an error, not truncated', async () => {
      await assert.rejects(services.db.none('INSERT INTO region (id) VALUES ($1)', ['x'.repeat(300)]), (err: { code?: string }) => err.code === '22001');
    });

    if (kind === 'postgres') {
      test('connections killed by the server are replaced without a restart', async () => {
        await services.db.one('SELECT 1 AS one');
        const admin = (await import('pg-promise')).default()(process.env.KEYSTONE_TEST_POSTGRES_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres');
        await admin.any("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() AND application_name LIKE 'keystone-%'").catch(() => undefined);
        await admin.any('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1', [new URL(database.connection).pathname.slice(1)]);
        await admin.$pool.end();
        let answered = false;
        for (let i = 0; i < 5 && !answered; i++) {
          try {
            await services.db.one('SELECT 1 AS one');
            answered = true;
          } catch (err) {
            assert.ok(isDatabaseUnavailable(err), `unexpected error ${(err as Error).message}`);
          }
        }
        assert.ok(answered);
      });
    }
  });
}
