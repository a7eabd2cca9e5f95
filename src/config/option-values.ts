import type { OptionDefault, OptionSpec } from './option-types.js';

export class ConfigValueError extends Error {
  constructor(section: string, option: string, value: string, reason: string) {
    super(`Invalid value for option [${section}] ${option}: ${JSON.stringify(value)} (${reason})`);
  }
}

const TRUE_WORDS = new Set(['true', '1', 'yes', 'on', 'y', 't']);
const FALSE_WORDS = new Set(['false', '0', 'no', 'off', 'n', 'f']);

/** Converts the text of one option line (or, for a multistring, every line) to its typed value. */
export function convertOptionValue(section: string, option: string, spec: OptionSpec, values: string[]): OptionDefault {
  const converted = convertText(section, option, spec, values);
  const problem = spec.check?.(converted);
  if (problem) throw new ConfigValueError(section, option, values[values.length - 1] ?? '', problem);
  return converted;
}

function convertText(section: string, option: string, spec: OptionSpec, values: string[]): OptionDefault {
  const value = values[values.length - 1] ?? '';
  const fail = (reason: string): never => {
    throw new ConfigValueError(section, option, value, reason);
  };
  switch (spec.type) {
    case 'multistring':
      return values.filter((v) => v !== '');
    case 'list':
      return value === ''
        ? []
        : value
            .split(',')
            .map((s) => s.trim())
            .filter((s) => s !== '');
    case 'bool': {
      const word = value.toLowerCase();
      if (TRUE_WORDS.has(word)) return true;
      if (FALSE_WORDS.has(word)) return false;
      return fail('expected a boolean');
    }
    case 'int':
    case 'float': {
      if (value === '' && spec.default === null) return null;
      const n = spec.type === 'int' ? (/^[+-]?\d+$/.test(value) ? Number(value) : NaN) : Number(value);
      if (value === '' || !Number.isFinite(n)) return fail(spec.type === 'int' ? 'expected an integer' : 'expected a number');
      if (spec.min !== undefined && n < spec.min) return fail(`must be >= ${spec.min}`);
      if (spec.max !== undefined && n > spec.max) return fail(`must be <= ${spec.max}`);
      return n;
    }
    case 'string': {
      if (value === '' && spec.default === null) return null;
      if (spec.choices && !spec.choices.includes(value)) return fail(`must be one of ${spec.choices.join(', ')}`);
      return value;
    }
  }
}
