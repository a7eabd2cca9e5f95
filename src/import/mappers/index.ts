/**
 * Every Keystone table the import brings over, in an order where a row's
 * parents come first (our foreign keys): applied in this order, deleted in
 * the reverse one.
 */
import type { TableMapping } from '../table-mapping.js';
import { APPLICATION_CREDENTIAL_TABLES } from './application-credential.js';
import { ASSIGNMENT_TABLES } from './assignment.js';
import { CATALOG_TABLES } from './catalog.js';
import { CREDENTIAL_TABLES } from './credential.js';
import { DOMAIN_CONFIG_TABLES } from './domain-config.js';
import { FEDERATION_TABLES } from './federation.js';
import { IDENTITY_TABLES } from './identity.js';
import { LIMIT_TABLES } from './limit.js';
import { OAUTH1_TABLES } from './oauth1.js';
import { POLICY_TABLES } from './policy.js';
import { RESOURCE_TABLES } from './resource.js';
import { TOKEN_TABLES } from './token.js';
import { TRUST_TABLES } from './trust.js';

export const KEYSTONE_TABLES: readonly TableMapping[] = [
  ...RESOURCE_TABLES,
  ...IDENTITY_TABLES,
  ...FEDERATION_TABLES,
  ...ASSIGNMENT_TABLES,
  ...CATALOG_TABLES,
  ...POLICY_TABLES,
  ...CREDENTIAL_TABLES,
  ...TOKEN_TABLES,
  ...TRUST_TABLES,
  ...APPLICATION_CREDENTIAL_TABLES,
  ...LIMIT_TABLES,
  ...DOMAIN_CONFIG_TABLES,
  ...OAUTH1_TABLES,
];

/** Tables of a Keystone database that hold no data to bring (schema bookkeeping). */
export const BOOKKEEPING_TABLES: ReadonlySet<string> = new Set(['alembic_version', 'migrate_version']);
