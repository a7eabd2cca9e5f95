/**
 * Parses keystone.conf text as oslo.config's parser does: [sections],
 * `name = value` (or `name: value`), indented continuation lines, `#`/`;`
 * comment lines, and a name repeated within a section collecting every value
 * (for multi-valued options).
 */
export interface IniEntry {
  values: string[];
  line: number;
}
export type IniDocument = Map<string, Map<string, IniEntry>>;

export class IniSyntaxError extends Error {
  constructor(
    public readonly file: string,
    public readonly line: number,
    message: string,
  ) {
    super(`${file}:${line}: ${message}`);
  }
}

export function parseIni(text: string, file = '<string>'): IniDocument {
  const doc: IniDocument = new Map();
  let section: Map<string, IniEntry> | null = null;
  let last: IniEntry | null = null;
  const lines = text.split(/\r?\n/);
  lines.forEach((raw, index) => {
    const lineNo = index + 1;
    if (raw.trim() === '') {
      last = null;
      return;
    }
    if (/^\s*[#;]/.test(raw)) return;
    if (/^\s/.test(raw) && last) {
      const current: IniEntry = last;
      current.values[current.values.length - 1] += '\n' + raw.trim();
      return;
    }
    const header = /^\[([^\]]+)\]\s*$/.exec(raw.trim());
    if (header) {
      const name = header[1].trim();
      section = doc.get(name) ?? new Map();
      doc.set(name, section);
      last = null;
      return;
    }
    const assignment = /^([^=:\s][^=:]*?)\s*[=:]\s?(.*)$/.exec(raw.trim());
    if (!assignment) throw new IniSyntaxError(file, lineNo, `cannot parse line: ${raw.trim()}`);
    if (!section) throw new IniSyntaxError(file, lineNo, 'option outside of any [section]');
    const name = assignment[1].trim();
    const value = assignment[2].trim();
    const existing = section.get(name);
    if (existing) existing.values.push(value);
    else section.set(name, { values: [value], line: lineNo });
    last = section.get(name) ?? null;
  });
  return doc;
}
