/**
 * Keystone's collection and entity rendering: `links` with self (and
 * previous/next as null), [DEFAULT] list_limit (or the room's own
 * list_limit) with `"truncated": true`, and the list filters Keystone
 * applies in Python: exact match, and name__contains / __icontains /
 * __startswith / __istartswith / __endswith / __iendswith.
 */
import type { Request } from 'express';

export function selfUrl(req: Request): string {
  return `${req.keystone.baseUrl}${req.originalUrl.split('?')[0].replace(/\/+$/, '')}`;
}

export function entityLinks(req: Request, path: string): { self: string } {
  return { self: `${req.keystone.baseUrl}${path}` };
}

export function renderCollection(req: Request, key: string, items: unknown[], listLimit: number | null): Record<string, unknown> {
  const query = req.originalUrl.includes('?') ? req.originalUrl.slice(req.originalUrl.indexOf('?')) : '';
  const body: Record<string, unknown> = { links: { next: null, self: selfUrl(req) + query, previous: null } };
  if (listLimit !== null && items.length > listLimit) {
    body[key] = items.slice(0, listLimit);
    body.truncated = true;
  } else {
    body[key] = items;
  }
  return body;
}

const OPERATORS = ['contains', 'icontains', 'startswith', 'istartswith', 'endswith', 'iendswith'] as const;

/** Applies ?attr=value and ?attr__op=value filters for the given attributes. */
export function applyListFilters<T extends Record<string, unknown>>(
  items: T[],
  query: Request['query'],
  attributes: readonly string[],
): T[] {
  let out = items;
  for (const [param, raw] of Object.entries(query)) {
    if (typeof raw !== 'string') continue;
    const [attr, op] = param.split('__', 2) as [string, string | undefined];
    if (!attributes.includes(attr)) continue;
    if (op === undefined) {
      out = out.filter((item) => {
        const v = item[attr];
        if (typeof v === 'boolean') return String(v) === raw.toLowerCase() || (raw === '0' ? !v : raw === '1' ? v : false);
        // eslint-disable-next-line @typescript-eslint/no-base-to-string -- the filterable attributes are the entity's scalar columns
        return v !== undefined && v !== null && String(v) === raw;
      });
      continue;
    }
    if (!(OPERATORS as readonly string[]).includes(op)) continue;
    const insensitive = op.startsWith('i');
    const needle = insensitive ? raw.toLowerCase() : raw;
    out = out.filter((item) => {
      const v = item[attr];
      if (typeof v !== 'string') return false;
      const hay = insensitive ? v.toLowerCase() : v;
      if (op.endsWith('contains')) return hay.includes(needle);
      if (op.endsWith('startswith')) return hay.startsWith(needle);
      return hay.endsWith(needle);
    });
  }
  return out;
}

/** Keystone's boolean query values: "true"/"false", "1"/"0", and a bare ?enabled meaning true. */
export function queryBoolean(value: unknown): boolean | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string') return undefined;
  const v = value.toLowerCase();
  if (v === '' || v === 'true' || v === '1' || v === 'yes') return true;
  if (v === 'false' || v === '0' || v === 'no') return false;
  return undefined;
}
