/**
 * Keystone's mapping engine (keystone.federation.utils.RuleProcessor), rule for rule: each rule whose
 * `remote` requirements the assertion meets contributes its `local` part, with {0}, {1}… replaced by the
 * values its remote requirements matched; the contributions become one user, group ids, group names
 * and projects. Checked against Keystone's own engine by test/federation/mapping-oracle.test.ts.
 */
import { UnexpectedError, ValidationError } from '../../common/errors.js';
import { FormatStringError, MissingPositionalField, pyFormat } from './python-format.js';
import { literalListOr } from './python-literal.js';
import { pyRepr, pyStr } from '../../common/python-text.js';
import { isPyDict, type PyValue } from './python-value.js';

export type UserType = 'ephemeral' | 'local';

export interface MappedDomain {
  id?: string;
  name?: string;
}

export interface MappedUser {
  id?: string;
  name?: string;
  email?: string;
  domain?: MappedDomain;
  type: UserType;
}

export interface MappedGroupName {
  name: string;
  domain: MappedDomain;
}

export interface MappedProject {
  name: string;
  roles: { name: string }[];
}

/** What Keystone's RuleProcessor.process returns. */
export interface MappedProperties {
  user: MappedUser;
  group_ids: PyValue[];
  group_names: MappedGroupName[];
  projects: MappedProject[];
}

type Local = Record<string, PyValue>;
interface Requirement {
  type: string;
  regex?: boolean;
  any_one_of?: string[];
  not_any_of?: string[];
  blacklist?: string[];
  whitelist?: string[];
}
export interface MappingRule {
  local: Local[];
  remote: Requirement[];
}

/** A rule's matches: one list per requirement without any_one_of/not_any_of (Keystone's DirectMaps). */
type DirectMaps = string[][];

function directMapArgs(maps: DirectMaps): PyValue[] {
  return maps.map((values) => (values.length === 1 ? values[0] : values));
}

/** Python's re.search for each of Keystone's patterns, as close as JavaScript's RegExp comes. */
function searches(pattern: string, value: string): boolean {
  try {
    return new RegExp(pattern, 'u').test(value);
  } catch {
    try {
      return new RegExp(pattern).test(value);
    } catch {
      throw new UnexpectedError();
    }
  }
}

function unique<T>(values: T[]): T[] {
  return [...new Set(values)];
}

function matchesOf(values: string[], assertionValues: string[], regex: boolean): string[] {
  if (regex) return assertionValues.filter((assertion) => values.some((pattern) => searches(pattern, assertion)));
  const wanted = new Set(values);
  return unique(assertionValues.filter((value) => wanted.has(value)));
}

/** Keystone's DirectMappingError: a 500 whose detail (for logs and keystone-manage mapping_engine) names the mapping. */
export class DirectMappingError extends UnexpectedError {
  readonly detail: string;
  constructor(mappingId: string) {
    super();
    this.detail = `Local section in mapping ${mappingId} refers to a remote match that doesn't exist (e.g. {0} in a local section).`;
  }
}

/**
 * Where the engine's log lines go: Keystone's LOG of keystone.federation.utils, whose debug lines
 * (`keystone-manage mapping_engine --engine-debug`) show each step — the assertion, the rules, each direct
 * mapping, each local section before substitution, the identity values and the mapped properties — with
 * Python's repr of the values, as Keystone 22 words them.
 */
export interface MappingEngineLog {
  debug(message: string): void;
  warning(message: string): void;
}

const SILENT: MappingEngineLog = { debug: () => undefined, warning: () => undefined };

function groupsRuleError(identityValue: Local): ValidationError {
  return new ValidationError(`Invalid rule: ${pyRepr(identityValue)}. Both 'groups' and 'domain' keywords must be specified.`, false);
}

export class RuleProcessor {
  constructor(
    private readonly mappingId: string,
    private readonly rules: readonly MappingRule[],
    private readonly log: MappingEngineLog = SILENT,
  ) {}

  /** `assertion`: attribute → value, several values separated by ";" (as the WSGI environ holds them). */
  process(assertionData: Record<string, unknown>): MappedProperties {
    this.log.debug(`assertion data: ${pyRepr(assertionData)}`);
    const assertion = new Map<string, string[]>();
    for (const [name, value] of Object.entries(assertionData)) if (typeof value === 'string') assertion.set(name, value.split(';'));
    this.log.debug(`assertion: ${pyRepr(Object.fromEntries(assertion))}`);
    this.log.debug(`rules: ${pyRepr(this.rules)}`);
    const identityValues: Local[] = [];
    for (const rule of this.rules) {
      const directMaps = this.verifyAllRequirements(rule.remote, assertion);
      if (directMaps === undefined) continue;
      // Keystone means to copy `local` as it is when nothing was matched, but its DirectMaps is always true:
      // every rule that applies is formatted, and a "{0}" without a match is its DirectMappingError.
      for (const local of rule.local) identityValues.push(this.updateLocalMapping(local, directMaps));
    }
    this.log.debug(`identity_values: ${pyRepr(identityValues)}`);
    const mapped = this.transform(identityValues);
    this.log.debug(`mapped_properties: ${pyRepr(mapped)}`);
    return mapped;
  }

