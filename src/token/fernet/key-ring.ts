/**
 * KeyRing keeps the loaded keys of one Fernet key repository (key-repository.ts)
 * in memory for the token hot path and reloads them when the directory changes
 * (src/common/directory-follower.ts). Keystone reads the directory on every token
 * operation; this is the cached equivalent.
 */
import { DirectoryFollower } from '../../common/directory-follower.js';
import type { FernetKey } from './fernet.js';
import type { KeyRepository, LoadedKey } from './key-repository.js';

export interface KeyRingOptions {
  /** quiet period after the last change event before reloading (ms) */
  debounceMs?: number;
  /** fallback poll of the directory (ms); 0 disables; default 30 s */
  pollMs?: number;
  /** called after a reload that changed the key list */
  onReload?: (keys: readonly LoadedKey[]) => void;
  /** called when a reload fails; the previous keys stay in use */
  onError?: (err: Error) => void;
}

/**
 * The loaded keys of one repository, primary first, kept current. `keys()`
 * is what the token formatter's key getter returns: a stable array that is
 * replaced (never mutated) on reload.
 */
export class KeyRing {
  private loadedKeys: readonly LoadedKey[];
  private fernetKeys: readonly FernetKey[];
  private follower?: DirectoryFollower;
  private closed = false;
  private signature = '';

  private constructor(
    readonly repository: KeyRepository,
    initial: LoadedKey[],
    private readonly options: KeyRingOptions,
  ) {
    this.loadedKeys = Object.freeze(initial);
    this.fernetKeys = Object.freeze(initial.map((k) => k.key));
    this.signature = signatureOf(initial);
  }

  /** Loads the repository (throwing its clear errors) and, with watch: true, starts following it. */
  static open(repository: KeyRepository, options: KeyRingOptions & { watch?: boolean } = {}): KeyRing {
    const ring = new KeyRing(repository, repository.loadKeysSync(), options);
    if (options.watch) ring.watch();
    return ring;
  }

  /** Fernet keys, primary first. */
  keys(): readonly FernetKey[] {
    return this.fernetKeys;
  }

  /** Loaded keys with their ids and raw text, primary first. */
  loaded(): readonly LoadedKey[] {
    return this.loadedKeys;
  }

  /** Reloads now; on failure keeps the current keys and rethrows. */
  async reload(): Promise<void> {
    const keys = await this.repository.loadKeys();
    const sig = signatureOf(keys);
    if (sig === this.signature) return;
    this.signature = sig;
    this.loadedKeys = Object.freeze(keys);
    this.fernetKeys = Object.freeze(keys.map((k) => k.key));
    this.options.onReload?.(this.loadedKeys);
  }

  /** Starts watching the directory (idempotent). */
  watch(): void {
    if (this.closed) return;
    this.follower ??= new DirectoryFollower(this.repository.path, () => this.reload(), this.options);
    this.follower.start();
  }

  /** Resolves once any reload in progress or pending has finished (tests, shutdown). */
  async settled(): Promise<void> {
    await this.follower?.settled();
  }

  close(): void {
    this.closed = true;
    this.follower?.close();
  }
}

function signatureOf(keys: readonly LoadedKey[]): string {
  return keys.map((k) => `${k.id}:${k.key.encoded}`).join(',');
}
