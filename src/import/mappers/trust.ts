import { preferMicroseconds, type TableMapping } from '../table-mapping.js';

/** Trusts (deleted ones too, with their deleted_at) and their roles. */
export const TRUST_TABLES: readonly TableMapping[] = [
  { table: 'trust', key: ['id'], columns: { expires_at: preferMicroseconds('expires_at_int', 'expires_at') } },
  { table: 'trust_role', key: ['trust_id', 'role_id'] },
];
