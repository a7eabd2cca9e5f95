/**
 * One storage suite, every backend: embedded PGlite always, the machine's
 * PostgreSQL when CI=true (or KEYSTONE_TEST_POSTGRES=1).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createTestDatabase, databaseKinds, type TestDatabase } from '../helpers/test-database.js';
import { makeTestConfig, type TestConfig } from '../helpers/test-config.js';
import { buildProviders } from '../../src/wiring/build-providers.js';
import type { ProviderApi } from '../../src/common/provider-api.js';
import type { Database } from '../../src/storage/database.js';
import {
  currentSchemaVersion,
  syncSchema,
  assertSchemaCurrent,
  LATEST_SCHEMA_VERSION,
  SchemaOutOfDateError,
} from '../../src/storage/migrator.js';
import { closeDatabases, isDatabaseUnavailable } from '../../src/storage/database.js';
import { runBootstrap } from '../../src/cli/bootstrap.js';

for (const kind of databaseKinds()) {
  describe(`storage conformance on ${kind}`, () => {
    let database: TestDatabase;
    let config: TestConfig;
    let providers: ProviderApi;
    let db: Database;

    before(async () => {
      database = await createTestDatabase(kind);
      config = makeTestConfig({ database: { connection: database.connection } });
      ({ providers, db } = buildProviders(config.conf, { embeddedSocketDir: database.embeddedSocketDir }));
    });
    after(async () => {
      await closeDatabases();
      await database.close();
      config.cleanup();
    });

    test('an empty database has no schema, and the server refuses it', async () => {
      assert.equal(await currentSchemaVersion(db), 0);
      await assert.rejects(assertSchemaCurrent(db), SchemaOutOfDateError);
    });

    test('db_sync applies every migration once; a second run is a no-op', async () => {
      const first = await syncSchema(db);
      assert.deepEqual(first.at(-1), LATEST_SCHEMA_VERSION);
      assert.deepEqual(await syncSchema(db), []);
      assert.equal(await currentSchemaVersion(db), LATEST_SCHEMA_VERSION);
      await assertSchemaCurrent(db);
    });

    test('bootstrap creates the default domain, roles with implications, admin user and project; running it again changes nothing', async () => {
      const first = await runBootstrap(
        { providers },
        { password: 'bootstrap-secret', regionId: 'RegionOne', publicUrl: 'http://ks:5000/v3' },
      );
      const second = await runBootstrap(
        { providers },
        { password: 'bootstrap-secret', regionId: 'RegionOne', publicUrl: 'http://ks:5000/v3' },
      );
      assert.deepEqual(second, first);
      const domain = await providers.resource_api.getDomain('default');
      assert.equal(domain.name, 'Default');
      const roles = await providers.assignment_api.rolesForUserOnProject(first.userId, first.projectId);
      assert.deepEqual(roles.map((r) => r.name).sort(), ['admin', 'member', 'reader']);
      const systemRoles = await providers.assignment_api.rolesForUserOnSystem(first.userId);
      assert.deepEqual(systemRoles.map((r) => r.name).sort(), ['admin', 'member', 'reader']);
      const endpoints = (await providers.catalog_api.listEndpoints()).filter((e) => e.serviceId === first.serviceId);
      assert.equal(endpoints.length, 1);
      const user = await providers.identity_api.getUser(first.userId);
      assert.equal((await providers.identity_api.authenticatePassword(user, 'bootstrap-secret')).id, first.userId);
    });

    test('project hierarchy: parents and subtree, depth limit', async () => {
      const a = await providers.resource_api.createProject({ name: 'a', domainId: 'default' });
      const b = await providers.resource_api.createProject({ name: 'b', parentId: a.id });
      const c = await providers.resource_api.createProject({ name: 'c', parentId: b.id });
      assert.equal(a.parentId, 'default');
      assert.deepEqual(
        (await providers.resource_api.listParents(c.id)).map((p) => p.name),
        ['b', 'a'],
      );
      assert.deepEqual(
        (await providers.resource_api.listSubtree(a.id)).map((p) => p.name),
        ['b', 'c'],
      );
      let parent = c;
      await assert.rejects(async () => {
        for (let i = 0; i < 10; i++) parent = await providers.resource_api.createProject({ name: `deep${i}`, parentId: parent.id });
      }, /Max hierarchy depth reached/);
    });

    test('duplicate names are a 409 Conflict, and nothing is written', async () => {
      await providers.identity_api.createUser({ name: 'dup', domainId: 'default', password: 'x' });
      await assert.rejects(
        providers.identity_api.createUser({ name: 'dup', domainId: 'default', password: 'y' }),
        (err: { code: number }) => err.code === 409,
      );
      assert.equal((await providers.identity_api.listUsers({ name: 'dup' })).length, 1);
    });

    test('inherited and group assignments reach the effective roles; implied roles expand', async () => {
      const user = await providers.identity_api.createUser({ name: 'grp-user', domainId: 'default', password: 'pw' });
      const member = await providers.role_api.findRoleByName('member');
      const admin = await providers.role_api.findRoleByName('admin');
      assert.ok(member && admin);
      const parent = await providers.resource_api.createProject({ name: 'parent-x', domainId: 'default' });
      const child = await providers.resource_api.createProject({ name: 'child-x', parentId: parent.id });
      await db.none('INSERT INTO "group" (id, domain_id, name) VALUES ($1, $2, $3)', ['g1', 'default', 'group-one']);
      await db.none('INSERT INTO user_group_membership (user_id, group_id) VALUES ($1, $2)', [user.id, 'g1']);
      await providers.assignment_api.createGrant(member.id, { groupId: 'g1' }, { projectId: parent.id }, true);
      assert.deepEqual(
        (await providers.assignment_api.rolesForUserOnProject(user.id, child.id)).map((r) => r.name),
        ['member', 'reader'],
      );
      assert.deepEqual(await providers.assignment_api.rolesForUserOnProject(user.id, parent.id), []);
      await providers.assignment_api.createGrant(admin.id, { userId: user.id }, { domainId: 'default' });
      assert.deepEqual(
        (await providers.assignment_api.rolesForUserOnDomain(user.id, 'default')).map((r) => r.name),
        ['admin', 'member', 'reader'],
      );
    });

    test('a transaction that fails leaves nothing behind', async () => {
      await assert.rejects(
        db.tx(async (t) => {
          await t.none("INSERT INTO region (id, description) VALUES ('tx-region', '')");
          await t.none('INSERT INTO region (id, description) VALUES (NULL, NULL)');
        }),
      );
      assert.equal(await db.oneOrNone("SELECT id FROM region WHERE id = 'tx-region'"), null);
    });

    test('over-long values are refused by the database as an error, not truncated', async () => {
      await assert.rejects(
        db.none('INSERT INTO region (id) VALUES ($1)', ['x'.repeat(300)]),
        (err: { code?: string }) => err.code === '22001',
      );
    });

    if (kind === 'postgres') {
      test('connections killed by the server are replaced without a restart', async () => {
        await db.one('SELECT 1 AS one');
        const admin = (await import('pg-promise')).default()(
          process.env.KEYSTONE_TEST_POSTGRES_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres',
        );
        await admin
          .any(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() AND application_name LIKE 'keystone-%'",
          )
          .catch(() => undefined);
        await admin.any('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1', [
          new URL(database.connection).pathname.slice(1),
        ]);
        await admin.$pool.end();
        let answered = false;
        for (let i = 0; i < 5 && !answered; i++) {
          try {
            await db.one('SELECT 1 AS one');
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
