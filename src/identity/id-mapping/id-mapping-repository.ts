/** The SQL id mapping backend: Keystone's id_mapping table. */
import type { Queryable } from '../../storage/database.js';
import { canMatch } from '../../storage/sql-text.js';
import type { EntityType, IdMapping, IdMappingBackend, LocalEntity, MappingPurgeFilter } from './id-mapping-backend.js';

export class IdMappingRepository implements IdMappingBackend {
  constructor(private readonly db: Queryable) {}

  async getPublicId(entity: LocalEntity): Promise<string | null> {
    if (!canMatch(entity.local_id, 255) || !canMatch(entity.domain_id, 64)) return null;
    const row = await this.db.oneOrNone<{ public_id: string }>(
      'SELECT public_id FROM id_mapping WHERE domain_id = $(domain_id) AND local_id = $(local_id) AND entity_type = $(entity_type)',
      entity,
    );
    return row?.public_id ?? null;
  }

  async getIdMapping(publicId: string): Promise<IdMapping | null> {
    if (!canMatch(publicId, 64)) return null;
    return this.db.oneOrNone<IdMapping>(
      'SELECT public_id, domain_id, local_id, entity_type::text AS entity_type FROM id_mapping WHERE public_id = $1',
      [publicId],
    );
  }

  async createIdMapping(mapping: IdMapping): Promise<string> {
    await this.db.none(
      `INSERT INTO id_mapping (public_id, domain_id, local_id, entity_type)
       VALUES ($(public_id), $(domain_id), $(local_id), $(entity_type)) ON CONFLICT DO NOTHING`,
      mapping,
    );
    return (await this.getPublicId(mapping)) ?? mapping.public_id;
  }

  listDomainMappings(domainId: string, entityType?: EntityType): Promise<IdMapping[]> {
    return this.db.any<IdMapping>(
      `SELECT public_id, domain_id, local_id, entity_type::text AS entity_type FROM id_mapping
        WHERE domain_id = $1 AND ($2::text IS NULL OR entity_type::text = $2) ORDER BY local_id`,
      [domainId, entityType ?? null],
    );
  }

  async purgeMappings(filter: MappingPurgeFilter): Promise<number> {
    const result = await this.db.result(
      `DELETE FROM id_mapping
        WHERE ($(domain_id)::text IS NULL OR domain_id = $(domain_id))
          AND ($(public_id)::text IS NULL OR public_id = $(public_id))
          AND ($(local_id)::text IS NULL OR local_id = $(local_id))
          AND ($(entity_type)::text IS NULL OR entity_type::text = $(entity_type))`,
      { domain_id: null, public_id: null, local_id: null, entity_type: null, ...filter },
    );
    return result.rowCount;
  }
}
