/**
 * Keystone's password hashing (keystone/common/password_hashing.py) over
 * passlib's stored formats: hash with [identity] password_hash_algorithm,
 * verify by the stored hash's prefix whatever is configured.
 */
import { randomBytes } from 'node:crypto';
import pLimit, { type LimitFunction } from 'p-limit';
import { ClientClosedRequest, Forbidden, ValidationError } from '../../common/errors.js';
import type { HashingLoad, PasswordHasherPort } from '../password-hasher-port.js';
import {
  ALGORITHMS,
  BCRYPT_MAX_SECRET,
  DEFAULT_ROUNDS,
  DEFAULT_SALT_SIZE,
  DEFAULT_SCRYPT_BLOCK_SIZE,
  DEFAULT_SCRYPT_PARALLELISM,
  ROUNDS_RANGE,
  bcryptSalt,
  computeChecksum,
  formatHash,
  parseHash,
  randomBcrypt64,
  type Algorithm,
  type ParsedHash,
} from './algorithms.js';
import { constantTimeEqual } from './constant-time.js';

/** [identity] options plus [DEFAULT] strict_password_check. Unset numbers may be null or undefined. */
export interface PasswordHasherOptions {
  password_hash_algorithm: string;
  password_hash_rounds?: number | null;
  salt_bytesize?: number | null;
  scrypt_block_size?: number | null;
  scrypt_parallelism?: number | null;
  max_password_length: number;
  strict_password_check?: boolean;
  /** hashes computed at once by this hasher (src/identity/password-hashing/hash-concurrency.ts); unset: no limit */
  password_hash_concurrency?: number | null;
}

/** Keystone's PasswordVerificationError: 403 when strict_password_check rejects a long password. */
export class PasswordVerificationError extends Forbidden {
  constructor(readonly size: number) {
    super(
      `The password length must be less than or equal to ${size}. The server could not comply with the request because the password is invalid.`,
    );
  }
}

/** A bcrypt hash cannot hold a password with a NUL byte (passlib refuses them; bcrypt would stop there). */
export class NullBytePasswordError extends ValidationError {
  constructor() {
    super('Password must not contain the NUL character.');
  }
}

/** Keystone lets bcrypt see at most 72 bytes: it truncates to that when bcrypt is configured. */
const BCRYPT_KEYSTONE_MAX_LENGTH = 72;

/** The parameters new hashes get. */
interface Target {
  algorithm: Algorithm;
  rounds: number;
  saltSize: number;
  blockSize: number;
  parallelism: number;
}

/** `if CONF.identity.x:` – Keystone treats 0 like unset. */
const set = (v: number | null | undefined): v is number => typeof v === 'number' && v !== 0;

export class PasswordHasher implements PasswordHasherPort {
  private readonly target: Target;
  /** the effective max_password_length (72 when bcrypt is configured, as Keystone) */
  readonly maxPasswordLength: number;
  private readonly strict: boolean;
  /** the hashes in flight, in arrival order; null: unbounded */
  private readonly slots: LimitFunction | null;

