/**
 * The users and groups of domains served by a directory driver (LDAP), as
 * the identity manager hands them out: local ids swapped for public ones
 * through id_mapping (Keystone's _set_domain_id_and_mapping; the default
 * domain on [identity] driver = ldap keeps its local ids while
 * [identity_mapping] backward_compatible_ids holds), the domain put on, no
 * passwords, options or dates. `resolve` answers which directory entity a
 * public id names, or null for the SQL backend's.
 */
import type { KeystoneConfig } from '../config/options.js';
import type { DomainIdentityDrivers } from './domain-identity-drivers.js';
import type { EntityType } from './id-mapping/id-mapping-backend.js';
import type { IdMappingManager } from './id-mapping/id-mapping-manager.js';
import type { DriverGroup, DriverUser, IdentityDriver } from './identity-driver.js';
import type { Group, User } from './identity-types.js';

export interface ResolvedEntity {
  driver: IdentityDriver;
  domainId: string;
  localId: string;
}

export class DirectoryIdentities {
  constructor(
    private readonly conf: KeystoneConfig,
    private readonly drivers: DomainIdentityDrivers,
    private readonly idMapping: IdMappingManager,
  ) {}

  get active(): boolean {
    return this.drivers.active;
  }

  /** A domain's driver changed: `listener` drops what was cached of directory entities. */
  onChange(listener: () => Promise<void>): void {
    this.drivers.onChange(listener);
  }

  driverFor(domainId: string | undefined): Promise<IdentityDriver | null> {
    return this.drivers.driverFor(domainId);
  }

  /** The default domain's LDAP driver under backward-compatible ids: public id = local id. */
  private unmapped(domainId: string): boolean {
    return (
      this.conf.identity.driver === 'ldap' &&
      domainId === this.conf.identity.default_domain_id &&
      this.conf.identity_mapping.backward_compatible_ids
    );
  }

  /** The directory entity behind a public id, or null when it is the SQL backend's (or nobody's). */
  async resolve(publicId: string, entityType: EntityType): Promise<ResolvedEntity | null> {
    if (!this.active) return null;
    const mapping = await this.idMapping.getIdMapping(publicId);
    if (mapping?.entity_type === entityType) {
      const driver = await this.drivers.driverFor(mapping.domain_id);
      if (driver) return { driver, domainId: mapping.domain_id, localId: mapping.local_id };
    }
    if (!mapping && this.conf.identity.driver === 'ldap') {
      const domainId = this.conf.identity.default_domain_id;
      const driver = await this.drivers.driverFor(domainId);
      if (driver && this.unmapped(domainId)) return { driver, domainId, localId: publicId };
    }
    return null;
  }

  async publicId(domainId: string, localId: string, entityType: EntityType): Promise<string> {
    if (this.unmapped(domainId)) return localId;
    return this.idMapping.publicIdFor({ domain_id: domainId, local_id: localId, entity_type: entityType });
  }

  async user(domainId: string, user: DriverUser): Promise<User> {
    return {
      id: await this.publicId(domainId, user.id, 'user'),
      name: user.name,
      domainId,
      enabled: user.enabled,
      defaultProjectId: user.defaultProjectId,
      passwordExpiresAt: null,
      options: {},
      extra: user.extra,
      createdAt: null,
      lastActiveAt: null,
      isLocal: false,
    };
  }

  users(domainId: string, users: DriverUser[]): Promise<User[]> {
    return Promise.all(users.map((u) => this.user(domainId, u)));
  }

  async group(domainId: string, group: DriverGroup): Promise<Group> {
    return {
      id: await this.publicId(domainId, group.id, 'group'),
      name: group.name,
      domainId,
      description: group.description,
      extra: group.extra,
    };
  }

  groups(domainId: string, groups: DriverGroup[]): Promise<Group[]> {
    return Promise.all(groups.map((g) => this.group(domainId, g)));
  }

  /** A deleted domain's public ids are forgotten (Keystone purges its mappings). */
  async forgetDomain(domainId: string): Promise<void> {
    await this.idMapping.purgeMappings({ domain_id: domainId });
  }

  close(): Promise<void> {
    return this.drivers.close();
  }
}
