/**
 * How one Keystone table becomes one of ours. Our tables mirror Keystone's, so
 * a mapping names the table and its key, and only the columns that differ say
 * how they are read (e.g. Keystone's microsecond integers into timestamptz).
 * Every other column of our table is read from the source column of the same
 * name (null when an older Keystone lacks it).
 */

/** A row as the source database returned it, by Keystone's column names. */
export type SourceRow = Readonly<Record<string, unknown>>;

/** What the import learned from tables already read, for columns that refer to another table's row. */
export interface ImportContext {
  /** registered_limit.id → registered_limit.internal_id, from the source */
  registeredLimitInternalIds: Map<string, number>;
}

export interface ColumnRead {
  /** the source columns this reading consumes (not reported as left behind) */
  sources: readonly string[];
  read(row: SourceRow, context: ImportContext): unknown;
}

export interface TableMapping {
  /** Keystone's table name (also ours unless `target` says otherwise) */
  table: string;
  /** our table's primary key columns */
  key: readonly string[];
  /** our columns read differently from the same-named source column */
  columns?: Readonly<Record<string, ColumnRead>>;
  /** called with each source row once read (rows that later tables refer to) */
  remember?(row: SourceRow, context: ImportContext): void;
}

/** A key value read from the source as text (ids arrive as strings, internal ids as numbers). */
export function textOf(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'bigint') return value.toString();
  return JSON.stringify(value);
}

/** Keystone's DateTimeInt: microseconds since the epoch, as an ISO timestamp with all six digits. */
export function microsecondsToTimestamp(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  const micros = BigInt(value as string | number | bigint);
  const seconds = micros / 1_000_000n;
  const fraction = micros % 1_000_000n;
  const iso = new Date(Number(seconds) * 1000).toISOString().slice(0, 19);
  return `${iso}.${String(fraction).padStart(6, '0')}Z`;
}

/** A column kept as Keystone's `<name>_int` (microseconds) when present, the DateTime column otherwise. */
export function preferMicroseconds(intColumn: string, dateTimeColumn: string): ColumnRead {
  return {
    sources: [intColumn, dateTimeColumn],
    read: (row) => {
      const micros = row[intColumn];
      return micros === null || micros === undefined ? (row[dateTimeColumn] ?? null) : microsecondsToTimestamp(micros);
    },
  };
}

/** A column Keystone stores as microseconds under the same name. */
export function fromMicroseconds(column: string): ColumnRead {
  return { sources: [column], read: (row) => microsecondsToTimestamp(row[column]) };
}
