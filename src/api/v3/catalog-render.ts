/**
 * Regions, services, endpoints and endpoint groups as Keystone renders them
 * (their free-form attributes at the top level, links.self), and reading
 * their request bodies the way Keystone's catalog resources do.
 */
import type { Request } from 'express';
import type { Endpoint, EndpointGroup, Region, Service } from '../../catalog/catalog-types.js';
import { ValidationError } from '../../common/errors.js';
import { entityLinks } from '../collection.js';

/**
 * `request_body_json.get(key)`: the member of the body, or null when there
 * is none (the schema then refuses it, as Keystone's does).
 */
export function bodyMemberOrNull(body: unknown, key: string): unknown {
  if (body === undefined || body === null) return null;
  if (typeof body !== 'object' || Array.isArray(body)) throw new ValidationError('Expecting to find valid JSON in request body.');
  const member = (body as Record<string, unknown>)[key];
  return member === undefined ? null : member;
}

export function renderRegion(req: Request, region: Region): Record<string, unknown> {
  return {
    ...region.extra,
    id: region.id,
    description: region.description,
    parent_region_id: region.parentRegionId,
    links: entityLinks(req, `/v3/regions/${region.id}`),
  };
}

export function renderService(req: Request, service: Service): Record<string, unknown> {
  const out: Record<string, unknown> = {
    ...service.extra,
    id: service.id,
    type: service.type,
    enabled: service.enabled,
    name: service.name,
  };
  if (service.description !== undefined) out.description = service.description;
  out.links = entityLinks(req, `/v3/services/${service.id}`);
  return out;
}

/** Keystone's _filter_endpoint: no legacy_endpoint_id, `region` repeating region_id. */
export function endpointView(endpoint: Endpoint): Record<string, unknown> {
  return {
    ...endpoint.extra,
    id: endpoint.id,
    interface: endpoint.interface,
    region_id: endpoint.regionId,
    service_id: endpoint.serviceId,
    url: endpoint.url,
    enabled: endpoint.enabled,
    region: endpoint.regionId,
  };
}

export function renderEndpoint(req: Request, endpoint: Endpoint): Record<string, unknown> {
  return { ...endpointView(endpoint), links: entityLinks(req, `/v3/endpoints/${endpoint.id}`) };
}

export function renderEndpointGroup(req: Request, group: EndpointGroup): Record<string, unknown> {
  return {
    id: group.id,
    name: group.name,
    description: group.description,
    filters: group.filters,
    links: entityLinks(req, `/v3/OS-EP-FILTER/endpoint_groups/${group.id}`),
  };
}

/** The endpoint as a policy target (target.endpoint.*). */
export function endpointTarget(endpoint: Endpoint): Record<string, unknown> {
  return { ...endpointView(endpoint), legacy_endpoint_id: endpoint.legacyEndpointId };
}
