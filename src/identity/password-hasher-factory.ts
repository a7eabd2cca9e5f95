/**
 * The password hasher for [identity] password_hash_algorithm (bcrypt,
 * bcrypt_sha256, scrypt, pbkdf2_sha512 in passlib's formats), with
 * password_hash_rounds, salt and scrypt options, [DEFAULT]
 * strict_password_check and password_hash_concurrency: src/identity/password-hashing.
 */
import type { KeystoneConfig } from '../config/options.js';
import type { PasswordHasherPort } from './password-hasher-port.js';
import { PasswordHasher } from './password-hashing/index.js';
import { defaultHashConcurrency } from './password-hashing/hash-concurrency.js';

export function createPasswordHasher(conf: KeystoneConfig): PasswordHasherPort {
  return PasswordHasher.fromConfig(conf, defaultHashConcurrency());
}
