/**
 * The winston transport writing to stderr (the terminal, or the journal under
 * systemd), one line per entry as winston's Console transport writes them, and
 * also in batches for the access lines (queueLine, src/log/line-queue.ts).
 * With `journal`, each line carries its sd-daemon(3) priority prefix (`<6>`),
 * which journald turns into the entry's priority.
 */
import TransportStream from 'winston-transport';
import { LineQueue } from './line-queue.js';

const MESSAGE = Symbol.for('message');
const LEVEL = Symbol.for('level');

/** sd-daemon(3) priorities */
const JOURNAL_PRIORITY: Record<string, number> = { error: 3, warn: 4, info: 6, http: 6, verbose: 7, debug: 7, silly: 7 };

export class StderrTransport extends TransportStream {
  private readonly queue = new LineQueue((text) => {
    process.stderr.write(text);
  });

  constructor(private readonly journal: boolean) {
    super({});
  }

  /** A line at info, written with the next batch. */
  queueLine(line: string): void {
    this.queue.push(this.journal ? `<${String(JOURNAL_PRIORITY.info)}>${line}` : line);
  }

  override log(info: Record<string | symbol, unknown>, callback: () => void): void {
    const text = info[MESSAGE];
    let line = typeof text === 'string' ? text : '';
    if (this.journal) {
      const level = info[LEVEL] ?? info.level;
      const prio = JOURNAL_PRIORITY[typeof level === 'string' ? level : 'info'] ?? 6;
      line = line
        .split('\n')
        .map((l) => `<${String(prio)}>${l}`)
        .join('\n');
    }
    this.queue.flush();
    process.stderr.write(`${line}\n`);
    this.emit('logged', info);
    callback();
  }

  override close(): void {
    this.queue.close();
  }
}
