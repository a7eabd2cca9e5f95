/**
 * The JWS token provider ([token] provider = jws): a token is an ES256-signed
 * JWT carrying Keystone 22's claims (jws-claims.ts), signed with
 * `[jwt_tokens] jws_private_key_repository`/private.pem and valid when any
 * public key of `[jwt_tokens] jws_public_key_repository` verifies it
 * (jws-keys.ts). Nothing is stored: as with Fernet, a token validates on any
 * node that has the public keys, and revocation is by revocation events.
 * Keystone's provider and this one validate each other's tokens.
 */
import type { KeyObject } from 'node:crypto';
import type { KeystoneConfig } from '../../config/options.js';
import { TokenNotFound, UnexpectedError } from '../../common/errors.js';
import { isoZeroMicrosZ } from '../../common/time.js';
import { log } from '../../log/logger.js';
import type { TokenFacts, TokenRecord } from '../token-model.js';
import type { KeyBoundTokenProvider } from '../token-provider.js';
import { claimsOf, recordOf } from './jws-claims.js';
import { JwsKeys } from './jws-keys.js';
import { parseEs256, signEs256, verifiedBy } from './jws.js';

export class JwsTokenProvider implements KeyBoundTokenProvider {
  readonly name = 'jws' as const;
  private keys: JwsKeys | null = null;

  constructor(private readonly conf: KeystoneConfig) {}

  /** The key files, followed from first use (so that a process can start before create_jws_keypair ran). */
  private keyFiles(): JwsKeys {
    if (this.keys) return this.keys;
    this.keys = new JwsKeys(
      {
        publicRepository: this.conf.jwt_tokens.jws_public_key_repository,
        privateRepository: this.conf.jwt_tokens.jws_private_key_repository,
      },
      {
        onReload: (n) => log.info(`jwt_tokens: reloaded ${n} public keys from ${this.conf.jwt_tokens.jws_public_key_repository}`),
        onWarning: (m) => log.warn(m),
        onError: (err) => log.error(`jwt_tokens: reading the public keys failed, keeping the previous keys: ${err.message}`),
      },
    );
    this.keys.watch();
    return this.keys;
  }

  // eslint-disable-next-line @typescript-eslint/require-await -- the provider interface is async; a throw becomes a rejection
  async issue(facts: TokenFacts): Promise<{ id: string; issuedAt: string }> {
    const iat = Math.floor(Date.now() / 1000);
    const id = signEs256(
      claimsOf(facts, iat),
      this.unexpectedOnError(() => this.keyFiles().privateKey()),
    );
    return { id, issuedAt: isoZeroMicrosZ(iat) };
  }

  // eslint-disable-next-line @typescript-eslint/require-await -- as issue()
  async validate(id: string): Promise<TokenRecord> {
    return this.verify(
      id,
      this.unexpectedOnError(() => this.keyFiles().publicKeys()),
    );
  }

  /** The public keys as last read (compared by identity by the token manager's memo). */
  currentKeys(): readonly unknown[] {
    return this.unexpectedOnError(() => this.keyFiles().currentPublicKeys());
  }

  /** Verifies with the public keys in memory (no I/O): throws TokenNotFound as Keystone's provider does. */
  validateSync(id: string): TokenRecord {
    return this.verify(
      id,
      this.unexpectedOnError(() => this.keyFiles().currentPublicKeys()),
    );
  }

  private verify(id: string, keys: readonly KeyObject[]): TokenRecord {
    try {
      const parsed = parseEs256(id);
      if (!verifiedBy(parsed, keys)) throw new Error('no public key verifies the signature');
      return recordOf(id, parsed.claims);
    } catch (err) {
      log.debug(`JWS token refused: ${(err as Error).message}`);
      throw new TokenNotFound(`Could not find token: ${id}.`);
    }
  }

  private unexpectedOnError<T>(read: () => T): T {
    try {
      return read();
    } catch (err) {
      log.error(`jwt_tokens: ${(err as Error).message}`);
      throw new UnexpectedError();
    }
  }

  close(): void {
    this.keys?.close();
    this.keys = null;
  }
}
