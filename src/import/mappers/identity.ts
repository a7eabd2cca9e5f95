import { preferMicroseconds, type TableMapping } from '../table-mapping.js';

/** Users (local and non-local), their password history and options, groups and memberships, id mappings. */
export const IDENTITY_TABLES: readonly TableMapping[] = [
  { table: 'user', key: ['id'] },
  { table: 'user_option', key: ['user_id', 'option_id'] },
  { table: 'local_user', key: ['id'] },
  {
    table: 'password',
    key: ['id'],
    columns: {
      created_at: preferMicroseconds('created_at_int', 'created_at'),
      expires_at: preferMicroseconds('expires_at_int', 'expires_at'),
    },
  },
  { table: 'nonlocal_user', key: ['domain_id', 'name'] },
  { table: 'group', key: ['id'] },
  { table: 'user_group_membership', key: ['user_id', 'group_id'] },
  { table: 'id_mapping', key: ['public_id'] },
];
