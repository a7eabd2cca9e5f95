/**
 * Who is calling: the identity behind a request's X-Auth-Token (or the
 * legacy admin_token), as the handlers and the policy engine see it.
 * Built by the token validation path (src/auth, src/token); handlers get it
 * through authorize() in src/api/authorize.ts.
 */
import { LOWERCASE_ROLES, lowercaseRoleSet } from '../rbac/checks.js';

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
  /** the OAuth1 access token the token was issued through */
  accessTokenId?: string;
  /** a federated token's mapped groups (Keystone's request context group_ids) */
  groupIds?: string[];
  auditIds: string[];
  methods: string[];
  /** the validated token id */
  tokenId?: string;
}

const credentialsOf = new WeakMap<Caller, Readonly<Record<string, unknown>>>();

/**
 * oslo.policy's credentials for a caller, as Keystone's request context
 * gives them (oslo.context's to_policy_values plus Keystone's `token` and
 * `domain_id`, and oslo.policy's `system` copy of system_scope): user_id,
 * user_domain_id, project_id, project_domain_id, domain_id, system_scope,
 * roles (names), is_admin_project, the service_* values of a service token
 * (none here), and `token`, the token as its JSON body shows it (ids, not
 * names: `token.project.domain.id`, `token.domain.id`, `token.user.id`,
 * `token.roles`, `token.methods`, OS-TRUST:trust, application_credential).
 * Built once per Caller object (the token memo keeps one per token).
 */
export function policyCredentials(caller: Caller): Readonly<Record<string, unknown>> {
  let creds = credentialsOf.get(caller);
  if (!creds) {
    const built = buildPolicyCredentials(caller);
    Object.defineProperty(built, LOWERCASE_ROLES, { value: lowercaseRoleSet(built.roles as string[]) });
    creds = Object.freeze(built);
    credentialsOf.set(caller, creds);
  }
  return creds;
}

function buildPolicyCredentials(caller: Caller): Record<string, unknown> {
  const token: Record<string, unknown> = {
    methods: caller.methods,
    audit_ids: caller.auditIds,
    user: { id: caller.userId ?? null, domain: { id: caller.userDomainId ?? null } },
    roles: caller.roles.map((r) => ({ id: r.id, name: r.name })),
  };
  if (caller.projectId) token.project = { id: caller.projectId, domain: { id: caller.projectDomainId ?? null } };
  if (caller.domainId) token.domain = { id: caller.domainId };
  if (caller.systemScope) token.system = { all: true };
  if (caller.trustId) {
    token['OS-TRUST:trust'] = {
      id: caller.trustId,
      trustor_user: { id: caller.trustorUserId ?? null },
      trustee_user: { id: caller.trusteeUserId ?? null },
    };
  }
  if (caller.applicationCredentialId) token.application_credential = { id: caller.applicationCredentialId };
  const creds: Record<string, unknown> = {
    user_id: caller.userId ?? null,
    user_domain_id: caller.userDomainId ?? null,
    system_scope: caller.systemScope ?? null,
    domain_id: caller.domainId ?? null,
    project_id: caller.projectId ?? null,
    project_domain_id: caller.projectDomainId ?? null,
    roles: caller.roles.map((r) => r.name),
    is_admin_project: caller.isAdminProject,
    service_user_id: null,
    service_user_domain_id: null,
    service_project_id: null,
    service_project_domain_id: null,
    service_roles: [],
    token,
  };
  if (caller.systemScope) creds.system = caller.systemScope;
  return creds;
}
