/**
 * Credentials (Keystone's credential_api): blobs encrypted at rest with the
 * [credential] key_repository (credential-crypto.ts), the ec2 type whose id
 * is the SHA-256 hex of its access key, [credential] user_limit, and the
 * OS-EC2 view of ec2 credentials ({access, secret, user_id, tenant_id,
 * trust_id}) that /v3/users/{id}/credentials/OS-EC2 and the v2.0 API share.
 *
 * Stored as Keystone stores them: an ec2 blob is JSON-encoded once more
 * before encryption (Keystone json.dumps the blob string), so a database
 * shared with Keystone reads the same on both sides.
 *
 * Rows (still encrypted) are cached by id and by user when [credential]
 * caching is on; every change invalidates the region, in every worker. A deleted
 * user's or project's credentials go with it. The totp auth method reads
 * the user's "totp" blobs through totpSecretsForUser.
 */
import { createHash, randomUUID } from 'node:crypto';
import { DuplicateEntry, EntityNotFound, Forbidden, Unauthorized } from '../common/errors.js';
import type { KeystoneConfig } from '../config/options.js';
import type { Cache } from '../cache/cache.js';
import type { IdentityManager } from '../identity/identity-manager.js';
import type { ResourceManager } from '../resource/resource-manager.js';
import { log } from '../log/logger.js';
import { CredentialCrypto } from './credential-crypto.js';
import { isUniqueViolation } from '../storage/sql-errors.js';
import type { CredentialBackend, CredentialListFilter, StoredCredential } from './credential-backend.js';
import { pythonJsonDumps } from '../common/python-text.js';

export const CREDENTIAL_CACHE_REGION = 'credential';
export const EC2_TYPE = 'ec2';

/** A credential with its blob decrypted, as Keystone's get_credential returns it. */
export interface Credential {
  id: string;
  userId: string;
  projectId: string | null;
  type: string;
  blob: string;
  /** the attributes the request carried beyond Keystone's columns */
  extra: Record<string, unknown>;
}

export interface NewCredential {
  /** required for ec2 (the access key's hash); generated for the other types when absent */
  id?: string;
  userId: string;
  projectId?: string | null;
  type: string;
  blob: string;
  extra?: Record<string, unknown>;
}

/** An ec2 credential in the OS-EC2 form (v3 /users/{id}/credentials/OS-EC2 and v2.0). */
export interface Ec2Credential {
  /** the credential's id: sha256 hex of the access key */
  id: string;
  userId: string;
  /** the project (tenant_id on the wire) */
  projectId: string | null;
  access: string;
  secret: string;
  trustId: string | null;
  appCredId: string | null;
  accessTokenId: string | null;
}

/** keystone.exception.CredentialNotFound */
export class CredentialNotFound extends EntityNotFound {
  constructor(id: string) {
    super('credential', id);
  }
}

/** keystone.exception.CredentialLimitExceeded (a Forbidden whose message is shown) */
export class CredentialLimitExceeded extends Forbidden {
  constructor(limit: number) {
    super(`Unable to create additional credentials, maximum of ${limit} already exceeded for user.`);
  }
}

/** Keystone's utils.hash_access_key: the id of an ec2 credential. */
export function ec2CredentialId(accessKey: string): string {
  return createHash('sha256').update(accessKey, 'utf8').digest('hex');
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const stringOrNull = (v: unknown): string | null => {
  if (typeof v === 'string') return v;
  if (v === null || v === undefined) return null;
  return typeof v === 'number' || typeof v === 'boolean' ? String(v) : JSON.stringify(v);
};

/** The ec2 blob as an object ({} when it is not JSON). Legacy rows may hold the object itself. */
export function parseEc2Blob(blob: string): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(blob);
    return isObject(value) ? value : {};
  } catch {
    return {};
  }
}

export class CredentialManager {
  readonly crypto: CredentialCrypto;

  constructor(
    private readonly backend: CredentialBackend,
    private readonly cache: Cache,
    private readonly conf: KeystoneConfig,
    private readonly identity: IdentityManager,
    private readonly resource: ResourceManager,
  ) {
    this.crypto = CredentialCrypto.forRepository(conf.credential.key_repository, log);
    identity.events.on(async (event) => {
      if (event.type === 'user.deleted') await this.deleteForUser(event.userId);
    });
    resource.events.on(async (event) => {
      if (event.type === 'project.deleted') await this.deleteForProject(event.projectId);
    });
  }

