/**
 * Keystone's mapped auth plugin (keystone/auth/plugins/mapped.py), for an assertion already taken
 * from the request (a trusted front proxy's headers, or a natively validated OpenID Connect token):
 *
 *  - signIn (handle_unscoped_token): the IdP enabled (403); the assertion's IdP identifier (the
 *    protocol's remote_id_attribute, else [<protocol>] remote_id_attribute, else [federation]
 *    remote_id_attribute) among the IdP's remote_ids (missing 400→401, another 403), unless the
 *    caller checked the issuer itself; the protocol's mapping run (no match: 401); mapped group ids
 *    checked to exist and group names resolved; then an ephemeral user is shadowed (created on first
 *    sign-in, its groups as expiring memberships) with the projects the mapping provisions and their
 *    roles, or a local user is looked up (enabled, in an enabled domain);
 *  - rescope (handle_scoped_token): a federated token used to get another: unexpired, its IdP
 *    enabled, its protocol's mapping there, its groups still existing.
 */
import { NotFound, Unauthorized, ValidationError, type Forbidden } from '../common/errors.js';
import { securityForbidden } from '../auth/auth-errors.js';
import type { KeystoneConfig } from '../config/options.js';
import type { IdentityManager } from '../identity/identity-manager.js';
import type { ShadowUsersManager } from '../identity/shadow-users-manager.js';
import type { ResourceManager } from '../resource/resource-manager.js';
import type { AssignmentManager } from '../assignment/assignment-manager.js';
import type { Role } from '../assignment/assignment-types.js';
import type { FederatedFacts } from '../token/token-manager.js';
import type { MappedGroupName, MappedProperties, MappedProject } from './mapping/rule-processor.js';
import { pyQuote } from './python-quote.js';
import { MappedGroupNotFound } from './federation-errors.js';
import { pyStr } from '../common/python-text.js';

/** What the sign-in needs of the federation manager (Keystone's federation_api). */
export interface FederationForSignIn {
  getIdentityProvider(id: string): Promise<{ id: string; enabled: boolean; domain_id: string; remote_ids: string[] }>;
  getProtocol(idpId: string, protocolId: string): Promise<{ id: string; mapping_id: string; remote_id_attribute: string | null }>;
  evaluate(idpId: string, protocolId: string, assertion: Record<string, unknown>): Promise<{ mapped: MappedProperties; mappingId: string }>;
}

export interface MappedSignInDeps {
  conf: KeystoneConfig;
  federation_api: FederationForSignIn;
  identity_api: Pick<IdentityManager, 'findUser' | 'findUserByName' | 'findGroup' | 'findGroupByName'>;
  shadow_users_api: Pick<ShadowUsersManager, 'shadowFederatedUser'>;
  resource_api: Pick<ResourceManager, 'findDomain' | 'findDomainByName' | 'findProjectByName' | 'createProject'>;
  role_api: Pick<AssignmentManager, 'listRoles'>;
  assignment_api: Pick<AssignmentManager, 'createGrant'>;
}

/** A federated assertion: attribute → value (several values joined with ';'). */
export type Assertion = Record<string, string>;

export interface SignInResult {
  userId: string;
  /** absent for a mapped local user (whose token is an ordinary one) */
  federated?: FederatedFacts;
}

export class MappedSignIn {
  constructor(private readonly deps: MappedSignInDeps) {}

  private unauthorized(detail: string): Unauthorized {
    return this.deps.conf.DEFAULT.insecure_debug ? new Unauthorized(detail) : new Unauthorized();
  }

  /** Keystone's Forbidden is a SecurityError: its detail only with insecure_debug. */
  private forbidden(detail: string): Forbidden {
    return securityForbidden(this.deps.conf.DEFAULT.insecure_debug, detail);
  }

  /** Keystone's assert_enabled_identity_provider (and get_idp: 404 when unknown). */
  async enabledIdentityProvider(idpId: string): Promise<{ id: string; enabled: boolean; domain_id: string; remote_ids: string[] }> {
    const idp = await this.deps.federation_api.getIdentityProvider(idpId);
    if (!idp.enabled) throw this.forbidden(`Identity Provider ${idpId} is disabled`);
    return idp;
  }

