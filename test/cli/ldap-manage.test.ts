/**
 * keystone-manage's LDAP commands as real processes against a real slapd:
 * domain_config_upload (--domain-name, --all, a domain already configured),
 * mapping_populate (every user and group of the domain gets Keystone's
 * sha256 public id) and mapping_purge (its flag rules, by domain).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig } from '../../src/config/load-config.js';
import { withProviders } from '../../src/cli/manage/with-providers.js';
import { runKeystoneManage, writeKeystoneConfig } from '../helpers/keystone-process.js';
import { renderIni } from '../helpers/test-config.js';
import { startSlapd, slapdAvailable, type Slapd } from '../helpers/slapd.js';
import { FIXTURE_GROUPS, ONE_LEVEL_USERS, ldapOptions, seedDirectory } from '../helpers/ldap-fixture.js';

const sha256Id = (domainId: string, localId: string, type: 'user' | 'group') =>
  createHash('sha256')
    .update(domainId + type + localId)
    .digest('hex');

describe(
  'keystone-manage domain_config_upload, mapping_populate, mapping_purge',
  { skip: !slapdAvailable() && 'slapd is not installed' },
  () => {
    let slapd: Slapd;
    let dir: string;
    let file: string;
    const domainIds: Record<string, string> = {};
    const manage = (...args: string[]) => runKeystoneManage(args, { configFile: file });
    const conf = () => loadConfig({ configFiles: [file] }).conf;

    before(async () => {
      slapd = await startSlapd();
      seedDirectory(slapd);
      ({ dir, file } = writeKeystoneConfig({}));
      const domainDir = join(dir, 'domains');
      mkdirSync(domainDir);
      ({ file } = writeKeystoneConfig(
        { identity: { domain_specific_drivers_enabled: true, domain_configurations_from_database: true, domain_config_dir: domainDir } },
        dir,
      ));
      for (const name of ['ldapone', 'ldaptwo']) {
        writeFileSync(join(domainDir, `keystone.${name}.conf`), renderIni({ identity: { driver: 'ldap' }, ldap: ldapOptions(slapd) }));
      }
      writeFileSync(join(domainDir, 'keystone.nosuchdomain.conf'), renderIni({ identity: { driver: 'ldap' } }));
      const synced = await manage('db_sync');
      assert.equal(synced.code, 0, synced.stderr);
      await withProviders(conf(), async (providers) => {
        for (const name of ['ldapone', 'ldaptwo']) domainIds[name] = (await providers.resource_api.createDomain({ name })).id;
      });
    });
    after(async () => {
      await slapd?.stop();
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    test('domain_config_upload: one domain, then --all skips what is configured and names the unknown domain', async () => {
      const refused = await manage('domain_config_upload');
      assert.notEqual(refused.code, 0);
      assert.match(refused.stderr, /At least one option must be provided/);
      const one = await manage('domain_config_upload', '--domain-name', 'ldapone');
      assert.equal(one.code, 0, one.stderr);
      const all = await manage('domain_config_upload', '--all');
      assert.equal(all.code, 1, 'a file that could not be uploaded makes --all fail');
      assert.match(all.stdout, /Domain: ldapone already has a configuration defined - ignoring file/);
      assert.match(all.stdout, /Invalid domain name: nosuchdomain/);
      assert.match(all.stdout, /Uploaded the configuration of domain ldaptwo/);
      await withProviders(conf(), async (providers) => {
        const stored = await providers.domain_config_api.getConfig(domainIds.ldaptwo);
        assert.deepEqual((stored as Record<string, Record<string, unknown>>).identity, { driver: 'ldap' });
        assert.equal((stored as Record<string, Record<string, unknown>>).ldap.user_name_attribute, 'sn');
        const users = await providers.identity_api.listUsers({ domainId: domainIds.ldaptwo });
        assert.equal(users.length, ONE_LEVEL_USERS.length);
      });
    });

    test('mapping_populate maps every user and group; mapping_purge removes them by domain', async () => {
      const populated = await manage('mapping_populate', '--domain-name', 'ldapone');
      assert.equal(populated.code, 0, populated.stderr);
      const unknown = await manage('mapping_populate', '--domain-name', 'nope');
      assert.notEqual(unknown.code, 0);
      assert.match(unknown.stderr, /Invalid domain name: nope/);
      const domainId = domainIds.ldapone;
      await withProviders(conf(), async (providers) => {
        const mappings = await providers.id_mapping_api.listDomainMappings(domainId);
        const expected = [
          ...ONE_LEVEL_USERS.map((u) => sha256Id(domainId, u.id, 'user')),
          ...FIXTURE_GROUPS.map((g) => sha256Id(domainId, g.id, 'group')),
        ].sort();
        assert.deepEqual(mappings.map((m) => m.public_id).sort(), expected);
      });
      const mixed = await manage('mapping_purge', '--all', '--domain-name', 'ldapone');
      assert.notEqual(mixed.code, 0);
      assert.match(mixed.stderr, /--all option cannot be mixed with other options/);
      assert.match((await manage('mapping_purge')).stderr, /At least one option must be provided/);
      const purged = await manage('mapping_purge', '--domain-name', 'ldapone', '--type', 'group');
      assert.equal(purged.code, 0, purged.stderr);
      await withProviders(conf(), async (providers) => {
        assert.equal((await providers.id_mapping_api.listDomainMappings(domainId, 'group')).length, 0);
        assert.equal((await providers.id_mapping_api.listDomainMappings(domainId, 'user')).length, ONE_LEVEL_USERS.length);
      });
      assert.equal((await manage('mapping_purge', '--all')).code, 0);
      await withProviders(conf(), async (providers) => {
        assert.deepEqual(await providers.id_mapping_api.listDomainMappings(domainId), []);
      });
    });
  },
);
