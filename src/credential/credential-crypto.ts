/**
 * Keystone's credential encryption (keystone/credential/providers/fernet):
 * a credential blob is encrypted with the primary key of the
 * [credential] key_repository (MultiFernet), stored with the SHA-1 hex of
 * that key's text (key_hash), and decrypted with whichever key works.
 *
 * Keystone's key list for credentials always ends with the "null key"
 * (32 zero bytes), and is only the null key when the repository is missing,
 * unreadable or empty: credentials then still encrypt (with a warning) and
 * old null-key credentials still decrypt. Same here. The key_hash is the
 * SHA-1 of the key file's content exactly as read (Keystone hashes the
 * string it read, whitespace included), so hashes agree with Keystone's for
 * the same repository.
 *
 * Keys are read from disk on every operation, as Keystone does: credential
 * calls are rare and a rotation must be seen at once (credential_rotate
 * compares key hashes against the current primary).
 */
import { createHash } from 'node:crypto';
import { UnexpectedError } from '../common/errors.js';
import { FernetKey, InvalidToken, decrypt, encrypt, type EncryptOptions } from '../token/fernet/fernet.js';
import { KeyRepository, KeyRepositoryError, type KeyRepositoryLogger } from '../token/fernet/key-repository.js';

/** keystone.common.fernet_utils.NULL_KEY: urlsafe base64 of 32 zero bytes. */
export const NULL_KEY = Buffer.alloc(32).toString('base64url') + '=';
/** Keystone's fixed max_active_keys for the credential repository. */
export const CREDENTIAL_MAX_ACTIVE_KEYS = 3;

export interface CredentialKey {
  /** the key's text as read from its file (hashed for key_hash) */
  raw: string;
  key: FernetKey;
}

const NULL_CREDENTIAL_KEY: CredentialKey = Object.freeze({ raw: NULL_KEY, key: FernetKey.parse(NULL_KEY) });

/** Keystone's CredentialEncryptionError (a 500 for the client). */
export class CredentialEncryptionError extends UnexpectedError {
  constructor(message: string) {
    super(message);
    this.name = 'CredentialEncryptionError';
  }
}

/** The repository of [credential] key_repository (max_active_keys fixed at 3, as Keystone). */
export function credentialRepository(path: string, logger?: KeyRepositoryLogger): KeyRepository {
  return new KeyRepository({ path, maxActiveKeys: CREDENTIAL_MAX_ACTIVE_KEYS, configGroup: 'credential', logger });
}

/**
 * FernetUtils.load_keys(use_null_key=True): the keys, primary first, then
 * the null key; only the null key when the repository is missing,
 * unreadable or empty. An invalid key file is still an error.
 */
export function loadCredentialKeys(repository: KeyRepository, logger?: KeyRepositoryLogger): CredentialKey[] {
  try {
    return [...repository.loadKeysSync().map((k) => ({ raw: k.raw, key: k.key })), NULL_CREDENTIAL_KEY];
  } catch (err) {
    if (
      err instanceof KeyRepositoryError &&
      (err.code === 'missing' || err.code === 'unreadable' || err.code === 'not_directory' || err.code === 'empty')
    ) {
      if (err.code !== 'empty') logger?.warn(err.message);
      return [NULL_CREDENTIAL_KEY];
    }
    throw err;
  }
}

/** primary_key_hash: SHA-1 hex of the primary key's text (utf-8). */
export function primaryKeyHash(keys: readonly (CredentialKey | string)[]): string {
  const first = keys[0];
  if (first === undefined) throw new RangeError('no credential keys');
  return createHash('sha1')
    .update(typeof first === 'string' ? first : first.raw, 'utf8')
    .digest('hex');
}

export interface EncryptedCredential {
  /** the Fernet token, with its padding, as Keystone stores encrypted_blob */
  encryptedBlob: string;
  keyHash: string;
}

export class CredentialCrypto {
  private readonly getKeys: () => readonly CredentialKey[];
  private readonly logger?: KeyRepositoryLogger;

  /** @param keys a repository (read on every call, as Keystone) or a key getter (primary first, null key included if wanted) */
  constructor(keys: KeyRepository | (() => readonly CredentialKey[]), logger?: KeyRepositoryLogger) {
    this.logger = logger;
    this.getKeys = keys instanceof KeyRepository ? () => loadCredentialKeys(keys, logger) : keys;
  }

  /** For [credential] key_repository. */
  static forRepository(path: string, logger?: KeyRepositoryLogger): CredentialCrypto {
    return new CredentialCrypto(credentialRepository(path, logger), logger);
  }

  encrypt(blob: string, options?: EncryptOptions): EncryptedCredential {
    const keys = this.getKeys();
    if (keys.length === 0) throw new CredentialEncryptionError('Credential could not be encrypted: no keys');
    if (keys[0].raw === NULL_KEY) {
      this.logger?.warn(
        'Encrypting credentials with the null key. Please properly encrypt credentials using `keystone-manage credential_setup`, `keystone-manage credential_migrate`, and `keystone-manage credential_rotate`',
      );
    }
    if (typeof blob !== 'string') throw new CredentialEncryptionError(`Credential could not be encrypted: ${typeof blob} is not a string`);
    return { encryptedBlob: encrypt(keys[0].key, Buffer.from(blob, 'utf8'), options), keyHash: primaryKeyHash(keys) };
  }

  decrypt(encrypted: string | Buffer): string {
    try {
      if (typeof encrypted !== 'string' && !Buffer.isBuffer(encrypted)) throw new TypeError('not a string');
      const token = typeof encrypted === 'string' ? encrypted : encrypted.toString('utf8');
      const plain = decrypt(
        token,
        this.getKeys().map((k) => k.key),
      );
      return new TextDecoder('utf-8', { fatal: true }).decode(plain);
    } catch (err) {
      if (err instanceof InvalidToken || err instanceof TypeError || err instanceof RangeError) {
        this.logger?.warn('Credential could not be decrypted. Please contact the administrator');
        throw new CredentialEncryptionError('Credential could not be decrypted. Please contact the administrator');
      }
      throw err;
    }
  }

  /** The key_hash a credential encrypted now would carry (credential_rotate compares it). */
  primaryKeyHash(): string {
    return primaryKeyHash(this.getKeys());
  }
}
