/**
 * OAuth-scoped tokens under every token provider (Fernet, UUID, JWS) pass
 * the revocation every other token passes: DELETE /v3/auth/tokens, the
 * user disabled, and the OAuth1 events of their own — the access token
 * deleted (an OS-OAUTH1:access_token_id event) and the consumer deleted (an
 * OS-OAUTH1:consumer_id event), both listed at /v3/OS-REVOKE/events.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestServer, type TestServer } from '../helpers/test-server.js';
import type { ConfigOverrides } from '../helpers/test-config.js';
import { adminToken, revokeToken, validateToken } from '../helpers/tokens.js';
import { call, grant, makeUser } from '../auth/auth-fixtures.js';
import { createJwsKeypair } from '../../src/token/jws/jws-keypair.js';
import { skipUnlessCi } from '../clients/python-clients.js';
import { formFields, oauthClient, oauthClientsMissing, type Answer } from './oauth1-helpers.js';

const reason = oauthClientsMissing();

for (const provider of ['fernet', 'uuid', 'jws'] as const) {
  describe(`revocation of OAuth-scoped tokens (${provider} tokens)`, { skip: skipUnlessCi(reason) }, () => {
    let server: TestServer;
    let admin: string;
    let jwsDir: string | undefined;

    before(async () => {
      assert.equal(reason, false, `${reason} (required when CI=true)`);
      let config: ConfigOverrides = { token: { provider } };
      if (provider === 'jws') {
        jwsDir = mkdtempSync(join(tmpdir(), 'oauth1-jws-'));
        mkdirSync(join(jwsDir, 'public'));
        createJwsKeypair(join(jwsDir, 'private.pem'), join(jwsDir, 'public', 'public.pem'));
        config = {
          token: { provider },
          jwt_tokens: { jws_public_key_repository: join(jwsDir, 'public'), jws_private_key_repository: jwsDir },
        };
      }
      server = await startTestServer({ config });
      admin = await adminToken(server);
    });
    after(async () => {
      await server?.close();
      if (jwsDir) rmSync(jwsDir, { recursive: true, force: true });
    });

    const signed = (request: Record<string, unknown>) => oauthClient({ op: 'signed', ...request });
    const pair = (a: Answer) => {
      assert.equal(a.status, 201, JSON.stringify(a));
      const f = formFields(a.body as string);
      return { key: f.oauth_token, secret: f.oauth_token_secret };
    };
    /** a user of its own with member on the project, its access token, and an OAuth-scoped token of it */
    const oauthToken = async () => {
      const user = await makeUser(server);
      await grant(server, server.bootstrap.memberRoleId, user.id, { projectId: server.bootstrap.projectId });
      const consumer = (await call(server, 'POST', '/v3/OS-OAUTH1/consumers', { token: admin, body: { consumer: {} } })).body.consumer as {
        id: string;
        secret: string;
      };
      const v3 = `${server.publicUrl}/v3`;
      const request = pair(
        await signed({
          url: `${v3}/OS-OAUTH1/request_token`,
          client_key: consumer.id,
          client_secret: consumer.secret,
          callback_uri: 'oob',
          headers: { 'Requested-Project-Id': server.bootstrap.projectId },
        }),
      );
      // authorizing needs admin_required (Keystone's default): the user holds admin too, and delegates member only
      await grant(server, server.bootstrap.adminRoleId, user.id, { projectId: server.bootstrap.projectId });
      const adminOfUser = (
        await call(server, 'POST', '/v3/auth/tokens', {
          body: {
            auth: {
              identity: { methods: ['password'], password: { user: { id: user.id, password: user.password } } },
              scope: { project: { id: server.bootstrap.projectId } },
            },
          },
        })
      ).headers.get('x-subject-token') as string;
      const authorized = await call(server, 'PUT', `/v3/OS-OAUTH1/authorize/${request.key}`, {
        token: adminOfUser,
        body: { roles: [{ name: 'member' }] },
      });
      assert.equal(authorized.status, 200, JSON.stringify(authorized.body));
      const access = pair(
        await signed({
          url: `${v3}/OS-OAUTH1/access_token`,
          client_key: consumer.id,
          client_secret: consumer.secret,
          resource_owner_key: request.key,
          resource_owner_secret: request.secret,
          verifier: authorized.body.token.oauth_verifier,
        }),
      );
      const issue = async () => {
        const a = await signed({
          url: `${v3}/auth/tokens`,
          client_key: consumer.id,
          client_secret: consumer.secret,
          resource_owner_key: access.key,
          resource_owner_secret: access.secret,
          json: { auth: { identity: { methods: ['oauth1'], oauth1: {} } } },
        });
        assert.equal(a.status, 201, JSON.stringify(a));
        const headers = a.headers as Record<string, string>;
        return headers['x-subject-token'] ?? headers['X-Subject-Token'];
      };
      return { user, consumer, access, token: await issue(), issue };
    };
    const status = async (subject: string) => (await validateToken(server, admin, subject)).status;
    const events = async () =>
      (await call(server, 'GET', '/v3/OS-REVOKE/events', { token: admin })).body.events as Record<string, unknown>[];

    test('the token validates with OS-OAUTH1; DELETE /v3/auth/tokens revokes it', async () => {
      const { token, consumer, access } = await oauthToken();
      const v = await validateToken(server, admin, token);
      assert.equal(v.status, 200);
      assert.deepEqual((v.body as { token: Record<string, unknown> }).token['OS-OAUTH1'], {
        access_token_id: access.key,
        consumer_id: consumer.id,
      });
      assert.equal(await revokeToken(server, admin, token), 204);
      assert.equal(await status(token), 404);
    });

    test('the user disabled: its OAuth-scoped tokens end', async () => {
      const { token, user } = await oauthToken();
      assert.equal(await status(token), 200);
      assert.equal((await call(server, 'PATCH', `/v3/users/${user.id}`, { token: admin, body: { user: { enabled: false } } })).status, 200);
      assert.equal(await status(token), 404);
    });

    test('the access token deleted: an OS-OAUTH1:access_token_id event, the tokens end', async () => {
      const { token, user, access } = await oauthToken();
      assert.equal(await status(token), 200);
      const del = await call(server, 'DELETE', `/v3/users/${user.id}/OS-OAUTH1/access_tokens/${access.key}`, { token: admin });
      assert.equal(del.status, 204);
      assert.equal(await status(token), 404);
      assert.ok((await events()).some((e) => e['OS-OAUTH1:access_token_id'] === access.key));
    });

    test('the consumer deleted: an OS-OAUTH1:consumer_id event, the tokens end', async () => {
      const { token, consumer, issue } = await oauthToken();
      const second = await issue();
      assert.equal(await status(second), 200);
      assert.equal((await call(server, 'DELETE', `/v3/OS-OAUTH1/consumers/${consumer.id}`, { token: admin })).status, 204);
      assert.equal(await status(token), 404);
      assert.equal(await status(second), 404);
      assert.ok((await events()).some((e) => e['OS-OAUTH1:consumer_id'] === consumer.id));
    });
  });
}
