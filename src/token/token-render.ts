/**
 * The token body as Keystone 22 renders it (keystone/common/render_token.py):
 * methods, user (domain, id, name, password_expires_at), audit_ids,
 * expires_at, issued_at, then the scope (system / domain / OS-TRUST:trust +
 * project / project with is_domain), roles, is_admin_project when an admin
 * project is configured, the catalog unless ?nocatalog (never for an
 * unscoped token), OS-OAUTH1 (the access token and its consumer),
 * application_credential, the enabled OS-FEDERATION service providers (any
 * token, when there is one) and a federated user's OS-FEDERATION section
 * (groups, identity_provider, protocol; no password_expires_at); a token bound
 * to an OAuth 2.0 client certificate names its thumbprint (oauth2_credential,
 * Keystone 2023.1). Keys in
 * alphabetical order, as the captured samples show them.
 */
import type { CatalogEntry } from '../catalog/catalog-types.js';
import { auditIdsOf, type ValidatedToken } from './token-model.js';

/** An enabled service provider as the token lists it (Keystone's get_enabled_service_providers). */
export interface TokenServiceProvider {
  auth_url: string;
  id: string;
  sp_url: string;
}

function sorted(o: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(o).sort()) out[k] = o[k];
  return out;
}

export function renderTokenBody(
  t: ValidatedToken,
  catalog?: CatalogEntry[],
  serviceProviders?: readonly TokenServiceProvider[],
): { token: Record<string, unknown> } {
  let user: Record<string, unknown> = {
    domain: { id: t.user.domain.id, name: t.user.domain.name },
    id: t.user.id,
    name: t.user.name,
    password_expires_at: t.user.passwordExpiresAt,
  };
  const token: Record<string, unknown> = {
    audit_ids: auditIdsOf(t),
    expires_at: t.expiresAt,
    issued_at: t.issuedAt,
    methods: [...t.methods],
  };
  if (t.systemScope) {
    token.roles = t.roles;
    token.system = { all: true };
  } else if (t.domain) {
    token.domain = { id: t.domain.id, name: t.domain.name };
    token.roles = t.roles;
  } else if (t.trust && t.project) {
    token['OS-TRUST:trust'] = {
      id: t.trust.id,
      impersonation: t.trust.impersonation,
      trustee_user: { id: t.trust.trusteeUserId },
      trustor_user: { id: t.trust.trustorUserId },
    };
    token.project = { domain: t.project.domain, id: t.project.id, name: t.project.name };
    if (t.trust.impersonation && t.trust.trustor) {
      const tr = t.trust.trustor;
      user = { domain: tr.domain, id: tr.id, name: tr.name, password_expires_at: tr.passwordExpiresAt };
    }
    token.roles = t.roles;
  } else if (t.project) {
    token.project = { domain: { id: t.project.domain.id, name: t.project.domain.name }, id: t.project.id, name: t.project.name };
    token.is_domain = t.project.isDomain;
    token.roles = t.roles;
    if (t.isAdminProject !== undefined) token.is_admin_project = t.isAdminProject;
  }
  if (catalog) token.catalog = catalog;
  if (t.accessTokenId) token['OS-OAUTH1'] = { access_token_id: t.accessTokenId, consumer_id: t.oauthConsumerId };
  if (t.appCred) {
    const ac: Record<string, unknown> = { id: t.appCred.id, name: t.appCred.name, restricted: t.appCred.restricted };
    if (t.appCred.accessRules?.length) ac.access_rules = t.appCred.accessRules;
    token.application_credential = ac;
  }
  if (t.oauth2Thumbprint) token.oauth2_credential = { 'x5t#S256': t.oauth2Thumbprint };
  if (serviceProviders?.length) token.service_providers = serviceProviders;
  if (t.federatedGroupIds !== undefined || t.identityProviderId !== undefined) {
    // Keystone's federated user: OS-FEDERATION (groups as ids, the IdP, the protocol), no password_expires_at
    const { password_expires_at: _none, ...rest } = user;
    user = {
      'OS-FEDERATION': {
        groups: (t.federatedGroupIds ?? []).map((id) => ({ id })),
        identity_provider: { id: t.identityProviderId ?? null },
        protocol: { id: t.protocolId ?? null },
      },
      ...rest,
    };
  }
  token.user = user;
  return { token: sorted(token) };
}
