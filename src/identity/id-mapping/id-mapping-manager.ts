/**
 * Keystone's id_mapping_api: the public id of a directory's user or group
 * (made by the sha256 generator and stored on first sight), and the domain
 * and local id behind a public id. Look-ups are memoized: a mapping never
 * changes, it is only purged (keystone-manage mapping_purge, a deleted domain).
 */
import type { Cache } from '../../cache/cache.js';
import type { EntityType, IdMapping, IdMappingBackend, LocalEntity, MappingPurgeFilter } from './id-mapping-backend.js';
import { generatePublicId } from './sha256-id-generator.js';

export const ID_MAPPING_CACHE_REGION = 'id_mapping';
const MAPPING_TTL_SECONDS = 3600;

export class IdMappingManager {
  constructor(
    private readonly backend: IdMappingBackend,
    private readonly cache: Cache,
  ) {}

  /** The entity's public id, stored the first time it is asked for. */
  async publicIdFor(entity: LocalEntity): Promise<string> {
    const key = `local:${entity.domain_id}:${entity.entity_type}:${entity.local_id}`;
    return this.cache.memoize(ID_MAPPING_CACHE_REGION, key, MAPPING_TTL_SECONDS, async () => {
      const stored = await this.backend.getPublicId(entity);
      return stored ?? this.backend.createIdMapping({ ...entity, public_id: generatePublicId(entity) });
    });
  }

  /** The mapping behind a public id, or null (an id of a SQL entity, or an unknown one). */
  async getIdMapping(publicId: string): Promise<IdMapping | null> {
    const key = `public:${publicId}`;
    const cached = await this.cache.get(ID_MAPPING_CACHE_REGION, key);
    if (cached !== undefined) return JSON.parse(cached) as IdMapping;
    const mapping = await this.backend.getIdMapping(publicId);
    // an unmapped id is not remembered: its mapping may be stored the next moment
    if (mapping) await this.cache.set(ID_MAPPING_CACHE_REGION, key, JSON.stringify(mapping), MAPPING_TTL_SECONDS);
    return mapping;
  }

  listDomainMappings(domainId: string, entityType?: EntityType): Promise<IdMapping[]> {
    return this.backend.listDomainMappings(domainId, entityType);
  }

  async purgeMappings(filter: MappingPurgeFilter): Promise<number> {
    const removed = await this.backend.purgeMappings(filter);
    await this.cache.invalidate(ID_MAPPING_CACHE_REGION);
    return removed;
  }
}
