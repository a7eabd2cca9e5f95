/**
 * The contents of a policy file, as oslo.policy reads them: JSON first,
 * else YAML. The YAML here is what policy files are made of — one mapping
 * of rule names to rules, with comments, plain, single- and double-quoted
 * scalars (over several lines too), block scalars (| and >), null values
 * and flow sequences ([["role:admin"]], the legacy list form) — not all of
 * YAML: anchors, tags, nested block mappings and block sequences are
 * refused with the line they are on.
 */
export class PolicyFileSyntaxError extends Error {}

/** The rules of a policy file, in file order. */
export function parsePolicyFileContents(text: string, file = '<policy>'): Map<string, unknown> {
  let parsed: unknown;
  let isJson = true;
  try {
    parsed = JSON.parse(text);
  } catch {
    isJson = false;
  }
  if (isJson) {
    if (parsed === null) return new Map();
    if (typeof parsed !== 'object' || Array.isArray(parsed)) throw new PolicyFileSyntaxError(`${file}: a policy file holds a mapping of rule names to rules`);
    return new Map(Object.entries(parsed as Record<string, unknown>));
  }
  return new PolicyYamlReader(text, file).read();
}

class PolicyYamlReader {
  private readonly lines: string[];
  private row = 0;

  constructor(text: string, private readonly file: string) {
    this.lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  }

  private fail(message: string, row = this.row): never {
    throw new PolicyFileSyntaxError(`${this.file}, line ${row + 1}: ${message}`);
  }

  read(): Map<string, unknown> {
    const out = new Map<string, unknown>();
    for (; this.row < this.lines.length;) {
      const line = this.lines[this.row]!;
      const trimmed = line.trim();
      if (trimmed === '' || trimmed.startsWith('#') || trimmed === '---' || trimmed === '...' || trimmed.startsWith('%')) { this.row++; continue; }
      if (/^\s/.test(line)) this.fail('unexpected indentation');
      if (trimmed === '{}') { this.row++; continue; }
      const { key, rest } = this.readKey(line);
      if (out.has(key)) this.fail(`duplicate rule "${key}"`);
      out.set(key, this.readValue(rest));
    }
    return out;
  }

  private readKey(line: string): { key: string; rest: string } {
    if (line[0] === '"' || line[0] === '\'') {
      const { value, end } = quotedOnLine(line, 0) ?? this.fail('unterminated quoted key');
      const after = line.slice(end).replace(/^\s*/, '');
      if (!after.startsWith(':')) this.fail('expected ":" after the key');
      return { key: value, rest: after.slice(1) };
    }
    const m = /^(.*?):(\s|$)/.exec(line);
    if (!m) this.fail('expected "name: rule"');
    const key = m[1]!.trim();
    if (/^[&*!|>@`{[\-?]/.test(key)) this.fail('unsupported YAML in a rule name');
    return { key, rest: line.slice(m[0].length - m[2]!.length) };
  }

  /** The value after `key:`; advances past its lines. */
  private readValue(rest: string): unknown {
    const text = stripComment(rest).trim();
    const first = this.row;
    this.row++;
    if (text === '' || text === '~' || text === 'null' || text === 'Null' || text === 'NULL') {
      const nested = this.continuationRows();
      if (nested.length > 0) this.fail('nested mappings and block sequences are not supported in policy files', nested[0]);
      return null;
    }
    if (text[0] === '|' || text[0] === '>') return this.readBlockScalar(text, first);
    if (text[0] === '"' || text[0] === '\'') return this.readQuoted(rest.trimStart(), first);
    if (text[0] === '[') return this.readFlow(rest.trim(), first);
    if (/^[&*!{`@]/.test(text)) this.fail('anchors, tags and flow mappings are not supported in policy files', first);
    // A plain scalar, folded over more-indented continuation lines.
    const words = [text];
    for (const row of this.continuationRows()) words.push(stripComment(this.lines[row]!).trim());
    return words.filter((w) => w !== '').join(' ');
  }

  /** The rows after the current one that are indented (or blank before indented ones); consumed. */
  private continuationRows(): number[] {
    const rows: number[] = [];
    let r = this.row;
    let last = -1;
    while (r < this.lines.length) {
      const line = this.lines[r]!;
      if (line.trim() === '' || (/^\s/.test(line) && line.trim().startsWith('#'))) { r++; continue; }
      if (!/^\s/.test(line)) break;
      rows.push(r);
      last = r;
      r++;
    }
    if (last >= 0) this.row = last + 1;
    return rows;
  }

  private readQuoted(start: string, first: number): string {
    let text = start;
    for (;;) {
      const quoted = quotedOnLine(text, 0);
      if (quoted) {
        const after = stripComment(text.slice(quoted.end)).trim();
        if (after !== '') this.fail('unexpected text after a quoted rule', first);
        return quoted.value;
      }
      if (this.row >= this.lines.length) this.fail('unterminated quoted rule', first);
      const next = this.lines[this.row++]!.trim();
      text += next === '' ? '\n' : (text.endsWith('\n') ? '' : ' ') + next;
    }
  }

