/** Projects and domains as stored: a domain is a project row with is_domain. */
export const ROOT_DOMAIN_ID = '<<keystone.domain.root>>';

export interface ProjectRow {
  id: string;
  name: string;
  extra: string;
  description: string | null;
  enabled: boolean | null;
  domain_id: string;
  parent_id: string | null;
  is_domain: boolean;
}

export interface Project {
  id: string;
  name: string;
  description: string;
  enabled: boolean;
  domainId: string;
  parentId: string | null;
  isDomain: boolean;
  tags: string[];
  extra: Record<string, unknown>;
}

export interface Domain {
  id: string;
  name: string;
  description: string;
  enabled: boolean;
  tags: string[];
  extra: Record<string, unknown>;
}

export function parseExtra(text: string | null | undefined): Record<string, unknown> {
  if (!text) return {};
  try {
    const v: unknown = JSON.parse(text);
    return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

export function projectFromRow(row: ProjectRow, tags: string[] = []): Project {
  return {
    id: row.id,
    name: row.name,
    description: row.description ?? '',
    enabled: row.enabled !== false,
    domainId: row.domain_id,
    parentId: row.parent_id,
    isDomain: row.is_domain,
    tags,
    extra: parseExtra(row.extra),
  };
}

export function domainFromRow(row: ProjectRow, tags: string[] = []): Domain {
  return {
    id: row.id,
    name: row.name,
    description: row.description ?? '',
    enabled: row.enabled !== false,
    tags,
    extra: parseExtra(row.extra),
  };
}

/**
 * A project or domain row as the v3 API sees it (Keystone's project ref):
 * domains included (is_domain, domain_id null), description as stored, the
 * resource options, and the free-form attributes kept in `extra`.
 */
export interface ProjectRef {
  id: string;
  name: string;
  /** null for a project acting as a domain */
  domainId: string | null;
  description: string | null;
  enabled: boolean;
  parentId: string | null;
  isDomain: boolean;
  tags: string[];
  options: Record<string, unknown>;
  extra: Record<string, unknown>;
}

export function projectRefFromRow(row: ProjectRow, tags: string[] = [], options: Record<string, unknown> = {}): ProjectRef {
  return {
    id: row.id,
    name: row.name,
    domainId: row.domain_id === ROOT_DOMAIN_ID ? null : row.domain_id,
    description: row.description,
    enabled: row.enabled !== false,
    parentId: row.parent_id,
    isDomain: row.is_domain,
    tags,
    options,
    extra: parseExtra(row.extra),
  };
}
