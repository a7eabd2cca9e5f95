/** What the import reads from a Keystone database, whatever the database is. */
import type { SourceRow } from '../table-mapping.js';

export interface KeystoneSource {
  /** one line naming the source (no password) */
  readonly description: string;
  /** table name → its column names, for every table of the database */
  tables(): Promise<Map<string, string[]>>;
  /** the rows of a bookkeeping table holding revisions (alembic_version or migrate_version), as text */
  versionRows(table: 'alembic_version' | 'migrate_version'): Promise<Record<string, string>[]>;
  /** every row of a table, the given columns only, streamed */
  rows(table: string, columns: readonly string[]): AsyncIterable<SourceRow>;
  close(): Promise<void>;
}
