import { textOf, type TableMapping } from '../table-mapping.js';

/**
 * Unified limits. Keystone's limit.registered_limit_id holds the registered
 * limit's id; ours holds its internal_id, looked up among the rows read.
 */
export const LIMIT_TABLES: readonly TableMapping[] = [
  {
    table: 'registered_limit',
    key: ['internal_id'],
    remember: (row, context) => {
      context.registeredLimitInternalIds.set(textOf(row.id), Number(row.internal_id));
    },
  },
  {
    table: 'limit',
    key: ['internal_id'],
    columns: {
      registered_limit_id: {
        sources: ['registered_limit_id'],
        read: (row, context) => {
          const id = row.registered_limit_id;
          if (id === null || id === undefined) return null;
          return context.registeredLimitInternalIds.get(textOf(id)) ?? null;
        },
      },
    },
  },
];
