/**
 * Keystone's user list filters that are not plain attributes:
 * password_expires_at=[op:]timestamp (lt, lte, gt, gte, eq, neq; eq when no
 * operator), matched against any of a user's passwords, and the federated
 * filters (idp_id, protocol_id, unique_id), which match federated users only.
 */
import type { Request } from 'express';
import { ValidationError } from '../../common/errors.js';
import type { FederatedUserFilter, PasswordExpiresFilter } from '../../identity/identity-backend.js';
import { queryValue } from './request-input.js';

const OPERATORS = ['lt', 'lte', 'gt', 'gte', 'eq', 'neq'] as const;
const ISO_TIME = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?)?\s*(Z|[+-]\d{2}(?::?\d{2})?)?$/i;

function parseIsoTime(text: string): Date | null {
  const m = ISO_TIME.exec(text.trim());
  if (!m) return null;
  const [, y, mo, d, h = '00', mi = '00', s = '00', frac = '', zone = 'Z'] = m;
  const ms = frac ? Number(`0.${frac}`) * 1000 : 0;
  let offsetMinutes = 0;
  if (zone.toUpperCase() !== 'Z') {
    const sign = zone.startsWith('-') ? -1 : 1;
    const digits = zone.slice(1).replace(':', '');
    offsetMinutes = sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2) || '0'));
  }
  const t = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s), ms) - offsetMinutes * 60_000;
  const date = new Date(t);
  if (
    Number.isNaN(t) ||
    Number(mo) < 1 ||
    Number(mo) > 12 ||
    Number(d) < 1 ||
    Number(d) > 31 ||
    Number(h) > 23 ||
    Number(mi) > 59 ||
    Number(s) > 60
  )
    return null;
  return date;
}

export function passwordExpiresFilters(req: Request): PasswordExpiresFilter[] {
  const raw = req.query.password_expires_at;
  const values = (Array.isArray(raw) ? raw : raw === undefined ? [] : [raw]).filter((v): v is string => typeof v === 'string');
  return values.map((value) => {
    let op = 'eq';
    let timestamp = value;
    if (value.slice(2, 4).includes(':')) {
      const i = value.indexOf(':');
      op = value.slice(0, i);
      timestamp = value.slice(i + 1);
    }
    const at = parseIsoTime(timestamp);
    if (!at) throw new ValidationError('Timestamp not in expected format.');
    if (!(OPERATORS as readonly string[]).includes(op)) {
      throw new ValidationError(
        `The given operator ${op} is not valid. It must be one of the following: 'eq', 'neq', 'lt', 'lte', 'gt', or 'gte'.`,
        false,
      );
    }
    return { op: op as PasswordExpiresFilter['op'], at };
  });
}

/** Keystone's federated filters (idp_id, protocol_id, unique_id), or undefined when the request has none. */
export function federatedFilter(req: Request): FederatedUserFilter | undefined {
  const filter: FederatedUserFilter = {
    idpId: queryValue(req, 'idp_id'),
    protocolId: queryValue(req, 'protocol_id'),
    uniqueId: queryValue(req, 'unique_id'),
  };
  return Object.values(filter).some((v) => v !== undefined) ? filter : undefined;
}
