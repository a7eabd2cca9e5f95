/**
 * Keystone's federation_api (federation/core.py): identity providers (with
 * their remote ids, unique across IdPs, and a domain created for an IdP that
 * names none), their protocols, mappings (rules checked as Keystone's
 * validate_mapping_structure does) and service providers; and the look-ups
 * federated authentication needs (an IdP by id or by remote id, a protocol,
 * the mapping of a protocol, running a mapping over an assertion).
 *
 * Deleting or disabling an IdP, or changing or deleting a protocol or a
 * mapping, revokes the tokens of the users federated through it (revocation
 * events by user, as the other rooms revoke) and drops the token cache.
 */
import { randomUUID } from 'node:crypto';
import { ValidationError } from '../common/errors.js';
import { isUniqueViolation } from '../storage/sql-errors.js';
import type { ResourceManager } from '../resource/resource-manager.js';
import type { RevokeManager } from '../revoke/revoke-manager.js';
import type {
  EnabledFilter,
  FederationBackend,
  IdentityProviderRow,
  MappingRow,
  ProtocolRow,
  ServiceProviderRow,
} from './federation-backend.js';
import {
  FederatedProtocolNotFound,
  FederationConflict,
  IdentityProviderNotFound,
  MappingNotFound,
  ServiceProviderNotFound,
} from './federation-errors.js';
import { validateMappingStructure } from './mapping/mapping-schema.js';
import { RuleProcessor, type MappedProperties, type MappingRule } from './mapping/rule-processor.js';

export type IdentityProvider = IdentityProviderRow;
export type FederationProtocol = ProtocolRow;
export type ServiceProvider = ServiceProviderRow;

export interface Mapping {
  id: string;
  rules: unknown;
  schema_version: string;
}

export interface IdentityProviderInput {
  enabled?: boolean;
  description?: string | null;
  domain_id?: string | null;
  authorization_ttl?: number | null;
  remote_ids?: string[] | null;
}

export interface ProtocolInput {
  mapping_id?: string;
  remote_id_attribute?: string | null;
}

export interface MappingInput {
  rules?: unknown;
  schema_version?: string;
}

export interface ServiceProviderInput {
  auth_url?: string;
  sp_url?: string;
  description?: string | null;
  enabled?: boolean;
  relay_state_prefix?: string | null;
}

/** A service provider as the token's `service_providers` catalog lists it. */
export interface ServiceProviderRef {
  auth_url: string;
  id: string;
  sp_url: string;
}

/** The mapping schema versions accepted; Keystone 22's rule schema is the one both are checked against. */
export const MAPPING_SCHEMA_VERSIONS = ['1.0', '2.0'] as const;
const DEFAULT_SCHEMA_VERSION = '1.0';

function mappingOf(row: MappingRow): Mapping {
  return { id: row.id, rules: JSON.parse(row.rules) as unknown, schema_version: row.schema_version };
}

/** Values longer than the columns that hold them: a 400, never a database error. */
function assertFits(field: string, value: string | null | undefined, max: number): void {
  if (typeof value === 'string' && value.length > max)
    throw new ValidationError(`Invalid input for field '${field}': '${value}' is too long`, false);
}

function assertFederationId(kind: string, id: string): void {
  if (id.length === 0 || id.length > 64 || id.includes('\u0000'))
    throw new ValidationError(`Invalid input for field 'id': the ${kind} id must be 1 to 64 characters`, false);
}

export class FederationManager {
  constructor(
    private readonly backend: FederationBackend,
    private readonly resource: ResourceManager,
    private readonly revoke: RevokeManager,
    /** [saml] relay_state_prefix: a service provider's relay_state_prefix when created (or set to null) without one */
    private readonly defaultRelayStatePrefix: string,
  ) {
    // Keystone's DOMAIN_DELETED callback; here before the domain row goes (identity_provider.domain_id refers to it).
    resource.events.on(async (event) => {
      if (event.type !== 'domain.deleting') return;
      for (const idp of await this.backend.listIdentityProviders({ domainId: event.domainId })) await this.deleteIdentityProvider(idp.id);
    });
  }

  // ---- identity providers -----------------------------------------------------------

