export { PasswordHasher, PasswordVerificationError, NullBytePasswordError, type PasswordHasherOptions } from './password-hasher.js';
export {
  identifyAlgorithm,
  parseHash,
  DEFAULT_ROUNDS,
  ALGORITHMS,
  type Algorithm,
  type HashFormat,
  type ParsedHash,
} from './algorithms.js';
export { constantTimeEqual } from './constant-time.js';