  constructor(opts: PasswordHasherOptions) {
    const algorithm = opts.password_hash_algorithm as Algorithm;
    if (!ALGORITHMS.includes(algorithm)) {
      throw new Error(`Password Hash Algorithm ${opts.password_hash_algorithm} not found`);
    }
    const rounds = set(opts.password_hash_rounds) ? opts.password_hash_rounds : DEFAULT_ROUNDS[algorithm];
    const [min, max] = ROUNDS_RANGE[algorithm];
    if (!Number.isInteger(rounds) || rounds < min || rounds > max) {
      throw new Error(`[identity] password_hash_rounds for ${algorithm} must be between ${min} and ${max}, not ${rounds}`);
    }
    // salt_bytesize, scrypt_block_size and scrypt_parallelism only reach the algorithms Keystone passes them to
    const saltSize = set(opts.salt_bytesize) ? opts.salt_bytesize : DEFAULT_SALT_SIZE;
    const blockSize = algorithm === 'scrypt' && set(opts.scrypt_block_size) ? opts.scrypt_block_size : DEFAULT_SCRYPT_BLOCK_SIZE;
    const parallelism = algorithm === 'scrypt' && set(opts.scrypt_parallelism) ? opts.scrypt_parallelism : DEFAULT_SCRYPT_PARALLELISM;
    if (blockSize < 1 || parallelism < 1 || saltSize < 0) throw new Error('[identity] scrypt parameters must be positive');
    if (algorithm === 'scrypt' && 2 ** rounds >= 2 ** (16 * blockSize)) {
      throw new Error('[identity] password_hash_rounds too large for scrypt_block_size');
    }
    this.target = { algorithm, rounds, saltSize, blockSize, parallelism };
    this.maxPasswordLength =
      algorithm === 'bcrypt' && opts.max_password_length > BCRYPT_KEYSTONE_MAX_LENGTH
        ? BCRYPT_KEYSTONE_MAX_LENGTH
        : opts.max_password_length;
    this.strict = opts.strict_password_check ?? false;
    const concurrency = opts.password_hash_concurrency;
    if (concurrency !== null && concurrency !== undefined && (!Number.isInteger(concurrency) || concurrency < 1)) {
      throw new Error(`[identity] password_hash_concurrency must be a positive integer, not ${concurrency}`);
    }
    this.slots = concurrency ? pLimit(concurrency) : null;
  }

  /** From a loaded keystone.conf ({identity, DEFAULT}). */
  static fromConfig(
    conf: {
      identity: Omit<PasswordHasherOptions, 'strict_password_check'>;
      DEFAULT: { strict_password_check: boolean };
    },
    defaultConcurrency?: number,
  ): PasswordHasher {
    return new PasswordHasher({
      ...conf.identity,
      strict_password_check: conf.DEFAULT.strict_password_check,
      password_hash_concurrency: conf.identity.password_hash_concurrency ?? defaultConcurrency,
    });
  }

  get algorithm(): Algorithm {
    return this.target.algorithm;
  }

  get rounds(): number {
    return this.target.rounds;
  }

  /**
   * keystone's verify_length_and_trunc_password: the UTF-8 bytes, cut to the
   * maximum length (bytewise, as Keystone) or rejected with 403 when strict.
   */
  prepare(password: unknown): Buffer {
    if (typeof password !== 'string') throw new ValidationError('Expecting to find string in password.');
    const bytes = Buffer.from(password, 'utf8');
    if (bytes.length <= this.maxPasswordLength) return bytes;
    if (this.strict) throw new PasswordVerificationError(this.maxPasswordLength);
    return bytes.subarray(0, this.maxPasswordLength);
  }

  async hash(password: string): Promise<string> {
    const secret = this.prepare(password);
    const t = this.target;
    let parsed: ParsedHash;
    switch (t.algorithm) {
      case 'bcrypt': {
        if (secret.subarray(0, BCRYPT_MAX_SECRET).includes(0)) throw new NullBytePasswordError();
        parsed = { algorithm: 'bcrypt', ident: '2b', rounds: t.rounds, salt: bcryptSalt(), checksum: '' };
        break;
      }
      case 'bcrypt_sha256':
        parsed = { algorithm: 'bcrypt_sha256', version: 2, ident: '2b', rounds: t.rounds, salt: bcryptSalt(), checksum: '' };
        break;
      case 'scrypt':
        parsed = {
          algorithm: 'scrypt',
          rounds: t.rounds,
          blockSize: t.blockSize,
          parallelism: t.parallelism,
          salt: randomBytes(t.saltSize),
          checksum: Buffer.alloc(0),
        };
        break;
      case 'pbkdf2_sha512':
        parsed = { algorithm: 'pbkdf2_sha512', rounds: t.rounds, salt: randomBytes(t.saltSize), checksum: Buffer.alloc(0) };
        break;
    }
    const checksum = await this.checksum(parsed, secret);
    return formatHash({ ...parsed, checksum } as ParsedHash);
  }

