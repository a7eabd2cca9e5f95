/**
 * `[identity] driver = ldap`: the default domain read from a real slapd.
 * With [identity_mapping] backward_compatible_ids (the default) its users
 * keep their directory ids as public ids and nothing is written to
 * id_mapping; writes answer 403; look-ups are cached for [identity]
 * cache_time until the cache is invalidated.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ProviderApi } from '../../src/common/provider-api.js';
import { KeystoneError } from '../../src/common/errors.js';
import { buildProviders } from '../../src/wiring/build-providers.js';
import { syncSchema } from '../../src/storage/migrator.js';
import { closeDatabases } from '../../src/storage/database.js';
import { makeTestConfig } from '../helpers/test-config.js';
import { createTestDatabase } from '../helpers/test-database.js';
import { startSlapd, slapdAvailable, type Slapd } from '../helpers/slapd.js';
import { ONE_LEVEL_USERS, ldapOptions, seedDirectory } from '../helpers/ldap-fixture.js';

describe('[identity] driver = ldap for the default domain', { skip: !slapdAvailable() && 'slapd is not installed' }, () => {
  let slapd: Slapd;
  let providers: ProviderApi;
  let close: () => Promise<void>;

  before(async () => {
    slapd = await startSlapd();
    seedDirectory(slapd);
    const database = await createTestDatabase('pglite');
    const config = makeTestConfig({
      database: { connection: database.connection },
      identity: { driver: 'ldap' },
      ldap: ldapOptions(slapd),
      cache: { enabled: true, backend: 'dogpile.cache.memory' },
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

  test('users keep their directory ids, without mappings', async () => {
    const users = await providers.identity_api.listUsers({ domainId: 'default' });
    assert.deepEqual(users.map((u) => u.id).sort(), ONE_LEVEL_USERS.map((u) => u.id).sort());
    assert.equal((await providers.identity_api.getUser('alice')).name, 'Alice Liddell');
    assert.deepEqual((await providers.identity_api.listGroupsForUser('alice')).map((g) => g.id).sort(), ['devs', 'ops']);
    assert.deepEqual(await providers.id_mapping_api.listDomainMappings('default'), []);
    assert.equal(
      (await providers.identity_api.authenticatePassword(await providers.identity_api.getUser('alice'), 'alice-pw')).id,
      'alice',
    );
  });

  test('writes answer 403', async () => {
    await assert.rejects(
      providers.identity_api.createUser({ name: 'newcomer', domainId: 'default' }),
      (err: unknown) => err instanceof KeystoneError && err.code === 403,
    );
    await assert.rejects(providers.identity_api.deleteUser('alice'), (err: unknown) => err instanceof KeystoneError && err.code === 403);
    await assert.rejects(
      providers.identity_api.updateUser('alice', { enabled: false }),
      (err: unknown) => err instanceof KeystoneError && err.code === 403,
    );
    await assert.rejects(
      providers.identity_api.addUserToGroup('alice', 'devs'),
      (err: unknown) => err instanceof KeystoneError && err.code === 403,
    );
  });

  test('look-ups are cached until the identity cache is invalidated', async () => {
    assert.equal((await providers.identity_api.findUserByName('carol', 'default'))?.extra.email, undefined);
    assert.equal((await providers.identity_api.getUser('carol')).extra.email, undefined);
    slapd.modify(`dn: cn=carol,ou=Users,${slapd.suffix}\nchangetype: modify\nadd: mail\nmail: carol@example.org\n`);
    assert.equal((await providers.identity_api.findUserByName('carol', 'default'))?.extra.email, undefined, 'cached by name');
    assert.equal((await providers.identity_api.getUser('carol')).extra.email, undefined, 'cached by id');
    await providers.identity_api.invalidate();
    assert.equal((await providers.identity_api.findUserByName('carol', 'default'))?.extra.email, 'carol@example.org');
    assert.equal((await providers.identity_api.getUser('carol')).extra.email, 'carol@example.org');
  });
});
