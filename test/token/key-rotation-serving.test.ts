/**
 * Fernet keys while serving: after keystone-manage fernet_rotate (here the
 * same KeyRepository.rotate), the running server picks the new keys up by
 * itself; tokens issued before still validate, new ones are encrypted with
 * the new primary; a token whose key was purged no longer validates.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestServer, type TestServer } from '../helpers/test-server.js';
import { getToken, validateToken } from '../helpers/tokens.js';
import { KeyRepository } from '../../src/token/fernet/key-repository.js';
import { FernetTokenProvider } from '../../src/token/fernet-provider.js';
import { decrypt } from '../../src/token/fernet/fernet.js';

describe('Fernet key rotation while serving', () => {
  let server: TestServer;
  let repo: KeyRepository;
  before(async () => {
    server = await startTestServer({ config: { fernet_tokens: { max_active_keys: 3 }, DEFAULT: { admin_token: 'ADMIN' } } });
    repo = new KeyRepository({ path: server.config.conf.fernet_tokens.key_repository, maxActiveKeys: 3 });
  });
  after(async () => {
    await server.close();
  });

  const ring = () => (server.providers.token_provider_api.provider as FernetTokenProvider).keyRing();
  const reloaded = async (primaryId: number) => {
    const until = Date.now() + 10_000;
    while (Date.now() < until) {
      await ring().settled();
      if (ring().loaded()[0]?.id === primaryId) return;
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.fail(`the key ring did not load primary key ${primaryId}`);
  };

  test('old tokens keep validating, new ones use the new primary, purged keys end their tokens', async () => {
    const before = await getToken(server, { username: 'admin', password: server.adminPassword, project: 'admin' });
    const first = repo.rotate();
    await reloaded(first.primary);
    server.providers.token_provider_api.clearMemo();
    assert.equal((await validateToken(server, 'ADMIN', before.id)).status, 200, 'a token of the previous primary');
    const after = await getToken(server, { username: 'admin', password: server.adminPassword, project: 'admin' });
    const primary = ring().keys()[0];
    assert.ok(decrypt(after.id + '='.repeat((4 - (after.id.length % 4)) % 4), [primary]).length > 0, 'encrypted with the new primary');
    // one more rotation with max_active_keys = 3 (staged + 2) purges the key `before` was made with
    const second = repo.rotate();
    assert.ok(second.purged.length > 0);
    await reloaded(second.primary);
    server.providers.token_provider_api.clearMemo();
    assert.equal((await validateToken(server, 'ADMIN', before.id)).status, 404);
    assert.equal((await validateToken(server, 'ADMIN', after.id)).status, 200);
  });
});
