/** A trust (OS-TRUST): the trustor delegates roles on a project to the trustee. */
export interface Trust {
  id: string;
  trustorUserId: string;
  trusteeUserId: string;
  projectId: string | null;
  impersonation: boolean;
  /** with microseconds, as stored */
  expiresAt: Date | null;
  remainingUses: number | null;
  redelegatedTrustId: string | null;
  redelegationCount: number | null;
  deletedAt: Date | null;
  /** the free-form attributes of the create request */
  extra: Record<string, unknown>;
  roleIds: string[];
}

/** What POST /v3/OS-TRUST/trusts asks for, once the roles are resolved to ids. */
export type TrustInput = Omit<Trust, 'id' | 'redelegatedTrustId' | 'deletedAt'> & { allowRedelegation: boolean };
