/**
 * Keystone's revocation event model (keystone/models/revoke_model.py): an
 * event names any of user, project, domain, role, trust, consumer, access
 * token, audit id or audit chain id, plus issued_before; a token matches
 * when it was issued at or before issued_before and every attribute the
 * event names matches the token. Times are whole seconds since the epoch,
 * as Keystone truncates them.
 */
import { isoMicrosZ, isoSecondsZ } from '../common/time.js';

export interface RevokeEvent {
  /** the row id (absent before it is stored) */
  id?: number;
  userId: string | null;
  projectId: string | null;
  /** domain_id as stored; an event with both domain and expires_at matches on the assignment domain only */
  domainId: string | null;
  roleId: string | null;
  trustId: string | null;
  consumerId: string | null;
  accessTokenId: string | null;
  auditId: string | null;
  auditChainId: string | null;
  /** whole seconds */
  expiresAt: number | null;
  /** whole seconds */
  issuedBefore: number;
  /** whole seconds */
  revokedAt: number;
}

export type RevokeEventInput = Partial<Omit<RevokeEvent, 'id' | 'issuedBefore' | 'revokedAt'>> & {
  issuedBefore?: number;
  revokedAt?: number;
};

/** The values of a token that events are matched against (Keystone's build_token_values). */
export interface TokenValues {
  /** whole seconds */
  expiresAt: number;
  /** whole seconds */
  issuedAt: number;
  auditId: string | null;
  auditChainId: string | null;
  userId: string | null;
  identityDomainId: string | null;
  projectId: string | null;
  assignmentDomainId: string | null;
  roleIds: readonly string[];
  trustId: string | null;
  trustorId: string | null;
  trusteeId: string | null;
  consumerId: string | null;
  accessTokenId: string | null;
}

export function newRevokeEvent(input: RevokeEventInput, nowSeconds = Date.now() / 1000): RevokeEvent {
  const revokedAt = Math.floor(input.revokedAt ?? nowSeconds);
  return {
    userId: input.userId ?? null,
    projectId: input.projectId ?? null,
    domainId: input.domainId ?? null,
    roleId: input.roleId ?? null,
    trustId: input.trustId ?? null,
    consumerId: input.consumerId ?? null,
    accessTokenId: input.accessTokenId ?? null,
    auditId: input.auditId ?? null,
    auditChainId: input.auditChainId ?? null,
    expiresAt: input.expiresAt === undefined || input.expiresAt === null ? null : Math.floor(input.expiresAt),
    revokedAt,
    issuedBefore: Math.floor(input.issuedBefore ?? revokedAt),
  };
}

/** Keystone's matches() together with the SQL filter of _list_token_events. */
export function eventMatches(e: RevokeEvent, t: TokenValues): boolean {
  if (e.issuedBefore < t.issuedAt) return false;
  if (e.userId !== null && e.userId !== t.userId && e.userId !== t.trustorId && e.userId !== t.trusteeId) return false;
  if (e.projectId !== null && e.projectId !== t.projectId) return false;
  if (e.auditId !== null && e.auditId !== t.auditId) return false;
  const domainScoped = e.domainId !== null && e.expiresAt !== null;
  if (domainScoped) {
    if (e.domainId !== t.assignmentDomainId) return false;
  } else if (e.domainId !== null && e.domainId !== t.identityDomainId && e.domainId !== t.assignmentDomainId) {
    return false;
  }
  if (e.expiresAt !== null && e.expiresAt !== t.expiresAt) return false;
  if (e.trustId !== null && e.trustId !== t.trustId) return false;
  if (e.consumerId !== null && e.consumerId !== t.consumerId) return false;
  if (e.accessTokenId !== null && e.accessTokenId !== t.accessTokenId) return false;
  if (e.auditChainId !== null && e.auditChainId !== t.auditChainId) return false;
  if (e.roleId !== null && !t.roleIds.includes(e.roleId)) return false;
  return true;
}

export function isRevoked(events: readonly RevokeEvent[], token: TokenValues): boolean {
  for (const e of events) if (eventMatches(e, token)) return true;
  return false;
}

/** RevokeEvent.to_dict, as GET /v3/OS-REVOKE/events renders it. */
export function revokeEventToDict(e: RevokeEvent): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const domainScoped = e.domainId !== null && e.expiresAt !== null;
  if (e.userId !== null) out.user_id = e.userId;
  if (e.roleId !== null) out.role_id = e.roleId;
  if (e.domainId !== null && !domainScoped) out.domain_id = e.domainId;
  if (domainScoped) out.domain_scope_id = e.domainId;
  if (e.projectId !== null) out.project_id = e.projectId;
  if (e.auditId !== null) out.audit_id = e.auditId;
  if (e.auditChainId !== null) out.audit_chain_id = e.auditChainId;
  if (e.trustId !== null) out['OS-TRUST:trust_id'] = e.trustId;
  if (e.consumerId !== null) out['OS-OAUTH1:consumer_id'] = e.consumerId;
  if (e.accessTokenId !== null) out['OS-OAUTH1:access_token_id'] = e.accessTokenId;
  if (e.expiresAt !== null) out.expires_at = isoSecondsZ(e.expiresAt);
  out.issued_before = isoMicrosZ(new Date(e.issuedBefore * 1000));
  out.revoked_at = isoMicrosZ(new Date(e.revokedAt * 1000));
  return out;
}
