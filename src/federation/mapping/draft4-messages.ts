/**
 * A Draft 4 JSON-schema walk that words its failures as Python's jsonschema (4.10) does, because
 * Keystone returns those words to the client when a mapping is refused ("'rules' is a required
 * property", "Additional properties are not allowed ('x' was unexpected)", "[] is too short"…).
 * Only the keywords the mapping schema uses: type, required, properties, additionalProperties,
 * items, minItems, enum, oneOf, $ref (to #/definitions/…), and boolean schemas.
 */
import { pyRepr } from '../../common/python-text.js';
import { isPyDict } from './python-value.js';

export type Draft4Schema = boolean | { readonly [keyword: string]: unknown };

function isType(instance: unknown, type: string): boolean {
  switch (type) {
    case 'object':
      return isPyDict(instance);
    case 'array':
      return Array.isArray(instance);
    case 'string':
      return typeof instance === 'string';
    case 'boolean':
      return typeof instance === 'boolean';
    case 'integer':
      return typeof instance === 'number' && Number.isInteger(instance);
    case 'number':
      return typeof instance === 'number';
    case 'null':
      return instance === null;
    default:
      return false;
  }
}

function sameValue(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

export class Draft4Walker {
  constructor(private readonly root: Record<string, unknown>) {}

  private resolve(ref: string): Draft4Schema {
    const name = /^#\/definitions\/(.+)$/.exec(ref)?.[1];
    const definitions = this.root.definitions as Record<string, Draft4Schema> | undefined;
    const target = name === undefined ? undefined : definitions?.[name];
    if (target === undefined) throw new Error(`unresolvable $ref ${ref}`);
    return target;
  }

  /** Every failure's message, in jsonschema's iter_errors order. */
  *errors(instance: unknown, schema: Draft4Schema = this.root): Generator<string> {
    if (schema === true) return;
    if (schema === false) {
      yield `False schema does not allow ${pyRepr(instance)}`;
      return;
    }
    if (typeof schema.$ref === 'string') {
      yield* this.errors(instance, this.resolve(schema.$ref));
      return;
    }
    for (const [keyword, argument] of Object.entries(schema)) yield* this.keyword(keyword, argument, instance, schema);
  }

  isValid(instance: unknown, schema: Draft4Schema): boolean {
    return this.errors(instance, schema).next().done === true;
  }

  private *keyword(keyword: string, argument: unknown, instance: unknown, schema: Record<string, unknown>): Generator<string> {
    switch (keyword) {
      case 'type': {
        const types = Array.isArray(argument) ? (argument as string[]) : [argument as string];
        if (!types.some((type) => isType(instance, type))) yield `${pyRepr(instance)} is not of type ${types.map(pyRepr).join(', ')}`;
        return;
      }
      case 'required':
        if (!isPyDict(instance)) return;
        for (const property of argument as string[]) if (!(property in instance)) yield `${pyRepr(property)} is a required property`;
        return;
      case 'properties':
        if (!isPyDict(instance)) return;
        for (const [property, subschema] of Object.entries(argument as Record<string, Draft4Schema>)) {
          if (property in instance) yield* this.errors(instance[property], subschema);
        }
        return;
      case 'additionalProperties': {
        if (!isPyDict(instance)) return;
        const known = Object.keys(schema.properties ?? {});
        const extras = Object.keys(instance).filter((key) => !known.includes(key));
        if (isPyDict(argument)) {
          for (const extra of extras) yield* this.errors(instance[extra], argument);
        } else if (argument === false && extras.length > 0) {
          extras.sort();
          yield `Additional properties are not allowed (${extras.map(pyRepr).join(', ')} ${extras.length === 1 ? 'was' : 'were'} unexpected)`;
        }
        return;
      }
      case 'items':
        if (!Array.isArray(instance)) return;
        for (const item of instance) yield* this.errors(item, argument as Draft4Schema);
        return;
      case 'minItems':
        if (Array.isArray(instance) && instance.length < (argument as number)) yield `${pyRepr(instance)} is too short`;
        return;
      case 'enum':
        if (!(argument as unknown[]).some((each) => sameValue(each, instance)))
          yield `${pyRepr(instance)} is not one of ${pyRepr(argument)}`;
        return;
      case 'oneOf': {
        const subschemas = argument as Draft4Schema[];
        const valid = subschemas.filter((subschema) => this.isValid(instance, subschema));
        if (valid.length === 0) yield `${pyRepr(instance)} is not valid under any of the given schemas`;
        else if (valid.length > 1) {
          const [first, ...rest] = valid;
          yield `${pyRepr(instance)} is valid under each of ${[...rest, first].map(pyRepr).join(', ')}`;
        }
        return;
      }
      default:
        return;
    }
  }
}
