export const NULL_DOMAIN_ID = '<<null>>';

export interface Role {
  id: string;
  name: string;
  /** null for global roles */
  domainId: string | null;
  description: string | null;
  /** resource options by name ({ immutable: true }), from role_option */
  options: Record<string, unknown>;
  /** the free-form attributes a client stored with the role */
  extra: Record<string, unknown>;
}

export interface RoleRow {
  id: string;
  name: string;
  extra: string;
  domain_id: string;
  description: string | null;
}

/** A role row with its resource options (role_option), as cached. */
export interface StoredRole {
  row: RoleRow;
  /** option_id → JSON text, as Keystone's JsonBlob stores it */
  options: Record<string, string | null>;
}

export type AssignmentType = 'UserProject' | 'GroupProject' | 'UserDomain' | 'GroupDomain';
export type SystemAssignmentType = 'UserSystem' | 'GroupSystem';

export interface AssignmentRow {
  type: AssignmentType | SystemAssignmentType;
  actor_id: string;
  target_id: string;
  role_id: string;
  inherited: boolean;
}

/** The system scope's only target, as Keystone stores it. */
export const SYSTEM_TARGET_ID = 'system';

/**
 * One role assignment as Keystone's assignment manager lists it: one actor
 * (user or group), one target (project, domain or the system), the role,
 * and — in effective mode — where an expanded assignment came from.
 */
export interface AssignmentRef {
  user_id?: string;
  group_id?: string;
  project_id?: string;
  domain_id?: string;
  system?: { all: true };
  role_id: string;
  /** an OS-INHERIT assignment, applying to the projects below its target */
  inherited_to_projects?: 'projects';
  /** effective mode: the group, the inheriting project/domain or the prior role it came from */
  indirect?: { group_id?: string; project_id?: string; domain_id?: string; role_id?: string };
}

/** An assignment with the names include_names adds (Keystone's _get_names_from_role_assignments). */
export interface NamedAssignmentRef extends AssignmentRef {
  user_name?: string;
  user_domain_id?: string;
  user_domain_name?: string;
  group_name?: string;
  group_domain_id?: string;
  group_domain_name?: string;
  project_name?: string;
  project_domain_id?: string;
  project_domain_name?: string;
  domain_name?: string;
  role_name?: string;
  role_domain_id?: string;
  role_domain_name?: string;
}

/** The filters of GET /v3/role_assignments, as the manager takes them. */
export interface AssignmentListFilter {
  roleId?: string;
  userId?: string;
  groupId?: string;
  /** scope.system=all */
  system?: boolean;
  domainId?: string;
  projectId?: string;
  includeSubtree?: boolean;
  /** true: only OS-INHERIT assignments, false: only direct ones, undefined: both */
  inherited?: boolean;
  effective?: boolean;
  /** internal: only what these groups bring, not expanded to their members */
  sourceFromGroupIds?: string[];
  /** effective mode drops domain-specific roles (they only imply others); default true */
  stripDomainRoles?: boolean;
}

/** Who holds a grant, and where. */
export interface GrantActor {
  userId?: string;
  groupId?: string;
}
export interface GrantTarget {
  projectId?: string;
  domainId?: string;
  system?: boolean;
}
