/**
 * A token provider turns token facts into an id and back ([token] provider):
 * Fernet (the default; nothing stored) or UUID (rows in the token table).
 */
import type { TokenFacts, TokenRecord } from './token-model.js';

export interface TokenProvider {
  readonly name: 'fernet' | 'uuid';
  /** A new token id for the facts, with Keystone's issued_at rendering. */
  issue(facts: TokenFacts): Promise<{ id: string; issuedAt: string }>;
  /** The facts behind a token id; throws TokenNotFound (404) when it is not one of ours. */
  validate(id: string): Promise<TokenRecord>;
  /** A token was revoked (DELETE /v3/auth/tokens). */
  revoked?(id: string): Promise<void>;
  close?(): void;
}

/** Keystone's token expiry and issue times: whole seconds, rendered with six zero digits and Z (common/time's isoZeroMicrosZ). */
export { isoZeroMicrosZ as keystoneIsoSeconds } from '../common/time.js';
