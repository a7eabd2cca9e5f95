/**
 * The Fernet primitive (https://github.com/fernet/spec), version 0x80, on
 * node:crypto only:
 *
 *   token = urlsafe_b64( 0x80 ‖ timestamp (uint64 BE) ‖ iv (16) ‖ AES-128-CBC(PKCS7(msg)) ‖ HMAC-SHA256 (32) )
 *
 * A key is 32 bytes in urlsafe base64 with padding (44 characters): the
 * first 16 bytes sign, the last 16 encrypt. Tokens are emitted as Python's
 * `cryptography` emits them (urlsafe alphabet, '=' padding kept); Keystone
 * strips the padding itself (see token-formatter.ts).
 *
 * MultiFernet semantics: encrypt with the first (primary) key, decrypt
 * trying every key in order. As in cryptography 38 (Keystone 22's), the
 * timestamp is only checked when a ttl is given: then a token older than
 * ttl, or more than 60 s in the future, is refused.
 *
 * Hot path notes: a FernetKey holds its two derived KeyObjects, built once;
 * decrypt() decodes the token once, checks the HMAC of each key against the
 * same bytes, and decrypts only with the key whose HMAC matched, without
 * copying the token bytes.
 */
import {
  createCipheriv,
  createDecipheriv,
  createHmac,
  createSecretKey,
  randomBytes,
  randomFillSync,
  timingSafeEqual,
  type KeyObject,
} from 'node:crypto';

/**
 * IVs come from a pool of CSPRNG bytes, each 16 used once, as node's randomUUID does: one call into OpenSSL per
 * 256 tokens instead of one each (a randomBytes(16) per token cost 3% of a rescope).
 */
const IV_POOL = Buffer.alloc(16 * 256);
let ivOffset = IV_POOL.length;
function nextIv(): Buffer {
  if (ivOffset === IV_POOL.length) {
    randomFillSync(IV_POOL);
    ivOffset = 0;
  }
  // a view, used at once by encrypt (synchronously) before the pool can be filled again
  const iv = IV_POOL.subarray(ivOffset, ivOffset + 16);
  ivOffset += 16;
  return iv;
}

export const FERNET_VERSION = 0x80;
/** cryptography's _MAX_CLOCK_SKEW, in seconds. */
export const MAX_CLOCK_SKEW = 60;
const HEADER = 1 + 8 + 16; // version, timestamp, iv
const MAC = 32;
const BLOCK = 16;

/** Any failure to verify or decrypt a token; deliberately says nothing more. */
export class InvalidToken extends Error {
  constructor() {
    super('Invalid Fernet token');
    this.name = 'InvalidToken';
  }
}

/** Thrown for a key that is not 32 bytes of urlsafe base64. */
export class InvalidFernetKey extends Error {
  constructor(detail = '') {
    super(`Fernet key must be 32 url-safe base64-encoded bytes.${detail ? ' ' + detail : ''}`);
    this.name = 'InvalidFernetKey';
  }
}

// 43 characters of the (urlsafe or standard) alphabet and the one '=' that
// pads 32 bytes, as Python's urlsafe_b64decode insists on.
const KEY_SHAPE = /^[A-Za-z0-9_\-+/]{43}=$/;

/** A parsed Fernet key with its derived key objects (build once, reuse). */
export class FernetKey {
  /** the key in its canonical text form (whitespace removed) */
  readonly encoded: string;
  readonly signingKey: KeyObject;
  readonly encryptionKey: KeyObject;

  private constructor(encoded: string, raw: Buffer) {
    this.encoded = encoded;
    this.signingKey = createSecretKey(raw.subarray(0, 16));
    this.encryptionKey = createSecretKey(raw.subarray(16, 32));
  }

  /** Parses a key as stored in a key file (surrounding whitespace ignored, as Python ignores it). */
  static parse(text: string | Buffer): FernetKey {
    const encoded = (typeof text === 'string' ? text : text.toString('latin1')).replace(/\s+/g, '');
    if (!KEY_SHAPE.test(encoded)) throw new InvalidFernetKey();
    const raw = Buffer.from(encoded, 'base64url');
    if (raw.length !== 32) throw new InvalidFernetKey();
    return new FernetKey(encoded, raw);
  }