  /** The totp method's secrets: the blobs of the user's "totp" credentials. */
  async totpSecretsForUser(userId: string): Promise<string[]> {
    return (await this.listForUser(userId, 'totp')).map((c) => c.blob);
  }

  // ---- caching of the stored (encrypted) rows ----

  private get caching(): boolean {
    return this.cache.enabled && this.conf.credential.caching;
  }

  private async cached<T>(key: string, load: () => Promise<T>): Promise<T> {
    if (!this.caching) return load();
    const hit = await this.cache.get(CREDENTIAL_CACHE_REGION, key);
    if (hit !== undefined) return JSON.parse(hit) as T;
    const value = await load();
    if (value !== null) await this.cache.set(CREDENTIAL_CACHE_REGION, key, JSON.stringify(value), this.conf.credential.cache_time);
    return value;
  }

  /**
   * Drops the cached rows after a change. The whole region: a region
   * invalidation reaches every worker (and node) before it resolves, a
   * single key's deletion only this process's memory cache; credential
   * writes are rare.
   */
  private async forget(rows: readonly StoredCredential[]): Promise<void> {
    if (this.caching && rows.length > 0) await this.cache.invalidate(CREDENTIAL_CACHE_REGION);
  }

  private storedById(id: string): Promise<StoredCredential | null> {
    return this.cached(`id:${id}`, () => this.backend.get(id));
  }

  private storedForUser(userId: string, type?: string): Promise<StoredCredential[]> {
    return this.cached(`user:${userId}:${type ?? ''}`, () => this.backend.list({ userId, type }));
  }

  // ---- encryption ----

  private decrypt(row: StoredCredential): Credential {
    const plain = this.crypto.decrypt(row.encryptedBlob);
    let blob = plain;
    if (row.type === EC2_TYPE) {
      const decoded: unknown = JSON.parse(plain);
      blob = typeof decoded === 'string' ? decoded : pythonJsonDumps(decoded);
    }
    return { id: row.id, userId: row.userId, projectId: row.projectId, type: row.type, blob, extra: row.extra };
  }

  private encrypt(type: string, blob: string): { encryptedBlob: string; keyHash: string } {
    return this.crypto.encrypt(type === EC2_TYPE ? pythonJsonDumps(blob) : blob);
  }

  // ---- CRUD ----

  async find(id: string): Promise<Credential | null> {
    const row = await this.storedById(id);
    return row ? this.decrypt(row) : null;
  }

  async get(id: string): Promise<Credential> {
    const found = await this.find(id);
    if (!found) throw new CredentialNotFound(id);
    return found;
  }

  /** Keystone's list_credentials: the filters given, by id; `limit` (list_limit) + 1 rows tell truncation. */
  async list(filter: CredentialListFilter = {}, limit?: number | null): Promise<{ credentials: Credential[]; truncated: boolean }> {
    const rows = await this.backend.list(filter, limit === null || limit === undefined ? undefined : limit + 1);
    const truncated = limit !== null && limit !== undefined && rows.length > limit;
    return { credentials: (truncated ? rows.slice(0, limit) : rows).map((r) => this.decrypt(r)), truncated };
  }

  async listForUser(userId: string, type?: string): Promise<Credential[]> {
    return (await this.storedForUser(userId, type)).map((r) => this.decrypt(r));
  }

  async create(input: NewCredential): Promise<Credential> {
    const id = input.id ?? randomUUID().replace(/-/g, '');
    const limit = this.conf.credential.user_limit;
    if (limit >= 0 && (await this.backend.countForUser(input.userId)) >= limit) throw new CredentialLimitExceeded(limit);
    const stored: StoredCredential = {
      id,
      userId: input.userId,
      projectId: input.projectId ?? null,
      type: input.type,
      extra: input.extra ?? {},
      ...this.encrypt(input.type, input.blob),
    };
    try {
      await this.backend.insert(stored);
    } catch (err) {
      if (isUniqueViolation(err)) throw new DuplicateEntry('credential', `Duplicate entry found with ID ${id}`);
      throw err;
    }
    await this.forget([stored]);
    return { id, userId: stored.userId, projectId: stored.projectId, type: stored.type, blob: input.blob, extra: stored.extra };
  }

