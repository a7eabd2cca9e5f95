/**
 * [token] provider for a test server, with what it needs: `jws` gets an ES256 key pair of its own in a
 * temporary directory (remove() deletes it); `fernet` and `uuid` need nothing more than the test keys.
 *
 *   const provider = tokenProviderConfig('jws');
 *   server = await startTestServer({ config: provider.config });  …  provider.remove();
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createJwsKeypair } from '../../src/token/jws/jws-keypair.js';
import type { ConfigOverrides } from './test-config.js';

export type TokenProviderName = 'fernet' | 'uuid' | 'jws';

export function tokenProviderConfig(provider: TokenProviderName): { config: ConfigOverrides; remove: () => void } {
  if (provider !== 'jws') return { config: { token: { provider } }, remove: () => undefined };
  const dir = mkdtempSync(join(tmpdir(), 'test-jws-'));
  mkdirSync(join(dir, 'public'));
  createJwsKeypair(join(dir, 'private.pem'), join(dir, 'public', 'public.pem'));
  return {
    config: { token: { provider }, jwt_tokens: { jws_public_key_repository: join(dir, 'public'), jws_private_key_repository: dir } },
    remove: () => {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
