/**
 * A revocation written to the database by another process (keystone-manage,
 * a second keystone-all without a shared cache) is honoured: at once
 * without a cache (the SQL epoch is read per request batch), within a
 * second with the in-process cache (the epoch is polled).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestServer, type TestServer } from '../helpers/test-server.js';
import { cacheConfig, type CacheKind } from '../helpers/cache-kinds.js';
import { getToken, validateToken } from '../helpers/tokens.js';

for (const cache of ['none', 'memory'] as CacheKind[]) {
  describe(`a revocation written by another process (cache ${cache})`, () => {
    let server: TestServer;
    before(async () => {
      server = await startTestServer({ config: { ...cacheConfig(cache), DEFAULT: { admin_token: 'ADMIN' } } });
    });
    after(async () => {
      await server.close();
    });

    test(cache === 'none' ? 'is honoured at once' : 'is honoured within a second', async () => {
      const t = await getToken(server, { username: 'admin', password: server.adminPassword, project: 'admin' });
      assert.equal((await validateToken(server, 'ADMIN', t.id)).status, 200);
      assert.equal((await validateToken(server, 'ADMIN', t.id)).status, 200);
      // what another process's RevokeManager writes: the event, then the epoch
      await server.db.none('INSERT INTO revocation_event (audit_id, issued_before, revoked_at) VALUES ($1, now(), now())', [
        t.body.token.audit_ids[0],
      ]);
      await server.db.one("SELECT nextval('keystone_token_epoch')");
      if (cache === 'memory') await new Promise((r) => setTimeout(r, 1300));
      assert.equal((await validateToken(server, 'ADMIN', t.id)).status, 404);
    });
  });
}
