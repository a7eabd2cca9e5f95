/**
 * What the identity and resource managers need of token revocation (Keystone's
 * revoke_api callbacks and token_provider_api._drop_token_cache), so that a
 * change here makes affected tokens stop validating on every node.
 *
 * src/revoke/'s RevokeManager implements it; the managers take it in their
 * constructor (src/wiring/build-providers.ts builds revoke_api first).
 */
export interface RevocationPort {
  /** a user was disabled, deleted, had a password set or changed, or left a group: revoke their tokens */
  revokeUser(userId: string): Promise<void>;
  /** a project was deleted: revoke tokens scoped to it */
  revokeProject(projectId: string): Promise<void>;
  /** a domain, a project or a user changed in a way token validation re-checks: drop cached validations */
  dropTokenCache(): Promise<void>;
}