  async createIdentityProvider(idpId: string, input: IdentityProviderInput): Promise<IdentityProvider> {
    assertFederationId('identity provider', idpId);
    const remoteIds = input.remote_ids ?? [];
    for (const remoteId of remoteIds) assertFits('remote_ids', remoteId, 255);
    // Keystone learns of a conflict from the database after creating the domain, and then removes it: asked first here.
    if (await this.backend.getIdentityProvider(idpId)) throw new FederationConflict('identity_provider', `Duplicate entry: ${idpId}`);
    await this.assertRemoteIdsFree(remoteIds, idpId);
    let domainId = input.domain_id ?? null;
    let createdDomain = false;
    if (domainId) {
      await this.resource.getDomain(domainId);
    } else {
      domainId = randomUUID().replace(/-/g, '');
      await this.resource.createDomain({
        id: domainId,
        name: domainId,
        description: `Auto generated federated domain for Identity Provider: ${idpId}`,
        enabled: true,
      });
      createdDomain = true;
    }
    const row: IdentityProviderRow = {
      id: idpId,
      enabled: input.enabled ?? false,
      description: input.description ?? null,
      domain_id: domainId,
      authorization_ttl: input.authorization_ttl ?? null,
      remote_ids: [...remoteIds].sort(),
    };
    try {
      await this.backend.transaction((repo) => repo.insertIdentityProvider(row));
    } catch (err) {
      if (createdDomain) await this.removeDomain(domainId);
      if (isUniqueViolation(err)) throw await this.idpConflict(idpId, remoteIds);
      throw err;
    }
    return this.getIdentityProvider(idpId);
  }

  private async removeDomain(domainId: string): Promise<void> {
    await this.resource.updateProjectRef(domainId, { enabled: false }, ['enabled'], true);
    await this.resource.deleteDomain(domainId);
  }

  private async idpConflict(idpId: string, remoteIds: readonly string[]): Promise<FederationConflict> {
    const taken = await this.backend.remoteIdsTakenElsewhere(remoteIds, idpId);
    return new FederationConflict('identity_provider', taken.length ? `Duplicate remote ID: ${taken[0]}` : `Duplicate entry: ${idpId}`);
  }

  private async assertRemoteIdsFree(remoteIds: readonly string[], idpId: string): Promise<void> {
    const taken = await this.backend.remoteIdsTakenElsewhere(remoteIds, idpId);
    if (taken.length) throw new FederationConflict('identity_provider', `Duplicate remote ID: ${taken[0]}`);
  }

  findIdentityProvider(idpId: string): Promise<IdentityProvider | null> {
    return this.backend.getIdentityProvider(idpId);
  }

  async getIdentityProvider(idpId: string): Promise<IdentityProvider> {
    const idp = await this.backend.getIdentityProvider(idpId);
    if (!idp) throw new IdentityProviderNotFound(idpId);
    return idp;
  }

  async identityProviderExists(idpId: string): Promise<boolean> {
    return (await this.backend.getIdentityProvider(idpId)) !== null;
  }

  /** The IdP that lists `remoteId` among its remote ids (the issuer of an assertion or a token), or null. */
  async findIdentityProviderByRemoteId(remoteId: string): Promise<IdentityProvider | null> {
    const idpId = await this.backend.identityProviderIdOfRemoteId(remoteId);
    return idpId === null ? null : this.backend.getIdentityProvider(idpId);
  }

  listIdentityProviders(filter: EnabledFilter = {}): Promise<IdentityProvider[]> {
    return this.backend.listIdentityProviders(filter);
  }

  async updateIdentityProvider(idpId: string, patch: IdentityProviderInput): Promise<IdentityProvider> {
    const current = await this.getIdentityProvider(idpId);
    const remoteIds = 'remote_ids' in patch ? (patch.remote_ids ?? []) : current.remote_ids;
    for (const remoteId of remoteIds) assertFits('remote_ids', remoteId, 255);
    await this.assertRemoteIdsFree(remoteIds, idpId);
    const row: IdentityProviderRow = {
      ...current,
      enabled: patch.enabled ?? current.enabled,
      description: 'description' in patch ? (patch.description ?? null) : current.description,
      authorization_ttl: 'authorization_ttl' in patch ? (patch.authorization_ttl ?? null) : current.authorization_ttl,
      remote_ids: [...remoteIds].sort(),
    };
    try {
      await this.backend.transaction((repo) => repo.updateIdentityProvider(row));
    } catch (err) {
      if (isUniqueViolation(err)) throw await this.idpConflict(idpId, remoteIds);
      throw err;
    }
    if (current.enabled && !row.enabled) await this.revokeFederatedUsers(idpId);
    else await this.revoke.dropTokenCache();
    return this.getIdentityProvider(idpId);
  }

  async deleteIdentityProvider(idpId: string): Promise<void> {
    // The users are looked up first: their federated_user rows go with the IdP.
    const users = await this.backend.federatedUserIds(idpId);
    if ((await this.backend.transaction((repo) => repo.deleteIdentityProvider(idpId))) === 0) throw new IdentityProviderNotFound(idpId);
    await this.revokeUsers(users);
  }

  private async revokeFederatedUsers(idpId: string, protocolId?: string): Promise<void> {
    await this.revokeUsers(await this.backend.federatedUserIds(idpId, protocolId));
  }

