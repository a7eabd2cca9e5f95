/**
 * Domain-specific configuration as Keystone's DomainConfigManager keeps it:
 * only whitelisted groups and options, sensitive options stored but never
 * returned, create replaces, update merges (limited to an existing group or
 * option when one is named). The sql identity driver is the only one here:
 * a stored `identity.driver = ldap` is kept and reported, not acted on.
 */
import type { KeystoneConfig } from '../config/options.js';
import { Forbidden, NotFound, ValidationError } from '../common/errors.js';
import type { ConfigOptionRow, DomainConfigBackend } from './domain-config-backend.js';
import { isSensitive, isSupportedGroup, isSupportedOption, WHITELISTED_OPTIONS, type ConfigValue } from './domain-config-options.js';

export type DomainConfig = Record<string, Record<string, ConfigValue>>;

export class InvalidDomainConfig extends Forbidden {
  constructor(reason: string) {
    super(`Invalid domain specific configuration: ${reason}.`);
  }
}

export class DomainConfigNotFound extends NotFound {
  constructor(domainId: string, what: string) {
    super(`Could not find ${what} in domain configuration for domain ${domainId}.`);
  }
}

function describe(group?: string, option?: string): string {
  if (option) return `option ${option} in group ${group}`;
  if (group) return `group ${group}`;
  return 'any options';
}

export class DomainConfigManager {
  constructor(
    private readonly backend: DomainConfigBackend,
    private readonly conf: KeystoneConfig,
  ) {}

  private assertValidGroupAndOption(group?: string, option?: string): void {
    if (!group) return;
    if (!isSupportedGroup(group)) throw new InvalidDomainConfig(`Group ${group} is not supported for domain specific configurations`);
    if (option && !isSupportedOption(group, option)) {
      throw new InvalidDomainConfig(`Option ${option} in group ${group} is not supported for domain specific configurations`);
    }
  }

  private assertValidConfig(config: unknown): asserts config is DomainConfig {
    if (!config || typeof config !== 'object' || Array.isArray(config) || Object.keys(config).length === 0) {
      throw new InvalidDomainConfig('No options specified');
    }
    for (const [group, options] of Object.entries(config as Record<string, unknown>)) {
      if (!options || typeof options !== 'object' || Array.isArray(options) || Object.keys(options).length === 0) {
        throw new InvalidDomainConfig(`The value of group ${group} specified in the config should be a dictionary of options`);
      }
      for (const [option, value] of Object.entries(options as Record<string, unknown>)) {
        this.assertValidGroupAndOption(group, option);
        const ok =
          value === null ||
          ['string', 'number', 'boolean'].includes(typeof value) ||
          (Array.isArray(value) && value.every((v) => typeof v === 'string'));
        if (!ok) throw new ValidationError(`Invalid input for field 'config/${group}/${option}': unsupported value type`, false);
      }
    }
  }

  private toRows(config: DomainConfig): ConfigOptionRow[] {
    return Object.entries(config).flatMap(([group, options]) =>
      Object.entries(options).map(([option, value]) => ({ group, option, value, sensitive: isSensitive(group, option) })),
    );
  }

  private toConfig(rows: ConfigOptionRow[], option?: string): DomainConfig | Record<string, ConfigValue> {
    if (option) return rows.length ? { [rows[0].option]: rows[0].value } : {};
    const config: DomainConfig = {};
    for (const r of rows) (config[r.group] ??= {})[r.option] = r.value;
    return config;
  }

  async hasConfig(domainId: string): Promise<boolean> {
    return (await this.backend.list(domainId)).length > 0;
  }

  /** PUT: replaces the whole configuration; returns it without sensitive options. */
  async createConfig(domainId: string, config: unknown): Promise<DomainConfig> {
    this.assertValidConfig(config);
    await this.backend.delete(domainId);
    await this.backend.upsert(domainId, this.toRows(config));
    return this.toConfig(await this.backend.list(domainId, { sensitive: false })) as DomainConfig;
  }

  async getConfig(domainId: string, group?: string, option?: string): Promise<DomainConfig | Record<string, ConfigValue>> {
    this.assertValidGroupAndOption(group, option);
    const rows = await this.backend.list(domainId, { group, option, sensitive: false });
    if (rows.length === 0) throw new DomainConfigNotFound(domainId, describe(group, option));
    return this.toConfig(rows, option);
  }

  /** The password_regex options of [security_compliance], readable for the default domain only. */
  getSecurityComplianceConfig(domainId: string, option?: string): Record<string, unknown> {
    if (domainId !== this.conf.identity.default_domain_id) {
      throw new InvalidDomainConfig(
        'Reading security compliance information for any domain other than the default domain is not allowed or supported',
      );
    }
    const readable = {
      password_regex: this.conf.security_compliance.password_regex,
      password_regex_description: this.conf.security_compliance.password_regex_description,
    };
    if (option) {
      if (!Object.hasOwn(readable, option))
        throw new InvalidDomainConfig(
          'Reading security compliance values other than password_regex and password_regex_description is not allowed',
        );
      return { [option]: readable[option as keyof typeof readable] };
    }
    return { security_compliance: readable };
  }

  /** PATCH: merges; a named group or option must be the only one given and must already exist. */
  async updateConfig(domainId: string, config: unknown, group?: string, option?: string): Promise<DomainConfig> {
    const update = group && option ? { [group]: config } : config;
    this.assertValidConfig(update);
    this.assertValidGroupAndOption(group, option);
    if (group) {
      const groups = Object.keys(update);
      const groupOptions = update[groups[0]] ?? {};
      if (groups.length !== 1 || (option && Object.keys(groupOptions).length !== 1)) {
        throw new InvalidDomainConfig(
          option
            ? `Trying to update option ${option} in group ${group}, so that, and only that, option must be specified  in the config`
            : `Trying to update group ${group}, so that, and only that, group must be specified in the config`,
        );
      }
      if (!Object.hasOwn(update, group))
        throw new InvalidDomainConfig(`request to update group ${group}, but config provided contains group ${groups[0]} instead`);
      if (option && !Object.hasOwn(update[group], option)) {
        throw new InvalidDomainConfig(
          `Trying to update option ${option} in group ${group}, but config provided contains option ${Object.keys(update[group])[0]} instead`,
        );
      }
      if ((await this.backend.list(domainId, { group, option })).length === 0)
        throw new DomainConfigNotFound(domainId, describe(group, option));
    }
    await this.backend.upsert(domainId, this.toRows(update));
    return this.getConfig(domainId) as Promise<DomainConfig>;
  }

  async deleteConfig(domainId: string, group?: string, option?: string): Promise<void> {
    this.assertValidGroupAndOption(group, option);
    if (group && (await this.backend.list(domainId, { group, option })).length === 0) {
      throw new DomainConfigNotFound(domainId, describe(group, option));
    }
    await this.backend.delete(domainId, group, option);
  }

  /** GET /v3/domains/config[/group[/option]]/default: Keystone's defaults for the whitelisted options. */
  getDefaultConfig(group?: string, option?: string): DomainConfig | Record<string, ConfigValue> {
    this.assertValidGroupAndOption(group, option);
    if (option && group) {
      if (isSensitive(group, option))
        throw new InvalidDomainConfig(`Reading the default for option ${option} in group ${group} is not supported`);
      return { [option]: WHITELISTED_OPTIONS[group][option] };
    }
    if (group) return { [group]: { ...WHITELISTED_OPTIONS[group] } };
    return Object.fromEntries(Object.entries(WHITELISTED_OPTIONS).map(([g, o]) => [g, { ...o }]));
  }
}
