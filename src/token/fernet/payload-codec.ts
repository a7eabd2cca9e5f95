/**
 * The small conversions Keystone's token and receipt formatters apply to
 * each payload field (keystone/token/token_formatters.py BasePayload,
 * keystone/auth/plugins/core.py), reproduced for byte compatibility:
 *
 *  - ids: a value Python's uuid.UUID() accepts becomes (true, 16 bytes),
 *    anything else (false, value); decoded back as 32 lowercase hex;
 *  - methods: a bitmask, bit i for the i-th [auth] methods entry, plus the
 *    pseudo methods ec2credential (2**32) and oauth2_credential (2**33);
 *    decoded highest bit first, as Keystone lists them;
 *  - expires_at: an ISO 8601 string → seconds since the epoch as a float
 *    with microsecond precision; decoded to Keystone's string, whose
 *    microseconds are always rendered as .000000;
 *  - audit ids: urlsafe base64 (no padding) ↔ raw bytes.
 */
import { Float64, type PackValue } from './msgpack.js';
import { isoZeroMicrosZ } from '../../common/time.js';

// ------------------------------------------------------------------ ids

/**
 * The 16 bytes Python's `uuid.UUID(value).bytes` gives, or undefined where
 * it raises ValueError (or TypeError for a non-string).
 * Python: remove 'urn:' and 'uuid:', strip '{' '}' at the ends, remove
 * '-', require 32 characters, then int(hex, 16) (whitespace, a sign, a 0x
 * prefix and single underscores between digits are all accepted by int()),
 * and 0 <= value < 2**128.
 */
export function uuidBytes(value: unknown): Buffer | undefined {
  if (typeof value !== 'string') return undefined;
  // fast path: Keystone's own ids (uuid4().hex)
  if (value.length === 32 && FAST_HEX.test(value)) return Buffer.from(value, 'hex');
  let hex = value.split('urn:').join('').split('uuid:').join('');
  hex = hex
    .replace(/^[{}]+|[{}]+$/g, '')
    .split('-')
    .join('');
  if (hex.length !== 32) return undefined;
  const m = PY_INT_HEX.exec(hex);
  if (!m) return undefined;
  const digits = m[3].split('_').join('');
  const n = BigInt('0x' + digits);
  if (m[1] === '-' && n !== 0n) return undefined;
  const out = Buffer.alloc(16);
  out.writeBigUInt64BE(n >> 64n, 0);
  out.writeBigUInt64BE(n & 0xffffffffffffffffn, 8);
  return out;
}
const FAST_HEX = /^[0-9a-f]{32}$/;
// int(s, 16): optional whitespace, sign, 0x prefix (then an optional '_'), digits with single '_' separators
const PY_INT_HEX = /^\s*([+-]?)(0[xX]_?)?([0-9a-fA-F]+(?:_[0-9a-fA-F]+)*)\s*$/;

export type IdPair = [boolean, Buffer | string | null];

/** BasePayload.attempt_convert_uuid_hex_to_bytes. */
export function packId(value: string | null | undefined): PackValue {
  const b = uuidBytes(value);
  return b ? [true, b] : [false, value ?? null];
}

/** BasePayload._convert_or_decode on a (flag, value) pair. */
export function unpackId(pair: unknown): string | null {
  if (!Array.isArray(pair) || pair.length !== 2) throw new PayloadError('id pair');
  const [isBytes, value] = pair as [unknown, unknown];
  if (isBytes === true) return uuidHex(value);
  if (Buffer.isBuffer(value)) return value.toString('utf8');
  if (value === null || typeof value === 'string') return value;
  throw new PayloadError('id value');
}

/** uuid.UUID(bytes=value).hex */
export function uuidHex(value: unknown): string {
  if (!Buffer.isBuffer(value) || value.length !== 16) throw new PayloadError('uuid bytes');
  return value.toString('hex');
}

export class PayloadError extends Error {
  constructor(what: string) {
    super(`malformed Fernet payload: ${what}`);
    this.name = 'PayloadError';
  }
}

// ------------------------------------------------------------------ methods

/** ec2credential and oauth2_credential, beyond any configured method (keystone.auth.plugins.core). */
export const PSEUDO_METHOD_BITS: ReadonlyArray<readonly [number, string]> = [
  [2 ** 32, 'ec2credential'],
  [2 ** 33, 'oauth2_credential'],
];

/** construct_method_map_from_config + the two conversions, for one [auth] methods list. */
export class MethodMap {
  private readonly map: ReadonlyArray<readonly [number, string]>;
  private readonly descending: ReadonlyArray<readonly [number, string]>;
  private readonly cache = new Map<number, readonly string[]>();