  /** A key from 32 raw bytes. */
  static fromBytes(raw: Uint8Array): FernetKey {
    if (raw.length !== 32) throw new InvalidFernetKey();
    const buf = Buffer.from(raw);
    return new FernetKey(padBase64(buf.toString('base64url')), buf);
  }
}

/** A fresh random key, urlsafe base64 with padding, as Fernet.generate_key() returns. */
export function generateKey(): string {
  return padBase64(randomBytes(32).toString('base64url'));
}

export type KeyLike = FernetKey | string;

// Derived-key cache for callers that pass keys as strings.
const keyCache = new Map<string, FernetKey>();
const KEY_CACHE_MAX = 64;

export function toFernetKey(key: KeyLike): FernetKey {
  if (key instanceof FernetKey) return key;
  let k = keyCache.get(key);
  if (!k) {
    k = FernetKey.parse(key);
    if (keyCache.size >= KEY_CACHE_MAX) keyCache.delete(keyCache.keys().next().value as string);
    keyCache.set(key, k);
  }
  return k;
}

function padBase64(s: string): string {
  const r = s.length & 3;
  return r === 0 ? s : s + (r === 2 ? '==' : '=');
}

export interface EncryptOptions {
  /** 16 bytes; random when omitted (tests only should pass one) */
  iv?: Uint8Array;
  /** the token timestamp in seconds since the epoch; now when omitted */
  time?: number;
}

/** Encrypts with one key (the primary key of a MultiFernet). Returns the padded urlsafe token. */
export function encrypt(key: KeyLike, plaintext: Uint8Array, options: EncryptOptions = {}): string {
  const k = toFernetKey(key);
  const iv = options.iv ?? nextIv();
  if (iv.length !== 16) throw new RangeError('Fernet iv must be 16 bytes');
  const time = options.time ?? Math.floor(Date.now() / 1000);
  if (!Number.isSafeInteger(time) || time < 0) throw new RangeError('Fernet time must be a non-negative integer');

  const cipher = createCipheriv('aes-128-cbc', k.encryptionKey, iv);
  const ct1 = cipher.update(plaintext);
  const ct2 = cipher.final();
  const ctLen = ct1.length + ct2.length;
  const out = Buffer.allocUnsafe(HEADER + ctLen + MAC);
  out[0] = FERNET_VERSION;
  out.writeUInt32BE(Math.floor(time / 0x100000000), 1);
  out.writeUInt32BE(time >>> 0, 5);
  out.set(iv, 9);
  out.set(ct1, HEADER);
  out.set(ct2, HEADER + ct1.length);
  const mac = createHmac('sha256', k.signingKey)
    .update(out.subarray(0, HEADER + ctLen))
    .digest();
  out.set(mac, HEADER + ctLen);
  return padBase64(out.toString('base64url'));
}

export interface DecryptOptions {
  /** seconds a token stays valid after its timestamp; no time check at all when omitted */
  ttl?: number;
  /** "now" in seconds since the epoch, for the ttl check; the clock when omitted */
  now?: number;
}

export interface Decrypted {
  plaintext: Buffer;
  /** the token's timestamp, seconds since the epoch */
  timestamp: number;
  /** index in the key list of the key that verified the token */
  keyIndex: number;
}

/**
 * Decodes the urlsafe base64 of a token, with or without its '=' padding.
 * Refuses what Python's decoder refuses for such input (a stray character,
 * a length of 4n+1, wrong padding) rather than silently skipping it.
 */
export function decodeTokenBytes(token: string): Buffer {
  let end = token.length;
  while (end > 0 && token.charCodeAt(end - 1) === 61 /* = */) end--;
  const pad = token.length - end;
  if (end === 0 || (end & 3) === 1) throw new InvalidToken();
  if (pad !== 0 && (pad > 2 || ((end + pad) & 3) !== 0)) throw new InvalidToken();
  const buf = Buffer.from(end === token.length ? token : token.slice(0, end), 'base64url');
  // Node skips characters outside the alphabet; a shorter result means there were some.
  if (buf.length !== (end * 3) >> 2) throw new InvalidToken();
  return buf;
}

