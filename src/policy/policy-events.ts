/**
 * What happened to the /v3/policies blobs, for the subsystems that refer to
 * them: the endpoint policy manager drops the associations of a deleted policy.
 */
export type PolicyEvent = { type: 'policy.deleted'; policyId: string };

export type PolicyListener = (event: PolicyEvent) => Promise<void> | void;

export class PolicyEvents {
  private readonly listeners: PolicyListener[] = [];

  on(listener: PolicyListener): void {
    this.listeners.push(listener);
  }

  async emit(event: PolicyEvent): Promise<void> {
    for (const listener of this.listeners) await listener(event);
  }
}
