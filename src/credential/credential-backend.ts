/**
 * What the credential manager asks of its storage (Keystone's credential
 * driver interface, credential/backends/base.py): credentials with their
 * blob in encrypted form only. The SQL backend is credential-repository.ts.
 */

export interface StoredCredential {
  id: string;
  userId: string;
  projectId: string | null;
  type: string;
  encryptedBlob: string;
  /** the hash of the key that encrypted the blob */
  keyHash: string;
  extra: Record<string, unknown>;
}

export interface CredentialListFilter {
  userId?: string;
  type?: string;
  projectId?: string;
}

export interface CredentialBackend {
  get(id: string): Promise<StoredCredential | null>;
  /** In a stable order (by id); `limit` credentials at most when given. */
  list(filter?: CredentialListFilter, limit?: number): Promise<StoredCredential[]>;
  countForUser(userId: string): Promise<number>;
  /** Throws the storage's unique violation (isUniqueViolation) for a taken id. */
  insert(credential: StoredCredential): Promise<void>;
  /** Replaces the blob (and its key hash) and the extra attributes; false when the credential is gone. */
  update(credential: StoredCredential): Promise<boolean>;
  /** false when there was none */
  delete(id: string): Promise<boolean>;
  /** Deletes and returns the credentials of a user or of a project. */
  deleteWhere(filter: { userId: string } | { projectId: string }): Promise<StoredCredential[]>;
}
