/**
 * The OS-FEDERATION bodies as Keystone 22 renders them (api/os_federation.py):
 * the attributes each entity shows, in Keystone's order, and its links —
 * an IdP's `protocols` link, and a protocol's links exactly as Keystone 22
 * builds them (`self` under /v3/protocols/…, `identity_provider` under
 * /v3/{idp_id}: its base_url without the resource prefix).
 */
import type { Request } from 'express';
import { entityLinks } from '../collection.js';
import type { FederationProtocol, IdentityProvider, Mapping, ServiceProvider } from '../../federation/federation-manager.js';

export const FEDERATION_REL = 'https://docs.openstack.org/api/openstack-identity/3/ext/OS-FEDERATION/1.0/rel/';
export const FEDERATION_PARAM = 'https://docs.openstack.org/api/openstack-identity/3/ext/OS-FEDERATION/1.0/param/';

export function renderIdentityProvider(req: Request, idp: IdentityProvider): Record<string, unknown> {
  const self = entityLinks(req, `/v3/OS-FEDERATION/identity_providers/${idp.id}`).self;
  return {
    id: idp.id,
    domain_id: idp.domain_id,
    enabled: idp.enabled,
    description: idp.description,
    remote_ids: idp.remote_ids,
    authorization_ttl: idp.authorization_ttl,
    links: { self, protocols: `${self}/protocols` },
  };
}

function protocolLinks(req: Request, protocol: FederationProtocol): Record<string, string> {
  return {
    self: entityLinks(req, `/v3/protocols/${protocol.id}`).self,
    identity_provider: entityLinks(req, `/v3/${protocol.idp_id}`).self,
  };
}

/** A protocol alone (GET, PUT, PATCH): Keystone's public parameters only. */
export function renderProtocol(req: Request, protocol: FederationProtocol): Record<string, unknown> {
  return { id: protocol.id, mapping_id: protocol.mapping_id, links: protocolLinks(req, protocol) };
}

/** A protocol in its IdP's list: every column (Keystone does not filter the collection). */
export function renderProtocolInList(req: Request, protocol: FederationProtocol): Record<string, unknown> {
  return {
    id: protocol.id,
    idp_id: protocol.idp_id,
    mapping_id: protocol.mapping_id,
    remote_id_attribute: protocol.remote_id_attribute,
    links: protocolLinks(req, protocol),
  };
}

export function renderMapping(req: Request, mapping: Mapping): Record<string, unknown> {
  return {
    id: mapping.id,
    rules: mapping.rules,
    schema_version: mapping.schema_version,
    links: entityLinks(req, `/v3/OS-FEDERATION/mappings/${mapping.id}`),
  };
}

export function renderServiceProvider(req: Request, sp: ServiceProvider): Record<string, unknown> {
  return {
    auth_url: sp.auth_url,
    id: sp.id,
    enabled: sp.enabled,
    description: sp.description,
    relay_state_prefix: sp.relay_state_prefix,
    sp_url: sp.sp_url,
    links: entityLinks(req, `/v3/OS-FEDERATION/service_providers/${sp.id}`),
  };
}
