/**
 * Request bodies are checked against a JSON schema once, at the edge, and
 * come out typed: the type is derived from the same `as const` schema
 * (json-schema-to-ts), so a handler never names it by hand. Failures name the failing property as Keystone does
 * ("Invalid input for field 'user/name': …", "'identity' is a required
 * property") and never dump the schema.
 */
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import type { FromSchema, JSONSchema } from 'json-schema-to-ts';
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

/** The schemas are object literals (`as const`); a boolean schema is never used. */
type BodySchema = Exclude<JSONSchema, boolean>;

/** The type of a body (or of a part of one) that passed `schema`. */
export type BodyOf<S extends BodySchema> = FromSchema<S>;

/*
 * Typed by the declaration; the implementation returns `unknown`. At a `return` against the return type
 * BodyOf<S> (or at a cast to it), typescript-eslint's type-aware rules have TypeScript resolve FromSchema
 * over every JSON schema: about 14 s of CPU of each lint run.
 */
export function validateBody<const S extends BodySchema>(schema: S, body: unknown): BodyOf<S>;
export function validateBody(schema: BodySchema, body: unknown): unknown {
  let validate = compiled.get(schema);
  if (!validate) {
    validate = ajv.compile(schema);
    compiled.set(schema, validate);
  }
  if (!validate(body)) throw new SchemaValidationError(describe((validate.errors ?? [])[0]));
  return body;
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