  constructor(authMethods: readonly string[]) {
    const entries: [number, string][] = [];
    let bit = 1;
    for (const m of authMethods) {
      entries.push([bit, m]);
      bit *= 2;
    }
    // a dict: a later configured index with the same value as a pseudo bit is overwritten by it
    const byBit = new Map<number, string>(entries);
    for (const [b, m] of PSEUDO_METHOD_BITS) byBit.set(b, m);
    this.map = [...byBit.entries()];
    this.descending = [...this.map].sort((a, b) => b[0] - a[0]);
  }

  /** convert_method_list_to_integer: unknown methods count for nothing. */
  toInteger(methods: readonly string[]): number {
    let sum = 0;
    for (const method of methods) for (const [bit, name] of this.map) if (name === method) sum += bit;
    return sum;
  }

  /** convert_integer_to_method_list (highest bit first). The result is shared: do not mutate. */
  toList(methodInt: number): readonly string[] {
    if (methodInt === 0) return EMPTY;
    const hit = this.cache.get(methodInt);
    if (hit) return hit;
    const out: string[] = [];
    let rest = methodInt;
    for (const [bit, name] of this.descending) {
      if (Math.trunc(rest / bit) === 1) {
        out.push(name);
        rest -= bit;
      }
    }
    Object.freeze(out);
    if (this.cache.size < 1024) this.cache.set(methodInt, out);
    return out;
  }
}
const EMPTY: readonly string[] = Object.freeze([]);

// ------------------------------------------------------------------ times

const ISO = /^(\d{4})-?(\d{2})-?(\d{2})(?:[T ](\d{2}):?(\d{2})(?::?(\d{2})(?:[.,](\d+))?)?)?\s*(Z|[+-]\d{2}(?::?\d{2})?)?$/i;

/**
 * BasePayload._convert_time_string_to_float: oslo's parse_isotime (the
 * iso8601 library: no zone means UTC, the fraction truncated to
 * microseconds) then (t - epoch).total_seconds(), i.e. integer
 * microseconds / 1e6. A Date counts as UTC; a number is taken as seconds.
 */
export function expiresToFloat(value: string | Date | number): number {
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new RangeError('expires_at must be finite');
    return value;
  }
  if (value instanceof Date) {
    const ms = value.getTime();
    if (Number.isNaN(ms)) throw new RangeError('expires_at is an invalid Date');
    return (ms * 1000) / 1e6;
  }
  const m = ISO.exec(value.trim());
  if (!m) throw new RangeError(`Unable to parse date string '${value}'`);
  const [, y, mo, d, h = '0', mi = '0', s = '0', frac = '', tz = 'Z'] = m;
  let offsetMin = 0;
  if (tz.toUpperCase() !== 'Z') {
    const sign = tz[0] === '-' ? -1 : 1;
    const digits = tz.slice(1).replace(':', '');
    offsetMin = sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2, 4) || '0'));
  }
  const wholeMs = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s)) - offsetMin * 60_000;
  if (Number.isNaN(wholeMs)) throw new RangeError(`Unable to parse date string '${value}'`);
  const micros = Number((frac + '000000').slice(0, 6));
  return (wholeMs * 1000 + micros) / 1e6;
}

/**
 * BasePayload._convert_float_to_time_string then ks_utils.isotime(subsecond=True):
 * datetime.utcfromtimestamp rounds to the microsecond (half to even), then
 * the microseconds are dropped: always ".000000Z".
 */
export function floatToIsotime(seconds: number): string {
  if (typeof seconds !== 'number' || !Number.isFinite(seconds)) throw new PayloadError('timestamp');
  let whole = Math.floor(seconds);
  const us = roundHalfEven((seconds - whole) * 1e6);
  if (us >= 1e6) whole += 1;
  return isotimeFromWholeSeconds(whole);
}

/** ks_utils.isotime(datetime.utcfromtimestamp(int), subsecond=True). */
export function isotimeFromWholeSeconds(whole: number): string {
  try {
    return isoZeroMicrosZ(whole);
  } catch {
    throw new PayloadError('timestamp'); // no Date holds it (toISOString's RangeError)
  }
}

function roundHalfEven(x: number): number {
  const f = Math.floor(x);
  const diff = x - f;
  if (diff > 0.5) return f + 1;
  if (diff < 0.5) return f;
  return f % 2 === 0 ? f : f + 1;
}

export function packExpires(value: string | Date | number): Float64 {
  return new Float64(expiresToFloat(value));
}

// ------------------------------------------------------------------ audit ids

/** random_urlsafe_str_to_bytes: urlsafe_b64decode(s + '=='). */
export function auditIdToBytes(id: string): Buffer {
  if (typeof id !== 'string' || (id.replace(/=+$/, '').length & 3) === 1) throw new RangeError(`invalid audit id: ${id}`);
  return Buffer.from(id, 'base64url');
}

/** base64_encode: urlsafe_b64encode(b).rstrip('='). */
export function auditIdFromBytes(b: unknown): string {
  if (!Buffer.isBuffer(b)) throw new PayloadError('audit id');
  return b.toString('base64url');
}
