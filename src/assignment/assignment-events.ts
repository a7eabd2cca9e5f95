/**
 * What happened to roles and grants, for the subsystems that keep data
 * depending on them (Keystone's notifications): the application credential
 * manager deletes a user's application credentials on a project when a role
 * they held there is deleted (Keystone's REMOVE_APP_CREDS_FOR_USER), and
 * anything caching role-derived data can drop it.
 */
export type AssignmentEvent =
  /** before the role row goes: the (user, project) pairs that held it directly */
  | { type: 'role.deleting'; roleId: string; userProjects: { userId: string; projectId: string }[] }
  | { type: 'role.deleted'; roleId: string }
  | {
      type: 'grant.deleted';
      roleId: string;
      userId?: string;
      groupId?: string;
      projectId?: string;
      domainId?: string;
      system?: boolean;
      inherited: boolean;
    };

export type AssignmentListener = (event: AssignmentEvent) => Promise<void> | void;

export class AssignmentEvents {
  private readonly listeners: AssignmentListener[] = [];

  on(listener: AssignmentListener): void {
    this.listeners.push(listener);
  }

  async emit(event: AssignmentEvent): Promise<void> {
    for (const listener of this.listeners) await listener(event);
  }
}
