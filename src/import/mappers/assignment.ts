import type { TableMapping } from '../table-mapping.js';

/** Roles (global and domain-specific), their options and implications, project/domain and system grants. */
export const ASSIGNMENT_TABLES: readonly TableMapping[] = [
  { table: 'role', key: ['id'] },
  { table: 'role_option', key: ['role_id', 'option_id'] },
  { table: 'implied_role', key: ['prior_role_id', 'implied_role_id'] },
  { table: 'assignment', key: ['type', 'actor_id', 'target_id', 'role_id', 'inherited'] },
  { table: 'system_assignment', key: ['type', 'actor_id', 'target_id', 'role_id', 'inherited'] },
];
