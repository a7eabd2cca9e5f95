import type { KeystoneConfig } from '../../config/options.js';
import type { ProviderApi } from '../../common/provider-api.js';
import { assertSchemaCurrent } from '../../storage/migrator.js';
import { buildProviders } from '../../wiring/build-providers.js';
import { withDatabase } from './with-database.js';

/** Runs fn with the managers on the command's current-schema database; directory connections and the cache closed afterwards. */
export function withProviders<T>(conf: KeystoneConfig, fn: (providers: ProviderApi) => Promise<T>): Promise<T> {
  return withDatabase(conf, async ({ db, host }) => {
    await assertSchemaCurrent(db);
    const built = buildProviders(conf, { db, embeddedSocketDir: host?.socketDir });
    try {
      return await fn(built.providers);
    } finally {
      await built.providers.identity_api.close().catch(() => undefined);
      await built.cache.close().catch(() => undefined);
    }
  });
}
