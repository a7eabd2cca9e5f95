/**
 * Token revocation (Keystone's revoke_api): revocation events stored in SQL,
 * honoured by every token provider, listed at GET /v3/OS-REVOKE/events and
 * pruned once no token they could match can still be validated.
 *
 * What the other managers call (revoke_api):
 *
 *   revokeByUser(userId)            a user was disabled or deleted, had a password set or changed,
 *                                   or left a group holding roles: every token of the user ends
 *   revokeByProject(projectId)      a project was deleted: every token scoped to it ends
 *   revokeByAuditId(auditId)        one token (DELETE /v3/auth/tokens)
 *   revokeByAuditChainId(id, {projectId?, domainId?})  a token and every token rescoped from it
 *   revokeByTrust(trustId)          a trust was deleted: the tokens issued through it end
 *   revokeByConsumer(consumerId)    an OAuth1 consumer was deleted
 *   revokeByAccessToken(accessTokenId)  an OAuth1 access token was deleted
 *   revokeByUserAndProject(userId, projectId)  narrower variant for role removal, if wanted
 *   dropTokenCache()                something token validation re-checks changed (a project or
 *                                   domain disabled, a role assignment removed, …): cached
 *                                   validations are dropped and recomputed from SQL
 *   revoke(event)                   any other event (Keystone's RevokeEvent attributes)
 *
 * Every call returns once the event is committed and every worker of every
 * keystone-all sharing the database and cache will refuse the tokens: the
 * revoke cache region (and with it the stamp every cached validation is
 * tagged with) is invalidated through the shared cache before returning.
 *
 * This class also implements src/resource/revocation-port.ts, which the
 * identity, resource and role managers take in their constructors.
 */
import type { Cache } from '../cache/cache.js';
import type { KeystoneConfig } from '../config/options.js';
import { log } from '../log/logger.js';
import { newRevokeEvent, eventMatches, type RevokeEvent, type RevokeEventInput, type TokenValues } from './revoke-model.js';
import type { RevokeBackend } from './revoke-backend.js';
import type { RevocationPort } from '../resource/revocation-port.js';

export const REVOKE_CACHE_REGION = 'revoke';
/** cached token validations (Keystone's TOKENS_REGION) */
export const TOKEN_CACHE_REGION = 'token';

export type RevocationListener = (event: RevokeEvent) => Promise<void> | void;

/** The events indexed by the attributes the SQL filter of Keystone selects on. */
class EventIndex {
  readonly byUser = new Map<string, RevokeEvent[]>();
  readonly byProject = new Map<string, RevokeEvent[]>();
  readonly byAudit = new Map<string, RevokeEvent[]>();
  readonly rest: RevokeEvent[] = [];

  constructor(events: readonly RevokeEvent[]) {
    const push = (m: Map<string, RevokeEvent[]>, k: string, e: RevokeEvent) => {
      const list = m.get(k);
      if (list) list.push(e);
      else m.set(k, [e]);
    };
    for (const e of events) {
      if (e.auditId !== null) push(this.byAudit, e.auditId, e);
      else if (e.userId !== null) push(this.byUser, e.userId, e);
      else if (e.projectId !== null) push(this.byProject, e.projectId, e);
      else this.rest.push(e);
    }
  }

  matches(t: TokenValues): boolean {
    const check = (list: readonly RevokeEvent[] | undefined) => {
      if (list) for (const e of list) if (eventMatches(e, t)) return true;
      return false;
    };
    if (t.auditId !== null && check(this.byAudit.get(t.auditId))) return true;
    for (const u of [t.userId, t.trustorId, t.trusteeId]) if (u !== null && check(this.byUser.get(u))) return true;
    if (t.projectId !== null && check(this.byProject.get(t.projectId))) return true;
    return check(this.rest);
  }
}

export class RevokeManager implements RevocationPort {
  private snapshot: { version: string; index: EventIndex } | null = null;
  private loading: { version: string; promise: Promise<EventIndex> } | null = null;
  private readonly listeners: RevocationListener[] = [];
  private lastPrune = 0;

  constructor(
    private readonly backend: RevokeBackend,
    private readonly cache: Cache,
    private readonly conf: KeystoneConfig,
  ) {}

  /** Called after each event is stored (the UUID provider flips `valid` of the matching rows). */
  onRevoke(listener: RevocationListener): void {
    this.listeners.push(listener);
  }

  // ---- recording ------------------------------------------------------------------

