/**
 * Request input shared by the trust and application credential handlers:
 * role references by id or by name (Keystone's get_unique_role_by_name:
 * global roles, case-sensitive), and expires_at (Keystone's
 * parse_expiration_date: UTC, and not in the past).
 */
import { NotFound, ValidationError } from '../../common/errors.js';
import { isoMicrosZ } from '../../common/time.js';
import type { ProviderApi } from '../../common/provider-api.js';
import { parameterTypes, type BodyOf } from '../validate-body.js';

/** The schema of a roles list: each one {id} or {name} (Keystone's _role_properties). */
export const ROLE_REFS = {
  type: 'array',
  items: {
    type: 'object',
    properties: { id: parameterTypes.id, name: parameterTypes.name },
    minProperties: 1,
    maxProperties: 1,
    additionalProperties: false,
  },
} as const;

/** One validated role reference: the schema lets exactly one of id and name through. */
export type RoleRef = BodyOf<typeof ROLE_REFS>[number];

export async function resolveRoleRefs(providers: ProviderApi, refs: readonly RoleRef[]): Promise<string[]> {
  const ids: string[] = [];
  for (const ref of refs) {
    if (ref.id) {
      ids.push(ref.id);
      continue;
    }
    const name = ref.name ?? '';
    const found = (await providers.role_api.listRoles({ name })).filter((r) => r.name === name);
    if (found.length === 0) throw new NotFound(`Role ${name} is not defined`);
    if (found.length > 1) {
      throw new ValidationError(
        `There are multiple role entities named '${name}'. Please use ID instead of names to resolve the ambiguity.`,
      );
    }
    ids.push(found[0].id);
  }
  return ids;
}

const ISO = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,6}))?)?(Z|[+-]\d{2}:?\d{2})$/;

/** A requested expiry: the instant, and its UTC text with Keystone's microseconds (2031-05-06T07:08:09.123456Z). */
export interface ExpiresAt {
  date: Date;
  iso: string;
}

/** null stays null; a malformed time or one already past is a 400, as Keystone words them. */
export function parseExpiresAt(value: string | null | undefined): ExpiresAt | null {
  if (value === undefined || value === null) return null;
  const text = value.endsWith('Z') ? value : `${value}Z`;
  const m = ISO.exec(text);
  if (!m) throw new ValidationError('Timestamp not in expected format.');
  const seconds = m.at(6); // optional groups: undefined when absent
  const fractionDigits = m.at(7);
  const zone = m[8] === 'Z' ? 'Z' : m[8].length === 5 ? `${m[8].slice(0, 3)}:${m[8].slice(3)}` : m[8];
  const fraction = (fractionDigits ?? '').padEnd(6, '0');
  const ms = Date.parse(`${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${seconds ?? '00'}.${fraction.slice(0, 3)}${zone}`);
  if (!Number.isFinite(ms)) throw new ValidationError('Timestamp not in expected format.');
  if (ms < Date.now()) throw new ValidationError("The 'expires_at' must not be before now.");
  const date = new Date(ms);
  return { date, iso: isoMicrosZ(date, Number(fraction.slice(3))) };
}
