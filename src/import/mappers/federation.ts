import type { TableMapping } from '../table-mapping.js';

/** Identity providers, their remote ids, mappings, protocols, federated (shadow) users, service providers. */
export const FEDERATION_TABLES: readonly TableMapping[] = [
  { table: 'identity_provider', key: ['id'] },
  { table: 'idp_remote_ids', key: ['remote_id'] },
  { table: 'mapping', key: ['id'] },
  { table: 'federation_protocol', key: ['id', 'idp_id'] },
  { table: 'federated_user', key: ['id'] },
  { table: 'expiring_user_group_membership', key: ['user_id', 'group_id', 'idp_id'] },
  { table: 'service_provider', key: ['id'] },
];