  /** The assertion attribute that names the IdP for this protocol (Keystone's get_remote_id_parameter). */
  remoteIdAttribute(protocol: { id: string; remote_id_attribute: string | null }): string | null {
    if (protocol.remote_id_attribute) return protocol.remote_id_attribute;
    const perProtocol =
      protocol.id === 'openid'
        ? this.deps.conf.openid.remote_id_attribute
        : protocol.id === 'saml2'
          ? this.deps.conf.saml2.remote_id_attribute
          : null;
    return perProtocol ?? this.deps.conf.federation.remote_id_attribute;
  }

  /**
   * handle_unscoped_token. `issuerChecked`: the caller already matched the assertion's issuer against
   * the IdP's remote ids (native OpenID Connect), so validate_idp is not asked again.
   */
  async signIn(idpId: string, protocolId: string, assertion: Assertion, issuerChecked = false): Promise<SignInResult> {
    const idp = await this.enabledIdentityProvider(idpId);
    const protocol = await this.deps.federation_api.getProtocol(idpId, protocolId);
    if (!issuerChecked) this.validateIdp(idp, protocol, assertion);
    let mapped: MappedProperties;
    let mappingId: string;
    try {
      ({ mapped, mappingId } = await this.deps.federation_api.evaluate(idpId, protocolId, assertion));
    } catch (err) {
      // a mapping that matches nothing (or is invalid) is a failed authentication
      if (err instanceof ValidationError) throw this.unauthorized(err.message);
      throw err;
    }
    const groupIds = await this.groupIdsOf(mapped, mappingId);
    if (mapped.user.type !== 'ephemeral') return { userId: await this.localUser(mapped) };
    const [uniqueId, displayName] = this.uniqueIdAndDisplayName(mapped, assertion);
    if (mapped.projects.length) await this.validateShadowProjects(mapped.projects, idp);
    const user = await this.deps.shadow_users_api.shadowFederatedUser({
      idpId,
      protocolId,
      uniqueId,
      displayName,
      email: typeof mapped.user.email === 'string' ? mapped.user.email : null,
      domainId: idp.domain_id,
      groupIds,
    });
    if (mapped.projects.length) await this.provisionProjects(mapped.projects, idp, user.id);
    return { userId: user.id, federated: { identityProviderId: idpId, protocolId, groupIds } };
  }

  /** handle_scoped_token: what a federated token carries into the token it is exchanged for. */
  async rescope(token: {
    userId: string;
    identityProviderId?: string;
    protocolId?: string;
    federatedGroupIds?: readonly string[];
    expiresAt: string;
  }): Promise<SignInResult & { expiresAt: string }> {
    if (!(Date.now() < Date.parse(token.expiresAt))) throw new Unauthorized('Federation token is expired');
    const idpId = token.identityProviderId ?? '';
    const protocolId = token.protocolId ?? '';
    await this.enabledIdentityProvider(idpId);
    const protocol = await this.deps.federation_api.getProtocol(idpId, protocolId);
    const groupIds = [...(token.federatedGroupIds ?? [])];
    await this.assertGroupsExist(groupIds, protocol.mapping_id);
    return { userId: token.userId, federated: { identityProviderId: idpId, protocolId, groupIds }, expiresAt: token.expiresAt };
  }

  /** Keystone's validate_idp. */
  private validateIdp(
    idp: { id: string; remote_ids: string[] },
    protocol: { id: string; remote_id_attribute: string | null },
    assertion: Assertion,
  ): void {
    const attribute = this.remoteIdAttribute(protocol);
    if (!attribute || idp.remote_ids.length === 0) return;
    const remoteId = assertion[attribute] as string | undefined;
    if (remoteId === undefined) throw this.unauthorized('Could not find Identity Provider identifier in environment');
    if (!idp.remote_ids.includes(remoteId))
      throw this.forbidden('Incoming identity provider identifier not included among the accepted identifiers.');
  }

  /** Keystone's validate_mapped_group_ids then transform_to_group_ids: the mapped groups as ids, each once. */
  private async groupIdsOf(mapped: MappedProperties, mappingId: string): Promise<string[]> {
    const ids = mapped.group_ids.map((g) => pyStr(g));
    await this.assertGroupsExist(ids, mappingId);
    for (const group of mapped.group_names) {
      const id = await this.groupIdByName(group);
      if (id) ids.push(id);
    }
    return [...new Set(ids)];
  }

