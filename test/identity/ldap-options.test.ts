/**
 * The [ldap] options against a real slapd (test/helpers/ldap-fixture.ts):
 * user_enabled_mask/invert/default/emulation, attribute ignore and
 * additional mapping, group_members_are_ids, query_scope, page_size, URL
 * fail-over, TLS verification, referrals (a loop ends), a dead or silent
 * directory failing within its timeout and counted in the metrics, and the
 * filter Active Directory nesting sends.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server, type Socket } from 'node:net';
import { LdapIdentityDriver } from '../../src/identity/ldap/ldap-identity-driver.js';
import { ldapDriverSettings } from '../../src/identity/ldap/ldap-settings.js';
import { escapeFilterValue, inChainFilter } from '../../src/identity/ldap/ldap-filter.js';
import { ldapQueryDuration, ldapQueryErrors } from '../../src/metrics/metrics.js';
import { KeystoneError } from '../../src/common/errors.js';
import { makeTestConfig } from '../helpers/test-config.js';
import { startSlapd, slapdAvailable, type Slapd } from '../helpers/slapd.js';
import { FIXTURE_USERS, ONE_LEVEL_USERS, ldapOptions, seedDirectory } from '../helpers/ldap-fixture.js';

describe('[ldap] options against slapd', { skip: !slapdAvailable() && 'slapd is not installed' }, () => {
  let slapd: Slapd;
  const drivers: LdapIdentityDriver[] = [];
  const cleanups: (() => void)[] = [];

  before(async () => {
    slapd = await startSlapd();
    seedDirectory(slapd);
  });
  after(async () => {
    for (const d of drivers) await d.close();
    for (const c of cleanups) c();
    await slapd.stop();
  });

  const driverWith = (overrides: Record<string, string | number | boolean>, label = 'options-test') => {
    const config = makeTestConfig({ ldap: { ...ldapOptions(slapd), ...overrides } });
    cleanups.push(() => {
      config.cleanup();
    });
    const driver = new LdapIdentityDriver(ldapDriverSettings(config.conf.ldap, label));
    drivers.push(driver);
    return driver;
  };
  const enabledById = async (driver: LdapIdentityDriver) =>
    Object.fromEntries((await driver.listUsers({})).map((u) => [u.id, u.enabled])) as Record<string, boolean>;

  test('user_enabled_mask reads Active Directory’s userAccountControl (2: disabled)', async () => {
    const driver = driverWith({ user_enabled_attribute: 'departmentNumber', user_enabled_mask: 2, user_enabled_default: '512' });
    const enabled = await enabledById(driver);
    assert.equal(enabled.carol, false);
    assert.equal(enabled.alice, true);
    assert.equal(enabled.bob, true);
    assert.equal((await driver.getUser('carol'))?.enabled, false);
  });

  test('user_enabled_invert negates the attribute; user_enabled_default stands in when it is missing', async () => {
    const inverted = await enabledById(driverWith({ user_enabled_invert: true }));
    assert.equal(inverted.alice, false);
    assert.equal(inverted.bob, true);
    const missing = await enabledById(driverWith({ user_enabled_attribute: 'roomNumber', user_enabled_default: 'False' }));
    assert.ok(Object.values(missing).every((e) => !e));
    const missingTrue = await enabledById(driverWith({ user_enabled_attribute: 'roomNumber' }));
    assert.ok(Object.values(missingTrue).every((e) => e));
  });

  test('user_enabled_emulation: enabled means a member of cn=enabled_users', async () => {
    const driver = driverWith({ user_enabled_emulation: true });
    const enabled = await enabledById(driver);
    assert.equal(enabled.bob, true);
    assert.equal(enabled.alice, false);
    assert.ok(!('enabled_users' in enabled), 'the emulation group is no user');
    assert.equal((await driver.getUser('bob'))?.enabled, true);
  });

  test('user_attribute_ignore drops attributes; additional mapping adds one', async () => {
    const ignoring = driverWith({ user_attribute_ignore: 'email,description' });
    assert.deepEqual((await ignoring.getUser('alice'))?.extra, {});
    const mapped = driverWith({ user_description_attribute: 'title', user_additional_attribute_mapping: 'departmentNumber:description' });
    assert.equal((await mapped.getUser('alice'))?.extra.description, '512');
  });

  test('group_members_are_ids: a posixGroup’s memberUid names user ids', async () => {
    const driver = driverWith({
      group_tree_dn: `ou=PosixGroups,${slapd.suffix}`,
      group_objectclass: 'posixGroup',
      group_name_attribute: 'cn',
      group_member_attribute: 'memberUid',
      group_members_are_ids: true,
    });
    assert.deepEqual(
      (await driver.listGroupsForUser('alice')).map((g) => g.id),
      ['posixdevs'],
    );
    assert.deepEqual((await driver.listUsersInGroup('posixdevs'))?.map((u) => u.id).sort(), ['alice', 'carol']);
    assert.equal(await driver.isMember('carol', 'posixdevs'), true);
    assert.equal(await driver.isMember('bob', 'posixdevs'), false);
  });

  test('query_scope = sub finds users below the tree; page_size pages the results', async () => {
    const sub = driverWith({ query_scope: 'sub' });
    assert.deepEqual((await sub.listUsers({})).map((u) => u.id).sort(), FIXTURE_USERS.map((u) => u.id).sort());
    assert.equal((await sub.getUser('deep'))?.name, 'deep');
    assert.equal((await driverWith({}).getUser('deep')) ?? null, null);
    const paged = driverWith({ page_size: 2 });
    assert.deepEqual((await paged.listUsers({})).map((u) => u.id).sort(), ONE_LEVEL_USERS.map((u) => u.id).sort());
  });

  test('several URLs: a dead first one is skipped', async () => {
    const dead = await closedPort();
    const driver = driverWith({ url: `ldap://127.0.0.1:${String(dead)},${slapd.url}` });
    assert.equal((await driver.getUser('alice'))?.name, 'Alice Liddell');
    assert.equal((await driver.authenticate('alice', 'alice-pw')).id, 'alice');
  });

  test('LDAPS verifies the server: no CA → refused; tls_req_cert = never → accepted', async () => {
    const unverified = driverWith({ url: slapd.ldapsUrl, tls_cacertfile: '', pool_retry_max: 1 });
    await assert.rejects(unverified.getUser('alice'), (err: unknown) => err instanceof KeystoneError && err.code === 500);
    const never = driverWith({ url: slapd.ldapsUrl, tls_cacertfile: '', tls_req_cert: 'never' });
    assert.equal((await never.getUser('alice'))?.id, 'alice');
  });

  test('chase_referrals follows a search reference once; a referral loop ends', async () => {
    slapd.addReferral(
      [
        `dn: ou=elsewhere,ou=Users,${slapd.suffix}`,
        'objectClass: referral',
        'objectClass: extensibleObject',
        'ou: elsewhere',
        `ref: ${slapd.url}/ou=Users,${slapd.suffix}`,
        '',
      ].join('\n'),
    );
    const chasing = driverWith({ chase_referrals: true });
    const users = await chasing.listUsers({});
    assert.ok(users.length >= ONE_LEVEL_USERS.length);
    assert.ok(users.every((u) => ONE_LEVEL_USERS.some((f) => f.id === u.id)));
    const plain = driverWith({});
    assert.deepEqual((await plain.listUsers({})).map((u) => u.id).sort(), ONE_LEVEL_USERS.map((u) => u.id).sort());
  });

  test('a dead directory fails with Keystone’s 500 and is counted; a silent one fails at its timeout', async () => {
    const label = 'options-dead';
    const dead = await closedPort();
    const driver = driverWith({ url: `ldap://127.0.0.1:${String(dead)}`, pool_retry_max: 1 }, label);
    await assert.rejects(
      driver.getUser('alice'),
      (err: unknown) =>
        err instanceof KeystoneError && err.code === 500 && /Unable to establish a connection to LDAP Server/.test(err.message),
    );
    await assert.rejects(driver.authenticate('alice', 'alice-pw'), (err: unknown) => err instanceof KeystoneError && err.code === 500);
    const errors = (await ldapQueryErrors.get()).values.filter((v) => v.labels.domain === label);
    assert.ok(errors.reduce((n, v) => n + v.value, 0) >= 2);

    const silent = await silentServer();
    try {
      const quiet = driverWith({
        url: `ldap://127.0.0.1:${String(silent.port)}`,
        connection_timeout: 1,
        pool_connection_timeout: 1,
        pool_retry_max: 1,
      });
      await assert.rejects(quiet.getUser('alice'), (err: unknown) => err instanceof KeystoneError && err.code === 500);
    } finally {
      silent.close();
    }
  });

  test('searches are timed in the metrics by domain label', async () => {
    const label = 'options-metrics';
    await driverWith({}, label).listUsers({});
    const counts = (await ldapQueryDuration.get()).values.filter((v) => v.labels.domain === label && v.metricName?.endsWith('_count'));
    assert.ok(counts.some((v) => v.labels.operation === 'search' && v.value >= 1));
  });

  test('Active Directory nesting asks for LDAP_MATCHING_RULE_IN_CHAIN with the DN escaped', () => {
    assert.equal(inChainFilter('member', 'cn=a*b,dc=x'), '(member:1.2.840.113556.1.4.1941:=cn=a\\2ab,dc=x)');
    assert.equal(escapeFilterValue('*)(\\\0'), '\\2a\\29\\28\\5c\\00');
  });
});

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** A server that accepts connections and never answers: a directory that hangs. */
async function silentServer(): Promise<{ port: number; close(): void }> {
  const sockets: Socket[] = [];
  const server: Server = createServer((socket) => sockets.push(socket));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  return {
    port: typeof address === 'object' && address ? address.port : 0,
    close() {
      for (const s of sockets) s.destroy();
      server.close();
    },
  };
}
