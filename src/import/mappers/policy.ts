import type { TableMapping } from '../table-mapping.js';

/** /v3/policies blobs and their endpoint associations (OS-ENDPOINT-POLICY). */
export const POLICY_TABLES: readonly TableMapping[] = [
  { table: 'policy', key: ['id'] },
  { table: 'policy_association', key: ['id'] },
];