  private async assertGroupsExist(groupIds: readonly string[], mappingId: string): Promise<void> {
    for (const groupId of groupIds) {
      if (!(await this.deps.identity_api.findGroup(groupId))) throw new MappedGroupNotFound(groupId, mappingId);
    }
  }

  private async groupIdByName(group: MappedGroupName): Promise<string | null> {
    let domainId = group.domain.id;
    if (!domainId) {
      const domain = await this.deps.resource_api.findDomainByName(group.domain.name ?? '');
      if (!domain) throw new ValidationError(`Could not find domain: ${group.domain.name ?? ''}.`, false);
      domainId = domain.id;
    }
    return (await this.deps.identity_api.findGroupByName(group.name, domainId))?.id ?? null;
  }

  /** Keystone's get_user_unique_id_and_display_name: the id URL-quoted (Python's quote), the name as given. */
  private uniqueIdAndDisplayName(mapped: MappedProperties, assertion: Assertion): [string, string] {
    const userId = mapped.user.id || undefined;
    const userName = mapped.user.name || assertion.REMOTE_USER || undefined;
    const id = userId ?? userName;
    if (id === undefined) {
      throw new Unauthorized(
        'Could not map user while setting ephemeral user identity. Either mapping rules must specify user id/name or REMOTE_USER environment variable must be set.',
      );
    }
    return [pyQuote(id), userName ?? id];
  }

  /** Keystone's build_local_user_context (UserAuthInfo): the local user by id, or by name in a domain. */
  private async localUser(mapped: MappedProperties): Promise<string> {
    const { identity_api: identity, resource_api: resource } = this.deps;
    const { id, name, domain } = mapped.user;
    if (!id && !name) throw new ValidationError('Expecting to find id or name in user.');
    let user;
    if (name) {
      if (!domain) throw new ValidationError('Expecting to find domain in user.');
      if (!domain.id && !domain.name) throw new ValidationError('Expecting to find id or name in domain.');
      const found = domain.name ? await resource.findDomainByName(domain.name) : await resource.findDomain(domain.id as string);
      if (!found?.enabled) throw new Unauthorized();
      user = await identity.findUserByName(name, found.id);
    } else {
      user = await identity.findUser(id as string);
      const found = user ? await resource.findDomain(user.domainId) : null;
      if (!found?.enabled) throw new Unauthorized();
    }
    if (!user?.enabled) throw new Unauthorized();
    return user.id;
  }

  private async existingRoles(idpDomainId: string): Promise<Map<string, Role>> {
    const roles = new Map<string, Role>();
    for (const role of [...(await this.deps.role_api.listRoles()), ...(await this.deps.role_api.listRoles({ domainId: idpDomainId }))]) {
      roles.set(role.name, role);
    }
    return roles;
  }

  /** Keystone's validate_shadow_mapping: every role named exists, global or of the IdP's domain; nothing created otherwise. */
  private async validateShadowProjects(projects: MappedProject[], idp: { id: string; domain_id: string }): Promise<void> {
    const roles = await this.existingRoles(idp.domain_id);
    for (const project of projects) {
      for (const { name } of project.roles) {
        const role = roles.get(name);
        if (!role) throw new NotFound(`Could not find role: ${name}.`);
        if (role.domainId !== null && role.domainId !== idp.domain_id)
          throw this.forbidden(`role: ${name} must be within the same domain as the identity provider: ${idp.id}.`);
      }
    }
  }

  /** Keystone's create_projects_from_mapping: each project found (or created) in the IdP's domain, the roles granted to the user there. */
  private async provisionProjects(projects: MappedProject[], idp: { domain_id: string }, userId: string): Promise<void> {
    const roles = await this.existingRoles(idp.domain_id);
    for (const shadow of projects) {
      const project =
        (await this.deps.resource_api.findProjectByName(shadow.name, idp.domain_id)) ??
        (await this.deps.resource_api.createProject({ name: shadow.name, domainId: idp.domain_id }));
      for (const { name } of shadow.roles) {
        const role = roles.get(name);
        if (role) await this.deps.assignment_api.createGrant(role.id, { userId }, { projectId: project.id });
      }
    }
  }
}
