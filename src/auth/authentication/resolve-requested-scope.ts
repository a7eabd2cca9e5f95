/**
 * Authentication step 3, before any method runs (Keystone's AuthInfo,
 * _validate_and_normalize_scope_data): the scope asked for, looked up once.
 * One of project (id, or name with its domain), domain (id or name),
 * system, a trust, or "unscoped"; a missing or disabled project, domain or
 * parent, a deleted or expired trust is a 401; two scopes at once is a 400.
 * An application credential carries its own project and may ask for none.
 * What was found travels on (ResolvedScope): the grant path does not look
 * it up again.
 */
import { Unauthorized } from '../../common/errors.js';
import type { KeystoneConfig } from '../../config/options.js';
import type { ProviderApi } from '../../common/provider-api.js';
import { ApplicationCredentialAuthError, ConflictingScopes, ExpectingToFind } from '../auth-errors.js';
import type { AuthRequest } from '../auth-request.js';
import { lookupDomain } from '../user-lookup.js';
import { lookupApplicationCredential } from '../methods/application-credential.js';
import { projectUsable, trustUsable, type ResolvedScope } from '../scope.js';

/** [resource] domain_name_url_safe / project_name_url_safe = strict: a name with URL-reserved characters names nothing. */
export interface ScopeNameRules {
  strictDomainNames: boolean;
  strictProjectNames: boolean;
}

export function scopeNameRules(conf: KeystoneConfig): ScopeNameRules {
  return {
    strictDomainNames: conf.resource.domain_name_url_safe === 'strict',
    strictProjectNames: conf.resource.project_name_url_safe === 'strict',
  };
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

async function lookupScopeDomain(providers: ProviderApi, rules: ScopeNameRules, ref: unknown): Promise<string> {
  if (isObject(ref) && typeof ref.name === 'string' && rules.strictDomainNames && URL_RESERVED.test(ref.name)) throw new Unauthorized();
  return (await lookupDomain(providers, ref)).id;
}

/** A project usable for a token (it, its parents and its domain enabled); else 401. */
async function lookupProject(providers: ProviderApi, rules: ScopeNameRules, ref: Record<string, unknown>): Promise<ResolvedScope> {
  const { resource_api: resource } = providers;
  let projectId: string | undefined;
  if (typeof ref.name === 'string' && ref.name) {
    if (rules.strictProjectNames && URL_RESERVED.test(ref.name)) throw new Unauthorized();
    if (!('domain' in ref)) throw new ExpectingToFind('domain', 'project');
    const domainId = await lookupScopeDomain(providers, rules, ref.domain);
    projectId = (await resource.findProjectByName(ref.name, domainId))?.id;
  } else if (typeof ref.id === 'string') {
    projectId = ref.id;
  }
  const project = projectId ? await resource.findProject(projectId) : null;
  if (!project) throw new Unauthorized();
  if (!(await projectUsable(providers, project))) throw new Unauthorized();
  return { projectId: project.id, project };
}

export async function resolveRequestedScope(providers: ProviderApi, rules: ScopeNameRules, auth: AuthRequest): Promise<ResolvedScope> {
  if (auth.identity.methods.includes('application_credential')) {
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
    for (const [a, b, message] of PAIR_MESSAGES)
      if (present.length === 2 && present.includes(a) && present.includes(b)) throw new ConflictingScopes(message);
    throw new ExpectingToFind('system, project, domain, OS-TRUST:trust or unscoped', 'scope');
  }
  const kind = present[0];
  if (kind === 'system') return { system: 'all' };
  if (kind === 'unscoped') return { unscoped: true };
  const s = scope as Record<string, unknown>;
  if (kind === 'project') return lookupProject(providers, rules, isObject(s.project) ? s.project : {});
  if (kind === 'domain') return { domainId: await lookupScopeDomain(providers, rules, s.domain) };
  const trustRef = isObject(s['OS-TRUST:trust']) ? s['OS-TRUST:trust'] : {};
  if (typeof trustRef.id !== 'string' || !trustRef.id) throw new ExpectingToFind('trust_id', 'trust');
  const trust = await providers.trust_api.findTrust(trustRef.id);
  if (!trustUsable(trust)) throw new Unauthorized();
  if (trust.projectId) return { ...(await lookupProject(providers, rules, { id: trust.projectId })), trustId: trust.id, trust };
  return { trustId: trust.id, trust };
}
