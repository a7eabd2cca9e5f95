/**
 * Keystone 22's MAPPING_SCHEMA (keystone/federation/utils.py), and its validate_mapping_structure:
 * every failure, sorted, one per line, in a 400 whose message is exactly that text.
 */
import { ValidationError } from '../../common/errors.js';
import { Draft4Walker } from './draft4-messages.js';

const ROLE_PROPERTIES = {
  type: 'array',
  items: {
    type: 'object',
    required: ['name'],
    // Keystone's schema has additionalProperties inside "properties" (a property of that name): kept as it is.
    properties: { name: { type: 'string' }, additionalProperties: false },
  },
};

const evaluation = (keyword: string) => ({
  type: 'object',
  additionalProperties: false,
  required: ['type', keyword],
  properties: { type: { type: 'string' }, [keyword]: { type: 'array' }, regex: { type: 'boolean' } },
});

export const MAPPING_SCHEMA = {
  type: 'object',
  required: ['rules'],
  properties: {
    rules: {
      minItems: 1,
      type: 'array',
      items: {
        type: 'object',
        required: ['local', 'remote'],
        additionalProperties: false,
        properties: {
          local: {
            type: 'array',
            items: {
              type: 'object',
              additionalProperties: false,
              properties: {
                user: {
                  type: 'object',
                  properties: {
                    id: { type: 'string' },
                    name: { type: 'string' },
                    email: { type: 'string' },
                    domain: { $ref: '#/definitions/domain' },
                    type: { type: 'string', enum: ['ephemeral', 'local'] },
                  },
                  additionalProperties: false,
                },
                projects: {
                  type: 'array',
                  items: {
                    type: 'object',
                    required: ['name', 'roles'],
                    additionalProperties: false,
                    properties: { name: { type: 'string' }, roles: ROLE_PROPERTIES },
                  },
                },
                group: { type: 'object', oneOf: [{ $ref: '#/definitions/group_by_id' }, { $ref: '#/definitions/group_by_name' }] },
                groups: { type: 'string' },
                group_ids: { type: 'string' },
                domain: { $ref: '#/definitions/domain' },
              },
            },
          },
          remote: {
            minItems: 1,
            type: 'array',
            items: {
              type: 'object',
              oneOf: [
                { $ref: '#/definitions/empty' },
                { $ref: '#/definitions/any_one_of' },
                { $ref: '#/definitions/not_any_of' },
                { $ref: '#/definitions/blacklist' },
                { $ref: '#/definitions/whitelist' },
              ],
            },
          },
        },
      },
    },
  },
  definitions: {
    empty: { type: 'object', required: ['type'], properties: { type: { type: 'string' } }, additionalProperties: false },
    any_one_of: evaluation('any_one_of'),
    not_any_of: evaluation('not_any_of'),
    blacklist: evaluation('blacklist'),
    whitelist: evaluation('whitelist'),
    domain: { type: 'object', properties: { id: { type: 'string' }, name: { type: 'string' } }, additionalProperties: false },
    group_by_id: { type: 'object', properties: { id: { type: 'string' } }, additionalProperties: false, required: ['id'] },
    group_by_name: {
      type: 'object',
      properties: { name: { type: 'string' }, domain: { $ref: '#/definitions/domain' } },
      additionalProperties: false,
      required: ['name', 'domain'],
    },
  },
};

const walker = new Draft4Walker(MAPPING_SCHEMA);

/** Throws Keystone's 400 unless `mapping` is a valid {"rules": [...]} document. */
export function validateMappingStructure(mapping: unknown): void {
  // jsonschema sorts by str(error), which is the message followed by a blank line and the details.
  const messages = [...walker.errors(mapping)].sort((a, b) => {
    const left = a + '\n\n';
    const right = b + '\n\n';
    return left < right ? -1 : left > right ? 1 : 0;
  });
  if (messages.length > 0) throw new ValidationError(messages.map((message) => message + '\n').join(''), false);
}
