/**
 * The SQL backend of the federation room: identity_provider and idp_remote_ids,
 * federation_protocol, mapping, service_provider (Keystone's
 * federation/backends/sql.py tables, as the migrations create them).
 */
import type { Queryable } from '../storage/database.js';
import { canMatch } from '../storage/sql-text.js';
import type {
  EnabledFilter,
  FederationBackend,
  IdentityProviderRow,
  MappingRow,
  ProtocolRow,
  ServiceProviderRow,
} from './federation-backend.js';

type IdpColumns = Omit<IdentityProviderRow, 'remote_ids'>;

const IDP_COLUMNS = 'id, enabled, description, domain_id, authorization_ttl';
const PROTOCOL_COLUMNS = 'id, idp_id, mapping_id, remote_id_attribute';
const SP_COLUMNS = 'id, enabled, description, auth_url, sp_url, relay_state_prefix';

function filterClause(filter: EnabledFilter & { domainId?: string }): { where: string; params: unknown[] } {
  const conditions: string[] = [];
  const params: unknown[] = [];
  if (filter.id !== undefined) {
    params.push(filter.id);
    conditions.push(`id = $${params.length}`);
  }
  if (filter.enabled !== undefined) {
    params.push(filter.enabled);
    conditions.push(`enabled = $${params.length}`);
  }
  if (filter.domainId !== undefined) {
    params.push(filter.domainId);
    conditions.push(`domain_id = $${params.length}`);
  }
  return { where: conditions.length ? `WHERE ${conditions.join(' AND ')}` : '', params };
}

export class FederationRepository implements FederationBackend {
  constructor(private readonly db: Queryable) {}

  transaction<T>(work: (backend: FederationBackend) => Promise<T>): Promise<T> {
    return this.db.tx((t) => work(new FederationRepository(t)));
  }

  // ---- identity providers ----------------------------------------------------------

  private async withRemoteIds(rows: IdpColumns[]): Promise<IdentityProviderRow[]> {
    if (rows.length === 0) return [];
    const remote = await this.db.any<{ idp_id: string; remote_id: string }>(
      'SELECT idp_id, remote_id FROM idp_remote_ids WHERE idp_id IN ($1:csv) ORDER BY remote_id',
      [rows.map((r) => r.id)],
    );
    return rows.map((r) => ({ ...r, remote_ids: remote.filter((x) => x.idp_id === r.id).map((x) => x.remote_id) }));
  }

  private async insertRemoteIds(idpId: string, remoteIds: readonly string[]): Promise<void> {
    for (const remoteId of remoteIds)
      await this.db.none('INSERT INTO idp_remote_ids (idp_id, remote_id) VALUES ($1, $2)', [idpId, remoteId]);
  }

  async insertIdentityProvider(row: IdentityProviderRow): Promise<void> {
    await this.db.none(`INSERT INTO identity_provider (${IDP_COLUMNS}) VALUES ($1, $2, $3, $4, $5)`, [
      row.id,
      row.enabled,
      row.description,
      row.domain_id,
      row.authorization_ttl,
    ]);
    await this.insertRemoteIds(row.id, row.remote_ids);
  }

  async getIdentityProvider(id: string): Promise<IdentityProviderRow | null> {
    if (!canMatch(id, 64)) return null;
    const row = await this.db.oneOrNone<IdpColumns>(`SELECT ${IDP_COLUMNS} FROM identity_provider WHERE id = $1`, [id]);
    return row ? (await this.withRemoteIds([row]))[0] : null;
  }

  async listIdentityProviders(filter: EnabledFilter & { domainId?: string }): Promise<IdentityProviderRow[]> {
    if (filter.id !== undefined && !canMatch(filter.id, 64)) return [];
    if (filter.domainId !== undefined && !canMatch(filter.domainId, 64)) return [];
    const { where, params } = filterClause(filter);
    return this.withRemoteIds(await this.db.any<IdpColumns>(`SELECT ${IDP_COLUMNS} FROM identity_provider ${where} ORDER BY id`, params));
  }