  private verifyAllRequirements(requirements: readonly Requirement[], assertion: Map<string, string[]>): DirectMaps | undefined {
    const directMaps: DirectMaps = [];
    for (const requirement of requirements) {
      let values = assertion.get(requirement.type);
      const regex = requirement.regex ?? false;
      if (!values || values.length === 0) return undefined;
      if (requirement.any_one_of !== undefined) {
        if (matchesOf(requirement.any_one_of, values, regex).length > 0) continue;
        return undefined;
      }
      if (requirement.not_any_of !== undefined) {
        if (matchesOf(requirement.not_any_of, values, regex).length === 0) continue;
        return undefined;
      }
      if (requirement.blacklist !== undefined) {
        const matched = new Set(matchesOf(requirement.blacklist, values, regex));
        values = unique(values.filter((value) => !matched.has(value)));
      } else if (requirement.whitelist !== undefined) {
        values = matchesOf(requirement.whitelist, values, regex);
      }
      directMaps.push(values);
      this.log.debug(`updating a direct mapping: ${pyRepr(values)}`);
    }
    return directMaps;
  }

  private updateLocalMapping(local: Local, directMaps: DirectMaps): Local {
    this.log.debug(`direct_maps: ${pyRepr(directMaps)}`);
    this.log.debug(`local: ${pyRepr(local)}`);
    const updated: Local = {};
    for (const [key, value] of Object.entries(local)) updated[key] = this.substitute(value, directMaps);
    return updated;
  }

  private substitute(value: PyValue, directMaps: DirectMaps): PyValue {
    if (isPyDict(value)) return this.updateLocalMapping(value, directMaps);
    if (Array.isArray(value))
      return value.map((item) => (isPyDict(item) ? this.updateLocalMapping(item, directMaps) : this.substitute(item, directMaps)));
    if (typeof value !== 'string') throw new UnexpectedError();
    try {
      return pyFormat(value, directMapArgs(directMaps));
    } catch (error) {
      if (error instanceof MissingPositionalField) throw new DirectMappingError(this.mappingId);
      if (error instanceof FormatStringError) throw new UnexpectedError();
      throw error;
    }
  }

  private normalizeGroups(identityValue: Local): MappedGroupName[] {
    const groups = pyStr(identityValue.groups ?? null);
    if (groups.includes('name')) {
      const groupDicts = literalListOr(groups).map((group) => {
        if (typeof group !== 'string') throw new UnexpectedError();
        // Python's str.lstrip('JSON:') strips any leading J, S, O, N and ':' characters.
        return group.startsWith('JSON:') ? (JSON.parse(group.replace(/^[JSON:]+/, '')) as PyValue) : group;
      });
      for (const group of groupDicts) {
        const hasDomain = typeof group === 'string' ? group.includes('domain') : isPyDict(group) ? 'domain' in group : false;
        if (!hasDomain) throw groupsRuleError(identityValue);
      }
      return groupDicts as unknown as MappedGroupName[];
    }
    if (!('domain' in identityValue)) throw groupsRuleError(identityValue);
    const domain = identityValue.domain as MappedDomain;
    return literalListOr(groups).map((name) => ({ name: name as string, domain }));
  }

  private transform(identityValues: Local[]): MappedProperties {
    if (identityValues.length === 0) {
      const message =
        'Could not map any federated user properties to identity values. Check debug logs or the mapping used for additional details.';
      this.log.warning(message);
      throw new ValidationError(message, false);
    }
    let user: Record<string, PyValue> = {};
    const groupIds = new Set<PyValue>();
    const groupNames: MappedGroupName[] = [];
    const groupsByDomain = new Map<string, MappedGroupName[]>();
    let projects: MappedProject[] = [];
    for (const identityValue of identityValues) {
      if ('user' in identityValue) {
        // a mapping that yields more than one user: the first counts
        if (Object.keys(user).length > 0) this.log.warning('Ignoring user name');
        else user = { ...(identityValue.user as Record<string, PyValue>) };
      }
      if ('group' in identityValue) {
        const group = identityValue.group as Record<string, PyValue>;
        if ('id' in group) groupIds.add(group.id);
        else if ('name' in group) {
          const domain = group.domain as MappedDomain;
          const key = domain.name || domain.id || '';
          const list = groupsByDomain.get(key) ?? [];
          list.push(group as unknown as MappedGroupName);
          groupsByDomain.set(key, list);
        }
        // Keystone appends every group named so far each time a "group" is seen (duplicates included).
        for (const groups of groupsByDomain.values()) {
          const byName = new Map<string, MappedGroupName>();
          for (const named of groups) byName.set(named.name, named);
          groupNames.push(...byName.values());
        }
      }
      if ('groups' in identityValue) groupNames.push(...this.normalizeGroups(identityValue));
      if ('group_ids' in identityValue) for (const id of literalListOr(pyStr(identityValue.group_ids ?? null))) groupIds.add(id);
      if ('projects' in identityValue) projects = identityValue.projects as unknown as MappedProject[];
    }
    if (user.type !== undefined && user.type !== 'ephemeral' && user.type !== 'local') {
      throw new ValidationError(`User type ${pyStr(user.type)} not supported`, false);
    }
    return {
      user: { ...user, type: user.type ?? 'ephemeral' },
      group_ids: [...groupIds],
      group_names: groupNames,
      projects,
    };
  }
}
