/** Prints conf/keystone.conf.sample, generated from the option table. */
import { OPTIONS } from './options.js';
import type { OptionSpec } from './option-types.js';

function wrap(text: string, width = 76): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/)) {
    if (line && line.length + word.length + 1 > width) {
      lines.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) lines.push(line);
  return lines;
}

function renderDefault(spec: OptionSpec): string {
  if (spec.default === null) return '<None>';
  if (Array.isArray(spec.default)) return spec.default.join(',');
  return String(spec.default);
}

export function generateSample(): string {
  const out: string[] = [];
  for (const [section, options] of Object.entries(OPTIONS as unknown as Record<string, Record<string, OptionSpec>>)) {
    out.push(`[${section}]`, '');
    for (const [name, spec] of Object.entries(options)) {
      for (const l of wrap(spec.help)) out.push(`# ${l}`);
      const facts = [`${spec.type} value`];
      if (spec.min !== undefined) facts.push(`minimum ${spec.min}`);
      if (spec.max !== undefined) facts.push(`maximum ${spec.max}`);
      if (spec.choices) facts.push(`one of: ${spec.choices.join(', ')}`);
      if (spec.ignored) facts.push('accepted for compatibility, no effect');
      out.push(`# (${facts.join('; ')})`);
      if (spec.type === 'multistring' && Array.isArray(spec.default) && spec.default.length > 1) {
        for (const v of spec.default) out.push(`#${name} = ${v}`);
      } else {
        out.push(`#${name} = ${renderDefault(spec)}`);
      }
      out.push('');
    }
  }
  return out.join('\n');
}

const isMain = import.meta.url === `file://${process.argv[1]}`;
if (isMain) process.stdout.write(generateSample());