  async updateIdentityProvider(row: IdentityProviderRow): Promise<void> {
    await this.db.none('UPDATE identity_provider SET enabled = $2, description = $3, authorization_ttl = $4 WHERE id = $1', [
      row.id,
      row.enabled,
      row.description,
      row.authorization_ttl,
    ]);
    await this.db.none('DELETE FROM idp_remote_ids WHERE idp_id = $1', [row.id]);
    await this.insertRemoteIds(row.id, row.remote_ids);
  }

  async deleteIdentityProvider(id: string): Promise<number> {
    if (!canMatch(id, 64)) return 0;
    // The foreign keys cascade to idp_remote_ids, federated_user and expiring_user_group_membership; protocols as Keystone does.
    await this.db.none('DELETE FROM federation_protocol WHERE idp_id = $1', [id]);
    return (await this.db.result('DELETE FROM identity_provider WHERE id = $1', [id])).rowCount;
  }

  async identityProviderIdOfRemoteId(remoteId: string): Promise<string | null> {
    if (!canMatch(remoteId, 255)) return null;
    const row = await this.db.oneOrNone<{ idp_id: string | null }>('SELECT idp_id FROM idp_remote_ids WHERE remote_id = $1', [remoteId]);
    return row?.idp_id ?? null;
  }

  async remoteIdsTakenElsewhere(remoteIds: readonly string[], exceptIdpId: string): Promise<string[]> {
    if (remoteIds.length === 0) return [];
    return this.db.map(
      'SELECT remote_id FROM idp_remote_ids WHERE remote_id IN ($1:csv) AND idp_id IS DISTINCT FROM $2 ORDER BY remote_id',
      [remoteIds, exceptIdpId],
      (r: { remote_id: string }) => r.remote_id,
    );
  }

  federatedUserIds(idpId: string, protocolId?: string): Promise<string[]> {
    if (!canMatch(idpId, 64) || (protocolId !== undefined && !canMatch(protocolId, 64))) return Promise.resolve([]);
    return protocolId === undefined
      ? this.db.map('SELECT DISTINCT user_id FROM federated_user WHERE idp_id = $1', [idpId], (r: { user_id: string }) => r.user_id)
      : this.db.map(
          'SELECT DISTINCT user_id FROM federated_user WHERE idp_id = $1 AND protocol_id = $2',
          [idpId, protocolId],
          (r: { user_id: string }) => r.user_id,
        );
  }

  // ---- protocols ---------------------------------------------------------------------

  async insertProtocol(row: ProtocolRow): Promise<void> {
    await this.db.none(`INSERT INTO federation_protocol (${PROTOCOL_COLUMNS}) VALUES ($1, $2, $3, $4)`, [
      row.id,
      row.idp_id,
      row.mapping_id,
      row.remote_id_attribute,
    ]);
  }

  getProtocol(idpId: string, protocolId: string): Promise<ProtocolRow | null> {
    if (!canMatch(idpId, 64) || !canMatch(protocolId, 64)) return Promise.resolve(null);
    return this.db.oneOrNone<ProtocolRow>(`SELECT ${PROTOCOL_COLUMNS} FROM federation_protocol WHERE idp_id = $1 AND id = $2`, [
      idpId,
      protocolId,
    ]);
  }

  listProtocols(idpId: string): Promise<ProtocolRow[]> {
    if (!canMatch(idpId, 64)) return Promise.resolve([]);
    return this.db.any<ProtocolRow>(`SELECT ${PROTOCOL_COLUMNS} FROM federation_protocol WHERE idp_id = $1 ORDER BY id`, [idpId]);
  }

  async updateProtocol(row: ProtocolRow): Promise<void> {
    await this.db.none('UPDATE federation_protocol SET mapping_id = $3, remote_id_attribute = $4 WHERE idp_id = $1 AND id = $2', [
      row.idp_id,
      row.id,
      row.mapping_id,
      row.remote_id_attribute,
    ]);
  }

