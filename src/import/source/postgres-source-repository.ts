/**
 * A Keystone database on PostgreSQL, read through pg-promise with a pool of
 * its own whose type parsers keep timestamps, dates and big integers as the
 * text PostgreSQL sends (Keystone writes naive UTC); rows read through a
 * cursor, a batch at a time.
 */
import pgPromise from 'pg-promise';
import type { KeystoneSource } from './keystone-source.js';
import type { SourceRow } from '../table-mapping.js';
import { describeSource, type SourceLocation } from './sqlalchemy-url.js';

const TEXT_TYPES = new Set([20, 1082, 1114, 1184]); // int8, date, timestamp, timestamptz
const CURSOR_BATCH = 5000;

const pgp = pgPromise({ capSQL: true });
const quote = (name: string): string => pgp.as.name(name);
const builtinTypes = pgp.pg.types as unknown as { getTypeParser(oid: number): (value: string) => unknown };
const builtinParser = (oid: number) => builtinTypes.getTypeParser(oid);

export class PostgresSourceRepository implements KeystoneSource {
  readonly description: string;
  private readonly db: pgPromise.IDatabase<object>;

  constructor(location: SourceLocation) {
    this.description = describeSource(location);
    this.db = pgp({
      host: location.socket ?? location.host ?? 'localhost',
      port: location.port ?? 5432,
      user: location.user,
      password: location.password,
      database: location.database,
      max: 2,
      application_name: 'keystone-manage db_import',
      types: {
        getTypeParser: (oid: number): ((value: string) => unknown) => (TEXT_TYPES.has(oid) ? (value: string) => value : builtinParser(oid)),
      },
    } as Parameters<typeof pgp>[0]);
  }

  async tables(): Promise<Map<string, string[]>> {
    const rows = await this.db.any<{ table_name: string; column_name: string }>(
      `SELECT table_name, column_name FROM information_schema.columns
        WHERE table_schema = current_schema() ORDER BY table_name, ordinal_position`,
    );
    const tables = new Map<string, string[]>();
    for (const row of rows) {
      const columns = tables.get(row.table_name) ?? [];
      columns.push(row.column_name);
      tables.set(row.table_name, columns);
    }
    return tables;
  }

  async versionRows(table: 'alembic_version' | 'migrate_version'): Promise<Record<string, string>[]> {
    const rows = await this.db.any<Record<string, unknown>>(`SELECT * FROM ${quote(table)}`);
    return rows.map((row) => Object.fromEntries(Object.entries(row).map(([k, v]) => [k, String(v)])));
  }

  /** The row count and the sum of every row's 64-bit text hash, computed by the server (PostgreSQL 11 or later). */
  async fingerprint(table: string): Promise<string | null> {
    try {
      const row = await this.db.one<{ n: string; h: string | null }>(
        `SELECT count(*)::text AS n, sum(hashtextextended(t::text, 0))::text AS h FROM ${quote(table)} t`,
      );
      return `pg-hash:${row.n}:${row.h ?? '0'}`;
    } catch {
      return null;
    }
  }

  async *rows(table: string, columns: readonly string[]): AsyncIterable<SourceRow> {
    const connection = await this.db.connect();
    try {
      await connection.none('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
      await connection.none(`DECLARE import_rows NO SCROLL CURSOR FOR SELECT ${columns.map(quote).join(', ')} FROM ${quote(table)}`);
      for (;;) {
        const batch = await connection.any<SourceRow>(`FETCH ${String(CURSOR_BATCH)} FROM import_rows`);
        yield* batch;
        if (batch.length < CURSOR_BATCH) break;
      }
      await connection.none('COMMIT');
    } catch (err) {
      await connection.none('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      void connection.done();
    }
  }

  async close(): Promise<void> {
    await this.db.$pool.end();
  }
}
