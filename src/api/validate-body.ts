/**
 * Request bodies are checked against a JSON schema once, at the edge, and
 * come out typed. Failures name the failing property as Keystone does
 * ("Invalid input for field 'user/name': …", "'identity' is a required
 * property") and never dump the schema.
 */
import { Ajv, type ErrorObject, type JSONSchemaType, type Schema, type ValidateFunction } from 'ajv';
import { SchemaValidationError } from '../common/errors.js';

const ajv = new Ajv({ allErrors: false, strict: false, coerceTypes: false, useDefaults: false });
const compiled = new WeakMap<object, ValidateFunction>();

function describe(error: ErrorObject): string {
  const path = error.instancePath.replace(/^\//, '');
  if (error.keyword === 'required') {
    const missing = (error.params as { missingProperty: string }).missingProperty;
    return path ? `Invalid input for field '${path}': '${missing}' is a required property` : `'${missing}' is a required property`;
  }
  if (error.keyword === 'additionalProperties') {
    const extra = (error.params as { additionalProperty: string }).additionalProperty;
    const msg = `Additional properties are not allowed ('${extra}' was unexpected)`;
    return path ? `Invalid input for field '${path}': ${msg}` : msg;
  }
  const msg = error.message ?? 'is invalid';
  return path ? `Invalid input for field '${path}': ${msg}` : `Invalid input: ${msg}`;
}

export function validateBody<T>(schema: Schema | JSONSchemaType<T>, body: unknown): T {
  let validate = compiled.get(schema as object);
  if (!validate) {
    validate = ajv.compile(schema);
    compiled.set(schema as object, validate);
  }
  if (!validate(body)) throw new SchemaValidationError(describe((validate.errors ?? [])[0]));
  return body as T;
}

/** Keystone's common schema pieces (keystone/common/validation/parameter_types.py). */
export const parameterTypes = {
  id: { type: 'string', minLength: 1, maxLength: 64, pattern: '^[a-zA-Z0-9-]+$' },
  idString: { type: 'string', minLength: 1, maxLength: 64 },
  name: { type: 'string', minLength: 1, maxLength: 255, pattern: '[\\S]+' },
  description: { type: ['string', 'null'] },
  boolean: { type: 'boolean' },
  url: { type: 'string', minLength: 0, maxLength: 225, pattern: '^[a-zA-Z0-9+.-]+:.+' },
  email: { type: ['string', 'null'], format: undefined },
  tags: { type: 'array', items: { type: 'string', minLength: 1, maxLength: 255, pattern: '^[^,/]*$' }, maxItems: 80 },
} as const;
