/**
 * For writes made to the served tables without the managers (keystone-manage
 * db_import applies its staged copy in SQL): drops every cache region through
 * a cache built on the command's configuration, as a manager's write would.
 * The token manager built with it hooks that invalidation (token-epoch.ts),
 * so the SQL token epoch advances and, with Redis, every running worker is
 * told and acknowledges before this returns. Without it, a worker keeps
 * answering from what it read before the import (without a cache, under the
 * epoch that did not move).
 */
import type { KeystoneConfig } from '../config/options.js';
import type { Database } from '../storage/database.js';
import { CREDENTIAL_CACHE_REGION } from '../credential/credential-manager.js';
import { ID_MAPPING_CACHE_REGION } from '../identity/id-mapping/id-mapping-manager.js';
import { LIMIT_CACHE_REGION } from '../limit/limit-manager.js';
import { TOKEN_DEPENDENCY_REGIONS } from '../token/token-manager.js';
import { buildProviders } from './build-providers.js';

/** Every region a manager keeps in the cache: those a token depends on, and the others. */
export const ALL_CACHE_REGIONS: readonly string[] = [
  ...TOKEN_DEPENDENCY_REGIONS,
  CREDENTIAL_CACHE_REGION,
  ID_MAPPING_CACHE_REGION,
  LIMIT_CACHE_REGION,
];

export async function announceOutsideWrites(conf: KeystoneConfig, db: Database): Promise<void> {
  const built = buildProviders(conf, { db });
  try {
    await built.cache.invalidate(...ALL_CACHE_REGIONS);
  } finally {
    await built.providers.identity_api.close().catch(() => undefined);
    await built.cache.close().catch(() => undefined);
  }
}