  private async revokeUsers(userIds: readonly string[]): Promise<void> {
    for (const userId of userIds) await this.revoke.revokeUser(userId);
    await this.revoke.dropTokenCache();
  }

  // ---- protocols ---------------------------------------------------------------------

  private async assertMappingExists(mappingId: string): Promise<void> {
    if (!(await this.backend.getMapping(mappingId))) throw new ValidationError(`Invalid mapping id: ${mappingId}`, false);
  }

  async createProtocol(idpId: string, protocolId: string, input: ProtocolInput & { mapping_id: string }): Promise<FederationProtocol> {
    await this.assertMappingExists(input.mapping_id);
    await this.getIdentityProvider(idpId);
    assertFederationId('protocol', protocolId);
    const row: ProtocolRow = {
      id: protocolId,
      idp_id: idpId,
      mapping_id: input.mapping_id,
      remote_id_attribute: input.remote_id_attribute ?? null,
    };
    try {
      await this.backend.insertProtocol(row);
    } catch (err) {
      if (isUniqueViolation(err)) throw new FederationConflict('federation_protocol', `Duplicate entry found with ID ${protocolId}`);
      throw err;
    }
    return this.getProtocol(idpId, protocolId);
  }

  findProtocol(idpId: string, protocolId: string): Promise<FederationProtocol | null> {
    return this.backend.getProtocol(idpId, protocolId);
  }

  async getProtocol(idpId: string, protocolId: string): Promise<FederationProtocol> {
    const protocol = await this.backend.getProtocol(idpId, protocolId);
    if (!protocol) throw new FederatedProtocolNotFound(idpId, protocolId);
    return protocol;
  }

  /** Keystone lists the protocols of an unknown IdP as none. */
  listProtocols(idpId: string): Promise<FederationProtocol[]> {
    return this.backend.listProtocols(idpId);
  }

  async updateProtocol(idpId: string, protocolId: string, patch: ProtocolInput): Promise<FederationProtocol> {
    if (patch.mapping_id !== undefined) await this.assertMappingExists(patch.mapping_id);
    const current = await this.getProtocol(idpId, protocolId);
    const row: ProtocolRow = {
      ...current,
      mapping_id: patch.mapping_id ?? current.mapping_id,
      remote_id_attribute: 'remote_id_attribute' in patch ? (patch.remote_id_attribute ?? null) : current.remote_id_attribute,
    };
    await this.backend.updateProtocol(row);
    await this.revokeFederatedUsers(idpId, protocolId);
    return this.getProtocol(idpId, protocolId);
  }

  async deleteProtocol(idpId: string, protocolId: string): Promise<void> {
    const users = await this.backend.federatedUserIds(idpId, protocolId);
    if ((await this.backend.deleteProtocol(idpId, protocolId)) === 0) throw new FederatedProtocolNotFound(idpId, protocolId);
    await this.revokeUsers(users);
  }

  // ---- mappings ------------------------------------------------------------------------

  private static checkedMapping(input: MappingInput): { rules: unknown; schemaVersion: string | undefined } {
    const { schema_version: schemaVersion, ...structure } = input;
    if (schemaVersion !== undefined && !(MAPPING_SCHEMA_VERSIONS as readonly string[]).includes(schemaVersion))
      throw new ValidationError(
        `Invalid input for field 'schema_version': '${schemaVersion}' is not one of ${MAPPING_SCHEMA_VERSIONS.join(', ')}`,
        false,
      );
    validateMappingStructure(structure);
    return { rules: input.rules, schemaVersion };
  }

  async createMapping(mappingId: string, input: MappingInput): Promise<Mapping> {
    const { rules, schemaVersion } = FederationManager.checkedMapping(input);
    assertFederationId('mapping', mappingId);
    try {
      await this.backend.insertMapping({
        id: mappingId,
        rules: JSON.stringify(rules),
        schema_version: schemaVersion ?? DEFAULT_SCHEMA_VERSION,
      });
    } catch (err) {
      if (isUniqueViolation(err)) throw new FederationConflict('mapping', 'Duplicate entry');
      throw err;
    }
    return this.getMapping(mappingId);
  }

  async findMapping(mappingId: string): Promise<Mapping | null> {
    const row = await this.backend.getMapping(mappingId);
    return row ? mappingOf(row) : null;
  }

  async getMapping(mappingId: string): Promise<Mapping> {
    const mapping = await this.findMapping(mappingId);
    if (!mapping) throw new MappingNotFound(mappingId);
    return mapping;
  }

  async listMappings(): Promise<Mapping[]> {
    return (await this.backend.listMappings()).map(mappingOf);
  }

