/**
 * Who is calling: the identity behind a request's X-Auth-Token (or the
 * legacy admin_token), as the handlers and the policy engine see it.
 * Built by the token validation path (src/auth, src/token); handlers get it
 * through authorize() in src/api/authorize.ts.
 */
export interface CallerRole {
  id: string;
  name: string;
}

export interface Caller {
  /** absent only for the admin_token shared secret */
  userId?: string;
  userDomainId?: string;
  projectId?: string;
  projectDomainId?: string;
  domainId?: string;
  /** 'all' for system-scoped tokens */
  systemScope?: 'all';
  roles: CallerRole[];
  /** the [DEFAULT] admin_token shared secret was presented */
  isAdminToken: boolean;
  /** the project is [resource] admin_project_name in admin_project_domain_name */
  isAdminProject: boolean;
  trustId?: string;
  trustorUserId?: string;
  trusteeUserId?: string;
  applicationCredentialId?: string;
  auditIds: string[];
  methods: string[];
  /** the validated token id */
  tokenId?: string;
}

/** oslo.policy's credentials dict for a caller, as Keystone builds it. */
export function policyCredentials(caller: Caller): Record<string, unknown> {
  return {
    user_id: caller.userId ?? null,
    user_domain_id: caller.userDomainId ?? null,
    project_id: caller.projectId ?? null,
    project_domain_id: caller.projectDomainId ?? null,
    domain_id: caller.domainId ?? null,
    system_scope: caller.systemScope ?? null,
    roles: caller.roles.map((r) => r.name),
    is_admin: caller.isAdminToken,
    is_admin_project: caller.isAdminProject,
    trust_id: caller.trustId ?? null,
    trustor_id: caller.trustorUserId ?? null,
    trustee_id: caller.trusteeUserId ?? null,
    application_credential_id: caller.applicationCredentialId ?? null,
    token: { audit_ids: caller.auditIds, methods: caller.methods },
  };
}
