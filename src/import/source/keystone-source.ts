/** What the import reads from a Keystone database, whatever the database is. */
import type { SourceRow } from '../table-mapping.js';

export interface KeystoneSource {
  /** one line naming the source (no password) */
  readonly description: string;
  /** table name → its column names, for every table of the database */
  tables(): Promise<Map<string, string[]>>;
  /** the rows of a bookkeeping table holding revisions (alembic_version or migrate_version), as text */
  versionRows(table: 'alembic_version' | 'migrate_version'): Promise<Record<string, string>[]>;
  /**
   * A value that changes whenever any row of the table changes (the database's
   * own checksum of the table), or null when the source cannot say: the import
   * skips reading a table whose fingerprint is the one it staged from last time.
   */
  fingerprint(table: string): Promise<string | null>;
  /** every row of a table, the given columns only, streamed */
  rows(table: string, columns: readonly string[]): AsyncIterable<SourceRow>;
  close(): Promise<void>;
}
