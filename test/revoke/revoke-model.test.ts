/** Keystone's revocation matching (revoke_model.matches + the SQL filter), attribute by attribute. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { eventMatches, isRevoked, newRevokeEvent, revokeEventToDict, type TokenValues } from '../../src/revoke/revoke-model.js';

const token: TokenValues = {
  expiresAt: 2_000_000_000,
  issuedAt: 1_900_000_000,
  auditId: 'AUDIT',
  auditChainId: 'CHAIN',
  userId: 'u1',
  identityDomainId: 'd-user',
  projectId: 'p1',
  assignmentDomainId: 'd-project',
  roleIds: ['r1', 'r2'],
  trustId: null,
  trustorId: null,
  trusteeId: null,
  consumerId: null,
  accessTokenId: null,
};
const at = { revokedAt: token.issuedAt };

describe('revocation event matching', () => {
  test('issued_before: tokens issued at or before it (whole seconds)', () => {
    assert.equal(eventMatches(newRevokeEvent({ userId: 'u1', ...at }), token), true);
    assert.equal(eventMatches(newRevokeEvent({ userId: 'u1', revokedAt: token.issuedAt - 1 }), token), false);
    assert.equal(eventMatches(newRevokeEvent({ userId: 'u1', revokedAt: token.issuedAt + 0.9 }), token), true);
  });

  test('each named attribute must match; unnamed ones match anything', () => {
    const cases: [Record<string, unknown>, boolean][] = [
      [{ userId: 'u1' }, true],
      [{ userId: 'u2' }, false],
      [{ projectId: 'p1' }, true],
      [{ projectId: 'p2' }, false],
      [{ userId: 'u1', projectId: 'p2' }, false],
      [{ auditId: 'AUDIT' }, true],
      [{ auditId: 'OTHER' }, false],
      [{ auditChainId: 'CHAIN' }, true],
      [{ auditChainId: 'AUDIT' }, false],
      [{ domainId: 'd-user' }, true],
      [{ domainId: 'd-project' }, true],
      [{ domainId: 'd-x' }, false],
      [{ domainId: 'd-project', expiresAt: token.expiresAt }, true],
      [{ domainId: 'd-user', expiresAt: token.expiresAt }, false],
      [{ roleId: 'r2' }, true],
      [{ roleId: 'r3' }, false],
      [{ trustId: 't1' }, false],
      [{ consumerId: 'c1' }, false],
      [{ accessTokenId: 'a1' }, false],
      [{ expiresAt: token.expiresAt }, true],
      [{ expiresAt: token.expiresAt + 1 }, false],
    ];
    for (const [input, expected] of cases)
      assert.equal(eventMatches(newRevokeEvent({ ...input, ...at }), token), expected, JSON.stringify(input));
  });

  test("trustor and trustee count as the token's users", () => {
    const trust = { ...token, userId: 'trustee', trustId: 't1', trustorId: 'trustor', trusteeId: 'trustee' };
    assert.equal(eventMatches(newRevokeEvent({ userId: 'trustor', ...at }), trust), true);
    assert.equal(eventMatches(newRevokeEvent({ trustId: 't1', ...at }), trust), true);
    assert.equal(isRevoked([newRevokeEvent({ userId: 'x', ...at }), newRevokeEvent({ trustId: 't1', ...at })], trust), true);
    assert.equal(isRevoked([], trust), false);
  });

  test("rendered as Keystone's to_dict", () => {
    const e = newRevokeEvent({ domainId: 'd', expiresAt: 2_000_000_000, auditId: 'A', trustId: 't', revokedAt: 1_900_000_000 });
    assert.deepEqual(revokeEventToDict(e), {
      domain_scope_id: 'd',
      audit_id: 'A',
      'OS-TRUST:trust_id': 't',
      expires_at: '2033-05-18T03:33:20Z',
      issued_before: '2030-03-17T17:46:40.000000Z',
      revoked_at: '2030-03-17T17:46:40.000000Z',
    });
    assert.deepEqual(Object.keys(revokeEventToDict(newRevokeEvent({ userId: 'u', revokedAt: 1 }))), [
      'user_id',
      'issued_before',
      'revoked_at',
    ]);
  });
});
