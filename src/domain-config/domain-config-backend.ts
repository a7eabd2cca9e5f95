/**
 * What the domain configuration manager asks of its storage (Keystone's
 * domain config driver interface, resource/config_backends/base.py): a
 * domain's options, whitelisted or sensitive. The SQL backend is
 * domain-config-repository.ts.
 */
import type { ConfigValue } from './domain-config-options.js';

export interface ConfigOptionRow {
  group: string;
  option: string;
  value: ConfigValue;
  sensitive: boolean;
}

export interface ConfigOptionFilter {
  group?: string;
  option?: string;
  /** only the sensitive (true) or the whitelisted (false) options; both when absent */
  sensitive?: boolean;
}

export interface DomainConfigBackend {
  /** A domain's options, by group and option. */
  list(domainId: string, filter?: ConfigOptionFilter): Promise<ConfigOptionRow[]>;
  /** Sets each option, adding it when new. */
  upsert(domainId: string, rows: ConfigOptionRow[]): Promise<void>;
  /** A domain's options, of one group or one option when named. */
  delete(domainId: string, group?: string, option?: string): Promise<void>;
}
