/** Request schemas of the user and group APIs (keystone/identity/schema.py). */
import { USER_OPTIONS_SCHEMA } from '../../identity/user-options.js';

const IDENTITY_NAME = { type: 'string', minLength: 1, maxLength: 255, pattern: '[\\S]+' } as const;
const ID_STRING = { type: 'string', minLength: 1, maxLength: 64, pattern: '^[a-zA-Z0-9-]+$' } as const;
const DESCRIPTION = { type: ['string', 'null'] } as const;

const FEDERATED = {
  type: 'array',
  items: {
    type: 'object',
    properties: {
      idp_id: { type: 'string' },
      protocols: {
        type: 'array',
        items: {
          type: 'object',
          properties: { protocol_id: { type: 'string' }, unique_id: { type: 'string' } },
          required: ['protocol_id', 'unique_id'],
        },
        minItems: 1,
      },
    },
    required: ['idp_id', 'protocols'],
  },
} as const;

const USER_PROPERTIES = {
  default_project_id: { ...ID_STRING, type: ['string', 'null'] },
  description: DESCRIPTION,
  domain_id: ID_STRING,
  enabled: { type: 'boolean' },
  federated: FEDERATED,
  name: IDENTITY_NAME,
  password: { type: ['string', 'null'] },
  options: USER_OPTIONS_SCHEMA,
} as const;

export const USER_CREATE = { type: 'object', properties: USER_PROPERTIES, required: ['name'], additionalProperties: true } as const;
export const USER_UPDATE = { type: 'object', properties: USER_PROPERTIES, minProperties: 1, additionalProperties: true } as const;

const GROUP_PROPERTIES = { description: DESCRIPTION, domain_id: ID_STRING, name: IDENTITY_NAME } as const;

export const GROUP_CREATE = { type: 'object', properties: GROUP_PROPERTIES, required: ['name'], additionalProperties: true } as const;
export const GROUP_UPDATE = { type: 'object', properties: GROUP_PROPERTIES, minProperties: 1, additionalProperties: true } as const;

export const PASSWORD_CHANGE = {
  type: 'object',
  properties: { original_password: { type: 'string' }, password: { type: 'string' } },
  required: ['original_password', 'password'],
  additionalProperties: false,
} as const;
