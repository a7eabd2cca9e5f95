/**
 * Log lines written in batches: queued during one turn of the event loop and
 * written together right after it (setImmediate), before any line the same
 * destination writes directly, and at exit. Under load the access lines of
 * many requests then cost one write system call instead of one each
 * (src/log/logger.ts logAccess). A batch never exceeds PIPE_BUF (4,096
 * bytes): a write that size to a pipe is atomic, so lines of the primary and
 * the workers sharing stderr never interleave inside a line.
 */

const PIPE_BUF = 4096;

const queues = new Set<LineQueue>();
let exitHookInstalled = false;

export class LineQueue {
  private pending = '';
  private pendingBytes = 0;
  private scheduled = false;

  /** @param write writes text (whole lines) to the destination, synchronously */
  constructor(private readonly write: (text: string) => void) {
    queues.add(this);
    if (!exitHookInstalled) {
      exitHookInstalled = true;
      process.on('exit', () => {
        for (const q of queues) q.flush();
      });
    }
  }

  /** Queues one line (without its newline). */
  push(line: string): void {
    const text = `${line}\n`;
    const bytes = Buffer.byteLength(text);
    if (this.pendingBytes + bytes > PIPE_BUF) this.flush();
    this.pending += text;
    this.pendingBytes += bytes;
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => {
        this.scheduled = false;
        this.flush();
      });
    }
  }

  /** Writes what is queued now. */
  flush(): void {
    if (this.pending === '') return;
    const text = this.pending;
    this.pending = '';
    this.pendingBytes = 0;
    this.write(text);
  }

  /** Flushes and forgets this queue (its destination is closed). */
  close(): void {
    this.flush();
    queues.delete(this);
  }
}