  /** Replaces the blob (the only attribute Keystone 22 lets a PATCH change) and, optionally, the extra attributes. */
  async update(id: string, changes: { blob?: string; extra?: Record<string, unknown> }): Promise<Credential> {
    const row = await this.backend.get(id);
    if (!row) throw new CredentialNotFound(id);
    const current = this.decrypt(row);
    const blob = changes.blob ?? current.blob;
    const updated: StoredCredential = {
      ...row,
      extra: { ...row.extra, ...changes.extra },
      ...(changes.blob !== undefined ? this.encrypt(row.type, blob) : {}),
    };
    if (!(await this.backend.update(updated))) throw new CredentialNotFound(id);
    await this.forget([row]);
    return { ...current, blob, extra: updated.extra };
  }

  async delete(id: string): Promise<void> {
    const row = await this.backend.get(id);
    if (!row || !(await this.backend.delete(id))) throw new CredentialNotFound(id);
    await this.forget([row]);
  }

  async deleteForUser(userId: string): Promise<void> {
    await this.forget(await this.backend.deleteWhere({ userId }));
  }

  async deleteForProject(projectId: string): Promise<void> {
    await this.forget(await this.backend.deleteWhere({ projectId }));
  }

  // ---- EC2 (OS-EC2) ----

  /** The OS-EC2 form of an ec2 credential (Keystone's _convert_v3_to_ec2_credential). */
  static toEc2(c: Credential): Ec2Credential {
    const blob = parseEc2Blob(c.blob);
    return {
      id: c.id,
      userId: c.userId,
      projectId: c.projectId,
      access: stringOrNull(blob.access) ?? '',
      secret: stringOrNull(blob.secret) ?? '',
      trustId: stringOrNull(blob.trust_id),
      appCredId: stringOrNull(blob.app_cred_id),
      accessTokenId: stringOrNull(blob.access_token_id),
    };
  }

  /**
   * POST …/credentials/OS-EC2: a new access/secret pair (uuid4 hex each) for
   * the user on the project, remembering the trust of a trust-scoped caller
   * (and the application credential of one, on v2.0): the API checked them
   * (src/credential/blob-delegation.ts). The user and the project must
   * exist (404 otherwise).
   */
  async createEc2(userId: string, projectId: string, trustId?: string | null, appCredId?: string | null): Promise<Ec2Credential> {
    await this.identity.getUser(userId);
    if (!(await this.resource.findProject(projectId))) throw new EntityNotFound('project', projectId);
    const access = randomUUID().replace(/-/g, '');
    const secret = randomUUID().replace(/-/g, '');
    const blob = pythonJsonDumps({ access, secret, trust_id: trustId ?? null, ...(appCredId ? { app_cred_id: appCredId } : {}) });
    const created = await this.create({ id: ec2CredentialId(access), userId, projectId, type: EC2_TYPE, blob });
    return CredentialManager.toEc2(created);
  }

  /** The user's ec2 credentials (404 for an unknown user). */
  async listEc2(userId: string): Promise<Ec2Credential[]> {
    await this.identity.getUser(userId);
    return (await this.listForUser(userId, EC2_TYPE)).map((c) => CredentialManager.toEc2(c));
  }

  /**
   * One ec2 credential by access key: 404 for an unknown user, Keystone's
   * 401 "EC2 access key not found." for an unknown key. As Keystone's v3
   * API, the key is not checked against the user of the path: compare
   * `userId` (Keystone's v2.0 answered 403 "Credential belongs to another user").
   */
  async getEc2(userId: string, accessKey: string): Promise<Ec2Credential> {
    await this.identity.getUser(userId);
    return this.findEc2ByAccess(accessKey);
  }

  /** Deletes the ec2 credential of this access key (the same look-ups and errors as getEc2). */
  async deleteEc2(userId: string, accessKey: string): Promise<void> {
    const cred = await this.getEc2(userId, accessKey);
    await this.delete(cred.id);
  }

  /** The ec2 credential of an access key, else 401 "EC2 access key not found." */
  async findEc2ByAccess(accessKey: string): Promise<Ec2Credential> {
    const cred = await this.find(ec2CredentialId(accessKey));
    if (!cred || cred.type !== EC2_TYPE) throw new Unauthorized('EC2 access key not found.');
    return CredentialManager.toEc2(cred);
  }
}
