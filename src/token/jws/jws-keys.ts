/**
 * The JWS key pair's files ([jwt_tokens]): `private.pem` in
 * jws_private_key_repository signs; every file of jws_public_key_repository
 * is a public key that verifies. Keystone reads both directories on every
 * token operation; here they are kept in memory and read again when the
 * public directory changes (src/common/directory-follower.ts) or when a file's name, size, inode or mtime differs at the next
 * issue or validation from the source. `publicKeys()` is a frozen array
 * replaced (never mutated) when the keys change: the token manager's memo
 * compares it by identity, as it does the Fernet key ring.
 */
import { createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { DirectoryFollower } from '../../common/directory-follower.js';

export interface JwsKeyPaths {
  publicRepository: string;
  privateRepository: string;
}

export interface JwsKeysOptions {
  onReload?: (count: number) => void;
  onWarning?: (message: string) => void;
  onError?: (err: Error) => void;
  /** quiet period after a change event before reading again (ms) */
  debounceMs?: number;
  /** fallback poll (ms); 0 disables; default 30 s */
  pollMs?: number;
}

/** The private key's path: Keystone signs with `private.pem` only. */
export function privateKeyPath(paths: JwsKeyPaths): string {
  return join(paths.privateRepository, 'private.pem');
}

/**
 * What Keystone's JWS provider refuses to start without, in its words; null when the files are there.
 */
export function jwsKeyProblem(paths: JwsKeyPaths): string | null {
  const priv = privateKeyPath(paths);
  if (!existsSync(priv)) return `${priv} does not exist. You can generate a key pair using \`keystone-manage create_jws_keypair\`.`;
  if (!existsSync(paths.publicRepository))
    return `${paths.publicRepository} does not exist. Please make sure the directory exists and is readable by the process running keystone.`;
  if (readdirSync(paths.publicRepository).length === 0)
    return `${paths.publicRepository} must contain at least one public key but it is empty. You can generate a key pair using \`keystone-manage create_jws_keypair\`.`;
  return null;
}

/** Reads an EC P-256 key from PEM text; throws with a reason otherwise. */
export function p256Key(pem: string | Buffer, kind: 'public' | 'private'): KeyObject {
  const key = kind === 'public' ? createPublicKey(pem) : createPrivateKey(pem);
  if (key.asymmetricKeyType !== 'ec' || key.asymmetricKeyDetails?.namedCurve !== 'prime256v1')
    throw new Error(`not an EC P-256 (secp256r1) ${kind} key`);
  return key;
}

export class JwsKeys {
  private publics: readonly KeyObject[] = Object.freeze([]);
  private publicSignature: string | null = null;
  private privateKeyObject: KeyObject | null = null;
  private privateSignature: string | null = null;
  private follower?: DirectoryFollower;
  private closed = false;

  constructor(
    readonly paths: JwsKeyPaths,
    private readonly options: JwsKeysOptions = {},
  ) {}

  /** The public keys in force (read again first when the directory changed). */
  publicKeys(): readonly KeyObject[] {
    this.refreshPublic();
    return this.publics;
  }

  /** The public keys as last read, without touching the file system (the memo's hot path). */
  currentPublicKeys(): readonly KeyObject[] {
    if (this.publicSignature === null) this.refreshPublic();
    return this.publics;
  }

  /** The signing key (`private.pem`), read again when the file changed; throws when it is missing or not a P-256 key. */
  privateKey(): KeyObject {
    const path = privateKeyPath(this.paths);
    const sig = fileSignature(path);
    if (this.privateKeyObject && sig === this.privateSignature) return this.privateKeyObject;
    let key: KeyObject;
    try {
      key = p256Key(readFileSync(path), 'private');
    } catch (err) {
      throw new Error(`cannot read the JWS private key ${path}: ${(err as Error).message}`, { cause: err });
    }
    this.privateKeyObject = key;
    this.privateSignature = sig;
    return key;
  }

  /** Reads the public directory again when a file's name, size, inode or mtime changed. */
  refreshPublic(): void {
    const dir = this.paths.publicRepository;
    const names = readdirSync(dir).sort();
    const sig = names.map((n) => `${n}:${fileSignature(join(dir, n))}`).join('|');
    if (sig === this.publicSignature) return;
    const keys: KeyObject[] = [];
    for (const name of names) {
      const path = join(dir, name);
      try {
        if (!statSync(path).isFile()) continue;
        keys.push(p256Key(readFileSync(path), 'public'));
      } catch (err) {
        this.options.onWarning?.(`jwt_tokens: ignoring ${path}: ${(err as Error).message}`);
      }
    }
    const first = this.publicSignature === null;
    this.publics = Object.freeze(keys);
    this.publicSignature = sig;
    if (!first) this.options.onReload?.(keys.length);
  }

  /** Follows the public directory so that memoized validations notice a key removed (idempotent). */
  watch(): void {
    if (this.closed) return;
    this.follower ??= new DirectoryFollower(
      this.paths.publicRepository,
      () => {
        this.refreshPublic();
      },
      this.options,
    );
    this.follower.start();
  }

  close(): void {
    this.closed = true;
    this.follower?.close();
  }
}

function fileSignature(path: string): string {
  try {
    const st = statSync(path);
    return `${st.ino}:${st.size}:${st.mtimeMs}`;
  } catch {
    return 'missing';
  }
}
