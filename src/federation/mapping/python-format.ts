/**
 * Python's str.format() as Keystone's mapping engine calls it: `local_value.format(*direct_maps)`.
 * Positional fields ("{0}", "{}"), "{{" / "}}"; a field past the matches is Keystone's
 * DirectMappingError, every other Python format error its unexpected 500.
 */
import { pyRepr, pyStr } from '../../common/python-text.js';

export class MissingPositionalField extends Error {}
export class FormatStringError extends Error {}

export function pyFormat(template: string, args: readonly unknown[]): string {
  let out = '';
  let auto = 0;
  let numbering: 'auto' | 'manual' | undefined;
  for (let i = 0; i < template.length; i++) {
    const ch = template.charAt(i);
    if (ch === '}') {
      if (template.charAt(i + 1) !== '}') throw new FormatStringError("Single '}' encountered in format string");
      out += '}';
      i++;
      continue;
    }
    if (ch !== '{') {
      out += ch;
      continue;
    }
    if (template.charAt(i + 1) === '{') {
      out += '{';
      i++;
      continue;
    }
    const end = template.indexOf('}', i);
    if (end < 0) throw new FormatStringError("expected '}' before end of string");
    const field = template.slice(i + 1, end);
    i = end;
    const match = /^(\d*)(?:!([rsa]))?$/.exec(field);
    if (!match) throw new FormatStringError(`unsupported format field {${field}}`);
    const [, position = '', conversion] = match;
    let index: number;
    if (position === '') {
      if (numbering === 'manual') throw new FormatStringError('cannot switch from manual field specification to automatic field numbering');
      numbering = 'auto';
      index = auto++;
    } else {
      if (numbering === 'auto') throw new FormatStringError('cannot switch from automatic field numbering to manual field specification');
      numbering = 'manual';
      index = Number(position);
    }
    if (index >= args.length) throw new MissingPositionalField(`Replacement index ${String(index)} out of range`);
    out += conversion === 'r' || conversion === 'a' ? pyRepr(args[index]) : pyStr(args[index]);
  }
  return out;
}
