/**
 * The global options of keystone-all and keystone-manage, as oslo.config
 * parses Keystone's: `--config-file PATH` (repeatable, later files override
 * earlier ones), `--config-dir DIR` (repeatable; every *.conf in it, in name
 * order), `--debug` / `-d` (`--nodebug` undoes it), `--help` / `-h`; both
 * `--opt value` and `--opt=value` forms, anywhere on the command line. What
 * is not a global option is left, in order, for the command (everything
 * after a `--` too). When neither --config-file nor --config-dir is given,
 * the defaults of src/config/load-config.ts (OS_KEYSTONE_CONFIG_FILES, else
 * /etc/keystone/keystone.conf and /etc/keystone/keystone.conf.d) apply.
 */
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { defaultConfigSources, type ConfigSources } from '../config/load-config.js';

export class UsageError extends Error {}

export interface ParsedArgs {
  configFiles: string[];
  configDirs: string[];
  debug: boolean;
  help: boolean;
  /** everything that is not a global option, in order */
  rest: string[];
}

const GLOBAL_OPTIONS = {
  'config-file': { type: 'string' },
  'config-dir': { type: 'string' },
  debug: { type: 'boolean', short: 'd' },
  nodebug: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

type Token = NonNullable<ReturnType<typeof parseArgs>['tokens']>[number];
type OptionToken = Extract<Token, { kind: 'option' }>;

const isGlobal = (t: Token): t is OptionToken => t.kind === 'option' && Object.hasOwn(GLOBAL_OPTIONS, t.name);

/** Pulls the global options out of argv (anywhere in it); the rest is left for the subcommand. */
export function parseGlobalArgs(argv: readonly string[]): ParsedArgs {
  const out: ParsedArgs = { configFiles: [], configDirs: [], debug: false, help: false, rest: [] };
  // Unknown options are the command's: not strict, and an unknown option takes no value here.
  const { tokens } = parseArgs({ args: [...argv], options: GLOBAL_OPTIONS, strict: false, allowPositionals: true, tokens: true });
  const end = tokens.find((t) => t.kind === 'option-terminator')?.index ?? argv.length;
  // An argument is global only when all of it is (`-dx` stays the command's, whole).
  const allGlobal = new Map<number, boolean>();
  for (const t of tokens) if (t.kind === 'option' && t.index < end) allGlobal.set(t.index, (allGlobal.get(t.index) ?? true) && isGlobal(t));
  const claimed = new Set<number>();
  for (const t of tokens) {
    if (!isGlobal(t) || t.index >= end || !allGlobal.get(t.index)) continue;
    claimed.add(t.index);
    switch (t.name) {
      case 'config-file':
      case 'config-dir': {
        if (!t.inlineValue) {
          if (t.value === undefined || t.value === '') throw new UsageError(`${t.rawName} needs a value`);
          claimed.add(t.index + 1);
        }
        (t.name === 'config-file' ? out.configFiles : out.configDirs).push(t.value ?? '');
        break;
      }
      case 'debug':
        out.debug = true;
        break;
      case 'nodebug':
        out.debug = false;
        break;
      case 'help':
        out.help = true;
        break;
    }
  }
  out.rest = [...argv.slice(0, end).filter((_, i) => !claimed.has(i)), ...argv.slice(end + 1)];
  return out;
}

export function configSourcesOf(args: ParsedArgs, env: NodeJS.ProcessEnv = process.env): ConfigSources {
  if (args.configFiles.length === 0 && args.configDirs.length === 0) return defaultConfigSources(env);
  return { configFiles: args.configFiles.map((f) => resolve(f)), configDirs: args.configDirs.map((d) => resolve(d)) };
}