  private readFlow(start: string, first: number): unknown {
    let text = stripComment(start);
    for (;;) {
      const parsed = parseFlowSequence(text);
      if (parsed !== undefined) return parsed;
      if (this.row >= this.lines.length || !/^\s/.test(this.lines[this.row]!)) this.fail('unterminated flow sequence', first);
      text += ` ${stripComment(this.lines[this.row++]!).trim()}`;
    }
  }

  private readBlockScalar(header: string, first: number): string {
    const m = /^([|>])([+-]?)(\d?)([+-]?)$/.exec(header);
    if (!m) this.fail('bad block scalar header', first);
    const literal = m[1] === '|';
    const chomp = m[2] || m[4];
    const body: string[] = [];
    let indent = m[3] ? Number(m[3]) : 0;
    while (this.row < this.lines.length) {
      const line = this.lines[this.row]!;
      if (line.trim() !== '' && !/^\s/.test(line)) break;
      if (line.trim() !== '' && indent === 0) indent = line.length - line.trimStart().length;
      body.push(line.slice(indent));
      this.row++;
    }
    while (body.length > 0 && body[body.length - 1]!.trim() === '') body.pop();
    let value = literal ? body.join('\n') : body.reduce((acc, l, i) => (i === 0 ? l : l === '' ? `${acc}\n` : acc.endsWith('\n') ? acc + l : `${acc} ${l}`), '');
    if (chomp !== '-' && body.length > 0) value += '\n';
    return value;
  }
}

/** A quoted scalar starting at `at`: its value and where it ends; null when it does not end on this text. */
function quotedOnLine(text: string, at: number): { value: string; end: number } | null {
  const q = text[at];
  let value = '';
  for (let i = at + 1; i < text.length; i++) {
    const c = text[i]!;
    if (q === '\'') {
      if (c === '\'') {
        if (text[i + 1] === '\'') { value += '\''; i++; continue; }
        return { value, end: i + 1 };
      }
      value += c;
    } else {
      if (c === '\\') {
        const e = text[++i];
        const escapes: Record<string, string> = { n: '\n', t: '\t', r: '\r', '"': '"', '\\': '\\', '/': '/', '0': '\0', ' ': ' ' };
        if (e === 'u' || e === 'x') {
          const len = e === 'u' ? 4 : 2;
          value += String.fromCharCode(parseInt(text.slice(i + 1, i + 1 + len), 16));
          i += len;
        } else {
          value += e !== undefined ? escapes[e] ?? e : '';
        }
        continue;
      }
      if (c === '"') return { value, end: i + 1 };
      value += c;
    }
  }
  return null;
}

/** A comment starts at a # that begins the text or follows whitespace, outside quotes. */
function stripComment(text: string): string {
  let quote: string | null = null;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quote) {
      if (c === '\\' && quote === '"') i++;
      else if (c === quote) quote = null;
    } else if (c === '"' || c === '\'') {
      if (i === 0 || /[\s[,]/.test(text[i - 1]!)) quote = c;
    } else if (c === '#' && (i === 0 || /\s/.test(text[i - 1]!))) {
      return text.slice(0, i);
    }
  }
  return text;
}

/** A complete flow sequence of scalars and flow sequences; undefined when it is not closed yet. */
function parseFlowSequence(text: string): unknown[] | undefined {
  let i = 0;
  const skip = () => { while (i < text.length && /\s/.test(text[i]!)) i++; };
  const parseSeq = (): unknown[] | undefined => {
    i++; // [
    const items: unknown[] = [];
    for (;;) {
      skip();
      if (i >= text.length) return undefined;
      if (text[i] === ']') { i++; return items; }
      let item: unknown;
      if (text[i] === '[') {
        item = parseSeq();
        if (item === undefined) return undefined;
      } else if (text[i] === '"' || text[i] === '\'') {
        const q = quotedOnLine(text, i);
        if (!q) return undefined;
        item = q.value;
        i = q.end;
      } else {
        const start = i;
        while (i < text.length && text[i] !== ',' && text[i] !== ']') i++;
        item = text.slice(start, i).trim();
      }
      items.push(item);
      skip();
      if (text[i] === ',') i++;
      else if (text[i] !== ']' && i < text.length) throw new PolicyFileSyntaxError(`bad flow sequence: ${text}`);
    }
  };
  const result = parseSeq();
  if (result === undefined) return undefined;
  skip();
  if (i < text.length) throw new PolicyFileSyntaxError(`unexpected text after a flow sequence: ${text}`);
  return result;
}
