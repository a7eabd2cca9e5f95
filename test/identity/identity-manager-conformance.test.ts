/**
 * identity_api's behaviour for a domain, whichever backend serves it: the
 * same users and groups (test/helpers/ldap-fixture.ts) in a SQL domain
 * (made through the manager) and in LDAP domains configured through the
 * database (slapd over plain LDAP and LDAPS). Found by id and name, listed
 * and filtered, hostile names matched literally, password authentication
 * (a wrong password and an unknown user alike, a disabled user refused),
 * groups and memberships both ways. And a directory that hangs does not
 * hold up the SQL domains.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Socket } from 'node:net';
import type { ProviderApi } from '../../src/common/provider-api.js';
import { KeystoneError, Unauthorized } from '../../src/common/errors.js';
import { buildProviders } from '../../src/wiring/build-providers.js';
import { syncSchema } from '../../src/storage/migrator.js';
import { closeDatabases } from '../../src/storage/database.js';
import { makeTestConfig } from '../helpers/test-config.js';
import { createTestDatabase } from '../helpers/test-database.js';
import { startSlapd, slapdAvailable, type Slapd } from '../helpers/slapd.js';
import { FIXTURE_GROUPS, ONE_LEVEL_USERS, ldapOptions, seedDirectory, type LdapTransport } from '../helpers/ldap-fixture.js';

type Backend = 'sql' | LdapTransport;

const BACKENDS: Backend[] = ['sql', 'plain', 'ldaps'];
const byName = (a: { name: string }, b: { name: string }) => a.name.localeCompare(b.name);

describe('identity_api conformance across backends', { skip: !slapdAvailable() && 'slapd is not installed' }, () => {
  let slapd: Slapd;
  let providers: ProviderApi;
  let close: () => Promise<void>;

  before(async () => {
    slapd = await startSlapd();
    seedDirectory(slapd);
    const database = await createTestDatabase('pglite');
    const config = makeTestConfig({
      database: { connection: database.connection },
      identity: { domain_specific_drivers_enabled: true, domain_configurations_from_database: true },
    });
    const built = buildProviders(config.conf, { embeddedSocketDir: database.embeddedSocketDir });
    await syncSchema(built.db);
    providers = built.providers;
    close = async () => {
      await providers.identity_api.close();
      await built.cache.close();
      await closeDatabases();
      await database.close();
      config.cleanup();
    };
  });
  after(async () => {
    await close();
    await slapd.stop();
  });

  /** A domain holding the fixture, on the backend asked for. */
  async function fixtureDomain(backend: Backend): Promise<string> {
    const domain = await providers.resource_api.createDomain({ name: `conformance-${backend}` });
    if (backend !== 'sql') {
      await providers.domain_config_api.createConfig(domain.id, { identity: { driver: 'ldap' }, ldap: ldapOptions(slapd, backend) });
      return domain.id;
    }
    const identity = providers.identity_api;
    const ids: Record<string, string> = {};
    for (const u of ONE_LEVEL_USERS) {
      const extra: Record<string, unknown> = {};
      if (u.mail) extra.email = u.mail;
      if (u.description) extra.description = u.description;
      ids[u.id] = (await identity.createUser({ name: u.name, domainId: domain.id, password: u.password, enabled: u.enabled, extra })).id;
    }
    for (const g of FIXTURE_GROUPS) {
      const group = await identity.createGroup({ name: g.name, domainId: domain.id, description: g.description });
      for (const m of g.members) await identity.addUserToGroup(ids[m], group.id);
    }
    return domain.id;
  }

  for (const backend of BACKENDS) {
    describe(`on ${backend === 'sql' ? 'SQL' : `LDAP over ${backend}`}`, () => {
      let domainId: string;
      before(async () => {
        domainId = await fixtureDomain(backend);
      });
      const user = async (name: string) => {
        const found = await providers.identity_api.findUserByName(name, domainId);
        assert.ok(found, `user ${name}`);
        return found;
      };

      test('users are found by name and by id, with their domain and attributes', async () => {
        const alice = await user('Alice Liddell');
        assert.equal(alice.domainId, domainId);
        assert.equal(alice.enabled, true);
        assert.equal(alice.extra.email, 'alice@example.org');
        assert.equal((await providers.identity_api.getUser(alice.id)).name, 'Alice Liddell');
        assert.equal((await user('bob')).enabled, false);
        assert.equal(await providers.identity_api.findUserByName('nobody', domainId), null);
      });

      test('users are listed by name and filtered; hostile names are matched literally', async () => {
        const all = await providers.identity_api.listUsers({ domainId });
        assert.deepEqual(all.map((u) => u.name).sort(), ONE_LEVEL_USERS.map((u) => u.name).sort());
        assert.deepEqual(
          (await providers.identity_api.listUsers({ domainId, name: 'bob' })).map((u) => u.name),
          ['bob'],
        );
        assert.deepEqual(
          (await providers.identity_api.listUsers({ domainId, enabled: false })).map((u) => u.name),
          ['bob'],
        );
        assert.deepEqual(await providers.identity_api.listUsers({ domainId, name: '*' }), []);
        assert.equal(await providers.identity_api.findUserByName('*', domainId), null);
        assert.equal((await user('st*r')).name, 'st*r');
        assert.equal((await user('a)(sn=*')).name, 'a)(sn=*');
        assert.equal((await user('back\\slash')).name, 'back\\slash');
        assert.equal(await providers.identity_api.findGroupByName('*', domainId), null);
      });

      test('password authentication: a wrong password and an unknown user alike; a disabled user refused', async () => {
        const alice = await user('Alice Liddell');
        assert.equal((await providers.identity_api.authenticatePassword(alice, 'alice-pw')).id, alice.id);
        const wrong = await providers.identity_api.authenticatePassword(alice, 'wrong').catch((e: unknown) => e);
        const unknown = await providers.identity_api.authenticatePassword(null, 'alice-pw').catch((e: unknown) => e);
        assert.ok(wrong instanceof Unauthorized && unknown instanceof Unauthorized);
        assert.equal(wrong.message, unknown.message);
        const bob = await user('bob');
        await assert.rejects(providers.identity_api.authenticatePassword(bob, 'bob-pw'), Unauthorized);
      });

      test('groups and memberships both ways', async () => {
        const groups = await providers.identity_api.listGroups({ domainId });
        assert.deepEqual(groups.map((g) => g.name).sort(), FIXTURE_GROUPS.map((g) => g.name).sort());
        const developers = await providers.identity_api.findGroupByName('developers', domainId);
        assert.ok(developers);
        assert.equal(developers.domainId, domainId);
        assert.equal((await providers.identity_api.getGroup(developers.id)).description, 'people who write code');
        const alice = await user('Alice Liddell');
        const bob = await user('bob');
        const carol = await user('carol');
        assert.deepEqual(
          (await providers.identity_api.listGroupsForUser(alice.id)).sort(byName).map((g) => g.name),
          ['developers', 'operators'],
        );
        assert.deepEqual((await providers.identity_api.groupIdsOfUser(bob.id)).sort(), [developers.id]);
        assert.deepEqual((await providers.identity_api.memberIdsOfGroup(developers.id)).sort(), [alice.id, bob.id].sort());
        assert.deepEqual(
          (await providers.identity_api.listUsers({ domainId, groupId: developers.id })).map((u) => u.name),
          ['Alice Liddell', 'bob'],
        );
        await providers.identity_api.checkUserInGroup(alice.id, developers.id);
        await assert.rejects(
          providers.identity_api.checkUserInGroup(carol.id, developers.id),
          (err: unknown) => err instanceof KeystoneError && err.code === 404,
        );
        const lonely = await providers.identity_api.findGroupByName('lonely', domainId);
        assert.deepEqual(await providers.identity_api.memberIdsOfGroup(lonely?.id ?? ''), []);
      });
    });
  }

  test('a directory that hangs does not hold up the SQL domains', async () => {
    const sockets: Socket[] = [];
    const silent = createServer((s) => sockets.push(s));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const address = silent.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    try {
      const domain = await providers.resource_api.createDomain({ name: 'conformance-hanging' });
      await providers.domain_config_api.createConfig(domain.id, {
        identity: { driver: 'ldap' },
        ldap: { url: `ldap://127.0.0.1:${String(port)}`, pool_connection_timeout: 5, pool_retry_max: 1 },
      });
      let settled = false;
      const hanging = providers.identity_api.listUsers({ domainId: domain.id }).finally(() => {
        settled = true;
      });
      const sqlUsers = await providers.identity_api.listUsers({ domainId: 'default' });
      const sqlGroups = await providers.identity_api.listGroups({ domainId: 'default' });
      assert.ok(Array.isArray(sqlUsers) && Array.isArray(sqlGroups));
      assert.equal(settled, false, 'the SQL domain answered while the directory was still silent');
      await assert.rejects(hanging, (err: unknown) => err instanceof KeystoneError && err.code === 500);
    } finally {
      for (const s of sockets) s.destroy();
      silent.close();
    }
  });
});
