/**
 * The command line shared by keystone-all and keystone-manage, as oslo.config
 * parses Keystone's: `--config-file PATH` (repeatable, later files override
 * earlier ones), `--config-dir DIR` (repeatable; every *.conf in it, in name
 * order), `--debug` / `-d`, `--help` / `-h`; both `--opt value` and
 * `--opt=value` forms. When neither --config-file nor --config-dir is given,
 * the defaults of src/config/load-config.ts (OS_KEYSTONE_CONFIG_FILES, else
 * /etc/keystone/keystone.conf and /etc/keystone/keystone.conf.d) apply.
 *
 * Relative paths in keystone.conf (state_path, key repositories, log_dir)
 * are relative to the working directory, as with Keystone; the CLI makes
 * them absolute once at start-up (resolveRelativePaths) so that every
 * process of one keystone-all (workers forked later, SIGHUP reloads) agrees
 * even if a working directory changes. `npm start` runs from the repository,
 * so conf/keystone-dev.conf's `state_path = ./state` is the checkout's state.
 */
import { resolve } from 'node:path';
import { ConfigError, defaultConfigSources, loadConfig, type ConfigSources, type LoadedConfig } from '../config/load-config.js';
import type { KeystoneConfig } from '../config/options.js';
import { resolvePolicyLocations } from '../rbac/policy-location.js';

export class UsageError extends Error {}

export interface ParsedArgs {
  configFiles: string[];
  configDirs: string[];
  debug: boolean;
  help: boolean;
  /** everything that is not a global option, in order */
  rest: string[];
}

/** Pulls the global options out of argv (anywhere in it); the rest is left for the subcommand. */
export function parseGlobalArgs(argv: readonly string[]): ParsedArgs {
  const out: ParsedArgs = { configFiles: [], configDirs: [], debug: false, help: false, rest: [] };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') { out.rest.push(...argv.slice(i + 1)); break; }
    const [name, inline] = arg.startsWith('--') && arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined];
    const value = (): string => {
      if (inline !== undefined) return inline;
      const v = argv[++i];
      if (v === undefined || v === '') throw new UsageError(`${name} needs a value`);
      return v;
    };
    switch (name) {
      case '--config-file': out.configFiles.push(value()); break;
      case '--config-dir': out.configDirs.push(value()); break;
      case '--debug': case '-d': out.debug = true; break;
      case '--nodebug': out.debug = false; break;
      case '--help': case '-h': out.help = true; break;
      default: out.rest.push(arg);
    }
  }
  return out;
}

export function configSourcesOf(args: ParsedArgs, env: NodeJS.ProcessEnv = process.env): ConfigSources {
  if (args.configFiles.length === 0 && args.configDirs.length === 0) return defaultConfigSources(env);
  return { configFiles: args.configFiles.map((f) => resolve(f)), configDirs: args.configDirs.map((d) => resolve(d)) };
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] extends object ? { -readonly [P in keyof T[K]]: T[K][P] } : T[K] };

/** Path-valued options made absolute against the working directory. */
export function resolveRelativePaths(conf: KeystoneConfig, overrides: { debug?: boolean } = {}): KeystoneConfig {
  const c = JSON.parse(JSON.stringify(conf)) as Mutable<KeystoneConfig>;
  const abs = (p: string | null): string | null => (p ? resolve(p) : p);
  c.DEFAULT.state_path = abs(c.DEFAULT.state_path)!;
  if (c.DEFAULT.log_dir) c.DEFAULT.log_dir = abs(c.DEFAULT.log_dir);
  c.fernet_tokens.key_repository = abs(c.fernet_tokens.key_repository)!;
  c.fernet_receipts.key_repository = abs(c.fernet_receipts.key_repository)!;
  c.credential.key_repository = abs(c.credential.key_repository)!;
  if (overrides.debug) c.DEFAULT.debug = true;
  const conn = c.database.connection;
  if (conn && conn.startsWith('pglite://')) c.database.connection = `pglite://${resolve(conn.slice('pglite://'.length))}`;
  return deepFreeze(c) as unknown as KeystoneConfig;
}

function deepFreeze<T>(o: T): T {
  if (o && typeof o === 'object') {
    for (const v of Object.values(o)) deepFreeze(v);
    Object.freeze(o);
  }
  return o;
}

export interface CliConfig extends LoadedConfig {
  sources: ConfigSources;
}

/** Loads keystone.conf for a command; a ConfigError becomes one line on stderr and exit status 1 (the caller exits). */
export function loadCliConfig(sources: ConfigSources, debug: boolean): CliConfig {
  const loaded = loadConfig(sources);
  // [oslo_policy] policy_file / policy_dirs: found beside the configuration, as oslo.config looks.
  return { ...loaded, conf: resolvePolicyLocations(resolveRelativePaths(loaded.conf, { debug }), sources), sources };
}

/** Writes one line to stderr and exits with `code`. */
export function die(program: string, message: string, code = 1): never {
  process.stderr.write(`${program}: ${oneLine(message)}\n`);
  process.exit(code);
}

export function oneLine(message: string): string {
  return message.replace(/\s*\n\s*/g, ' ').trim();
}

/** The message of an error a command reports (config errors included). */
export function describeError(err: unknown): string {
  if (err instanceof ConfigError) return `configuration error: ${err.message}`;
  if (err instanceof Error) return err.message;
  return String(err);
}

export { ConfigError };
