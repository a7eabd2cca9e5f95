/**
 * The scope a token is asked for (Keystone's AuthInfo): one of project (id,
 * or name with its domain), domain (id or name), system, a trust, or
 * "unscoped", each looked up and required to be usable: a missing or
 * disabled project, domain or parent is a 401. Two scopes at once is a 400.
 * Application credentials carry their own project and may not ask for any.
 * With no scope at all, the user's default project is used when the user
 * has a role on it (checked after authentication: applyDefaultScope).
 */
import { Unauthorized } from '../common/errors.js';
import type { ProviderApi } from '../common/provider-api.js';
import { ApplicationCredentialAuthError, ConflictingScopes, ExpectingToFind } from './auth-errors.js';
import { lookupDomain } from './user-lookup.js';
import { lookupApplicationCredential } from './methods/application-credential.js';

export interface RequestedScope {
  projectId?: string;
  domainId?: string;
  system?: 'all';
  trustId?: string;
  /** explicitly unscoped: never the default project */
  unscoped?: boolean;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

const URL_RESERVED = /[:/?#[\]@!$&'()*+,;=]/;

const PAIR_MESSAGES: [string, string, string][] = [
  ['domain', 'project', 'Scoping to both domain and project is not allowed'],
  ['domain', 'OS-TRUST:trust', 'Scoping to both domain and trust is not allowed'],
  ['project', 'OS-TRUST:trust', 'Scoping to both project and trust is not allowed'],
  ['system', 'project', 'Scoping to both project and system is not allowed'],
  ['system', 'domain', 'Scoping to both domain and system is not allowed'],
];

async function lookupScopeDomain(providers: ProviderApi, ref: unknown): Promise<string> {
  if (isObject(ref) && typeof ref.name === 'string' && providers.conf.resource.domain_name_url_safe === 'strict' && URL_RESERVED.test(ref.name)) {
    throw new Unauthorized();
  }
  return (await lookupDomain(providers, ref)).id;
}

/**
 * True when the project, every parent and its domain are enabled; the chain
 * is walked with the resource manager's memoized look-ups (no SQL when the
 * cache is on).
 */
export async function projectUsable(providers: ProviderApi, project: { id: string; enabled: boolean; domainId: string; parentId: string | null }): Promise<boolean> {
  if (!project.enabled) return false;
  const domain = await providers.resource_api.findDomain(project.domainId);
  if (!domain || !domain.enabled) return false;
  let parentId = project.parentId;
  for (let depth = 0; parentId && parentId !== project.domainId && depth < 100; depth++) {
    const parent = await providers.resource_api.findProjectRef(parentId);
    if (!parent) return false;
    if (!parent.enabled) return false;
    if (parent.isDomain) break;
    parentId = parent.parentId;
  }
  return true;
}

/** A project usable for a token: it, its parents and its domain enabled; else 401. */
async function lookupProject(providers: ProviderApi, ref: Record<string, unknown>): Promise<string> {
  const { resource_api: resource } = providers;
  let projectId: string | undefined;
  if (typeof ref.name === 'string' && ref.name) {
    if (providers.conf.resource.project_name_url_safe === 'strict' && URL_RESERVED.test(ref.name)) throw new Unauthorized();
    if (!('domain' in ref)) throw new ExpectingToFind('domain', 'project');
    const domainId = await lookupScopeDomain(providers, ref.domain);
    projectId = (await resource.findProjectByName(ref.name, domainId))?.id;
  } else if (typeof ref.id === 'string') {
    projectId = ref.id;
  }
  const project = projectId ? await resource.findProject(projectId) : null;
  if (!project) throw new Unauthorized();
  if (!(await projectUsable(providers, project))) throw new Unauthorized();
  return project.id;
}

/** Keystone's _validate_and_normalize_scope_data. */
export async function resolveRequestedScope(providers: ProviderApi, auth: { identity: Record<string, unknown>; scope?: unknown }): Promise<RequestedScope> {
  const methods = Array.isArray(auth.identity.methods) ? (auth.identity.methods as string[]) : [];
  if (methods.includes('application_credential')) {
    if (auth.scope !== undefined) throw new ApplicationCredentialAuthError('Application credentials cannot request a scope.');
    const { cred } = await lookupApplicationCredential(providers, auth.identity.application_credential);
    return cred.projectId ? { projectId: cred.projectId } : cred.system ? { system: 'all' } : {};
  }
  if (auth.scope === undefined) return {};
  const scope = auth.scope;
  const names = ['project', 'domain', 'unscoped', 'system', 'OS-TRUST:trust'];
  // A string scope ("unscoped") is tested by substring, as Keystone's `in` does.
  const has = (n: string) => (typeof scope === 'string' ? scope.includes(n) : isObject(scope) && n in scope);
  const present = names.filter(has);
  if (present.length !== 1) {
    for (const [a, b, message] of PAIR_MESSAGES) if (present.length === 2 && present.includes(a) && present.includes(b)) throw new ConflictingScopes(message);
    throw new ExpectingToFind('system, project, domain, OS-TRUST:trust or unscoped', 'scope');
  }
  const kind = present[0];
  if (kind === 'system') return { system: 'all' };
  if (kind === 'unscoped') return { unscoped: true };
  const s = scope as Record<string, unknown>;
  if (kind === 'project') return { projectId: await lookupProject(providers, isObject(s.project) ? s.project : {}) };
  if (kind === 'domain') return { domainId: await lookupScopeDomain(providers, s.domain) };
  const trust = isObject(s['OS-TRUST:trust']) ? s['OS-TRUST:trust'] : {};
  if (typeof trust.id !== 'string' || !trust.id) throw new ExpectingToFind('trust_id', 'trust');
  const found = await providers.trust_api.findTrust(trust.id);
  if (!found || found.deleted || (found.expiresAt !== null && found.expiresAt <= Date.now())) throw new Unauthorized();
  if (found.projectId) return { trustId: found.id, projectId: await lookupProject(providers, { id: found.projectId }) };
  return { trustId: found.id };
}

/** Keystone's _check_and_set_default_scoping: the default project, when usable and the user has a role on it. */
export async function applyDefaultScope(providers: ProviderApi, userId: string, scope: RequestedScope): Promise<RequestedScope> {
  if (scope.projectId || scope.domainId || scope.system || scope.trustId || scope.unscoped) return scope;
  const user = await providers.identity_api.findUser(userId);
  if (!user) throw new Unauthorized();
  const projectId = user.defaultProjectId;
  if (!projectId) return scope;
  const project = await providers.resource_api.findProject(projectId);
  if (!project || !project.enabled) return scope;
  const domain = await providers.resource_api.findDomain(project.domainId);
  if (!domain || !domain.enabled) return scope;
  const roles = await providers.assignment_api.rolesForUserOnProject(userId, projectId);
  return roles.length ? { projectId } : scope;
}
