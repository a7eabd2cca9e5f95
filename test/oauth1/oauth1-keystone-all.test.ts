/**
 * OS-OAUTH1 against a running keystone-all (two public workers on one
 * database): python-openstackclient's `consumer create`, `request token
 * create`, `request token authorize`, `access token create`, then
 * `openstack token issue` with keystoneauth1's v3oauth1 plugin; and the
 * replay protection shared by the workers: one signed request (nonce and
 * timestamp) sent again and again is honoured once, whichever worker
 * answers. With CI=true a missing client fails the suite.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startKeystone, type KeystoneProcess } from '../helpers/keystone-process.js';
import { api, bootstrapAdminToken } from '../security/victims.js';
import { OPENSTACK, assertOk, clientEnv, run, skipUnlessCi } from '../clients/python-clients.js';
import { oauthClient, oauthClientsMissing } from './oauth1-helpers.js';

const reason = oauthClientsMissing() || (existsSync(OPENSTACK) ? false : `${OPENSTACK} is not installed (python3-openstackclient)`);
type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

describe('OS-OAUTH1 on keystone-all: openstackclient, and replays refused across workers', { skip: skipUnlessCi(reason) }, () => {
  let ks: KeystoneProcess;
  let home: string;
  let admin: string;
  let adminEnv: Record<string, string>;
  let projectId: string;
  let userId: string;

  before(async () => {
    assert.equal(reason, false, `${reason} (required when CI=true)`);
    ks = await startKeystone({ config: { eventlet_server: { public_workers: 2, admin_workers: 1 } } });
    admin = await bootstrapAdminToken(ks.publicUrl, ks.adminPassword);
    // the identity endpoints where this keystone-all listens, for the clients that read the catalog
    const endpoints = await api(ks.publicUrl, 'GET', '/v3/endpoints', { token: admin });
    for (const e of endpoints.body.endpoints as Json[]) {
      if (String(e.url).includes('/v3') || String(e.url).includes(':5000') || String(e.url).includes(':35357')) {
        const url = `${e.interface === 'admin' ? ks.adminUrl : ks.publicUrl}/v3`;
        assert.equal(
          (await api(ks.publicUrl, 'PATCH', `/v3/endpoints/${e.id as string}`, { token: admin, body: { endpoint: { url } } })).status,
          200,
        );
      }
    }
    const me = await api(ks.publicUrl, 'GET', '/v3/auth/tokens', { token: admin, headers: { 'X-Subject-Token': admin } });
    projectId = me.body.token.project.id;
    userId = me.body.token.user.id;
    home = mkdtempSync(join(tmpdir(), 'keystone-osc-oauth1-'));
    adminEnv = {
      ...clientEnv(home),
      OS_AUTH_URL: `${ks.publicUrl}/v3`,
      OS_IDENTITY_API_VERSION: '3',
      OS_INTERFACE: 'public',
      OS_USERNAME: 'admin',
      OS_PASSWORD: ks.adminPassword,
      OS_PROJECT_NAME: 'admin',
      OS_USER_DOMAIN_NAME: 'Default',
      OS_PROJECT_DOMAIN_NAME: 'Default',
    };
  });
  after(async () => {
    await ks?.stop();
    if (home) rmSync(home, { recursive: true, force: true });
  });

  const osc = async (args: string[], env = adminEnv): Promise<Json> =>
    JSON.parse(assertOk(await run(OPENSTACK, [...args, '-f', 'json'], env), `openstack ${args.join(' ')}`)) as Json;

  let consumer: { id: string; secret: string };
  let access: { key: string; secret: string };

  test('openstack consumer create, request token create/authorize, access token create, token issue (v3oauth1)', async () => {
    const created = await osc(['consumer', 'create', '--description', 'osc']);
    consumer = { id: created.id as string, secret: created.secret as string };
    assert.match(consumer.id, /^[0-9a-f]{32}$/);
    const request = await osc([
      'request',
      'token',
      'create',
      '--consumer-key',
      consumer.id,
      '--consumer-secret',
      consumer.secret,
      '--project',
      'admin',
    ]);
    assert.match(String(request.key), /^[0-9a-f]{32}$/, JSON.stringify(request));
    const authorized = await osc(['request', 'token', 'authorize', '--request-key', request.key as string, '--role', 'member']);
    assert.match(String(authorized.oauth_verifier), /^[a-zA-Z2-9]{8}$/, JSON.stringify(authorized));
    const granted = await osc([
      'access',
      'token',
      'create',
      '--consumer-key',
      consumer.id,
      '--consumer-secret',
      consumer.secret,
      '--request-key',
      request.key as string,
      '--request-secret',
      request.secret as string,
      '--verifier',
      authorized.oauth_verifier as string,
    ]);
    access = { key: granted.key as string, secret: granted.secret as string };
    assert.match(access.key, /^[0-9a-f]{32}$/, JSON.stringify(granted));
    const oauthEnv = {
      ...clientEnv(home),
      OS_AUTH_URL: `${ks.publicUrl}/v3`,
      OS_IDENTITY_API_VERSION: '3',
      OS_INTERFACE: 'public',
      OS_AUTH_TYPE: 'v3oauth1',
      OS_CONSUMER_KEY: consumer.id,
      OS_CONSUMER_SECRET: consumer.secret,
      OS_ACCESS_KEY: access.key,
      OS_ACCESS_SECRET: access.secret,
    };
    const issued = await osc(['token', 'issue'], oauthEnv);
    assert.equal(issued.project_id, projectId);
    assert.equal(issued.user_id, userId);
    const validated = await api(ks.publicUrl, 'GET', '/v3/auth/tokens', {
      token: admin,
      headers: { 'X-Subject-Token': issued.id as string },
    });
    assert.equal(validated.status, 200);
    assert.deepEqual(validated.body.token['OS-OAUTH1'], { access_token_id: access.key, consumer_id: consumer.id });
    assert.deepEqual(validated.body.token.methods, ['oauth1']);
  });

  test('a signed oauth1 request sent six times yields one token: the nonce is shared by the workers', async () => {
    assert.ok(access, 'the first test made an access token');
    const signed = {
      op: 'signed',
      url: `${ks.publicUrl}/v3/auth/tokens`,
      client_key: consumer.id,
      client_secret: consumer.secret,
      resource_owner_key: access.key,
      resource_owner_secret: access.secret,
      json: { auth: { identity: { methods: ['oauth1'], oauth1: {} } } },
      nonce: `${Date.now()}0987654321`,
      timestamp: String(Math.floor(Date.now() / 1000)),
    };
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) statuses.push((await oauthClient(signed)).status as number);
    assert.deepEqual(
      statuses.slice().sort((a, b) => a - b),
      [201, 401, 401, 401, 401, 401],
    );
    assert.equal(statuses[0], 201);
  });

  test("the user's access token, listed and deleted, no longer authenticates", async () => {
    const base = `/v3/users/${userId}/OS-OAUTH1/access_tokens`;
    const list = await api(ks.publicUrl, 'GET', base, { token: admin });
    assert.deepEqual(
      (list.body.access_tokens as Json[]).map((t) => t.id),
      [access.key],
    );
    assert.equal((await api(ks.publicUrl, 'DELETE', `${base}/${access.key}`, { token: admin })).status, 204);
    const gone = await oauthClient({
      op: 'signed',
      url: `${ks.publicUrl}/v3/auth/tokens`,
      client_key: consumer.id,
      client_secret: consumer.secret,
      resource_owner_key: access.key,
      resource_owner_secret: access.secret,
      json: { auth: { identity: { methods: ['oauth1'], oauth1: {} } } },
    });
    assert.equal(gone.status, 404);
  });
});
