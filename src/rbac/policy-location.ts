/**
 * Where [oslo_policy] policy_file and policy_dirs are, as oslo.config's
 * find_file looks: an absolute path as it is; a relative one in each
 * --config-dir, then beside each --config-file (the last one first), then in
 * ~/.keystone, ~, /etc/keystone and /etc. With policy_file left at its
 * default (policy.yaml) and no such file, a policy.json found there is used
 * instead (oslo.policy's fallback for deployments of old).
 *
 * keystone-all and keystone-manage resolve both options once at start-up
 * (resolvePolicyLocations), so every process of a server agrees. A name not
 * found then is expected beside keystone.conf (the last --config-file, else
 * the first --config-dir, else /etc/keystone), where the enforcer keeps
 * looking: a policy.yaml or policy.d created there after start-up is read.
 */
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { basename, dirname, isAbsolute, join, resolve } from 'node:path';
import type { KeystoneConfig } from '../config/options.js';

export interface ConfigLocations {
  configFiles?: readonly string[];
  configDirs?: readonly string[];
}

const DEFAULT_POLICY_FILE = 'policy.yaml';
const LEGACY_POLICY_FILE = 'policy.json';

/** oslo.config's search path for files named in the configuration. */
export function configSearchDirs(locations: ConfigLocations = {}): string[] {
  const dirs = [...(locations.configDirs ?? []).map((d) => resolve(d))];
  for (const file of [...(locations.configFiles ?? [])].reverse()) dirs.push(dirname(resolve(file)));
  const home = homedir();
  dirs.push(join(home, '.keystone'), home, '/etc/keystone', '/etc');
  return dirs;
}

/** The first existing `name` in the search path (or `name` itself when absolute and present). */
export function findConfigFile(name: string, dirs: readonly string[]): string | undefined {
  if (isAbsolute(name)) return existsSync(name) ? name : undefined;
  for (const dir of dirs) {
    const candidate = join(dir, name);
    if (existsSync(candidate)) return candidate;
  }
  return undefined;
}

/**
 * The policy file in effect: found on the search path, with the policy.json fallback for the default
 * name (also where resolvePolicyLocations made that name absolute, in the directory it named).
 */
export function findPolicyFile(policyFile: string, dirs: readonly string[]): string | undefined {
  const found = findConfigFile(policyFile, dirs);
  if (found) return found;
  if (policyFile === DEFAULT_POLICY_FILE) return findConfigFile(LEGACY_POLICY_FILE, dirs);
  if (isAbsolute(policyFile) && basename(policyFile) === DEFAULT_POLICY_FILE)
    return findConfigFile(join(dirname(policyFile), LEGACY_POLICY_FILE), dirs);
  return undefined;
}

/** Where a relative name not found at start-up is expected: beside keystone.conf (see above). */
function expectedDir(locations: ConfigLocations): string {
  const files = locations.configFiles ?? [];
  if (files.length > 0) return dirname(resolve(files[files.length - 1]));
  const dirs = locations.configDirs ?? [];
  return dirs.length > 0 ? resolve(dirs[0]) : '/etc/keystone';
}

/** The configuration with policy_file and policy_dirs made absolute where they were found. */
export function resolvePolicyLocations(conf: KeystoneConfig, locations: ConfigLocations): KeystoneConfig {
  const dirs = configSearchDirs(locations);
  const policy = conf.oslo_policy;
  const expected = (name: string) => (isAbsolute(name) ? name : join(expectedDir(locations), name));
  const policyFile = findPolicyFile(policy.policy_file, dirs) ?? expected(policy.policy_file);
  const policyDirs = policy.policy_dirs.map((d) => findConfigFile(d, dirs) ?? expected(d));
  if (policyFile === policy.policy_file && policyDirs.every((d, i) => d === policy.policy_dirs[i])) return conf;
  return Object.freeze({
    ...conf,
    oslo_policy: Object.freeze({ ...policy, policy_file: policyFile, policy_dirs: Object.freeze(policyDirs) }),
  }) as KeystoneConfig;
}
