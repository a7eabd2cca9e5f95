/**
 * The process-wide winston logger. Until configureLogging() runs, lines go to
 * stderr at info; the format, the request context and the scrubber already
 * apply, so nothing secret is ever written, configured or not.
 *
 * Wiring:
 *  - src/cli/keystone-all.ts, in the primary AND in every worker, once the
 *    configuration is loaded (before anything else logs):
 *        configureLogging(conf, 'keystone-all');          // primary
 *        configureLogging(conf, `keystone-${service}`);    // worker: keystone-public / keystone-admin
 *  - keystone-manage: configureLogging(conf, 'keystone-manage') (a log_dir
 *    without log_file then writes keystone-manage.log, as Keystone does).
 *  - Anything else logs through `log` (or getLogger('keystone.token') for a
 *    named logger); a metadata object is scrubbed by key, and every final
 *    line is scrubbed as text (src/log/scrub.ts).
 *  - the express pipeline: logContext() from ./context.js after request_id,
 *    and accessLog() from ./access.js (or its own, logging with
 *    `{ access: true, requestId }`).
 *
 * Options honoured ([DEFAULT]): debug (level debug instead of info),
 * log_file / log_dir (a file, reopened on SIGUSR1 and when logrotate moves
 * it), use_stderr (also to stderr; forced when no file), use_json (oslo.log's
 * JSON formatter fields, one object a line), use_journal (stderr lines carry
 * sd-daemon `<N>` priority prefixes, which journald turns into priorities;
 * the unit in systemd/ sends stderr to the journal).
 */
import { hostname } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import winston from 'winston';
import type { KeystoneConfig } from '../config/options.js';
import { contextBlock, currentLogContext } from './context.js';
import { ReopenableFileTransport } from './reopenable-file.js';
import { scrubText, scrubValue } from './scrub.js';

const MESSAGE = Symbol.for('message');
const LEVEL = Symbol.for('level');

const LEVEL_NAMES: Record<string, string> = {
  error: 'ERROR',
  warn: 'WARNING',
  info: 'INFO',
  http: 'INFO',
  verbose: 'DEBUG',
  debug: 'DEBUG',
  silly: 'DEBUG',
};
const LEVEL_NUMBERS: Record<string, number> = { error: 40, warn: 30, info: 20, http: 20, verbose: 10, debug: 10, silly: 5 };
/** sd-daemon(3) priorities */
const JOURNAL_PRIORITY: Record<string, number> = { error: 3, warn: 4, info: 6, http: 6, verbose: 7, debug: 7, silly: 7 };
const RESERVED = new Set(['level', 'message', 'timestamp', 'requestId', 'globalRequestId', 'access', 'logger', 'stack']);

let processName = 'keystone';

