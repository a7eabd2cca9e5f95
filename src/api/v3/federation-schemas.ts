/** Keystone 22's OS-FEDERATION request schemas (keystone/federation/schema.py), over the member object of the body. */
import { parameterTypes } from '../validate-body.js';

const nullableDescription = { type: ['string', 'null'] } as const;
const remoteIds = { type: ['array', 'null'], items: { type: 'string' }, uniqueItems: true } as const;
const authorizationTtl = { type: ['integer', 'null'], minimum: 0 } as const;

export const IDENTITY_PROVIDER_CREATE = {
  type: 'object',
  properties: {
    enabled: parameterTypes.boolean,
    description: nullableDescription,
    domain_id: { type: ['string', 'null'], minLength: 1, maxLength: 64, pattern: '^[a-zA-Z0-9-]+$' },
    authorization_ttl: authorizationTtl,
    remote_ids: remoteIds,
  },
  additionalProperties: false,
} as const;

export const IDENTITY_PROVIDER_UPDATE = {
  type: 'object',
  properties: {
    enabled: parameterTypes.boolean,
    description: nullableDescription,
    authorization_ttl: authorizationTtl,
    remote_ids: remoteIds,
  },
  minProperties: 1,
  additionalProperties: false,
} as const;

const protocolProperties = {
  // parameter_types.mapping_id_string
  mapping_id: { type: 'string', minLength: 1, maxLength: 64, pattern: '^[a-zA-Z0-9-_]+$' },
  remote_id_attribute: { type: 'string', maxLength: 64 },
} as const;

export const PROTOCOL_CREATE = {
  type: 'object',
  properties: protocolProperties,
  required: ['mapping_id'],
  additionalProperties: false,
} as const;
export const PROTOCOL_UPDATE = { type: 'object', properties: protocolProperties, minProperties: 1, additionalProperties: false } as const;

const serviceProviderProperties = {
  auth_url: parameterTypes.url,
  sp_url: parameterTypes.url,
  description: nullableDescription,
  enabled: parameterTypes.boolean,
  relay_state_prefix: nullableDescription,
} as const;

export const SERVICE_PROVIDER_CREATE = {
  type: 'object',
  properties: serviceProviderProperties,
  required: ['auth_url', 'sp_url'],
  additionalProperties: false,
} as const;

export const SERVICE_PROVIDER_UPDATE = {
  type: 'object',
  properties: serviceProviderProperties,
  minProperties: 1,
  additionalProperties: false,
} as const;
