/**
 * Loads keystone.conf the way oslo.config does: --config-file (repeatable,
 * later overrides earlier), then every *.conf in each --config-dir in name
 * order, `$option` / `${section.option}` interpolation, typed values.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseIni, type IniEntry } from './ini-parser.js';
import { OPTIONS, type KeystoneConfig } from './options.js';
import type { OptionSpec } from './option-types.js';
import { convertOptionValue, ConfigValueError } from './option-values.js';

export interface ConfigSources {
  configFiles?: string[];
  configDirs?: string[];
}

export interface LoadedConfig {
  conf: KeystoneConfig;
  /** the files read, in order */
  files: string[];
  /** unknown options and options that mean nothing here */
  warnings: string[];
}

export class ConfigError extends Error {}

const DEFAULT_CONFIG_FILES = ['/etc/keystone/keystone.conf'];
const DEFAULT_CONFIG_DIRS = ['/etc/keystone/keystone.conf.d'];

/** When neither --config-file nor --config-dir is given: OS_KEYSTONE_CONFIG_FILES, else /etc/keystone. */
export function defaultConfigSources(env: NodeJS.ProcessEnv = process.env): ConfigSources {
  const fromEnv = env.OS_KEYSTONE_CONFIG_FILES;
  if (fromEnv)
    return {
      configFiles: fromEnv
        .split(';')
        .map((s) => s.trim())
        .filter(Boolean),
    };
  return {
    configFiles: DEFAULT_CONFIG_FILES.filter((f) => existsSync(f)),
    configDirs: DEFAULT_CONFIG_DIRS.filter((d) => existsSync(d)),
  };
}

export function loadConfig(sources: ConfigSources = {}): LoadedConfig {
  const files: string[] = [...(sources.configFiles ?? [])];
  for (const dir of sources.configDirs ?? []) {
    if (!existsSync(dir)) throw new ConfigError(`Config directory not found: ${dir}`);
    files.push(
      ...readdirSync(dir)
        .filter((f) => f.endsWith('.conf'))
        .sort()
        .map((f) => join(dir, f)),
    );
  }
  const raw = new Map<string, Map<string, IniEntry>>();
  for (const file of files) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      throw new ConfigError(`Cannot read config file ${file}: ${(err as Error).message}`);
    }
    let doc;
    try {
      doc = parseIni(text, file);
    } catch (err) {
      throw new ConfigError((err as Error).message);
    }
    for (const [section, entries] of doc) {
      const merged = raw.get(section) ?? new Map<string, IniEntry>();
      for (const [name, entry] of entries) merged.set(name, entry);
      raw.set(section, merged);
    }
  }

  const warnings: string[] = [];
  const sections = OPTIONS as unknown as Record<string, Record<string, OptionSpec>>;
  for (const [section, entries] of raw) {
    const known = sections[section];
    if (!known) {
      warnings.push(`Unknown section [${section}] in configuration is ignored`);
      continue;
    }
    for (const name of entries.keys()) {
      if (!known[name]) warnings.push(`Unknown option [${section}] ${name} is ignored`);
      else if (known[name].ignored) warnings.push(`Option [${section}] ${name} is accepted for compatibility but has no effect here`);
    }
  }

  const resolving = new Set<string>();
  const rawValues = (section: string, name: string): string[] | null => raw.get(section)?.get(name)?.values ?? null;
  const interpolate = (text: string, section: string): string =>
    text.replace(/\$(\$|\{([A-Za-z0-9_.]+)\}|([A-Za-z_][A-Za-z0-9_]*))/g, (_m, whole: string, braced?: string, bare?: string) => {
      if (whole === '$') return '$';
      const ref = (braced ?? bare) as string;
      const [refSection, refName] = ref.includes('.')
        ? (ref.split('.', 2) as [string, string])
        : [sections[section]?.[ref] ? section : 'DEFAULT', ref];
      const value = resolveString(refSection, refName);
      if (value === null) throw new ConfigError(`[${section}] refers to $${ref}, which is not set`);
      return value;
    });
  const resolveString = (section: string, name: string): string | null => {
    const key = `${section}.${name}`;
    if (resolving.has(key)) throw new ConfigError(`Interpolation loop at [${section}] ${name}`);
    resolving.add(key);
    try {
      const values = rawValues(section, name);
      if (values) return interpolate(values[values.length - 1] ?? '', section);
      const spec = sections[section]?.[name];
      if (!spec || spec.default === null) return null;
      return Array.isArray(spec.default) ? spec.default.join(',') : interpolate(String(spec.default), section);
    } finally {
      resolving.delete(key);
    }
  };

  const conf: Record<string, Record<string, unknown>> = {};
  for (const [section, options] of Object.entries(sections)) {
    conf[section] = {};
    for (const [name, spec] of Object.entries(options)) {
      const values = rawValues(section, name);
      try {
        conf[section][name] = values
          ? convertOptionValue(
              section,
              name,
              spec,
              values.map((v) => interpolate(v, section)),
            )
          : typeof spec.default === 'string'
            ? interpolate(spec.default, section)
            : spec.default;
      } catch (err) {
        if (err instanceof ConfigValueError || err instanceof ConfigError) throw new ConfigError(err.message);
        throw err;
      }
    }
    Object.freeze(conf[section]);
  }
  return { conf: Object.freeze(conf) as unknown as KeystoneConfig, files, warnings };
}
