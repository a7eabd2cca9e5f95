import type { TableMapping } from '../table-mapping.js';

/** Projects and domains (one table, is_domain), their tags and options. */
export const RESOURCE_TABLES: readonly TableMapping[] = [
  { table: 'project', key: ['id'] },
  { table: 'project_tag', key: ['project_id', 'name'] },
  { table: 'project_option', key: ['project_id', 'option_id'] },
];
