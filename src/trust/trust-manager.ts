/**
 * Trusts (Keystone's trust_api): create (with the redelegation rules),
 * get (not deleted, not expired, uses left, the redelegation chain still
 * valid), list, delete (with every trust redelegated from it, and the
 * tokens issued through them revoked), and one use consumed per
 * trust-scoped token. Installed into the token manager as its trust
 * look-up; a deleted user's or project's trusts go with it.
 */
import { DuplicateEntry, EntityNotFound, Forbidden, ValidationError } from '../common/errors.js';
import { newId } from '../common/ids.js';
import type { KeystoneConfig } from '../config/options.js';
import type { Cache } from '../cache/cache.js';
import type { IdentityManager } from '../identity/identity-manager.js';
import type { ResourceManager } from '../resource/resource-manager.js';
import type { RevokeManager } from '../revoke/revoke-manager.js';
import type { TrustForToken, TrustLookup } from '../token/token-manager.js';
import { securityForbidden } from '../auth/auth-errors.js';
import type { TrustBackend, TrustListFilter } from './trust-backend.js';
import type { Trust, TrustInput } from './trust-types.js';

export const TRUST_CACHE_REGION = 'trust';
const MAXIMUM_CONSUME_ATTEMPTS = 10;

/** keystone.exception.TrustNotFound */
export class TrustNotFound extends EntityNotFound {
  constructor(id: string) {
    super('trust', id);
  }
}

/** keystone.exception.TrustUseLimitReached (a Forbidden whose message is always shown) */
export class TrustUseLimitReached extends Forbidden {
  constructor(id: string) {
    super(`No remaining uses for trust: ${id}.`);
  }
}

export class TrustManager implements TrustLookup {
  constructor(
    private readonly backend: TrustBackend,
    private readonly cache: Cache,
    private readonly conf: KeystoneConfig,
    private readonly identity: IdentityManager,
    resource: ResourceManager,
    private readonly revoke: RevokeManager,
  ) {
    identity.events.on(async (event) => {
      if (event.type === 'user.deleted') await this.deleteTrustsOfUser(event.userId);
    });
    resource.events.on(async (event) => {
      if (event.type !== 'project.deleted') return;
      if (await this.backend.softDeleteForProject(event.projectId)) await this.cache.invalidate(TRUST_CACHE_REGION);
    });
  }

  private forbidden(detail: string): Forbidden {
    return securityForbidden(this.conf.DEFAULT.insecure_debug, detail);
  }

  private static usable(trust: Trust | null, nowMs = Date.now()): trust is Trust {
    if (!trust || trust.deletedAt) return false;
    if (trust.expiresAt && trust.expiresAt.getTime() < nowMs) return false;
    if (trust.remainingUses !== null && trust.remainingUses <= 0) return false;
    return true;
  }

  /** The driver's get_trust: a trust that can still be used, else TrustNotFound. */
  private async usableTrust(id: string): Promise<Trust> {
    const trust = await this.backend.get(id);
    if (!TrustManager.usable(trust)) throw new TrustNotFound(id);
    return trust;
  }

  /** The trust and the trusts it was redelegated from, nearest first. */
  async getTrustPedigree(id: string): Promise<Trust[]> {
    const chain = [await this.usableTrust(id)];
    for (let t = chain[0]; t.redelegatedTrustId && chain.length <= 100;) {
      t = await this.usableTrust(t.redelegatedTrustId);
      chain.push(t);
    }
    return chain;
  }

  /** Keystone's get_trust; `deleted` also finds deleted, expired and used-up trusts. */
  async getTrust(id: string, deleted = false): Promise<Trust> {
    if (deleted) {
      const trust = await this.backend.get(id);
      if (!trust) throw new TrustNotFound(id);
      return trust;
    }
    const trust = await this.usableTrust(id);
    if (trust.redelegatedTrustId) {
      const chain = await this.getTrustPedigree(id);
      for (let i = 1; i < chain.length; i++) {
        const parent = chain[i];
        this.validateRedelegation(parent, { ...chain[i - 1] });
        const trustee = await this.identity.findUser(parent.trusteeUserId);
        if (!trustee?.enabled) throw this.forbidden('One of the trust agents is disabled or deleted');
      }
    }
    return trust;
  }

  /** A trust for the token manager: null when it cannot be used (deleted, expired, no uses left). */
  async findTrust(id: string): Promise<TrustForToken | null> {
    let trust: Trust;
    try {
      trust = await this.getTrust(id);
    } catch (err) {
      if (err instanceof TrustNotFound) return null;
      throw err;
    }
    return {
      id: trust.id,
      trustorUserId: trust.trustorUserId,
      trusteeUserId: trust.trusteeUserId,
      projectId: trust.projectId,
      impersonation: trust.impersonation,
      roleIds: trust.roleIds,
      expiresAt: trust.expiresAt ? trust.expiresAt.getTime() : null,
      deleted: false,
    };
  }

