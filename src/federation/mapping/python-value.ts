/**
 * Keystone's mapping engine leans on three Python behaviours that show up in its results and messages:
 * repr() (jsonschema's messages, list substitutions like "['a', 'b']"), ast.literal_eval() (a "groups"
 * value that is the repr of a list) and str.format() ("{0}" substitutions). This file holds the values
 * they work on and repr(); python-literal.ts and python-format.ts hold the other two.
 */
export type PyValue = string | number | boolean | null | PyValue[] | { [key: string]: PyValue };

export function isPyDict(value: unknown): value is Record<string, PyValue> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function reprString(text: string): string {
  const quote = text.includes("'") && !text.includes('"') ? '"' : "'";
  let out = quote;
  for (const ch of text) {
    const code = ch.codePointAt(0) ?? 0;
    if (ch === '\\') out += '\\\\';
    else if (ch === quote) out += '\\' + quote;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (code < 0x20 || (code >= 0x7f && code <= 0xa0) || code === 0xad) out += '\\x' + code.toString(16).padStart(2, '0');
    else out += ch;
  }
  return out + quote;
}

function reprNumber(value: number): string {
  if (Number.isInteger(value) && Math.abs(value) < 1e16) return String(value);
  if (!Number.isFinite(value)) return value > 0 ? 'inf' : value < 0 ? '-inf' : 'nan';
  return String(value);
}

/** Python's repr() of a JSON value. */
export function pyRepr(value: unknown): string {
  if (value === null || value === undefined) return 'None';
  if (value === true) return 'True';
  if (value === false) return 'False';
  if (typeof value === 'string') return reprString(value);
  if (typeof value === 'number') return reprNumber(value);
  if (Array.isArray(value)) return '[' + value.map(pyRepr).join(', ') + ']';
  if (typeof value === 'object') {
    return (
      '{' +
      Object.entries(value as Record<string, unknown>)
        .map(([key, item]) => `${reprString(key)}: ${pyRepr(item)}`)
        .join(', ') +
      '}'
    );
  }
  return 'None';
}

/** Python's str(): a string is itself, anything else its repr. */
export function pyStr(value: unknown): string {
  return typeof value === 'string' ? value : pyRepr(value);
}
