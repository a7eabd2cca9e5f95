/**
 * Values as Python writes them, where Keystone's text reaches a client or the database byte for byte:
 * repr() (jsonschema's messages, the mapping engine's list substitutions), str(), and json.dumps with
 * its defaults (ensure_ascii; separators ", " and ": " on one line, or indent=2's layout as
 * keystone-manage mapping_engine prints it). The blobs Keystone stores (an EC2 credential's) are written
 * as it writes them so that a database shared with Keystone reads the same from both.
 */

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

/** A list or dict on one line, items separated by ", " and keys by ": " (repr's and json.dumps' layout). */
function container(value: object, item: (v: unknown) => string, key: (k: string) => string): string {
  if (Array.isArray(value)) return '[' + value.map(item).join(', ') + ']';
  return (
    '{' +
    Object.entries(value as Record<string, unknown>)
      .map(([k, v]) => `${key(k)}: ${item(v)}`)
      .join(', ') +
    '}'
  );
}

/** Python's repr() of a JSON value (str, int, float, bool, None, list, dict). */
export function pyRepr(value: unknown): string {
  if (value === null || value === undefined) return 'None';
  if (value === true) return 'True';
  if (value === false) return 'False';
  if (typeof value === 'string') return reprString(value);
  if (typeof value === 'number') return reprNumber(value);
  if (typeof value === 'object') return container(value, pyRepr, reprString);
  return 'None';
}

/** Python's str(): a string is itself, anything else its repr. */
export function pyStr(value: unknown): string {
  return typeof value === 'string' ? value : pyRepr(value);
}

/** ensure_ascii: every character outside printable ASCII as \uXXXX (UTF-16 units, as Python writes them). */
const asciiOnly = (json: string): string => json.replace(/[\u007f-\uffff]/g, (c) => '\\u' + c.charCodeAt(0).toString(16).padStart(4, '0'));

function compactDumps(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'string') return asciiOnly(JSON.stringify(value));
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'number') {
    if (Number.isNaN(value)) return 'NaN';
    if (!Number.isFinite(value)) return value > 0 ? 'Infinity' : '-Infinity';
    return String(value);
  }
  if (typeof value === 'object') return container(value, compactDumps, compactDumps);
  return 'null';
}

/** Python's json.dumps(value) (one line), or json.dumps(value, indent=N) when an indent is given. */
export function pythonJsonDumps(value: unknown, indent?: number): string {
  return indent === undefined ? compactDumps(value) : asciiOnly(JSON.stringify(value, null, indent));
}
