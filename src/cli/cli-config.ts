/**
 * keystone.conf as keystone-all and keystone-manage load it (the sources
 * come from src/cli/global-args.ts), and the one-line messages they fail with.
 *
 * Relative paths in keystone.conf (state_path, key repositories, log_dir)
 * are relative to the working directory, as with Keystone; the CLI makes
 * them absolute once at start-up (resolveRelativePaths) so that every
 * process of one keystone-all (workers forked later, SIGHUP reloads) agrees
 * even if a working directory changes. `npm start` runs from the repository,
 * so conf/keystone-dev.conf's `state_path = ./state` is the checkout's state.
 */
import { resolve } from 'node:path';
import { ConfigError, loadConfig, type ConfigSources, type LoadedConfig } from '../config/load-config.js';
import type { KeystoneConfig } from '../config/options.js';
import { resolvePolicyLocations } from '../rbac/policy-location.js';

type Mutable<T> = { -readonly [K in keyof T]: T[K] extends object ? { -readonly [P in keyof T[K]]: T[K][P] } : T[K] };

/** Path-valued options made absolute against the working directory. */
export function resolveRelativePaths(conf: KeystoneConfig, overrides: { debug?: boolean } = {}): KeystoneConfig {
  const c = JSON.parse(JSON.stringify(conf)) as Mutable<KeystoneConfig>;
  const abs = (p: string): string => (p ? resolve(p) : p);
  c.DEFAULT.state_path = abs(c.DEFAULT.state_path);
  if (c.DEFAULT.log_dir) c.DEFAULT.log_dir = abs(c.DEFAULT.log_dir);
  c.fernet_tokens.key_repository = abs(c.fernet_tokens.key_repository);
  c.fernet_receipts.key_repository = abs(c.fernet_receipts.key_repository);
  c.credential.key_repository = abs(c.credential.key_repository);
  if (overrides.debug) c.DEFAULT.debug = true;
  const conn = c.database.connection;
  if (conn && conn.startsWith('pglite://')) c.database.connection = `pglite://${resolve(conn.slice('pglite://'.length))}`;
  return deepFreeze(c);
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
