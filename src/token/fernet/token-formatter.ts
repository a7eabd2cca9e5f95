/**
 * Keystone 22's Fernet TokenFormatter (keystone/token/token_formatters.py):
 * packs a payload (payloads.ts) with msgpack, encrypts it with the primary
 * key, and strips the base64 '=' padding, which is not URL-safe; validation
 * restores the padding, tries every key, and unpacks.
 *
 * A token made here validates in Keystone given the same key repository,
 * [auth] methods and ids, and the reverse
 * (test/token/keystone-crosscheck.test.ts checks both directions).
 *
 * Errors, as Keystone's fernet provider turns them into TokenNotFound (404):
 * "Could not recognize Fernet token" for anything that does not decrypt
 * (or does not unpack), "This is not a recognized Fernet payload version: N"
 * for an unknown version. No keys at all is Keystone's KeysNotFound, a 500.
 */
import { TokenNotFound, UnexpectedError } from '../../common/errors.js';
import { decryptDetailed, encrypt, tokenTimestamp, type EncryptOptions, type KeyLike } from './fernet.js';
import { packb, unpackb } from './msgpack.js';
import { MethodMap, isotimeFromWholeSeconds } from './payload-codec.js';
import {
  PAYLOAD_CLASSES,
  PAYLOADS_BY_VERSION,
  payloadKindOf,
  type DecodedToken,
  type PayloadContext,
  type PayloadKind,
  type TokenPayload,
} from './payloads.js';

export type { DecodedToken, PayloadKind, TokenPayload } from './payloads.js';
export { PAYLOAD_VERSIONS, payloadKindOf } from './payloads.js';

export const NOT_RECOGNIZED = 'Could not recognize Fernet token';

export interface TokenFormatterOptions {
  /** [identity] default_domain_id (default 'default') */
  defaultDomainId?: string;
  /** [DEFAULT] max_token_size: longer tokens are logged at info, as Keystone does (default 255) */
  maxTokenSize?: number;
  logger?: { info(message: string): void };
}

export class TokenFormatter {
  private readonly ctx: PayloadContext;
  private readonly maxTokenSize: number;
  private readonly logger?: { info(message: string): void };

  /**
   * @param getKeys the current keys, primary first (KeyRing.keys bound, or a fixed list)
   * @param authMethods [auth] methods, in configuration order (fixes the method bitmask)
   */
  constructor(
    private readonly getKeys: () => readonly KeyLike[],
    authMethods: readonly string[],
    options: TokenFormatterOptions = {},
  ) {
    this.ctx = { methods: new MethodMap(authMethods), defaultDomainId: options.defaultDomainId ?? 'default' };
    this.maxTokenSize = options.maxTokenSize ?? 255;
    this.logger = options.logger;
  }

  private keys(): readonly KeyLike[] {
    const keys = this.getKeys();
    if (!keys || keys.length === 0) {
      // keystone.exception.KeysNotFound: an UnexpectedError (500)
      throw new UnexpectedError();
    }
    return keys;
  }

  /** The serialized payload (msgpack bytes) Keystone would build, before encryption. */
  serialize(payload: TokenPayload, kind: PayloadKind = payloadKindOf(payload)): Buffer {
    const cls = PAYLOAD_CLASSES[kind];
    return packb([cls.version, ...cls.assemble(payload, this.ctx)]);
  }

  /** A token id for the payload (no '=' padding). `options` pins the Fernet time/iv (tests). */
  create(payload: TokenPayload, options?: EncryptOptions & { kind?: PayloadKind }): string {
    return this.encryptPlaintext(this.serialize(payload, options?.kind), options);
  }

  /**
   * A token id for the payload and the token as validate() decodes it, from the plaintext just packed: an issue
   * needs the decoded form (method order, expiry rendering) without decrypting what it has just encrypted.
   */
  createDecoded(payload: TokenPayload): { token: string; decoded: DecodedToken } {
    const plaintext = this.serialize(payload);
    const time = Math.floor(Date.now() / 1000);
    const token = this.encryptPlaintext(plaintext, { time });
    return { token, decoded: this.decodePlaintext(plaintext, time) };
  }

  private encryptPlaintext(plaintext: Buffer, options?: EncryptOptions): string {
    const padded = encrypt(this.keys()[0], plaintext, options);
    const token = stripPadding(padded);
    if (token.length > this.maxTokenSize) {
      this.logger?.info(`Fernet token created with length of ${token.length} characters, which exceeds ${this.maxTokenSize} characters`);
    }
    return token;
  }

  /** Decrypts and unpacks a token id; throws TokenNotFound as Keystone's provider does. */
  validate(token: string): DecodedToken {
    const keys = this.keys();
    let plaintext: Buffer;
    let timestamp: number;
    try {
      ({ plaintext, timestamp } = decryptDetailed(token, keys));
    } catch {
      throw new TokenNotFound(NOT_RECOGNIZED);
    }
    return this.decodePlaintext(plaintext, timestamp);
  }

  /** Unpacks a decrypted payload made at `timestamp` (seconds); throws TokenNotFound as validate(). */
  private decodePlaintext(plaintext: Buffer, timestamp: number): DecodedToken {
    let versioned: unknown;
    try {
      versioned = unpackb(plaintext);
    } catch {
      throw new TokenNotFound(NOT_RECOGNIZED);
    }
    if (!Array.isArray(versioned) || versioned.length === 0) throw new TokenNotFound(NOT_RECOGNIZED);
    const version: unknown = versioned[0];
    const entry = typeof version === 'number' ? PAYLOADS_BY_VERSION[version] : undefined;
    if (!entry) throw new TokenNotFound(`This is not a recognized Fernet payload version: ${pyStr(version)}`);
    const [kind, cls] = entry;
    let fields;
    try {
      fields = cls.disassemble(versioned.slice(1), this.ctx);
    } catch {
      throw new TokenNotFound(NOT_RECOGNIZED);
    }
    return { version: cls.version, kind, ...dropUndefined(fields), issuedAt: isotimeFromWholeSeconds(timestamp) };
  }

  /** TokenFormatter.creation_time, rendered as Keystone renders issued_at. */
  static creationTime(token: string): string {
    try {
      return isotimeFromWholeSeconds(tokenTimestamp(token));
    } catch {
      throw new TokenNotFound(NOT_RECOGNIZED);
    }
  }

  /** TokenFormatter.restore_padding */
  static restorePadding(token: string): string {
    const r = token.length % 4;
    return r ? token + '='.repeat(4 - r) : token;
  }
}

export function stripPadding(token: string): string {
  let end = token.length;
  while (end > 0 && token.charCodeAt(end - 1) === 61) end--;
  return end === token.length ? token : token.slice(0, end);
}

function dropUndefined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

function pyStr(v: unknown): string {
  if (v === null || v === undefined) return 'None';
  if (v === true) return 'True';
  if (v === false) return 'False';
  if (Buffer.isBuffer(v)) return `b'${v.toString('latin1')}'`;
  return typeof v === 'string' || typeof v === 'number' || typeof v === 'bigint' ? String(v) : JSON.stringify(v);
}
