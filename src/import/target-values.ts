/**
 * A source value as our column stores it, in one canonical JavaScript form
 * whatever the source database (MySQL's TINYINT booleans, DATETIME text,
 * big integers as strings): the same Keystone row read from MySQL or
 * PostgreSQL gives the same values, and so the same digest on every run.
 */
export interface TargetColumn {
  name: string;
  /** information_schema.columns.data_type */
  dataType: string;
  /** character_maximum_length of a varchar */
  maxLength: number | null;
}

export class UnimportableValueError extends Error {}

function toBoolean(value: unknown): boolean {
  if (typeof value === 'boolean') return value;
  if (typeof value === 'number' || typeof value === 'bigint') return value !== 0 && value !== 0n;
  const text = (Buffer.isBuffer(value) ? value.toString('utf8') : String(value)).toLowerCase();
  if (['1', 't', 'true'].includes(text)) return true;
  if (['0', 'f', 'false', ''].includes(text)) return false;
  throw new UnimportableValueError(`not a boolean: ${JSON.stringify(text)}`);
}

/** A naive UTC DATETIME ('YYYY-MM-DD HH:MM:SS[.ffffff]') or an ISO timestamp, as ISO with Z. */
function toTimestamp(value: unknown): string {
  if (value instanceof Date) return value.toISOString();
  const text = String(value).trim();
  const m = /^(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2}:\d{2})(\.\d{1,6})?(Z|[+-]\d{2}(:?\d{2})?)?$/.exec(text);
  if (!m) throw new UnimportableValueError(`not a timestamp: ${JSON.stringify(text)}`);
  if (m[1].startsWith('0000')) throw new UnimportableValueError(`MySQL's zero date ${JSON.stringify(text)} is no timestamp`);
  const [, day, time, fractionText, offset] = m as unknown as [string, string, string, string | undefined, string | undefined];
  const fraction = (fractionText ?? '.').slice(1).padEnd(6, '0');
  if (offset === undefined || offset === 'Z' || /^[+-]00(:?00)?$/.test(offset)) return `${day}T${time}.${fraction}Z`;
  // an explicit offset (a timestamptz source): normalise to UTC, keeping the microseconds
  const utc = new Date(`${day}T${time}${offset.length === 3 ? offset + ':00' : offset}`).toISOString().slice(0, 19);
  return `${utc}.${fraction}Z`;
}

function toDate(value: unknown): string {
  if (value instanceof Date) return value.toISOString().slice(0, 10);
  const text = String(value).trim();
  if (!/^\d{4}-\d{2}-\d{2}/.test(text) || text.startsWith('0000')) throw new UnimportableValueError(`not a date: ${JSON.stringify(text)}`);
  return text.slice(0, 10);
}

function toInteger(value: unknown): number {
  const n = typeof value === 'number' ? value : Number(typeof value === 'boolean' ? Number(value) : String(value));
  if (!Number.isSafeInteger(n)) throw new UnimportableValueError(`not an integer: ${JSON.stringify(String(value))}`);
  return n;
}

function toText(value: unknown, column: TargetColumn): string {
  const text = Buffer.isBuffer(value) ? value.toString('utf8') : String(value);
  if (text.includes('\u0000')) throw new UnimportableValueError('holds a NUL character, which PostgreSQL text cannot store');
  if (column.maxLength !== null && Array.from(text).length > column.maxLength)
    throw new UnimportableValueError(
      `is ${String(Array.from(text).length)} characters long, more than the ${String(column.maxLength)} of our column`,
    );
  return text;
}

/** The value our column stores; throws UnimportableValueError (with the reason) when it cannot hold it. */
export function toTargetValue(value: unknown, column: TargetColumn): string | number | boolean | null {
  if (value === null || value === undefined) return null;
  switch (column.dataType) {
    case 'boolean':
      return toBoolean(value);
    case 'integer':
    case 'bigint':
    case 'smallint':
      return toInteger(value);
    case 'timestamp with time zone':
    case 'timestamp without time zone':
      return toTimestamp(value);
    case 'date':
      return toDate(value);
    default:
      return toText(value, column);
  }
}