  /**
   * True when `password` matches `storedHash`, whichever supported algorithm
   * made it. False for a wrong password and for a malformed or unsupported
   * hash (Keystone would fail with a 500 there). Throws like hash() for a
   * password the length policy rejects.
   */
  async verify(password: string, storedHash: string, signal?: AbortSignal): Promise<boolean> {
    if (password === null || password === undefined || storedHash === null || storedHash === undefined) return false;
    const secret = this.prepare(password);
    if (typeof storedHash !== 'string') return false;
    const parsed = parseHash(storedHash);
    if (!parsed) return false;
    return this.check(parsed, secret, signal);
  }

  private async check(parsed: ParsedHash, secret: Buffer, signal?: AbortSignal): Promise<boolean> {
    // bcrypt proper stops at a NUL: passlib refuses such secrets, so no stored bcrypt hash can match one.
    // The work is still done so that the answer takes as long as any other.
    const nul = parsed.algorithm === 'bcrypt' && secret.subarray(0, BCRYPT_MAX_SECRET).includes(0);
    const computed = await this.checksum(parsed, secret, signal);
    const equal = constantTimeEqual(computed, parsed.checksum);
    return equal && !nul;
  }

  load(): HashingLoad {
    const s = this.slots;
    return s ? { running: s.activeCount, waiting: s.pendingCount, limit: s.concurrency } : { running: 0, waiting: 0, limit: null };
  }

  /** computeChecksum in its turn among this hasher's hashes; not at all when `signal` was aborted meanwhile */
  private checksum(parsed: ParsedHash, secret: Buffer, signal?: AbortSignal): Promise<string | Buffer> {
    const compute = (): Promise<string | Buffer> => {
      if (signal?.aborted) return Promise.reject(new ClientClosedRequest());
      return computeChecksum(parsed, secret);
    };
    return this.slots ? this.slots(compute) : compute();
  }

  /**
   * Spends the time of verifying `password` against a real hash made with the
   * configured algorithm and rounds, then answers false. For unknown users, so
   * that response time does not tell which users exist. Applies the same length
   * policy as verify() (so a strict rejection does not tell either).
   */
  async verifyAgainstDummy(password: string, signal?: AbortSignal): Promise<false> {
    const secret = this.prepare(typeof password === 'string' ? password : '');
    await this.check(this.dummyHash(), secret, signal);
    return false;
  }

  /**
   * A well-formed hash at the configured parameters with a random salt and a
   * random checksum: verifying against it costs exactly one real verification
   * and can never succeed (the chance of a match is that of guessing the hash).
   */
  private dummyHash(): ParsedHash {
    const t = this.target;
    switch (t.algorithm) {
      case 'bcrypt':
        return { algorithm: 'bcrypt', ident: '2b', rounds: t.rounds, salt: bcryptSalt(), checksum: randomBcrypt64(31) };
      case 'bcrypt_sha256':
        return { algorithm: 'bcrypt_sha256', version: 2, ident: '2b', rounds: t.rounds, salt: bcryptSalt(), checksum: randomBcrypt64(31) };
      case 'scrypt':
        return {
          algorithm: 'scrypt',
          rounds: t.rounds,
          blockSize: t.blockSize,
          parallelism: t.parallelism,
          salt: randomBytes(t.saltSize),
          checksum: randomBytes(32),
        };
      case 'pbkdf2_sha512':
        return { algorithm: 'pbkdf2_sha512', rounds: t.rounds, salt: randomBytes(t.saltSize), checksum: randomBytes(64) };
    }
  }

  /**
   * True when a stored hash should be replaced on the next successful login:
   * unparseable, another algorithm than configured, other rounds, other scrypt
   * block size / parallelism, or bcrypt_sha256's old v1 format.
   */
  needsRehash(storedHash: string): boolean {
    const parsed = parseHash(storedHash);
    const t = this.target;
    if (!parsed || parsed.algorithm !== t.algorithm || parsed.rounds !== t.rounds) return true;
    if (parsed.algorithm === 'scrypt') return parsed.blockSize !== t.blockSize || parsed.parallelism !== t.parallelism;
    if (parsed.algorithm === 'bcrypt_sha256') return parsed.version !== 2;
    return false;
  }
}
