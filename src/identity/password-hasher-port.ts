/** Hashes in flight in one process, as keystone_password_hashes reports them. */
export interface HashingLoad {
  running: number;
  waiting: number;
  /** [identity] password_hash_concurrency in effect; null: no limit */
  limit: number | null;
}

/** What the identity manager needs of the password hashing module. */
export interface PasswordHasherPort {
  hash(password: string): Promise<string>;
  /** `signal` aborted while the hash waits for its turn: rejects with ClientClosedRequest, nothing hashed */
  verify(password: string, storedHash: string, signal?: AbortSignal): Promise<boolean>;
  /** spends the time of a real verification, for unknown users */
  verifyAgainstDummy(password: string, signal?: AbortSignal): Promise<false>;
  load(): HashingLoad;
}
