/**
 * Keystone's [ldap] options (keystone.conf, a keystone.<domain>.conf file or
 * a domain's configuration in the database) turned into what the LDAP
 * driver's parts take: connection settings, search settings, and the
 * attribute mapping of users and groups.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ConnectionOptions } from 'node:tls';
import type { KeystoneConfig } from '../../config/options.js';
import { OPTIONS } from '../../config/options.js';
import type { OptionSpec } from '../../config/option-types.js';
import { convertOptionValue } from '../../config/option-values.js';
import type { LdapConnectionSettings } from './ldap-connection-pool.js';
import type { LdapDirectorySettings, LdapScope } from './ldap-directory.js';

export type LdapOptions = KeystoneConfig['ldap'];

/** The [ldap] defaults, as Keystone's keystone/conf/ldap.py. */
export function defaultLdapOptions(): LdapOptions {
  return Object.fromEntries(Object.entries(OPTIONS.ldap).map(([name, spec]) => [name, spec.default])) as unknown as LdapOptions;
}

/**
 * [ldap] options from a domain's configuration in the database (JSON values
 * as the API stored them), each converted as keystone.conf's would be, the
 * rest defaults. An invalid value throws a ConfigValueError naming it.
 */
export function ldapOptionsFromStored(stored: Record<string, unknown> | undefined): LdapOptions {
  const options = defaultLdapOptions() as unknown as Record<string, unknown>;
  const specs = OPTIONS.ldap as unknown as Record<string, OptionSpec>;
  for (const [name, value] of Object.entries(stored ?? {})) {
    const spec = specs[name] as OptionSpec | undefined;
    if (!spec || value === null || value === undefined) continue;
    const text = Array.isArray(value) ? value.map(String).join(',') : typeof value === 'string' ? value : JSON.stringify(value);
    options[name] = convertOptionValue('ldap', name, spec, [text]);
  }
  return options as unknown as LdapOptions;
}

export interface EntityMapping {
  treeDn: string;
  objectClass: string;
  filter: string | null;
  idAttribute: string;
  /** keystone attribute → LDAP attribute (name, email, description, enabled, default_project_id) */
  attributes: Record<string, string>;
  /** LDAP attribute → keystone attribute, from *_additional_attribute_mapping */
  additional: Record<string, string>;
  ignore: string[];
}

export interface LdapDriverSettings {
  connection: LdapConnectionSettings;
  directory: LdapDirectorySettings;
  scope: LdapScope;
  user: EntityMapping & {
    enabledMask: number;
    enabledInvert: boolean;
    enabledDefault: string;
    enabledEmulation: boolean;
    enabledEmulationDn: string;
    /** member attribute and whether members are ids, of the enabled-users group */
    emulationMemberAttribute: string;
    emulationMembersAreIds: boolean;
  };
  group: EntityMapping & { memberAttribute: string; membersAreIds: boolean; adNesting: boolean };
}

/** A bound on every wait when an option says -1 (Keystone: forever): a dead directory must not hold a request for good. */
const UNBOUNDED_TIMEOUT_MS = 30_000;

function parseAdditional(pairs: string[]): Record<string, string> {
  const mapping: Record<string, string> = {};
  for (const pair of pairs) {
    const parts = pair.split(':');
    if (parts.length === 2 && parts[0] && parts[1]) mapping[parts[0].trim()] = parts[1].trim();
  }
  return mapping;
}

function tlsOptions(options: LdapOptions): ConnectionOptions {
  const ca: Buffer[] = [];
  if (options.tls_cacertfile) ca.push(readFileSync(options.tls_cacertfile));
  if (options.tls_cacertdir) {
    for (const name of readdirSync(options.tls_cacertdir).sort()) {
      if (/\.(pem|crt|cer)$/i.test(name) || /^[0-9a-f]{8}\.\d+$/i.test(name)) ca.push(readFileSync(join(options.tls_cacertdir, name)));
    }
  }
  return { ...(ca.length > 0 ? { ca } : {}), rejectUnauthorized: options.tls_req_cert === 'demand' };
}

function seconds(value: number): number {
  return value > 0 ? value * 1000 : UNBOUNDED_TIMEOUT_MS;
}

export function ldapDriverSettings(options: LdapOptions, label: string): LdapDriverSettings {
  const urls = options.url
    .split(/[\s,]+/)
    .map((u) => u.trim())
    .filter(Boolean);
  if (options.randomize_urls) urls.sort(() => Math.random() - 0.5);
  const deref = { never: 'never', searching: 'search', finding: 'find', always: 'always', default: 'never' } as const;
  const userTreeDn = options.user_tree_dn ?? `ou=Users,${options.suffix}`;
  const groupTreeDn = options.group_tree_dn ?? `ou=UserGroups,${options.suffix}`;
  const userAttributes: Record<string, string> = {
    name: options.user_name_attribute,
    email: options.user_mail_attribute,
    description: options.user_description_attribute,
    enabled: options.user_enabled_attribute,
  };
  if (options.user_default_project_id_attribute) userAttributes.default_project_id = options.user_default_project_id_attribute;
  return {
    connection: {
      urls,
      bindDn: options.user,
      bindPassword: options.password,
      useTls: options.use_tls,
      tlsOptions: tlsOptions(options),
      connectTimeoutMs: seconds(options.use_pool ? options.pool_connection_timeout : options.connection_timeout),
      // Keystone waits on a silent server for ever; here the first timeout set bounds every operation too
      operationTimeoutMs: seconds(options.connection_timeout > 0 ? options.connection_timeout : options.pool_connection_timeout),
      size: options.use_pool ? options.pool_size : 1,
      lifetimeMs: options.use_pool ? options.pool_connection_lifetime * 1000 : 0,
      retryMax: options.pool_retry_max,
      retryDelayMs: options.pool_retry_delay * 1000,
    },
    directory: {
      label,
      pageSize: options.page_size,
      derefAliases: deref[options.alias_dereferencing as keyof typeof deref],
      chaseReferrals: options.chase_referrals === true,
    },
    scope: options.query_scope === 'sub' ? 'sub' : 'one',
    user: {
      treeDn: userTreeDn,
      objectClass: options.user_objectclass,
      filter: options.user_filter,
      idAttribute: options.user_id_attribute,
      attributes: userAttributes,
      additional: parseAdditional(options.user_additional_attribute_mapping),
      ignore: options.user_attribute_ignore,
      enabledMask: options.user_enabled_mask,
      enabledInvert: options.user_enabled_invert,
      enabledDefault: options.user_enabled_default,
      enabledEmulation: options.user_enabled_emulation,
      enabledEmulationDn: options.user_enabled_emulation_dn ?? `cn=enabled_users,${userTreeDn}`,
      emulationMemberAttribute: options.user_enabled_emulation_use_group_config ? options.group_member_attribute : 'member',
      emulationMembersAreIds: options.user_enabled_emulation_use_group_config ? options.group_members_are_ids : false,
    },
    group: {
      treeDn: groupTreeDn,
      objectClass: options.group_objectclass,
      filter: options.group_filter,
      idAttribute: options.group_id_attribute,
      attributes: { name: options.group_name_attribute, description: options.group_desc_attribute },
      additional: parseAdditional(options.group_additional_attribute_mapping),
      ignore: options.group_attribute_ignore,
      memberAttribute: options.group_member_attribute,
      membersAreIds: options.group_members_are_ids,
      adNesting: options.group_ad_nesting,
    },
  };
}
