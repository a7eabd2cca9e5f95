/**
 * Follows one directory (a key repository) so that what was loaded from it is
 * read again when it changes: fs.watch, debounced, with a slow poll as a
 * fallback for file systems where watching is unreliable (the poll also re-arms
 * a watch that failed). `check` runs one at a time; a change seen while it runs
 * runs it once more afterwards. Its failures go to onError: the caller keeps
 * what it had.
 */
import { watch, type FSWatcher } from 'node:fs';
import { resolve } from 'node:path';

export interface DirectoryFollowerOptions {
  /** quiet period after the last change event before checking (ms); default 100 */
  debounceMs?: number;
  /** fallback poll of the directory (ms); 0 disables; default 30 s */
  pollMs?: number;
  /** called when watching or a check fails */
  onError?: (err: Error) => void;
}

export class DirectoryFollower {
  private watcher?: FSWatcher;
  private timer?: NodeJS.Timeout;
  private poller?: NodeJS.Timeout;
  private running?: Promise<void>;
  private again = false;
  private closed = false;

  constructor(
    readonly path: string,
    private readonly check: () => void | Promise<void>,
    private readonly options: DirectoryFollowerOptions = {},
  ) {}

  /** Starts following the directory (idempotent). */
  start(): void {
    if (this.watcher || this.closed) return;
    try {
      this.watcher = watch(resolve(this.path), { persistent: false }, () => {
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
        if (!this.watcher) this.start();
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
      void this.run();
    }, this.options.debounceMs ?? 100);
    this.timer.unref();
  }

  private async run(): Promise<void> {
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = (async () => {
      do {
        this.again = false;
        try {
          await this.check();
        } catch (err) {
          this.options.onError?.(err as Error);
        }
      } while (this.again && !this.closed);
    })();
    try {
      await this.running;
    } finally {
      this.running = undefined;
    }
  }

  /** Resolves once any check in progress or pending has finished (tests, shutdown). */
  async settled(): Promise<void> {
    while (this.timer || this.running) {
      if (this.running) await this.running;
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
