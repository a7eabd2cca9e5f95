/**
 * Python's json.dumps with its defaults (separators ", " and ": ",
 * ensure_ascii), for the strings Keystone stores: the blob of an EC2
 * credential made through OS-EC2, and the JSON-encoded ec2 blob inside the
 * encrypted column. Writing them byte for byte as Keystone does keeps a
 * database shared with Keystone readable by both.
 */

const asciiOnly = (json: string): string => json.replace(/[\u0080-\uffff]/g, (c) => '\\u' + c.charCodeAt(0).toString(16).padStart(4, '0'));

export function pythonJsonDumps(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'string') return asciiOnly(JSON.stringify(value));
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'number') {
    if (Number.isNaN(value)) return 'NaN';
    if (!Number.isFinite(value)) return value > 0 ? 'Infinity' : '-Infinity';
    return String(value);
  }
  if (Array.isArray(value)) return '[' + value.map(pythonJsonDumps).join(', ') + ']';
  if (typeof value === 'object') {
    return (
      '{' +
      Object.entries(value as Record<string, unknown>)
        .map(([k, v]) => `${pythonJsonDumps(k)}: ${pythonJsonDumps(v)}`)
        .join(', ') +
      '}'
    );
  }
  return 'null';
}

/** Python's repr() of a JSON value (str, int, bool, None, list, dict), as Keystone's schema errors quote instances. */
export function pythonRepr(value: unknown): string {
  if (value === null || value === undefined) return 'None';
  if (typeof value === 'boolean') return value ? 'True' : 'False';
  if (typeof value === 'number') return String(value);
  if (typeof value === 'string') {
    const quote = value.includes("'") && !value.includes('"') ? '"' : "'";
    const body = value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/\r/g, '\\r').replace(/\t/g, '\\t');
    return quote + (quote === "'" ? body.replace(/'/g, "\\'") : body) + quote;
  }
  if (Array.isArray(value)) return '[' + value.map(pythonRepr).join(', ') + ']';
  if (typeof value === 'object') {
    return (
      '{' +
      Object.entries(value as Record<string, unknown>)
        .map(([k, v]) => `${pythonRepr(k)}: ${pythonRepr(v)}`)
        .join(', ') +
      '}'
    );
  }
  return 'None';
}
