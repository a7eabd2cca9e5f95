/**
 * One identity driver suite at Keystone's level (identity/backends/base.py):
 * users and groups found by id and name, listed and filtered, memberships
 * both ways, password authentication where a wrong password and an unknown
 * user fail alike, hostile names matched literally, and writes refused by a
 * read-only driver. It runs on the LDAP driver against a real slapd over
 * plain LDAP, LDAPS and StartTLS, on the directory of test/helpers/ldap-fixture.ts.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { IdentityDriver } from '../../src/identity/identity-driver.js';
import { LdapIdentityDriver } from '../../src/identity/ldap/ldap-identity-driver.js';
import { ldapDriverSettings } from '../../src/identity/ldap/ldap-settings.js';
import { KeystoneError, Unauthorized } from '../../src/common/errors.js';
import { makeTestConfig } from '../helpers/test-config.js';
import { startSlapd, slapdAvailable, type Slapd } from '../helpers/slapd.js';
import { FIXTURE_GROUPS, ONE_LEVEL_USERS, ldapOptions, seedDirectory, type LdapTransport } from '../helpers/ldap-fixture.js';

const TRANSPORTS: LdapTransport[] = ['plain', 'ldaps', 'starttls'];

describe('identity driver conformance', { skip: !slapdAvailable() && 'slapd is not installed' }, () => {
  let slapd: Slapd;
  before(async () => {
    slapd = await startSlapd();
    seedDirectory(slapd);
  });
  after(() => slapd.stop());

  for (const transport of TRANSPORTS) {
    describe(`LDAP over ${transport}`, () => {
      let driver: IdentityDriver;
      let cleanup: () => void;
      before(() => {
        const config = makeTestConfig({ ldap: ldapOptions(slapd, transport) });
        cleanup = () => {
          config.cleanup();
        };
        driver = new LdapIdentityDriver(ldapDriverSettings(config.conf.ldap, `conformance-${transport}`));
      });
      after(async () => {
        await driver.close();
        cleanup();
      });

      test('a user is found by id and by name, with its attributes', async () => {
        const alice = await driver.getUser('alice');
        assert.deepEqual(alice, {
          id: 'alice',
          name: 'Alice Liddell',
          enabled: true,
          defaultProjectId: null,
          extra: { email: 'alice@example.org', description: 'in wonderland' },
        });
        assert.equal((await driver.getUserByName('Alice Liddell'))?.id, 'alice');
        assert.equal(await driver.getUser('nobody'), null);
        assert.equal(await driver.getUserByName('nobody'), null);
      });

      test('users are listed, filtered by name and by enabled', async () => {
        const all = await driver.listUsers({});
        assert.deepEqual(all.map((u) => u.id).sort(), ONE_LEVEL_USERS.map((u) => u.id).sort());
        assert.deepEqual(
          (await driver.listUsers({ name: 'bob' })).map((u) => u.id),
          ['bob'],
        );
        const disabled = await driver.listUsers({ enabled: false });
        assert.deepEqual(
          disabled.map((u) => u.id),
          ['bob'],
        );
      });

      test('names that look like filter syntax are matched literally', async () => {
        assert.equal(await driver.getUserByName('*'), null);
        assert.deepEqual(await driver.listUsers({ name: '*' }), []);
        assert.equal((await driver.getUserByName('st*r'))?.id, 'star');
        assert.equal((await driver.getUserByName('a)(sn=*'))?.id, 'paren');
        assert.equal((await driver.getUserByName('back\\slash'))?.id, 'slash');
        assert.equal(await driver.getUserByName('back\\5cslash'), null);
        assert.equal(await driver.getUserByName('bob\0'), null);
        assert.equal(await driver.getUser('*'), null);
        assert.equal(await driver.getUser('alice)(cn=*'), null);
        assert.equal(await driver.getGroupByName('*'), null);
        assert.equal(await driver.isMember('*', '*'), false);
      });

      test('authentication binds as the user; a wrong password and an unknown user fail alike', async () => {
        assert.equal((await driver.authenticate('alice', 'alice-pw')).id, 'alice');
        const failures = await Promise.all(
          [
            ['alice', 'wrong'],
            ['nobody', 'alice-pw'],
            ['alice', ''],
            ['*', 'alice-pw'],
            ['', ''],
          ].map(([id, password]) =>
            driver.authenticate(id, password).then(
              () => null,
              (err: unknown) => err,
            ),
          ),
        );
        for (const err of failures) {
          assert.ok(err instanceof Unauthorized);
          assert.equal(err.message, new Unauthorized().message);
        }
      });

      test('groups are found by id and name, listed, and read with their members', async () => {
        const devs = await driver.getGroup('devs');
        assert.deepEqual(devs, { id: 'devs', name: 'developers', description: 'people who write code', extra: {} });
        assert.equal((await driver.getGroupByName('operators'))?.id, 'ops');
        assert.equal(await driver.getGroup('nope'), null);
        assert.deepEqual((await driver.listGroups({})).map((g) => g.id).sort(), FIXTURE_GROUPS.map((g) => g.id).sort());
        assert.deepEqual(
          (await driver.listGroups({ name: 'lonely' })).map((g) => g.id),
          ['lonely'],
        );
        assert.deepEqual((await driver.listUsersInGroup('devs'))?.map((u) => u.id).sort(), ['alice', 'bob']);
        assert.deepEqual(await driver.listUsersInGroup('lonely'), [], 'a member that is no user is skipped');
        assert.equal(await driver.listUsersInGroup('nope'), null);
      });

      test('memberships both ways', async () => {
        assert.deepEqual((await driver.listGroupsForUser('alice')).map((g) => g.id).sort(), ['devs', 'ops']);
        assert.deepEqual(
          (await driver.listGroupsForUser('carol')).map((g) => g.id),
          ['ops'],
        );
        assert.deepEqual(await driver.listGroupsForUser('nobody'), []);
        assert.equal(await driver.isMember('bob', 'devs'), true);
        assert.equal(await driver.isMember('bob', 'ops'), false);
        assert.equal(await driver.isMember('nobody', 'devs'), false);
      });

      test('a read-only driver refuses writes with Keystone’s 403', () => {
        assert.throws(
          () => {
            driver.assertWritable();
          },
          (err: unknown) => err instanceof KeystoneError && err.code === 403 && err.message === 'LDAP does not support write operations',
        );
      });
    });
  }
});
