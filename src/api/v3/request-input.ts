/**
 * Reading requests the way Keystone's flask resources do, for the identity
 * and resource handlers: the member object of a body, key normalization,
 * query flags, Keystone's boolean strings, the list filters it applies, and
 * the refusal of NUL characters (PostgreSQL cannot store them).
 */
import type { Request } from 'express';
import { SchemaValidationError, ValidationError } from '../../common/errors.js';
import type { Caller } from '../../auth/caller.js';
import type { KeystoneConfig } from '../../config/options.js';
import { applyListFilters } from '../collection.js';

/** `request_body_json.get(key, {})`: the member object of the body (anything else is left for the schema to refuse). */
export function bodyMember(body: unknown, key: string): unknown {
  if (body === undefined || body === null) return {};
  if (typeof body !== 'object' || Array.isArray(body)) throw new ValidationError('Expecting to find valid JSON in request body.');
  const member = (body as Record<string, unknown>)[key];
  return member === undefined ? {} : member;
}

/** The member `key` of a body that is an object, `fallback` when the body is not one or lacks the member. */
export function memberOr(body: unknown, key: string, fallback: unknown): unknown {
  if (!isPlainObject(body)) return fallback;
  return body[key] === undefined ? fallback : body[key];
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Throws a 400 naming the first field (path inside the validated object) whose key or string value holds a NUL character. */
export function rejectNul(value: unknown, path = ''): void {
  const refuse = () => {
    throw new SchemaValidationError(
      path ? `Invalid input for field '${path}': NUL characters are not allowed` : 'Invalid input: NUL characters are not allowed',
    );
  };
  const join = (key: string | number) => (path ? `${path}/${String(key)}` : String(key));
  if (typeof value === 'string') {
    if (value.includes('\u0000')) refuse();
    return;
  }
  if (Array.isArray(value)) {
    value.forEach((v, i) => {
      rejectNul(v, join(i));
    });
    return;
  }
  if (isPlainObject(value)) {
    for (const [k, v] of Object.entries(value)) {
      if (k.includes('\u0000')) refuse();
      rejectNul(v, join(k));
    }
  }
}

/**
 * Keystone's _normalize_dict: ':' and '-' in top-level keys become '_'.
 * Typed as its input: the schemas' own keys have neither character. A
 * client's `domain-id` does land on `domain_id` without being validated
 * again, as in Keystone, which also normalizes after validating.
 */
export function normalizeKeys<T extends Record<string, unknown>>(ref: T): T {
  return Object.fromEntries(Object.entries(ref).map(([k, v]) => [k.replace(/[:-]/g, '_'), v])) as T;
}

/** The free-form attributes of a body: every key that is not one of the entity's own. */
export function extraAttributes(ref: Record<string, unknown>, own: readonly string[]): Record<string, unknown> {
  return Object.fromEntries(Object.entries(ref).filter(([k]) => !own.includes(k)));
}

/** The first value of a query parameter (repeated parameters: the first, as flask's args[...]). */
export function queryValue(req: Request, name: string): string | undefined {
  const raw = req.query[name];
  if (typeof raw === 'string') return raw;
  if (Array.isArray(raw) && typeof raw[0] === 'string') return raw[0];
  return undefined;
}

/** Keystone's query_filter_is_true: present and not "0". */
export function queryFlag(req: Request, name: string): boolean {
  return name in req.query && queryValue(req, name) !== '0';
}

const FALSE_STRINGS = new Set(['0', 'f', 'false', 'n', 'no', 'off']);

/** oslo's bool_from_string(value, default=True), as Keystone reads boolean filters. */
export function keystoneBool(value: string): boolean {
  return !FALSE_STRINGS.has(value.trim().toLowerCase());
}

/**
 * Keystone's list filtering of rendered entities: exact and __contains /
 * __startswith / __endswith (and their case-insensitive forms) for the
 * string attributes, oslo booleans for the boolean ones. Other query
 * parameters are ignored.
 */
export function filterRendered<T extends Record<string, unknown>>(
  req: Request,
  items: T[],
  stringAttrs: readonly string[],
  booleanAttrs: readonly string[] = [],
): T[] {
  let out = applyListFilters(items, req.query, stringAttrs);
  for (const attr of booleanAttrs) {
    const raw = queryValue(req, attr);
    if (raw === undefined) continue;
    const wanted = keystoneBool(raw);
    out = out.filter((item) => item[attr] === wanted);
  }
  return out;
}

/**
 * Keystone's _normalize_domain_id: a create without domain_id lands in the
 * caller's domain (domain-scoped token), else the default domain; with the
 * admin_token there is no domain to fall back to.
 */
export function defaultDomainId(caller: Caller, conf: KeystoneConfig): string {
  if (caller.domainId) return caller.domainId;
  if (caller.isAdminToken) {
    throw new ValidationError(
      'You have tried to create a resource using the admin token. As this token is not within a domain you must explicitly include a domain for this resource to belong to.',
      false,
    );
  }
  return conf.identity.default_domain_id;
}
