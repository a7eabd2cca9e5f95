import { fromMicroseconds, type TableMapping } from '../table-mapping.js';

/** Application credentials (secret hashes kept), their roles and access rules. */
export const APPLICATION_CREDENTIAL_TABLES: readonly TableMapping[] = [
  { table: 'application_credential', key: ['internal_id'], columns: { expires_at: fromMicroseconds('expires_at') } },
  { table: 'application_credential_role', key: ['application_credential_id', 'role_id'] },
  { table: 'access_rule', key: ['id'] },
  { table: 'application_credential_access_rule', key: ['application_credential_id', 'access_rule_id'] },
];
