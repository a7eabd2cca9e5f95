/**
 * OAuth-scoped tokens under every token provider (Fernet, UUID, JWS) pass
 * the revocation every other token passes: DELETE /v3/auth/tokens, the
 * user disabled, and the OAuth1 events of their own — the access token
 * deleted (an OS-OAUTH1:access_token_id event) and the consumer deleted (an
 * OS-OAUTH1:consumer_id event), both listed at /v3/OS-REVOKE/events.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestServer, type TestServer } from '../helpers/test-server.js';
import { adminToken, revokeToken, validateToken } from '../helpers/tokens.js';
import { call } from '../auth/auth-fixtures.js';
import { tokenProviderConfig } from '../helpers/token-providers.js';
import { skipUnlessCi } from '../clients/python-clients.js';
import { oauthClientsMissing, oauthScopedToken } from './oauth1-helpers.js';

const reason = oauthClientsMissing();

for (const provider of ['fernet', 'uuid', 'jws'] as const) {
  describe(`revocation of OAuth-scoped tokens (${provider} tokens)`, { skip: skipUnlessCi(reason) }, () => {
    let server: TestServer;
    let admin: string;
    const providerConfig = tokenProviderConfig(provider);

    before(async () => {
      assert.equal(reason, false, `${reason} (required when CI=true)`);
      server = await startTestServer({ config: providerConfig.config });
      admin = await adminToken(server);
    });
    after(async () => {
      await server?.close();
      providerConfig.remove();
    });

    const oauthToken = () => oauthScopedToken(server, admin);
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
