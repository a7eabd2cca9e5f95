/**
 * Which identity driver serves a domain (Keystone's DomainConfigs and
 * _select_identity_driver): with [identity] domain_specific_drivers_enabled,
 * a domain whose configuration says `[identity] driver = ldap` gets an LDAP
 * driver built from its [ldap] options — read from keystone.<domain
 * name>.conf under domain_config_dir, or, with
 * domain_configurations_from_database, from the domain's configuration in
 * the database, read again on every call so that a PUT, PATCH or DELETE of
 * /v3/domains/{id}/config takes effect at once on every worker (a changed
 * configuration gets a new driver, the old one is closed). With
 * `[identity] driver = ldap`, the default domain is LDAP's. Every other
 * domain is SQL's (null).
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { KeystoneConfig } from '../config/options.js';
import { loadConfig } from '../config/load-config.js';
import type { DomainConfig } from '../domain-config/domain-config-manager.js';
import type { IdentityDriver } from './identity-driver.js';
import { LdapIdentityDriver } from './ldap/ldap-identity-driver.js';
import { ldapDriverSettings, ldapOptionsFromStored, type LdapOptions } from './ldap/ldap-settings.js';

/** What the registry reads of other rooms: a domain's name, and its configuration stored in the database. */
export interface DomainDriverSources {
  domainName(domainId: string): Promise<string | null>;
  storedConfig(domainId: string): Promise<DomainConfig>;
}

interface BuiltDriver {
  fingerprint: string;
  driver: IdentityDriver;
}

const DOMAIN_FILE = /^keystone\.(.+)\.conf$/;

export class DomainIdentityDrivers {
  private readonly built = new Map<string, BuiltDriver>();
  /** domain name → its file's [ldap] options, when that file says driver = ldap */
  private fileOptions: Map<string, LdapOptions> | null = null;
  private readonly changeListeners: (() => Promise<void>)[] = [];

  constructor(
    private readonly conf: KeystoneConfig,
    private readonly sources: DomainDriverSources,
  ) {}

  /** Called when a domain's driver changed (a new configuration, or none): what was cached of its entities is stale. */
  onChange(listener: () => Promise<void>): void {
    this.changeListeners.push(listener);
  }

  /** Whether any domain may have a driver other than SQL (when not, no look-up is ever made). */
  get active(): boolean {
    return this.conf.identity.domain_specific_drivers_enabled || this.conf.identity.driver === 'ldap';
  }

  /** The driver of a domain that is not SQL's, or null. */
  async driverFor(domainId: string | undefined): Promise<IdentityDriver | null> {
    if (!this.active || domainId === undefined) return null;
    const options = await this.optionsFor(domainId);
    if (!options) {
      if (await this.drop(domainId)) await this.changed();
      return null;
    }
    const fingerprint = JSON.stringify(options);
    const existing = this.built.get(domainId);
    if (existing?.fingerprint === fingerprint) return existing.driver;
    const replaced = await this.drop(domainId);
    const driver = new LdapIdentityDriver(ldapDriverSettings(options, domainId));
    this.built.set(domainId, { fingerprint, driver });
    if (replaced) await this.changed();
    return driver;
  }

  private async optionsFor(domainId: string): Promise<LdapOptions | null> {
    const identity = this.conf.identity;
    if (identity.domain_specific_drivers_enabled) {
      if (identity.domain_configurations_from_database) {
        const stored = await this.sources.storedConfig(domainId);
        if ((stored.identity as DomainConfig[string] | undefined)?.driver === 'ldap') return ldapOptionsFromStored(stored.ldap);
      } else {
        const name = await this.sources.domainName(domainId);
        const fromFile = name === null ? undefined : this.domainFiles().get(name);
        if (fromFile) return fromFile;
      }
    }
    if (identity.driver === 'ldap' && domainId === identity.default_domain_id) return this.conf.ldap;
    return null;
  }

  /** keystone.<domain name>.conf files, read once (Keystone reads them at start-up too). */
  private domainFiles(): Map<string, LdapOptions> {
    if (this.fileOptions) return this.fileOptions;
    const found = new Map<string, LdapOptions>();
    const dir = this.conf.identity.domain_config_dir;
    if (existsSync(dir)) {
      for (const file of readdirSync(dir).sort()) {
        const match = DOMAIN_FILE.exec(file);
        if (!match) continue;
        const { conf } = loadConfig({ configFiles: [join(dir, file)] });
        if (conf.identity.driver === 'ldap') found.set(match[1], conf.ldap);
      }
    }
    this.fileOptions = found;
    return found;
  }

  private async changed(): Promise<void> {
    for (const listener of this.changeListeners) await listener();
  }

  /** Closes a domain's driver; whether there was one. */
  private async drop(domainId: string): Promise<boolean> {
    const existing = this.built.get(domainId);
    if (!existing) return false;
    this.built.delete(domainId);
    await existing.driver.close();
    return true;
  }

  async close(): Promise<void> {
    for (const domainId of [...this.built.keys()]) await this.drop(domainId);
  }
}
