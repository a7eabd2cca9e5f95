/**
 * Keystone 22's MFA auth receipt formatter
 * (keystone/receipt/receipt_formatters.py): the payload is the msgpack
 * array [user id pair, methods bitmask, expires_at float], no version;
 * keys from [fernet_receipts] key_repository; padding stripped as for
 * tokens. An invalid receipt is Keystone's ReceiptNotFound, a 401
 * "Could not find auth receipt: <receipt>.".
 */
import { Unauthorized, UnexpectedError } from '../common/errors.js';
import { decryptDetailed, encrypt, tokenTimestamp, type EncryptOptions, type KeyLike } from '../token/fernet/fernet.js';
import { packb, unpackb } from '../token/fernet/msgpack.js';
import { MethodMap, floatToIsotime, isotimeFromWholeSeconds, packExpires, packId, unpackId } from '../token/fernet/payload-codec.js';
import { stripPadding } from '../token/fernet/token-formatter.js';

export interface ReceiptPayload {
  userId: string;
  methods: readonly string[];
  expiresAt: string | Date | number;
}

export interface DecodedReceipt {
  userId: string;
  methods: readonly string[];
  expiresAt: string;
  issuedAt: string;
}

export class ReceiptNotFound extends Unauthorized {
  constructor(receipt: string) {
    super(`Could not find auth receipt: ${receipt}.`);
  }
}

export class ReceiptFormatter {
  private readonly methods: MethodMap;

  constructor(
    private readonly getKeys: () => readonly KeyLike[],
    authMethods: readonly string[],
    private readonly logger?: { info(message: string): void },
  ) {
    this.methods = new MethodMap(authMethods);
  }

  private keys(): readonly KeyLike[] {
    const keys = this.getKeys();
    if (!keys || keys.length === 0) throw new UnexpectedError();
    return keys;
  }

  serialize(payload: ReceiptPayload): Buffer {
    return packb([packId(payload.userId), this.methods.toInteger(payload.methods), packExpires(payload.expiresAt)]);
  }

  create(payload: ReceiptPayload, options?: EncryptOptions): string {
    const receipt = stripPadding(encrypt(this.keys()[0], this.serialize(payload), options));
    if (receipt.length > 255)
      this.logger?.info(`Fernet receipt created with length of ${receipt.length} characters, which exceeds 255 characters`);
    return receipt;
  }

  validate(receipt: string): DecodedReceipt {
    const keys = this.keys();
    try {
      const { plaintext, timestamp } = decryptDetailed(receipt, keys);
      const a: unknown = unpackb(plaintext);
      if (!Array.isArray(a) || a.length !== 3) throw new Error('shape');
      const [packedUserId, methods, expiresAt] = a as unknown[];
      if (typeof methods !== 'number' || typeof expiresAt !== 'number') throw new Error('shape');
      const userId = unpackId(packedUserId);
      if (userId === null) throw new Error('user');
      return {
        userId,
        methods: this.methods.toList(methods),
        expiresAt: floatToIsotime(expiresAt),
        issuedAt: isotimeFromWholeSeconds(timestamp),
      };
    } catch {
      throw new ReceiptNotFound(receipt);
    }
  }

  static creationTime(receipt: string): string {
    return isotimeFromWholeSeconds(tokenTimestamp(receipt));
  }
}