function asctime(d: Date): string {
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}.${p(d.getMilliseconds(), 3)}`;
}

type Info = winston.Logform.TransformableInfo & Record<string, unknown>;

function contextOf(info: Info) {
  const ctx = currentLogContext();
  const explicit = typeof info.requestId === 'string' ? info.requestId : undefined;
  // a line logged for another request than the current one (e.g. from a 'finish' listener) gets only its id
  if (explicit && ctx && ctx.requestId !== explicit) return { requestId: explicit };
  return explicit ? { ...ctx, requestId: explicit } : ctx;
}

function extraOf(info: Info): Record<string, unknown> {
  const extra: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(info)) if (!RESERVED.has(k)) extra[k] = v;
  return scrubValue(extra) as Record<string, unknown>;
}

function messageOf(info: Info): string {
  const m = info.message;
  if (typeof m === 'string') return m;
  if (m instanceof Error) return m.message;
  return JSON.stringify(scrubValue(m));
}

const textLine = winston.format((info) => {
  const i = info as Info;
  const ctx = contextOf(i);
  const name = i.access ? 'keystone.access' : typeof i.logger === 'string' ? i.logger : processName;
  let line = `${asctime(new Date())} ${process.pid} ${LEVEL_NAMES[i.level] ?? i.level.toUpperCase()} ${name} ${contextBlock(ctx)} ${messageOf(i)}`;
  const extra = extraOf(i);
  const keys = Object.keys(extra);
  if (keys.length && !i.access) line += ' ' + JSON.stringify(extra);
  if (typeof i.stack === 'string') line += '\n' + i.stack;
  i[MESSAGE] = line;
  return i;
});

const jsonLine = winston.format((info) => {
  const i = info as Info;
  const ctx = contextOf(i);
  const now = new Date();
  const record: Record<string, unknown> = {
    message: messageOf(i),
    asctime: asctime(now),
    name: i.access ? 'keystone.access' : typeof i.logger === 'string' ? i.logger : processName,
    levelname: LEVEL_NAMES[i.level] ?? i.level.toUpperCase(),
    levelno: LEVEL_NUMBERS[i.level] ?? 20,
    created: now.getTime() / 1000,
    process: process.pid,
    process_name: processName,
    hostname: hostname(),
    context: ctx
      ? {
          request_id: ctx.requestId,
          global_request_id: ctx.globalRequestId ?? null,
          user: ctx.userId ?? null,
          project: ctx.projectId ?? null,
          domain: ctx.domainId ?? null,
          user_domain: ctx.userDomainId ?? null,
          project_domain: ctx.projectDomainId ?? null,
        }
      : {},
    extra: extraOf(i),
  };
  if (typeof i.stack === 'string') record.traceback = i.stack.split('\n');
  i[MESSAGE] = JSON.stringify(record);
  return i;
});

/** The last word: whatever the formatter produced is scrubbed as text. */
const scrubLine = winston.format((info) => {
  const i = info as Info;
  const message = i[MESSAGE];
  i[MESSAGE] = scrubText(typeof message === 'string' ? message : '', { access: Boolean(i.access) });
  return i;
});

const journalPrefix = winston.format((info) => {
  const i = info as Info;
  const level = i[LEVEL];
  const prio = JOURNAL_PRIORITY[typeof level === 'string' ? level : i.level] ?? 6;
  i[MESSAGE] = String(i[MESSAGE])
    .split('\n')
    .map((l) => `<${prio}>${l}`)
    .join('\n');
  return i;
});

function lineFormat(json: boolean): winston.Logform.Format {
  return winston.format.combine(winston.format.errors({ stack: true }), json ? jsonLine() : textLine(), scrubLine());
}

const ALL_LEVELS = ['error', 'warn', 'info', 'http', 'verbose', 'debug', 'silly'];

function stderrTransport(journal: boolean): winston.transport {
  // winston's typings do not declare its transports as subclasses of winston-transport's TransportStream
  // eslint-disable-next-line @typescript-eslint/no-unsafe-class-instance-assignment
  return new winston.transports.Console({
    stderrLevels: ALL_LEVELS,
    ...(journal ? { format: journalPrefix() } : {}),
  });
}

export const log = winston.createLogger({
  level: 'info',
  format: lineFormat(false),
  transports: [stderrTransport(false)],
});

/** A named logger (the `name` field of oslo.log), e.g. getLogger('keystone.token.provider'). */
export function getLogger(name: string): winston.Logger {
  return log.child({ logger: name });
}

let fileTransports: ReopenableFileTransport[] = [];
let signalInstalled = false;

export interface LoggingSetup {
  level: string;
  /** the log file, when one is written */
  file?: string;
  stderr: boolean;
  json: boolean;
  journal: boolean;
}

/** Where [DEFAULT] log_file / log_dir point, as oslo.log resolves them. */
export function logFilePath(conf: KeystoneConfig, name: string): string | undefined {
  const { log_file: file, log_dir: dir } = conf.DEFAULT;
  if (file) return dir && !isAbsolute(file) ? join(dir, file) : resolve(file);
  if (dir) return join(dir, `${name === 'keystone-manage' ? 'keystone-manage' : 'keystone'}.log`);
  return undefined;
}

export interface ConfigureLoggingOptions {
  /** install the SIGUSR1 handler that reopens log files (default true) */
  handleSignals?: boolean;
  /** how often the log file is checked for a move by logrotate, ms (default 5000; 0 = never) */
  checkIntervalMs?: number;
}

/**
 * Configures `log` from keystone.conf for this process. `name` is the
 * process's name in every line: keystone-all (primary), keystone-public,
 * keystone-admin (workers), keystone-manage. May be called again (a SIGHUP
 * reload): the old files are closed.
 */
export function configureLogging(conf: KeystoneConfig, name: string, options: ConfigureLoggingOptions = {}): LoggingSetup {
  processName = name;
  const d = conf.DEFAULT;
  const file = logFilePath(conf, name);
  const json = d.use_json;
  const journal = d.use_journal;
  const stderr = !file || d.use_stderr || journal;
  for (const t of fileTransports) t.close();
  fileTransports = [];
  const transports: winston.transport[] = [];
  if (file) {
    const t = new ReopenableFileTransport({ filename: file, checkIntervalMs: options.checkIntervalMs });
    fileTransports.push(t);
    // eslint-disable-next-line @typescript-eslint/no-unsafe-class-instance-assignment -- as in stderrTransport
    transports.push(t);
  }
  if (stderr) transports.push(stderrTransport(journal));
  const level = d.debug ? 'debug' : 'info';
  log.configure({ level, format: lineFormat(json), transports, exitOnError: false });
  if (options.handleSignals !== false && !signalInstalled) {
    signalInstalled = true;
    process.on('SIGUSR1', () => {
      reopenLogFiles();
    });
  }
  return { level, file, stderr, json, journal };
}

/** Reopens every log file by name (after logrotate moved it). SIGUSR1 calls this. */
export function reopenLogFiles(): void {
  for (const t of fileTransports) {
    try {
      t.reopen();
    } catch (err) {
      process.stderr.write(`keystone: cannot reopen ${t.filename}: ${(err as Error).message}\n`);
    }
  }
}

/** The open log files' transports (tests, diagnostics). */
export function logFileTransports(): readonly ReopenableFileTransport[] {
  return fileTransports;
}
