/** Request schemas of the domain, project and project tag APIs (keystone/resource/schema.py). */
import { PROJECT_OPTIONS_SCHEMA } from '../../resource/project-options.js';

const NAME = { type: 'string', minLength: 1, maxLength: 64, pattern: '[\\S]+' } as const;
const ID_STRING = { type: 'string', minLength: 1, maxLength: 64, pattern: '^[a-zA-Z0-9-]+$' } as const;
const NULLABLE_ID_STRING = { ...ID_STRING, type: ['string', 'null'] } as const;
const DESCRIPTION = { type: ['string', 'null'] } as const;
const BOOLEAN = { type: 'boolean' } as const;

export const TAG_NAME = { type: 'string', minLength: 1, maxLength: 255, pattern: '^[^,/]*$' } as const;
export const TAGS = { type: 'array', items: TAG_NAME, maxItems: 80, uniqueItems: true } as const;

/** Domains take the project options too; options Keystone does not know are ignored there, as Keystone does. */
const DOMAIN_OPTIONS = { ...PROJECT_OPTIONS_SCHEMA, additionalProperties: true } as const;

const PROJECT_PROPERTIES = {
  description: DESCRIPTION,
  domain_id: NULLABLE_ID_STRING,
  enabled: BOOLEAN,
  is_domain: BOOLEAN,
  parent_id: NULLABLE_ID_STRING,
  name: NAME,
  tags: TAGS,
  options: PROJECT_OPTIONS_SCHEMA,
} as const;

export const PROJECT_CREATE = { type: 'object', properties: PROJECT_PROPERTIES, required: ['name'], additionalProperties: true } as const;
export const PROJECT_UPDATE = { type: 'object', properties: PROJECT_PROPERTIES, minProperties: 1, additionalProperties: true } as const;

const DOMAIN_PROPERTIES = { description: DESCRIPTION, enabled: BOOLEAN, name: NAME, tags: TAGS, options: DOMAIN_OPTIONS } as const;

export const DOMAIN_CREATE = { type: 'object', properties: DOMAIN_PROPERTIES, required: ['name'], additionalProperties: true } as const;
export const DOMAIN_UPDATE = { type: 'object', properties: DOMAIN_PROPERTIES, minProperties: 1, additionalProperties: true } as const;
