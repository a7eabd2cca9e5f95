/**
 * A token of the oauth1 method never outlives the OAuth1 access token it came from, under every token
 * provider: with a short [oauth1] access_token_duration its expires_at is the access token's (a password
 * token of the same moment keeps [token] expiration), it validates until then, and afterwards it is an
 * expired token (404; 200 with ?allow_expired within the window) while the access token no longer signs
 * in (401). Keystone 22 does not cap it (its token would run the full [token] expiration); we do, as an
 * application credential's expiry caps its tokens and a trust's ends them.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { startTestServer, type TestServer } from '../helpers/test-server.js';
import { mergeOverrides } from '../helpers/test-config.js';
import { tokenProviderConfig } from '../helpers/token-providers.js';
import { adminToken, getToken, validateToken } from '../helpers/tokens.js';
import { call } from '../auth/auth-fixtures.js';
import { secondsFromIso } from '../../src/common/time.js';
import { skipUnlessCi } from '../clients/python-clients.js';
import { oauthClientsMissing, oauthScopedToken } from './oauth1-helpers.js';

const reason = oauthClientsMissing();
/**
 * long enough for the signed requests of the dance (a python process each, three dances at once), short
 * enough to wait out
 */
const ACCESS_TOKEN_DURATION = 10;

// The providers' waits for the expiry overlap (each describe has its own server) instead of adding up. The
// servers close after all three: a server's close ends every database pool of the process (closeDatabases).
describe('oauth1 token expiry under each token provider', { concurrency: true }, () => {
  const closers: (() => Promise<void>)[] = [];
  after(async () => {
    for (const close of closers) await close();
  });
  for (const provider of ['fernet', 'uuid', 'jws'] as const) {
    describe(`an OAuth-scoped token ends with its access token (${provider} tokens)`, { skip: skipUnlessCi(reason) }, () => {
      let server: TestServer;
      let admin: string;
      const providerConfig = tokenProviderConfig(provider);

      before(async () => {
        assert.equal(reason, false, `${reason} (required when CI=true)`);
        closers.push(async () => {
          await server?.close();
          providerConfig.remove();
        });
        server = await startTestServer({
          config: mergeOverrides(providerConfig.config, { oauth1: { access_token_duration: ACCESS_TOKEN_DURATION } }),
        });
        admin = await adminToken(server);
      });

      test("expires_at is the access token's; validates until then; expired after, and the access token signs in no more", async () => {
        const { user, access, token, signIn } = await oauthScopedToken(server, admin);
        const shown = await call(server, 'GET', `/v3/users/${user.id}/OS-OAUTH1/access_tokens/${access.key}`, { token: admin });
        assert.equal(shown.status, 200, JSON.stringify(shown.body));
        const accessExpiresAt = shown.body.access_token.expires_at as string;
        assert.match(accessExpiresAt, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.000000Z$/);

        const valid = await validateToken(server, admin, token);
        assert.equal(valid.status, 200, JSON.stringify(valid.body));
        const body = (valid.body as { token: { expires_at: string; methods: string[] } }).token;
        assert.deepEqual(body.methods, ['oauth1']);
        assert.equal(body.expires_at, accessExpiresAt);
        // a token of the same user by password is not capped: [token] expiration from now
        const password = await getToken(server, { userId: user.id, password: user.password, project: { id: server.bootstrap.projectId } });
        const uncapped = secondsFromIso((password.body as { token: { expires_at: string } }).token.expires_at);
        assert.ok(
          uncapped - secondsFromIso(accessExpiresAt) > server.providers.conf.token.expiration - 60,
          `${uncapped} vs ${accessExpiresAt}`,
        );

        // wait the access token out (its expiry is whole seconds: one more for the clocks' rounding)
        while (Date.now() / 1000 <= secondsFromIso(accessExpiresAt) + 1) await sleep(250);
        assert.equal((await validateToken(server, admin, token)).status, 404);
        const late = await validateToken(server, admin, token, { query: '?allow_expired=true' });
        assert.equal(late.status, 200, 'an expired token, not a revoked one');
        const again = await signIn();
        assert.equal(again.status, 401, JSON.stringify(again));
      });
    });
  }
});
