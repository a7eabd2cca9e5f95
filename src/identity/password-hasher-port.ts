/** What the identity manager needs of the password hashing module. */
export interface PasswordHasherPort {
  hash(password: string): Promise<string>;
  verify(password: string, storedHash: string): Promise<boolean>;
  /** spends the time of a real verification, for unknown users */
  verifyAgainstDummy(password: string): Promise<false>;
}
