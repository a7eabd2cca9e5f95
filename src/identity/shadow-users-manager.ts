/**
 * Shadow users (Keystone's shadow_users_api and identity_api.shadow_federated_user): the local record
 * of a user who signs in through an identity provider. On first sign-in a user row is created in the
 * IdP's domain with the id Keystone's sha256 generator gives ({domain_id, local_id: unique id,
 * entity_type: user}), linked to the federated identity (federated_user: idp, protocol, unique id,
 * display name); on every sign-in the display name and email follow the assertion, last_active_at is
 * stamped (with [security_compliance] disable_user_account_days_inactive) and each mapped group
 * becomes an expiring membership (expiring_user_group_membership), in force for the IdP's
 * authorization_ttl (else [federation] default_authorization_ttl) minutes after the last sign-in.
 */
import type { Cache } from '../cache/cache.js';
import type { KeystoneConfig } from '../config/options.js';
import type { IdentityBackend } from './identity-backend.js';
import type { User } from './identity-types.js';
import { generatePublicId } from './id-mapping/sha256-id-generator.js';
import { IDENTITY_CACHE_REGION } from './identity-manager.js';
import type { IdentityManager } from './identity-manager.js';
import { ASSIGNMENT_CACHE_REGION } from '../assignment/role-manager.js';

/** A federated identity as the mapping produced it. */
export interface FederatedIdentity {
  idpId: string;
  protocolId: string;
  /** the user's id within the IdP (the mapped user id, URL-quoted, or the name) */
  uniqueId: string;
  displayName: string | null;
  email?: string | null;
  /** the IdP's domain: where a new shadow user is created */
  domainId: string;
  /** mapped groups: their expiring memberships are verified now */
  groupIds: readonly string[];
}

export class ShadowUsersManager {
  constructor(
    private readonly backend: IdentityBackend,
    private readonly cache: Cache,
    private readonly conf: KeystoneConfig,
    private readonly identity: Pick<IdentityManager, 'getUser' | 'updateUser'>,
  ) {}

  /** Keystone's shadow_federated_user: the user of the identity, created on first sight. */
  async shadowFederatedUser(identity: FederatedIdentity): Promise<User> {
    const { idpId, protocolId, uniqueId, displayName } = identity;
    let changed = await this.backend.updateFederatedDisplayName(idpId, protocolId, uniqueId, displayName);
    let row = await this.backend.getFederatedUserRow(idpId, protocolId, uniqueId);
    if (!row) {
      const id = generatePublicId({ domain_id: identity.domainId, local_id: uniqueId, entity_type: 'user' });
      await this.backend.insertFederatedUser({
        id,
        domain_id: identity.domainId,
        extra: JSON.stringify(identity.email ? { email: identity.email } : {}),
        idp_id: idpId,
        protocol_id: protocolId,
        unique_id: uniqueId,
        display_name: displayName,
        last_active_today: this.conf.security_compliance.disable_user_account_days_inactive !== null,
      });
      row = await this.backend.getFederatedUserRow(idpId, protocolId, uniqueId);
      if (!row) throw new Error(`shadow user of ${uniqueId} at ${idpId} not stored`);
      changed = true;
    } else {
      if (identity.email) {
        const extra = JSON.parse(row.extra || '{}') as Record<string, unknown>;
        if (extra.email !== identity.email) await this.identity.updateUser(row.id, { extra: { email: identity.email } });
      }
      if (this.conf.security_compliance.disable_user_account_days_inactive !== null && (await this.backend.setLastActive(row.id)))
        changed = true;
    }
    const ttl = this.conf.federation.default_authorization_ttl;
    for (const groupId of new Set(identity.groupIds)) {
      if (await this.backend.verifyExpiringMembership(row.id, groupId, idpId, ttl)) changed = true;
    }
    if (changed) await this.cache.invalidate(IDENTITY_CACHE_REGION, ASSIGNMENT_CACHE_REGION);
    return this.identity.getUser(row.id);
  }
}
