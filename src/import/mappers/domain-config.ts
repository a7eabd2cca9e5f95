import type { TableMapping } from '../table-mapping.js';

/** Domain-specific configuration stored in SQL, and the register of which domain owns a driver type. */
export const DOMAIN_CONFIG_TABLES: readonly TableMapping[] = [
  { table: 'whitelisted_config', key: ['domain_id', 'group', 'option'] },
  { table: 'sensitive_config', key: ['domain_id', 'group', 'option'] },
  { table: 'config_register', key: ['type'] },
];
