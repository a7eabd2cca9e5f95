/**
 * MFA auth receipts (Keystone's receipt_provider_api with the Fernet
 * receipt formatter): a user who satisfied only part of their
 * multi_factor_auth_rules gets a 401 with the receipt in the
 * Openstack-Auth-Receipt header and a body naming the methods done and the
 * rules still open; presenting the receipt with the missing method
 * completes the login. Keys from [fernet_receipts] key_repository;
 * lifetime [receipt] expiration.
 */
import type { KeystoneConfig } from '../config/options.js';
import { Unauthorized, UnexpectedError } from '../common/errors.js';
import { log } from '../log/logger.js';
import { KeyRepository } from '../token/fernet/key-repository.js';
import { KeyRing } from '../token/fernet/key-ring.js';
import { ReceiptFormatter, ReceiptNotFound, type DecodedReceipt } from './receipt-formatter.js';
import { keystoneIsoSeconds } from '../token/token-provider.js';
import { secondsFromIso } from '../common/time.js';

export const AUTH_RECEIPT_HEADER = 'Openstack-Auth-Receipt';

export class ReceiptProvider {
  private ring: KeyRing | null = null;
  private readonly formatter: ReceiptFormatter;

  constructor(private readonly conf: KeystoneConfig) {
    this.formatter = new ReceiptFormatter(() => this.keyRing().keys(), conf.auth.methods, { info: (m) => log.info(m) });
  }

  private keyRing(): KeyRing {
    if (this.ring) return this.ring;
    const repository = new KeyRepository({
      path: this.conf.fernet_receipts.key_repository,
      maxActiveKeys: this.conf.fernet_receipts.max_active_keys,
      configGroup: 'fernet_receipts',
      logger: { warn: (m) => log.warn(m) },
    });
    try {
      this.ring = KeyRing.open(repository, { watch: true, onError: (err) => log.error(`fernet_receipts: ${err.message}`) });
    } catch (err) {
      log.error((err as Error).message);
      throw new UnexpectedError();
    }
    return this.ring;
  }

  issue(userId: string, methods: readonly string[]): { id: string; expiresAt: string; issuedAt: string } {
    const expiresAt = keystoneIsoSeconds(Date.now() / 1000 + this.conf.receipt.expiration);
    const id = this.formatter.create({ userId, methods, expiresAt });
    return { id, expiresAt, issuedAt: ReceiptFormatter.creationTime(id) };
  }

  /** A valid, unexpired receipt; ReceiptNotFound (401) otherwise. */
  validate(receipt: string): DecodedReceipt {
    if (!receipt) throw new Unauthorized('No receipt in the request');
    const decoded = this.formatter.validate(receipt);
    if (!(Date.now() / 1000 < secondsFromIso(decoded.expiresAt))) throw new ReceiptNotFound(receipt);
    return decoded;
  }

  close(): void {
    this.ring?.close();
    this.ring = null;
  }
}