  async revoke(input: RevokeEventInput): Promise<RevokeEvent> {
    const event = newRevokeEvent(input);
    event.id = await this.backend.insert(event);
    for (const l of this.listeners) await l(event);
    await this.invalidate();
    await this.pruneIfDue();
    return event;
  }

  revokeByUser(userId: string): Promise<RevokeEvent> {
    return this.revoke({ userId });
  }

  revokeByProject(projectId: string): Promise<RevokeEvent> {
    return this.revoke({ projectId });
  }

  revokeByUserAndProject(userId: string, projectId: string): Promise<RevokeEvent> {
    return this.revoke({ userId, projectId });
  }

  revokeByAuditId(auditId: string): Promise<RevokeEvent> {
    return this.revoke({ auditId });
  }

  revokeByAuditChainId(auditChainId: string, scope: { projectId?: string | null; domainId?: string | null } = {}): Promise<RevokeEvent> {
    if (scope.projectId && scope.domainId) throw new Error('The revoke call must not have both domain_id and project_id.');
    return this.revoke({ auditChainId, projectId: scope.projectId ?? null, domainId: scope.domainId ?? null });
  }

  revokeByTrust(trustId: string): Promise<RevokeEvent> {
    return this.revoke({ trustId });
  }

  revokeByConsumer(consumerId: string): Promise<RevokeEvent> {
    return this.revoke({ consumerId });
  }

  revokeByAccessToken(accessTokenId: string): Promise<RevokeEvent> {
    return this.revoke({ accessTokenId });
  }

  // RevocationPort (identity and resource managers)
  async revokeUser(userId: string): Promise<void> {
    await this.revokeByUser(userId);
  }

  async revokeProject(projectId: string): Promise<void> {
    await this.revokeByProject(projectId);
  }

  /** Drops every cached token validation, on every worker and node (Keystone's _drop_token_cache). */
  async dropTokenCache(): Promise<void> {
    await this.cache.invalidate(TOKEN_CACHE_REGION);
  }

  private async invalidate(): Promise<void> {
    this.snapshot = null;
    await this.cache.invalidate(REVOKE_CACHE_REGION, TOKEN_CACHE_REGION);
  }

  // ---- pruning ----------------------------------------------------------------------

  /**
   * Events older than the longest a token can still be validated (its
   * lifetime plus the larger of [revoke] expiration_buffer and [token]
   * allow_expired_window) can match nothing any more.
   */
  pruneCutoff(nowSeconds = Date.now() / 1000): number {
    const keep = this.conf.token.expiration + Math.max(this.conf.revoke.expiration_buffer, this.conf.token.allow_expired_window);
    return Math.floor(nowSeconds - keep);
  }

  async prune(nowSeconds = Date.now() / 1000): Promise<number> {
    const n = await this.backend.pruneBefore(this.pruneCutoff(nowSeconds));
    if (n > 0) await this.invalidate();
    return n;
  }

  private async pruneIfDue(): Promise<void> {
    const now = Date.now();
    if (now - this.lastPrune < 60_000) return;
    this.lastPrune = now;
    try {
      await this.prune();
    } catch (err) {
      log.warn(`revoke: pruning old revocation events failed: ${(err as Error).message}`);
    }
  }

  // ---- reading ------------------------------------------------------------------------

  /** GET /v3/OS-REVOKE/events: every event, or those revoked after `since` (seconds). */
  listEvents(sinceSeconds?: number): Promise<RevokeEvent[]> {
    return this.backend.list(sinceSeconds);
  }

  private async currentIndex(version: string): Promise<EventIndex> {
    if (this.snapshot?.version === version) return this.snapshot.index;
    if (this.loading?.version === version) return this.loading.promise;
    const promise = this.backend.list().then((events) => new EventIndex(events));
    this.loading = { version, promise };
    try {
      const index = await promise;
      this.snapshot = { version, index };
      return index;
    } finally {
      if (this.loading?.promise === promise) this.loading = null;
    }
  }

  /**
   * True when an event matches the token. With a `version` (the token
   * manager's memo version, which changes with every revocation), against
   * this process's copy of all events, reloaded whenever the version
   * changes; without one, from SQL each time, as Keystone does.
   */
  async isRevoked(token: TokenValues, version?: string | null): Promise<boolean> {
    if (version) return (await this.currentIndex(version)).matches(token);
    const userIds = [token.userId, token.trustorId, token.trusteeId].filter((u): u is string => u !== null);
    const events = await this.backend.listForToken({
      issuedAt: token.issuedAt,
      userIds,
      projectId: token.projectId,
      auditId: token.auditId,
    });
    return events.some((e) => eventMatches(e, token));
  }
}
