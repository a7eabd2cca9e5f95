/**
 * python-openstackclient (/usr/bin/openstack) driving OS-FEDERATION as an
 * operator would: identity provider create/list/show/set/delete, mapping
 * create --rules FILE (and set/show/delete), federation protocol
 * create/list/show/set/delete and service provider create/list/show/set/delete.
 * With CI=true a missing client fails the test; elsewhere it is skipped with the reason.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  OPENSTACK,
  OpenstackRunner,
  adminClientEnv,
  assertOk,
  catalogAtServer,
  skipUnlessCi,
  type Run,
} from '../../clients/python-clients.js';
import { startTestServer, type TestServer } from '../../helpers/test-server.js';

type Row = Record<string, unknown>;
const RULES = [{ local: [{ user: { name: '{0}' } }, { group: { id: 'osc-group' } }], remote: [{ type: 'REMOTE_USER' }] }];

describe(
  'openstack identity provider / mapping / federation protocol / service provider',
  { skip: skipUnlessCi(existsSync(OPENSTACK) ? false : `${OPENSTACK} is not installed`) },
  () => {
    let server: TestServer;
    let home: string;
    const osc = new OpenstackRunner();
    before(async () => {
      assert.ok(existsSync(OPENSTACK), `${OPENSTACK} is required when CI=true`);
      server = await startTestServer();
      await catalogAtServer(server);
      home = mkdtempSync(join(tmpdir(), 'keystone-osc-fed-'));
    });
    after(async () => {
      osc.close();
      await server?.close();
      if (home) rmSync(home, { recursive: true, force: true });
    });
    const run = (args: string[]): Promise<Run> => osc.run(args, adminClientEnv(server, home));
    const ok = async (args: string[]) => assertOk(await run(args), `openstack ${args.join(' ')}`);
    const json = async (args: string[]) => JSON.parse(await ok([...args, '-f', 'json'])) as Row & Row[];

    test('identity providers', async () => {
      const idp = await json([
        'identity',
        'provider',
        'create',
        '--remote-id',
        'https://kc.example/realms/a',
        '--description',
        'Keycloak',
        '--enable',
        'osc-idp',
      ]);
      assert.equal(idp.id, 'osc-idp');
      assert.equal(idp.enabled, true);
      assert.deepEqual(idp.remote_ids, ['https://kc.example/realms/a']);
      assert.match(String(idp.domain_id), /^[0-9a-f]{32}$/);
      const list = await json(['identity', 'provider', 'list']);
      assert.ok(list.some((r) => r.ID === 'osc-idp' && r.Enabled === true));
      await ok(['identity', 'provider', 'set', '--remote-id', 'https://kc.example/realms/b', '--disable', 'osc-idp']);
      const shown = await json(['identity', 'provider', 'show', 'osc-idp']);
      assert.deepEqual([shown.enabled, shown.remote_ids, shown.description], [false, ['https://kc.example/realms/b'], 'Keycloak']);
      const dup = await run(['identity', 'provider', 'create', '--remote-id', 'https://kc.example/realms/b', 'osc-idp2']);
      assert.notEqual(dup.code, 0);
      assert.match(dup.stderr, /Duplicate remote ID: https:\/\/kc.example\/realms\/b/);
      await ok(['identity', 'provider', 'delete', 'osc-idp']);
      const gone = await run(['identity', 'provider', 'show', 'osc-idp']);
      assert.notEqual(gone.code, 0);
    });

    test('mappings and federation protocols', async () => {
      const rulesFile = join(home, 'rules.json');
      writeFileSync(rulesFile, JSON.stringify(RULES));
      const mapping = await json(['mapping', 'create', '--rules', rulesFile, 'osc-map']);
      assert.equal(mapping.id, 'osc-map');
      assert.deepEqual(mapping.rules, RULES);
      writeFileSync(rulesFile, JSON.stringify([{ local: [], remote: [] }]));
      const bad = await run(['mapping', 'create', '--rules', rulesFile, 'osc-bad-map']);
      assert.notEqual(bad.code, 0);
      assert.match(bad.stderr, /\[\] is too short/);
      assert.ok((await json(['mapping', 'list'])).some((r) => r.ID === 'osc-map'));

      await ok(['identity', 'provider', 'create', '--domain', 'default', 'osc-proto-idp']);
      const protocol = await json([
        'federation',
        'protocol',
        'create',
        '--identity-provider',
        'osc-proto-idp',
        '--mapping',
        'osc-map',
        'openid',
      ]);
      assert.equal(protocol.id, 'openid');
      assert.equal(protocol.mapping, 'osc-map');
      const protocols = await json(['federation', 'protocol', 'list', '--identity-provider', 'osc-proto-idp']);
      assert.deepEqual(
        protocols.map((r) => [r.id, r.mapping]),
        [['openid', 'osc-map']],
      );
      writeFileSync(rulesFile, JSON.stringify(RULES));
      await ok(['mapping', 'create', '--rules', rulesFile, 'osc-map2']);
      await ok(['federation', 'protocol', 'set', '--identity-provider', 'osc-proto-idp', '--mapping', 'osc-map2', 'openid']);
      assert.equal((await json(['federation', 'protocol', 'show', '--identity-provider', 'osc-proto-idp', 'openid'])).mapping, 'osc-map2');
      await ok(['federation', 'protocol', 'delete', '--identity-provider', 'osc-proto-idp', 'openid']);
      assert.deepEqual(await json(['federation', 'protocol', 'list', '--identity-provider', 'osc-proto-idp']), []);
      await ok(['mapping', 'delete', 'osc-map']);
      assert.notEqual((await run(['mapping', 'show', 'osc-map'])).code, 0);
    });

    test('service providers', async () => {
      const sp = await json([
        'service',
        'provider',
        'create',
        '--auth-url',
        'https://sp.example/v3/OS-FEDERATION/identity_providers/us/protocols/saml2/auth',
        '--service-provider-url',
        'https://sp.example/Shibboleth.sso/SAML2/ECP',
        '--enable',
        'osc-sp',
      ]);
      assert.deepEqual([sp.id, sp.enabled, sp.relay_state_prefix], ['osc-sp', true, 'ss:mem:']);
      assert.ok((await json(['service', 'provider', 'list'])).some((r) => r.ID === 'osc-sp'));
      await ok(['service', 'provider', 'set', '--description', 'the other cloud', '--disable', 'osc-sp']);
      const shown = await json(['service', 'provider', 'show', 'osc-sp']);
      assert.deepEqual([shown.description, shown.enabled], ['the other cloud', false]);
      await ok(['service', 'provider', 'delete', 'osc-sp']);
      assert.notEqual((await run(['service', 'provider', 'show', 'osc-sp'])).code, 0);
    });
  },
);
