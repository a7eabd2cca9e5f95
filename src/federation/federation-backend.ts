/**
 * What the federation manager asks of its storage (Keystone's federation
 * driver interface, federation/backends/base.py): identity providers with
 * their remote ids, their protocols, mappings and service providers. The SQL
 * backend is federation-repository.ts.
 */

/** A row of `identity_provider`, with its `idp_remote_ids` (sorted, as Keystone's relationship orders them). */
export interface IdentityProviderRow {
  id: string;
  enabled: boolean;
  description: string | null;
  domain_id: string;
  authorization_ttl: number | null;
  remote_ids: string[];
}

/** A row of `federation_protocol`. */
export interface ProtocolRow {
  id: string;
  idp_id: string;
  mapping_id: string;
  remote_id_attribute: string | null;
}

/** A row of `mapping` (rules as JSON text). */
export interface MappingRow {
  id: string;
  rules: string;
  schema_version: string;
}

/** A row of `service_provider`. */
export interface ServiceProviderRow {
  id: string;
  enabled: boolean;
  description: string | null;
  auth_url: string;
  sp_url: string;
  relay_state_prefix: string;
}

/** The list filters Keystone's identity provider and service provider listings accept. */
export interface EnabledFilter {
  id?: string;
  enabled?: boolean;
}

export interface FederationBackend {
  /** Runs `work` as one unit against a backend bound to it (a SQL transaction). */
  transaction<T>(work: (backend: FederationBackend) => Promise<T>): Promise<T>;

  /** Throws the database's unique violation when the id or one of the remote ids is taken. */
  insertIdentityProvider(row: IdentityProviderRow): Promise<void>;
  getIdentityProvider(id: string): Promise<IdentityProviderRow | null>;
  listIdentityProviders(filter: EnabledFilter & { domainId?: string }): Promise<IdentityProviderRow[]>;
  /** Rewrites the mutable columns and replaces the remote ids; throws the unique violation on a taken remote id. */
  updateIdentityProvider(row: IdentityProviderRow): Promise<void>;
  /** Deletes the IdP, its protocols, remote ids, expiring memberships and federated users' links (0 or 1). */
  deleteIdentityProvider(id: string): Promise<number>;
  /** The IdP that holds `remoteId` among its remote ids. */
  identityProviderIdOfRemoteId(remoteId: string): Promise<string | null>;
  /** The remote ids among `remoteIds` that an IdP other than `exceptIdpId` holds. */
  remoteIdsTakenElsewhere(remoteIds: readonly string[], exceptIdpId: string): Promise<string[]>;
  /** The users federated through the IdP (optionally through one of its protocols). */
  federatedUserIds(idpId: string, protocolId?: string): Promise<string[]>;

  /** Throws the database's unique violation when the IdP has the protocol already. */
  insertProtocol(row: ProtocolRow): Promise<void>;
  getProtocol(idpId: string, protocolId: string): Promise<ProtocolRow | null>;
  listProtocols(idpId: string): Promise<ProtocolRow[]>;
  updateProtocol(row: ProtocolRow): Promise<void>;
  deleteProtocol(idpId: string, protocolId: string): Promise<number>;
  /** The protocols that use the mapping. */
  listProtocolsOfMapping(mappingId: string): Promise<ProtocolRow[]>;

  /** Throws the database's unique violation when the id is taken. */
  insertMapping(row: MappingRow): Promise<void>;
  getMapping(id: string): Promise<MappingRow | null>;
  listMappings(): Promise<MappingRow[]>;
  updateMapping(row: MappingRow): Promise<void>;
  deleteMapping(id: string): Promise<number>;

  /** Throws the database's unique violation when the id is taken. */
  insertServiceProvider(row: ServiceProviderRow): Promise<void>;
  getServiceProvider(id: string): Promise<ServiceProviderRow | null>;
  listServiceProviders(filter: EnabledFilter): Promise<ServiceProviderRow[]>;
  updateServiceProvider(row: ServiceProviderRow): Promise<void>;
  deleteServiceProvider(id: string): Promise<number>;
}
