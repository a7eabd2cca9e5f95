/**
 * A token provider turns token facts into an id and back ([token] provider):
 * Fernet (the default; nothing stored), JWS (ES256-signed JWTs; nothing
 * stored) or UUID (rows in the token table).
 */
import type { TokenFacts, TokenRecord } from './token-model.js';

export interface TokenProvider {
  readonly name: 'fernet' | 'jws' | 'uuid';
  /**
   * A new token id for the facts, with Keystone's issued_at rendering; a key-bound provider may give the facts as
   * validateSync would decode them (`record`), so that an issue need not decrypt or verify its own token.
   */
  issue(facts: TokenFacts): Promise<{ id: string; issuedAt: string; record?: TokenRecord }>;
  /** The facts behind a token id; throws TokenNotFound (404) when it is not one of ours. */
  validate(id: string): Promise<TokenRecord>;
  /** A token was revoked (DELETE /v3/auth/tokens). */
  revoked?(id: string): Promise<void>;
  close?(): void;
}

/**
 * A provider whose tokens hold while its keys do (Fernet, JWS): the token manager's memo remembers the
 * keys a token was checked with and checks it once more, without I/O, when they change.
 */
export interface KeyBoundTokenProvider extends TokenProvider {
  /** The keys in force: a new value whenever they change (compared by identity). */
  currentKeys(): readonly unknown[];
  /** The facts behind a token id with the keys in memory (no I/O); throws TokenNotFound. */
  validateSync(id: string): TokenRecord;
}

export function isKeyBound(provider: TokenProvider): provider is KeyBoundTokenProvider {
  return 'currentKeys' in provider && 'validateSync' in provider;
}

/** Keystone's token expiry and issue times: whole seconds, rendered with six zero digits and Z (common/time's isoZeroMicrosZ). */
export { isoZeroMicrosZ as keystoneIsoSeconds } from '../common/time.js';