  async updateMapping(mappingId: string, input: MappingInput): Promise<Mapping> {
    const { rules, schemaVersion } = FederationManager.checkedMapping(input);
    const current = await this.getMapping(mappingId);
    await this.backend.updateMapping({
      id: mappingId,
      rules: JSON.stringify(rules),
      schema_version: schemaVersion ?? current.schema_version,
    });
    await this.revokeUsersOfMapping(mappingId);
    return this.getMapping(mappingId);
  }

  async deleteMapping(mappingId: string): Promise<void> {
    const protocols = await this.backend.listProtocolsOfMapping(mappingId);
    if ((await this.backend.deleteMapping(mappingId)) === 0) throw new MappingNotFound(mappingId);
    if (protocols.length) await this.revokeUsersOf(protocols);
  }

  private async revokeUsersOfMapping(mappingId: string): Promise<void> {
    await this.revokeUsersOf(await this.backend.listProtocolsOfMapping(mappingId));
  }

  private async revokeUsersOf(protocols: readonly ProtocolRow[]): Promise<void> {
    const users = new Set<string>();
    for (const p of protocols) for (const user of await this.backend.federatedUserIds(p.idp_id, p.id)) users.add(user);
    await this.revokeUsers([...users]);
  }

  /** Keystone's get_mapping_from_idp_and_protocol. */
  async getMappingOfProtocol(idpId: string, protocolId: string): Promise<Mapping> {
    const protocol = await this.getProtocol(idpId, protocolId);
    return this.getMapping(protocol.mapping_id);
  }

  /** Keystone's evaluate: the protocol's mapping run over the assertion; the mapped properties and the mapping's id. */
  async evaluate(
    idpId: string,
    protocolId: string,
    assertion: Record<string, unknown>,
  ): Promise<{ mapped: MappedProperties; mappingId: string }> {
    const mapping = await this.getMappingOfProtocol(idpId, protocolId);
    const processor = new RuleProcessor(mapping.id, mapping.rules as MappingRule[]);
    return { mapped: processor.process(assertion), mappingId: mapping.id };
  }

  // ---- service providers ---------------------------------------------------------------

  async createServiceProvider(spId: string, input: ServiceProviderInput & { auth_url: string; sp_url: string }): Promise<ServiceProvider> {
    assertFederationId('service provider', spId);
    assertFits('relay_state_prefix', input.relay_state_prefix, 256);
    const row: ServiceProviderRow = {
      id: spId,
      enabled: input.enabled ?? false,
      description: input.description ?? null,
      auth_url: input.auth_url,
      sp_url: input.sp_url,
      relay_state_prefix: input.relay_state_prefix ?? this.defaultRelayStatePrefix,
    };
    try {
      await this.backend.insertServiceProvider(row);
    } catch (err) {
      if (isUniqueViolation(err)) throw new FederationConflict('service_provider', `Duplicate entry found with ID ${spId}`);
      throw err;
    }
    await this.revoke.dropTokenCache();
    return this.getServiceProvider(spId);
  }

  async getServiceProvider(spId: string): Promise<ServiceProvider> {
    const sp = await this.backend.getServiceProvider(spId);
    if (!sp) throw new ServiceProviderNotFound(spId);
    return sp;
  }

  listServiceProviders(filter: EnabledFilter = {}): Promise<ServiceProvider[]> {
    return this.backend.listServiceProviders(filter);
  }

  async updateServiceProvider(spId: string, patch: ServiceProviderInput): Promise<ServiceProvider> {
    const current = await this.getServiceProvider(spId);
    assertFits('relay_state_prefix', patch.relay_state_prefix, 256);
    const row: ServiceProviderRow = {
      ...current,
      enabled: patch.enabled ?? current.enabled,
      description: 'description' in patch ? (patch.description ?? null) : current.description,
      auth_url: patch.auth_url ?? current.auth_url,
      sp_url: patch.sp_url ?? current.sp_url,
      // null: Keystone's column refuses it (a 500 there); the default prefix here
      relay_state_prefix:
        patch.relay_state_prefix === undefined ? current.relay_state_prefix : (patch.relay_state_prefix ?? this.defaultRelayStatePrefix),
    };
    await this.backend.updateServiceProvider(row);
    await this.revoke.dropTokenCache();
    return this.getServiceProvider(spId);
  }

  async deleteServiceProvider(spId: string): Promise<void> {
    if ((await this.backend.deleteServiceProvider(spId)) === 0) throw new ServiceProviderNotFound(spId);
    await this.revoke.dropTokenCache();
  }

  /** Keystone's get_enabled_service_providers: the token catalog's `service_providers`. */
  async listEnabledServiceProviders(): Promise<ServiceProviderRef[]> {
    return (await this.backend.listServiceProviders({ enabled: true })).map((sp) => ({
      auth_url: sp.auth_url,
      id: sp.id,
      sp_url: sp.sp_url,
    }));
  }
}
