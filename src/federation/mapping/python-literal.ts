/**
 * The part of Python's ast.literal_eval() Keystone's mapping engine uses: a "groups" or "group_ids"
 * value that is the repr of a list ("['a', 'b']") becomes that list; anything that does not evaluate
 * to a list stays the one-element list [value] (RuleProcessor._ast_literal_eval).
 */
import type { PyValue } from './python-value.js';

class LiteralSyntaxError extends Error {}

const ESCAPES: Record<string, string> = {
  n: '\n',
  t: '\t',
  r: '\r',
  '\\': '\\',
  "'": "'",
  '"': '"',
  '0': '\0',
  a: '\x07',
  b: '\b',
  f: '\f',
  v: '\v',
};

class LiteralParser {
  private pos = 0;
  constructor(private readonly text: string) {}

  parseWhole(): PyValue {
    const value = this.value();
    this.space();
    if (this.pos !== this.text.length) throw new LiteralSyntaxError('trailing text');
    return value;
  }

  private space(): void {
    while (this.pos < this.text.length && ' \t\n\r\f'.includes(this.text.charAt(this.pos))) this.pos++;
  }

  private value(): PyValue {
    this.space();
    const ch = this.text.charAt(this.pos);
    if (ch === '[') return this.sequence('[', ']');
    if (ch === '(') return this.sequence('(', ')');
    if (ch === '{') return this.dict();
    if (ch === "'" || ch === '"') return this.strings();
    const word = /^(True|False|None)\b/.exec(this.text.slice(this.pos));
    if (word) {
      this.pos += word[0].length;
      return word[0] === 'True' ? true : word[0] === 'False' ? false : null;
    }
    const number = /^[-+]?(\d[\d_]*\.?\d*(e[-+]?\d+)?|\.\d+(e[-+]?\d+)?)/i.exec(this.text.slice(this.pos));
    if (number) {
      this.pos += number[0].length;
      return Number(number[0].replace(/_/g, ''));
    }
    throw new LiteralSyntaxError('not a literal');
  }

  private sequence(open: string, close: string): PyValue[] {
    this.pos++;
    const items: PyValue[] = [];
    for (;;) {
      this.space();
      if (this.text.charAt(this.pos) === close) {
        this.pos++;
        return items;
      }
      items.push(this.value());
      this.space();
      const sep = this.text.charAt(this.pos);
      if (sep === ',') this.pos++;
      else if (sep !== close) throw new LiteralSyntaxError(`expected , or ${open}${close}`);
    }
  }

  private dict(): PyValue {
    this.pos++;
    const entries: Record<string, PyValue> = {};
    for (;;) {
      this.space();
      if (this.text.charAt(this.pos) === '}') {
        this.pos++;
        return entries;
      }
      const key = this.value();
      this.space();
      if (this.text.charAt(this.pos) !== ':') throw new LiteralSyntaxError('a set, not a dict');
      this.pos++;
      entries[typeof key === 'string' ? key : JSON.stringify(key)] = this.value();
      this.space();
      if (this.text.charAt(this.pos) === ',') this.pos++;
      else if (this.text.charAt(this.pos) !== '}') throw new LiteralSyntaxError('expected , or }');
    }
  }

  /** Adjacent string literals concatenate, as in Python. */
  private strings(): string {
    let out = this.string();
    for (;;) {
      const save = this.pos;
      this.space();
      const ch = this.text.charAt(this.pos);
      if (ch !== "'" && ch !== '"') {
        this.pos = save;
        return out;
      }
      out += this.string();
    }
  }

  private string(): string {
    const quote = this.text.charAt(this.pos++);
    let out = '';
    while (this.pos < this.text.length) {
      const ch = this.text.charAt(this.pos++);
      if (ch === quote) return out;
      if (ch === '\n') break;
      if (ch !== '\\') {
        out += ch;
        continue;
      }
      const next = this.text.charAt(this.pos++);
      if (next === 'x' || next === 'u') {
        const width = next === 'x' ? 2 : 4;
        const hex = this.text.slice(this.pos, this.pos + width);
        if (!new RegExp(`^[0-9a-fA-F]{${width}}$`).test(hex)) throw new LiteralSyntaxError('bad escape');
        out += String.fromCharCode(parseInt(hex, 16));
        this.pos += width;
      } else if (next === '\n') {
        continue;
      } else {
        out += ESCAPES[next] ?? '\\' + next;
      }
    }
    throw new LiteralSyntaxError('unterminated string');
  }
}

/** RuleProcessor._ast_literal_eval: the list `value` spells, or [value]. */
export function literalListOr(value: string): PyValue[] {
  try {
    const parsed = new LiteralParser(value.replace(/^[ \t]+/, '')).parseWhole();
    return Array.isArray(parsed) && value.replace(/^[ \t]+/, '').startsWith('[') ? parsed : [value];
  } catch (error) {
    if (error instanceof LiteralSyntaxError) return [value];
    throw error;
  }
}