  async deleteProtocol(idpId: string, protocolId: string): Promise<number> {
    if (!canMatch(idpId, 64) || !canMatch(protocolId, 64)) return 0;
    // Keystone's federated_user refers to its protocol ON DELETE CASCADE: the users' links through it go too.
    return this.db.tx(async (t) => {
      await t.none('DELETE FROM federated_user WHERE idp_id = $1 AND protocol_id = $2', [idpId, protocolId]);
      return (await t.result('DELETE FROM federation_protocol WHERE idp_id = $1 AND id = $2', [idpId, protocolId])).rowCount;
    });
  }

  listProtocolsOfMapping(mappingId: string): Promise<ProtocolRow[]> {
    if (!canMatch(mappingId, 64)) return Promise.resolve([]);
    return this.db.any<ProtocolRow>(`SELECT ${PROTOCOL_COLUMNS} FROM federation_protocol WHERE mapping_id = $1 ORDER BY idp_id, id`, [
      mappingId,
    ]);
  }

  // ---- mappings ------------------------------------------------------------------------

  async insertMapping(row: MappingRow): Promise<void> {
    await this.db.none('INSERT INTO mapping (id, rules, schema_version) VALUES ($1, $2, $3)', [row.id, row.rules, row.schema_version]);
  }

  getMapping(id: string): Promise<MappingRow | null> {
    if (!canMatch(id, 64)) return Promise.resolve(null);
    return this.db.oneOrNone<MappingRow>('SELECT id, rules, schema_version FROM mapping WHERE id = $1', [id]);
  }

  listMappings(): Promise<MappingRow[]> {
    return this.db.any<MappingRow>('SELECT id, rules, schema_version FROM mapping ORDER BY id');
  }

  async updateMapping(row: MappingRow): Promise<void> {
    await this.db.none('UPDATE mapping SET rules = $2, schema_version = $3 WHERE id = $1', [row.id, row.rules, row.schema_version]);
  }

  async deleteMapping(id: string): Promise<number> {
    if (!canMatch(id, 64)) return 0;
    return (await this.db.result('DELETE FROM mapping WHERE id = $1', [id])).rowCount;
  }

  // ---- service providers ---------------------------------------------------------------

  async insertServiceProvider(row: ServiceProviderRow): Promise<void> {
    await this.db.none(`INSERT INTO service_provider (${SP_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6)`, [
      row.id,
      row.enabled,
      row.description,
      row.auth_url,
      row.sp_url,
      row.relay_state_prefix,
    ]);
  }

  getServiceProvider(id: string): Promise<ServiceProviderRow | null> {
    if (!canMatch(id, 64)) return Promise.resolve(null);
    return this.db.oneOrNone<ServiceProviderRow>(`SELECT ${SP_COLUMNS} FROM service_provider WHERE id = $1`, [id]);
  }

  listServiceProviders(filter: EnabledFilter): Promise<ServiceProviderRow[]> {
    if (filter.id !== undefined && !canMatch(filter.id, 64)) return Promise.resolve([]);
    const { where, params } = filterClause(filter);
    return this.db.any<ServiceProviderRow>(`SELECT ${SP_COLUMNS} FROM service_provider ${where} ORDER BY id`, params);
  }

  async updateServiceProvider(row: ServiceProviderRow): Promise<void> {
    await this.db.none(
      'UPDATE service_provider SET enabled = $2, description = $3, auth_url = $4, sp_url = $5, relay_state_prefix = $6 WHERE id = $1',
      [row.id, row.enabled, row.description, row.auth_url, row.sp_url, row.relay_state_prefix],
    );
  }

  async deleteServiceProvider(id: string): Promise<number> {
    if (!canMatch(id, 64)) return 0;
    return (await this.db.result('DELETE FROM service_provider WHERE id = $1', [id])).rowCount;
  }
}
