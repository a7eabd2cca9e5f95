import type { TableMapping } from '../table-mapping.js';

/** Persistent (UUID) tokens and revocation events, so that what Keystone revoked stays revoked here. */
export const TOKEN_TABLES: readonly TableMapping[] = [
  { table: 'token', key: ['id'] },
  { table: 'revocation_event', key: ['id'] },
];
