/**
 * What the revoke manager asks of its storage (Keystone's revoke driver
 * interface, revoke/backends/base.py): revocation events, stored, listed,
 * matched to one token and pruned. The SQL backend is revoke-repository.ts.
 */
import type { RevokeEvent } from './revoke-model.js';

/** What of a token its candidate events are looked up by (Keystone's _list_token_events). */
export interface TokenEventQuery {
  /** seconds */
  issuedAt: number;
  userIds: string[];
  projectId: string | null;
  auditId: string | null;
}

export interface RevokeBackend {
  /** Stores the event; returns its id. */
  insert(event: RevokeEvent): Promise<number>;
  /** Every event, oldest first; with `sinceSeconds`, those revoked after it (Keystone's list_events(last_fetch)). */
  list(sinceSeconds?: number): Promise<RevokeEvent[]>;
  /**
   * The events that may match one token: issued at or after the token,
   * naming its user (or none), its project (or none), its audit id (or none).
   */
  listForToken(token: TokenEventQuery): Promise<RevokeEvent[]>;
  /** Deletes events revoked before the cutoff (seconds); returns how many. */
  pruneBefore(cutoffSeconds: number): Promise<number>;
}
