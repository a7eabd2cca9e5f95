/**
 * What happened to projects and domains, for the subsystems that keep data
 * about them (Keystone's notification callbacks): the identity manager
 * deletes a domain's users and groups and clears default_project_id; the
 * assignment, credential, trust and limit managers drop what refers to a
 * deleted project or domain.
 */
export type ResourceEvent =
  /** after the project row is gone */
  | { type: 'project.deleted'; projectId: string; domainId: string | null }
  /** a project (not a domain) was disabled */
  | { type: 'project.disabled'; projectId: string }
  /** before the domain row is deleted (its projects are gone already): delete what lives in it */
  | { type: 'domain.deleting'; domainId: string }
  /** after the domain row is gone */
  | { type: 'domain.deleted'; domainId: string }
  | { type: 'domain.disabled'; domainId: string };

export type ResourceListener = (event: ResourceEvent) => Promise<void> | void;

export class ResourceEvents {
  private readonly listeners: ResourceListener[] = [];

  on(listener: ResourceListener): void {
    this.listeners.push(listener);
  }

  async emit(event: ResourceEvent): Promise<void> {
    for (const listener of this.listeners) await listener(event);
  }
}
