import type { TableMapping } from '../table-mapping.js';

/** OAuth1 consumers with their request and access tokens. */
export const OAUTH1_TABLES: readonly TableMapping[] = [
  { table: 'consumer', key: ['id'] },
  { table: 'request_token', key: ['id'] },
  { table: 'access_token', key: ['id'] },
];
