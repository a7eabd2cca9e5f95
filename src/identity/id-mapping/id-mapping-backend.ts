/**
 * What the id mapping manager asks of its store (Keystone's
 * identity/mapping_backends/base.py): the id_mapping rows that tie a public
 * id to a domain's local id of a user or group. The SQL backend is
 * id-mapping-repository.ts.
 */
export type EntityType = 'user' | 'group';

export interface LocalEntity {
  domain_id: string;
  local_id: string;
  entity_type: EntityType;
}

export interface IdMapping extends LocalEntity {
  public_id: string;
}

/** keystone-manage mapping_purge's filter: every field given must match. */
export interface MappingPurgeFilter {
  domain_id?: string;
  public_id?: string;
  local_id?: string;
  entity_type?: EntityType;
}

export interface IdMappingBackend {
  getPublicId(entity: LocalEntity): Promise<string | null>;
  getIdMapping(publicId: string): Promise<IdMapping | null>;
  /** Stores the mapping unless one exists for the entity; returns the public id stored. */
  createIdMapping(mapping: IdMapping): Promise<string>;
  listDomainMappings(domainId: string, entityType?: EntityType): Promise<IdMapping[]>;
  /** Returns how many mappings were removed. */
  purgeMappings(filter: MappingPurgeFilter): Promise<number>;
}