  /** Keystone's _validate_redelegation: the child trust against one of its ancestors (may default the child's expiry). */
  private validateRedelegation(parent: Trust, child: Pick<Trust, 'remainingUses' | 'expiresAt' | 'roleIds' | 'impersonation'>): void {
    const max = this.conf.trust.max_redelegation_count;
    const depth = parent.redelegationCount ?? 0;
    if (!(depth > 0 && depth <= max)) {
      throw this.forbidden(`Remaining redelegation depth of ${depth} out of allowed range of [0..${max}]`);
    }
    if (child.remainingUses !== null) {
      throw this.forbidden(
        `Field "remaining_uses" is set to ${child.remainingUses} while it must not be set in order to redelegate a trust`,
      );
    }
    if (child.expiresAt) {
      if (parent.expiresAt && parent.expiresAt.getTime() < child.expiresAt.getTime()) {
        throw this.forbidden('Requested expiration time is more than redelegated trust can provide');
      }
    } else {
      child.expiresAt = parent.expiresAt;
    }
    const parentRoles = new Set(parent.roleIds);
    if (!child.roleIds.every((r) => parentRoles.has(r))) throw this.forbidden('Some of requested roles are not in redelegated trust');
    if (!parent.impersonation && child.impersonation) {
      throw this.forbidden(
        `Impersonation is not allowed because redelegated trust does not specify impersonation. Redelegated trust id: ${parent.id}`,
      );
    }
  }

  /** Keystone's create_trust: redelegation depth, remaining uses and the whole chain checked. */
  async createTrust(input: TrustInput, redelegatedTrust: Trust | null = null): Promise<Trust> {
    const max = this.conf.trust.max_redelegation_count;
    let requested = input.redelegationCount;
    const redelegatable = input.allowRedelegation && requested !== 0;
    const trust: Trust = {
      id: newId(),
      trustorUserId: input.trustorUserId,
      trusteeUserId: input.trusteeUserId,
      projectId: input.projectId,
      impersonation: input.impersonation,
      expiresAt: input.expiresAt,
      remainingUses: input.remainingUses,
      redelegatedTrustId: null,
      redelegationCount: requested,
      deletedAt: null,
      extra: input.extra,
      roleIds: [...new Set(input.roleIds)],
    };
    if (!redelegatable) {
      trust.redelegationCount = requested = 0;
      if (trust.remainingUses !== null && trust.remainingUses <= 0)
        throw new ValidationError('remaining_uses must be a positive integer or null.', false);
    } else {
      if (requested && requested > max) {
        throw this.forbidden(`Requested redelegation depth of ${requested} is greater than allowed ${max}`);
      }
      if (trust.remainingUses !== null) throw new ValidationError('remaining_uses must not be set if redelegation is allowed', false);
    }
    if (redelegatedTrust) {
      trust.redelegatedTrustId = redelegatedTrust.id;
      const remaining = (redelegatedTrust.redelegationCount ?? 0) - 1;
      if (redelegatable && requested && requested !== remaining) {
        throw this.forbidden('Modifying "redelegation_count" upon redelegation is forbidden. Omitting this parameter is advised.');
      }
      if (trust.redelegationCount === null) trust.redelegationCount = remaining;
      for (const ancestor of await this.getTrustPedigree(redelegatedTrust.id)) this.validateRedelegation(ancestor, trust);
    }
    if (trust.redelegationCount === null) trust.redelegationCount = max;
    if (await this.backend.duplicateExists(trust)) {
      throw new DuplicateEntry('trust', `Duplicate entry found with ID ${trust.id}`);
    }
    await this.backend.insert(trust);
    return trust;
  }

  /** The trusts not deleted (expired ones too), by trustor and/or trustee. */
  listTrusts(filter: TrustListFilter = {}): Promise<Trust[]> {
    return this.backend.list(filter);
  }

  /** Keystone's delete_trust: the trusts redelegated from it first; each one's tokens revoked. */
  async deleteTrust(id: string, depth = 0): Promise<void> {
    await this.usableTrust(id);
    if (depth < 100) {
      // a child's trustor is this trust's trustee (Keystone looks under this trust's trustor and misses them)
      for (const child of await this.backend.list({ redelegatedTrustId: id })) {
        try {
          await this.deleteTrust(child.id, depth + 1);
        } catch (err) {
          if (!(err instanceof TrustNotFound)) throw err;
        }
      }
    }
    if (!(await this.backend.softDelete(id))) throw new TrustNotFound(id);
    await this.revoke.revokeByTrust(id);
  }

  /** One use of a limited trust, taken once its token is issued (Keystone's consume_use). */
  async consumeUse(id: string): Promise<void> {
    for (let attempt = 0; attempt < MAXIMUM_CONSUME_ATTEMPTS; attempt++) {
      const row = await this.backend.remainingUses(id);
      if (!row) throw new TrustNotFound(id);
      if (row.remaining_uses === null) return;
      if (row.remaining_uses <= 0) throw new TrustUseLimitReached(id);
      if (await this.backend.takeUse(id, row.remaining_uses)) {
        // the last use: the trust is gone for validation too (Keystone's get_trust), on every worker
        if (row.remaining_uses === 1) await this.cache.invalidate(TRUST_CACHE_REGION);
        return;
      }
    }
    throw new Error(`Unable to consume trust ${id}. Unable to acquire lock.`);
  }

  /** keystone-manage trust_flush: deleted trusts and those expired before `date` (default now) removed for good; the count. */
  flushExpiredAndSoftDeletedTrusts(
    filter: { projectId?: string; trustorUserId?: string; trusteeUserId?: string; date?: Date } = {},
  ): Promise<number> {
    return this.backend.purge({ ...filter, date: filter.date ?? new Date() });
  }

  /** A deleted user's trusts, as trustor or trustee (Keystone's _on_user_delete: no revocation events). */
  private async deleteTrustsOfUser(userId: string): Promise<void> {
    const trusts = [...(await this.backend.list({ trusteeUserId: userId })), ...(await this.backend.list({ trustorUserId: userId }))];
    for (const t of trusts) await this.backend.softDelete(t.id);
    // validations memoized with these trusts are dropped everywhere
    if (trusts.length) await this.cache.invalidate(TRUST_CACHE_REGION);
  }
}
