/**
 * A command's flags, parsed by node:util's parseArgs: `--flag VALUE` and
 * `--flag=VALUE` for string flags, `--no-flag` for negatable ones. Anything
 * else is refused with one line naming it (exit status 2).
 */
import { parseArgs } from 'node:util';
import { UsageError } from '../global-args.js';
import type { FlagSpecs, FlagValues } from './command.js';

export function parseCommandFlags<F extends FlagSpecs>(command: string, specs: F, args: readonly string[]): FlagValues<F> {
  const options = Object.fromEntries(Object.entries(specs).map(([name, spec]) => [name, { type: spec.type }]));
  // Not strict: the messages are Keystone's, and a string flag takes the next argument whatever it looks like.
  const { tokens } = parseArgs({ args: [...args], options, strict: false, allowPositionals: true, tokens: true });
  const values: Record<string, string | boolean> = {};
  const specOf = (name: string) => (Object.hasOwn(specs, name) ? specs[name] : undefined);
  for (const token of tokens) {
    if (token.kind === 'positional') throw new UsageError(`${command}: unexpected argument ${JSON.stringify(token.value)}`);
    if (token.kind === 'option-terminator') throw new UsageError(`${command}: unrecognized option --`);
    const spec = token.rawName.startsWith('--') ? specOf(token.name) : undefined;
    if (spec?.type === 'string') {
      if (token.value === undefined) throw new UsageError(`${command}: --${token.name} needs a value`);
      values[token.name] = token.value;
    } else if (spec) {
      values[token.name] = true;
    } else if (token.name.startsWith('no-') && specOf(token.name.slice(3))?.negatable) {
      values[token.name.slice(3)] = false;
    } else {
      throw new UsageError(`${command}: unrecognized option ${token.rawName}`);
    }
  }
  return values as FlagValues<F>;
}
