/**
 * The scope a token is asked for (Keystone's AuthInfo): one of project,
 * domain, system, a trust, or "unscoped". A v3 request's scope is looked up
 * once, before its methods run (authentication/resolve-requested-scope.ts);
 * the grant path adds the default project when none was asked and checks a
 * project nobody checked yet (grant/resolve-scope.ts). What a look-up found
 * travels with the scope (ResolvedScope), so no later step finds it again.
 */
import type { ResourceManager } from '../resource/resource-manager.js';
import type { Project } from '../resource/resource-types.js';
import type { TrustForToken } from '../token/token-manager.js';

/** A scope by ids: what EC2/S3, OS-KSCRUD and an application credential name. */
export interface RequestedScope {
  projectId?: string;
  domainId?: string;
  system?: 'all';
  trustId?: string;
  /** explicitly unscoped: never the default project */
  unscoped?: boolean;
}

/** A requested scope with what its look-up found. */
export interface ResolvedScope extends RequestedScope {
  /** the project of projectId, set only once it was found usable (projectUsable) */
  project?: Project;
  /** the trust of trustId, set only once it was found neither deleted nor expired */
  trust?: TrustForToken;
}

/** A trust a token may be issued under now: found, not deleted, not expired. */
export function trustUsable(trust: TrustForToken | null): trust is TrustForToken {
  return trust !== null && !trust.deleted && (trust.expiresAt === null || trust.expiresAt > Date.now());
}

/**
 * True when the project, every parent and its domain are enabled; the chain
 * is walked with the resource manager's memoized look-ups (no SQL when the
 * cache is on).
 */
export interface ProjectChainDeps {
  resource_api: Pick<ResourceManager, 'findDomain' | 'findProjectRef'>;
}

export async function projectUsable(
  deps: ProjectChainDeps,
  project: { id: string; enabled: boolean; domainId: string; parentId: string | null },
): Promise<boolean> {
  if (!project.enabled) return false;
  const domain = await deps.resource_api.findDomain(project.domainId);
  if (!domain || !domain.enabled) return false;
  let parentId = project.parentId;
  for (let depth = 0; parentId && parentId !== project.domainId && depth < 100; depth++) {
    const parent = await deps.resource_api.findProjectRef(parentId);
    if (!parent) return false;
    if (!parent.enabled) return false;
    if (parent.isDomain) break;
    parentId = parent.parentId;
  }
  return true;
}
