/**
 * The UUID token provider ([token] provider = uuid): 32-hex token ids whose
 * facts are persisted in the token table and validated from SQL; a revoked
 * token has valid = false (and its revocation event, honoured as for
 * Fernet). keystone-manage token_flush removes expired rows (flush.ts).
 */
import { randomBytes } from 'node:crypto';
import { TokenNotFound } from '../../common/errors.js';
import type { TokenFacts, TokenRecord } from '../token-model.js';
import type { TokenProvider } from '../token-provider.js';
import type { TokenBackend } from '../token-backend.js';
import { isoZeroMicrosZ, secondsFromIso } from '../../common/time.js';

const UUID_HEX = /^[0-9a-f]{32}$/;

export class UuidTokenProvider implements TokenProvider {
  readonly name = 'uuid' as const;
  constructor(private readonly backend: TokenBackend) {}

  async issue(facts: TokenFacts): Promise<{ id: string; issuedAt: string }> {
    const id = randomBytes(16).toString('hex');
    const issuedAt = isoZeroMicrosZ(Date.now() / 1000);
    await this.backend.insert({
      id,
      expires: new Date(secondsFromIso(facts.expiresAt) * 1000),
      extra: JSON.stringify({ facts, issued_at: issuedAt }),
      valid: true,
      user_id: facts.userId,
      trust_id: facts.trustId ?? null,
    });
    return { id, issuedAt };
  }

  async validate(id: string): Promise<TokenRecord> {
    if (!UUID_HEX.test(id)) throw new TokenNotFound(`Could not find token: ${id}.`);
    const row = await this.backend.get(id);
    if (!row || !row.valid) throw new TokenNotFound(`Could not find token: ${id}.`);
    const extra = JSON.parse(row.extra) as { facts: TokenFacts; issued_at: string };
    return { ...extra.facts, id, issuedAt: extra.issued_at };
  }

  async revoked(id: string): Promise<void> {
    await this.backend.invalidate(id);
  }

  /** A revocation event for every token of the user: their rows stop validating too. */
  async revokedUser(userId: string): Promise<void> {
    await this.backend.invalidateUser(userId);
  }

  /** A revocation event for a trust: the rows of its tokens stop validating too. */
  async revokedTrust(trustId: string): Promise<void> {
    await this.backend.invalidateTrust(trustId);
  }
}
