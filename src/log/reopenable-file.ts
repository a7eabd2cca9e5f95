/**
 * A winston transport appending lines to a log file that can be reopened:
 * on SIGUSR1 (logrotate's postrotate, see packaging/logrotate/) through
 * reopen(), and by itself when the path no longer names the file it has open
 * (logrotate moved or removed it: checked every `checkIntervalMs`, and before
 * the first write after that). Writes are synchronous appends (O_APPEND), so
 * several processes (the primary and every worker) can share one file
 * without interleaving inside a line, and nothing is lost at exit.
 */
import { closeSync, fstatSync, mkdirSync, openSync, statSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import TransportStream from 'winston-transport';
import { LineQueue } from './line-queue.js';

const MESSAGE = Symbol.for('message');

export interface ReopenableFileOptions extends TransportStream.TransportStreamOptions {
  filename: string;
  /** how often to check whether logrotate moved the file; 0 disables (default 5000) */
  checkIntervalMs?: number;
  mode?: number;
}

export class ReopenableFileTransport extends TransportStream {
  readonly filename: string;
  private fd: number | null = null;
  private ino = 0;
  private dev = 0;
  private timer: NodeJS.Timeout | null = null;
  private readonly mode: number;
  /** times the file was (re)opened, for tests and diagnostics */
  opens = 0;
  private readonly queue = new LineQueue((text) => {
    this.append(text);
  });

  constructor(options: ReopenableFileOptions) {
    super(options);
    this.filename = options.filename;
    this.mode = options.mode ?? 0o640;
    this.open();
    const interval = options.checkIntervalMs ?? 5000;
    if (interval > 0) {
      this.timer = setInterval(() => this.checkMoved(), interval);
      this.timer.unref();
    }
  }

  private open(): void {
    mkdirSync(dirname(this.filename), { recursive: true });
    this.fd = openSync(this.filename, 'a', this.mode);
    const st = fstatSync(this.fd);
    this.ino = st.ino;
    this.dev = st.dev;
    this.opens++;
  }

  /** Closes and reopens the file by name (SIGUSR1). */
  reopen(): void {
    this.queue.flush();
    const old = this.fd;
    this.fd = null;
    try {
      this.open();
    } finally {
      if (old !== null) {
        try {
          closeSync(old);
        } catch {
          /* already closed */
        }
      }
    }
  }

  /** Reopens when the path is gone or names another file (rotated by a move). Returns true when it did. */
  checkMoved(): boolean {
    try {
      const st = statSync(this.filename);
      if (st.ino === this.ino && st.dev === this.dev) return false;
    } catch {
      /* moved away and not recreated: create it */
    }
    try {
      this.reopen();
      return true;
    } catch (err) {
      process.stderr.write(`keystone: cannot reopen log file ${this.filename}: ${(err as Error).message}\n`);
      return false;
    }
  }

  /** Appends a formatted line with the next batch (src/log/line-queue.ts). */
  queueLine(line: string): void {
    this.queue.push(line);
  }

  override log(info: Record<string | symbol, unknown>, callback: () => void): void {
    const text = info[MESSAGE] ?? info.message;
    this.queue.flush();
    this.append((typeof text === 'string' ? text : '') + '\n');
    this.emit('logged', info);
    callback();
  }

  private append(line: string): void {
    if (this.fd === null) {
      try {
        this.open();
      } catch {
        /* fall through: write nothing */
      }
    }
    if (this.fd !== null) {
      try {
        writeSync(this.fd, line);
      } catch (err) {
        process.stderr.write(`keystone: cannot write log file ${this.filename}: ${(err as Error).message}\n`);
      }
    }
  }

  override close(): void {
    this.queue.close();
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    if (this.fd !== null) {
      try {
        closeSync(this.fd);
      } catch {
        /* ignore */
      }
    }
    this.fd = null;
  }
}
