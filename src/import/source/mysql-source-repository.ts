/**
 * A Keystone database on MySQL or MariaDB, read through mysql2 (only the
 * import uses it). Dates come back as the text MySQL stores (Keystone writes
 * naive UTC), big integers as strings, rows streamed with backpressure.
 */
import mysql from 'mysql2';
import type { KeystoneSource } from './keystone-source.js';
import type { SourceRow } from '../table-mapping.js';
import { describeSource, type SourceLocation } from './sqlalchemy-url.js';

const quote = (name: string): string => '`' + name.replaceAll('`', '``') + '`';

export class MysqlSourceRepository implements KeystoneSource {
  readonly description: string;
  private readonly connection: mysql.Connection;

  constructor(location: SourceLocation) {
    this.description = describeSource(location);
    this.connection = mysql.createConnection({
      host: location.host ?? 'localhost',
      port: location.port ?? 3306,
      socketPath: location.socket,
      user: location.user,
      password: location.password,
      database: location.database,
      charset: 'utf8mb4',
      dateStrings: true,
      supportBigNumbers: true,
      bigNumberStrings: true,
      timezone: 'Z',
    });
  }

  private query<T>(sql: string, values: unknown[] = []): Promise<T[]> {
    return new Promise((resolve, reject) => {
      this.connection.query(sql, values, (err, result) => {
        if (err) reject(err);
        else resolve(result as T[]);
      });
    });
  }

  async tables(): Promise<Map<string, string[]>> {
    const rows = await this.query<{ table_name: string; column_name: string }>(
      `SELECT table_name AS table_name, column_name AS column_name FROM information_schema.columns
        WHERE table_schema = DATABASE() ORDER BY table_name, ordinal_position`,
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
    const rows = await this.query<Record<string, unknown>>(`SELECT * FROM ${quote(table)}`);
    return rows.map((row) => Object.fromEntries(Object.entries(row).map(([k, v]) => [k, String(v)])));
  }

  /** CHECKSUM TABLE: MySQL/MariaDB's checksum of every row, computed by the server (no rows cross the wire). */
  async fingerprint(table: string): Promise<string | null> {
    try {
      const rows = await this.query<{ Checksum: string | number | null }>(`CHECKSUM TABLE ${quote(table)}`);
      const checksum = rows[0]?.Checksum;
      return checksum === null || checksum === undefined ? null : `mysql-checksum:${String(checksum)}`;
    } catch {
      return null;
    }
  }

  async *rows(table: string, columns: readonly string[]): AsyncIterable<SourceRow> {
    const sql = `SELECT ${columns.map(quote).join(', ')} FROM ${quote(table)}`;
    const stream = this.connection.query(sql).stream({ highWaterMark: 1000 });
    for await (const row of stream) yield row as SourceRow;
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.connection.end(() => {
        resolve();
      });
    });
  }
}