/** The timestamp of a token without verifying it (Keystone's creation_time). */
export function tokenTimestamp(token: string): number {
  const buf = decodeTokenBytes(token);
  if (buf.length < 9 || buf[0] !== FERNET_VERSION) throw new InvalidToken();
  return buf.readUInt32BE(1) * 0x100000000 + buf.readUInt32BE(5);
}

/** MultiFernet decrypt: tries every key; returns the plaintext, the timestamp and the key used. */
export function decryptDetailed(token: string, keys: readonly KeyLike[], options: DecryptOptions = {}): Decrypted {
  if (typeof token !== 'string') throw new InvalidToken();
  const buf = decodeTokenBytes(token);
  const len = buf.length;
  if (len < HEADER + BLOCK + MAC || buf[0] !== FERNET_VERSION || (len - HEADER - MAC) % BLOCK !== 0) throw new InvalidToken();
  const timestamp = buf.readUInt32BE(1) * 0x100000000 + buf.readUInt32BE(5);
  if (options.ttl !== undefined) {
    const now = options.now ?? Math.floor(Date.now() / 1000);
    if (timestamp + options.ttl < now) throw new InvalidToken();
    if (now + MAX_CLOCK_SKEW < timestamp) throw new InvalidToken();
  }
  const signed = buf.subarray(0, len - MAC);
  const mac = buf.subarray(len - MAC);
  for (let i = 0; i < keys.length; i++) {
    const k = toFernetKey(keys[i]);
    const expected = createHmac('sha256', k.signingKey).update(signed).digest();
    if (!timingSafeEqual(expected, mac)) continue;
    const plaintext = decryptBody(k, buf.subarray(9, HEADER), buf.subarray(HEADER, len - MAC));
    if (plaintext) return { plaintext, timestamp, keyIndex: i };
  }
  throw new InvalidToken();
}

function decryptBody(k: FernetKey, iv: Buffer, ct: Buffer): Buffer | undefined {
  let out: Buffer;
  try {
    const d = createDecipheriv('aes-128-cbc', k.encryptionKey, iv);
    d.setAutoPadding(false);
    out = d.update(ct);
    const tail = d.final();
    if (tail.length) out = Buffer.concat([out, tail]);
  } catch {
    return undefined;
  }
  // PKCS7 unpadding (after the HMAC matched, so timing no longer matters)
  const n = out.length;
  const p = n ? out[n - 1] : 0;
  if (p < 1 || p > BLOCK || p > n) return undefined;
  for (let i = n - p; i < n - 1; i++) if (out[i] !== p) return undefined;
  return out.subarray(0, n - p);
}

/** MultiFernet decrypt: the plaintext bytes, or InvalidToken. */
export function decrypt(token: string, keys: readonly KeyLike[], options: DecryptOptions = {}): Buffer {
  return decryptDetailed(token, keys, options).plaintext;
}

/** cryptography's MultiFernet, over a fixed or a live key list (primary first). */
export class MultiFernet {
  private readonly getKeys: () => readonly KeyLike[];

  constructor(keys: readonly KeyLike[] | (() => readonly KeyLike[])) {
    this.getKeys = typeof keys === 'function' ? keys : () => keys;
    if (typeof keys !== 'function' && keys.length === 0) throw new RangeError('MultiFernet requires at least one key');
  }

  encrypt(plaintext: Uint8Array, options?: EncryptOptions): string {
    const keys = this.getKeys();
    if (keys.length === 0) throw new RangeError('MultiFernet requires at least one key');
    return encrypt(keys[0], plaintext, options);
  }

  decrypt(token: string, options?: DecryptOptions): Buffer {
    return decrypt(token, this.getKeys(), options);
  }

  decryptDetailed(token: string, options?: DecryptOptions): Decrypted {
    return decryptDetailed(token, this.getKeys(), options);
  }

  /** Re-encrypts a token under the primary key, keeping its timestamp (MultiFernet.rotate). */
  rotate(token: string): string {
    const { plaintext, timestamp } = this.decryptDetailed(token);
    return this.encrypt(plaintext, { time: timestamp });
  }
}
