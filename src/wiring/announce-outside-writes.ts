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
import { APPLICATION_CREDENTIAL_CACHE_REGION } from '../application-credential/application-credential-manager.js';
import { ASSIGNMENT_CACHE_REGION } from '../assignment/role-manager.js';
import { CATALOG_CACHE_REGION } from '../catalog/catalog-manager.js';
import { CREDENTIAL_CACHE_REGION } from '../credential/credential-manager.js';
import { ID_MAPPING_CACHE_REGION } from '../identity/id-mapping/id-mapping-manager.js';
import { IDENTITY_CACHE_REGION } from '../identity/identity-manager.js';
import { LIMIT_CACHE_REGION } from '../limit/limit-manager.js';
import { RESOURCE_CACHE_REGION } from '../resource/resource-manager.js';
import { REVOKE_CACHE_REGION, TOKEN_CACHE_REGION } from '../revoke/revoke-manager.js';
import { TOKEN_DEPENDENCY_REGIONS } from '../token/token-manager.js';
import { TRUST_CACHE_REGION } from '../trust/trust-manager.js';
import { buildProviders } from './build-providers.js';

/** Every region a manager keeps in the cache. */
export const ALL_CACHE_REGIONS: readonly string[] = [
  ...new Set<string>([
    ...TOKEN_DEPENDENCY_REGIONS,
    APPLICATION_CREDENTIAL_CACHE_REGION,
    ASSIGNMENT_CACHE_REGION,
    CATALOG_CACHE_REGION,
    CREDENTIAL_CACHE_REGION,
    ID_MAPPING_CACHE_REGION,
    IDENTITY_CACHE_REGION,
    LIMIT_CACHE_REGION,
    RESOURCE_CACHE_REGION,
    REVOKE_CACHE_REGION,
    TOKEN_CACHE_REGION,
    TRUST_CACHE_REGION,
  ]),
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
