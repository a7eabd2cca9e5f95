/**
 * KeyRing keeps the loaded keys of one Fernet key repository (key-repository.ts)
 * in memory for the token hot path and reloads them when the directory changes
 * (fs.watch, debounced, with a slow poll as a fallback for file systems where
 * watching is unreliable). Keystone reads the directory on every token
 * operation; this is the cached equivalent.
 */
import { watch, type FSWatcher } from 'node:fs';
import { resolve } from 'node:path';
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
  private watcher?: FSWatcher;
  private timer?: NodeJS.Timeout;
  private poller?: NodeJS.Timeout;
  private reloading?: Promise<void>;
  private again = false;
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
    if (this.watcher || this.closed) return;
    try {
      this.watcher = watch(resolve(this.repository.path), { persistent: false }, () => {
        this.schedule();
      });
      this.watcher.on('error', (err) => {
        this.options.onError?.(err);
        this.watcher?.close();
        this.watcher = undefined; // the poll keeps going and re-arms the watch
      });
    } catch (err) {
      this.options.onError?.(err as Error);
    }
    const pollMs = this.options.pollMs ?? 30_000;
    if (pollMs > 0 && !this.poller) {
      this.poller = setInterval(() => {
        if (!this.watcher) this.watch();
        this.schedule();
      }, pollMs);
      this.poller.unref();
    }
  }

  private schedule(): void {
    if (this.closed) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.runReload();
    }, this.options.debounceMs ?? 100);
    this.timer.unref();
  }

  private async runReload(): Promise<void> {
    if (this.reloading) {
      this.again = true;
      return this.reloading;
    }
    this.reloading = (async () => {
      do {
        this.again = false;
        try {
          await this.reload();
        } catch (err) {
          this.options.onError?.(err as Error);
        }
      } while (this.again && !this.closed);
    })();
    try {
      await this.reloading;
    } finally {
      this.reloading = undefined;
    }
  }

  /** Resolves once any reload in progress or pending has finished (tests, shutdown). */
  async settled(): Promise<void> {
    while (this.timer || this.reloading) {
      if (this.reloading) await this.reloading;
      else await new Promise((r) => setTimeout(r, 10));
    }
  }

  close(): void {
    this.closed = true;
    this.watcher?.close();
    this.watcher = undefined;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.poller) clearInterval(this.poller);
    this.poller = undefined;
  }
}

function signatureOf(keys: readonly LoadedKey[]): string {
  return keys.map((k) => `${k.id}:${k.key.encoded}`).join(',');
}
