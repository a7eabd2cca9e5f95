/**
 * What happened to users and groups, for the subsystems that keep data about
 * them (Keystone's notification callbacks): the assignment manager drops a
 * deleted user's or group's grants and its computed roles (and revokes the
 * tokens of a deleted group's members when it held any), the credential
 * and trust managers drop a deleted user's credentials and trusts.
 */
export type IdentityEvent =
  | { type: 'user.deleted'; userId: string; domainId: string }
  | { type: 'user.disabled'; userId: string }
  /** a password was set by an administrator or changed by its owner */
  | { type: 'user.password_changed'; userId: string; selfService: boolean }
  | { type: 'group.deleted'; groupId: string; domainId: string; memberIds: string[] }
  | { type: 'user.added_to_group'; userId: string; groupId: string }
  | { type: 'user.removed_from_group'; userId: string; groupId: string };

export type IdentityListener = (event: IdentityEvent) => Promise<void> | void;

export class IdentityEvents {
  private readonly listeners: IdentityListener[] = [];

  on(listener: IdentityListener): void {
    this.listeners.push(listener);
  }

  async emit(event: IdentityEvent): Promise<void> {
    for (const listener of this.listeners) await listener(event);
  }
}
