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
import { StderrTransport } from './stderr-transport.js';
import { scrubRepeatedText, scrubText, scrubValue } from './scrub.js';

const MESSAGE = Symbol.for('message');

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
const RESERVED = new Set(['level', 'message', 'timestamp', 'requestId', 'globalRequestId', 'access', 'logger', 'stack']);

let processName = 'keystone';

const pad = (n: number, w = 2) => String(n).padStart(w, '0');

/** oslo.log's asctime (local time, milliseconds): the part up to the seconds formatted once per second, the whole once per millisecond. */
let asctimeSecond = NaN;
let asctimeHead = '';
let asctimeMs = NaN;
let asctimeText = '';
function asctime(d: Date): string {
  return asctimeAt(d.getTime());
}
function asctimeAt(ms: number): string {
  if (ms === asctimeMs) return asctimeText;
  const second = Math.floor(ms / 1000);
  if (second !== asctimeSecond) {
    const d = new Date(ms);
    asctimeHead = `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
    asctimeSecond = second;
  }
  asctimeMs = ms;
  asctimeText = `${asctimeHead}.${pad(ms - second * 1000, 3)}`;
  return asctimeText;
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

/** Set on an info whose line textLine already scrubbed (see accessHeadIsPlain). */
const SCRUBBED = Symbol('keystone.log.scrubbed');
const PLAIN_REQUEST_ID = /^req-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * Whether an access line's head (time, pid, level, name, context block) is nothing the scrubber masks: a context
 * of a generated request id only. The head then ends in `]` and holds no quote, `<`, `=` or `:` after a word, so
 * no pattern of scrubText spans head and message, and the message alone can be scrubbed — once per distinct
 * message (scrubRepeatedText): the same request line, status, size and client headers repeat under load.
 */
function accessHeadIsPlain(ctx: ReturnType<typeof contextOf>, stack: unknown): boolean {
  return (
    ctx !== undefined &&
    stack === undefined &&
    PLAIN_REQUEST_ID.test(ctx.requestId) &&
    ctx.userId === undefined &&
    ctx.projectId === undefined &&
    ctx.domainId === undefined &&
    ctx.userDomainId === undefined &&
    ctx.projectDomainId === undefined
  );
}

const textLine = winston.format((info) => {
  const i = info as Info;
  const ctx = contextOf(i);
  const name = i.access ? 'keystone.access' : typeof i.logger === 'string' ? i.logger : processName;
  const head = `${asctime(new Date())} ${process.pid} ${LEVEL_NAMES[i.level] ?? i.level.toUpperCase()} ${name} ${contextBlock(ctx)}`;
  if (i.access && typeof i.message === 'string' && accessHeadIsPlain(ctx, i.stack)) {
    i[MESSAGE] = `${head} ${scrubRepeatedText(i.message, { access: true })}`;
    i[SCRUBBED] = true;
    return i;
  }
  let line = `${head} ${messageOf(i)}`;
  if (!i.access) {
    const extra = extraOf(i);
    if (Object.keys(extra).length) line += ' ' + JSON.stringify(extra);
  }
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
  if (i[SCRUBBED] === true) return i;
  const message = i[MESSAGE];
  i[MESSAGE] = scrubText(typeof message === 'string' ? message : '', { access: Boolean(i.access) });
  return i;
});

function lineFormat(json: boolean): winston.Logform.Format {
  return winston.format.combine(winston.format.errors({ stack: true }), json ? jsonLine() : textLine(), scrubLine());
}

function stderrTransport(journal: boolean): StderrTransport {
  return new StderrTransport(journal);
}

/** The transports logAccess may write to directly (all of the logger's, when they are ours); text lines only. */
let directTransports: readonly (StderrTransport | ReopenableFileTransport)[] = [];
let textFormat = true;

export const log = winston.createLogger({
  level: 'info',
  format: lineFormat(false),
  // eslint-disable-next-line @typescript-eslint/no-unsafe-class-instance-assignment -- winston's typings do not declare its transports as subclasses of winston-transport's TransportStream
  transports: (directTransports = [stderrTransport(false)]),
});

/** Whether the logger writes to exactly directTransports (nothing added since, e.g. a test's capturing transport). */
function writesOnlyToDirectTransports(): boolean {
  const current = log.transports as unknown[];
  if (current.length !== directTransports.length) return false;
  for (let i = 0; i < current.length; i++) if (current[i] !== directTransports[i] || directTransports[i].silent) return false;
  return true;
}

/** log.isLevelEnabled('info') for the levels it was last asked with (winston's answer walks its transports). */
let infoAskedWith: (string | undefined)[] = [];
let infoEnabled = false;
function infoEnabledOnDirectTransports(): boolean {
  let same = infoAskedWith.length === directTransports.length + 1 && infoAskedWith[0] === log.level;
  for (let i = 0; same && i < directTransports.length; i++) same = infoAskedWith[i + 1] === directTransports[i].level;
  if (!same) {
    infoEnabled = log.isLevelEnabled('info');
    infoAskedWith = [log.level, ...directTransports.map((t) => t.level)];
  }
  return infoEnabled;
}

/**
 * Logs an access line (the access_log stage): the same line as `log.info(message, { access: true, requestId })`,
 * but when the line is plain text with a plain head (accessHeadIsPlain) and goes only to this module's transports,
 * it skips winston's streams and is queued for the next batched write (src/log/line-queue.ts). Under load that is
 * most of a cheap request's cost saved.
 */
export function logAccess(message: string, requestId: string | undefined): void {
  if (directAccessLines()) {
    const ctx = contextOf({ requestId, level: 'info', message });
    if (accessHeadIsPlain(ctx, undefined)) {
      queueAccessLine(contextBlock(ctx), scrubRepeatedText(message, { access: true }));
      return;
    }
  }
  log.info(message, { requestId, access: true });
}

/**
 * logAccess for a message already scrubbed as an access message (scrubAccessMessage) of a request with no user in
 * its context (the validation fast path, which has none) and an id made by newRequestId
 * (src/server/pipeline/request-id.ts: `req-` and a randomUUID, the form PLAIN_REQUEST_ID matches): its head is
 * plain.
 */
export function logGeneratedIdAccess(scrubbed: string, requestId: string): void {
  if (directAccessLines()) queueAccessLine(`[${requestId} - - - - -]`, scrubbed);
  else log.info(scrubbed, { requestId, access: true });
}

/** An access message scrubbed as logAccess scrubs it. */
export function scrubAccessMessage(message: string): string {
  return scrubRepeatedText(message, { access: true });
}

function directAccessLines(): boolean {
  return textFormat && !log.silent && writesOnlyToDirectTransports() && infoEnabledOnDirectTransports();
}

const ACCESS_NAME = ` ${String(process.pid)} INFO keystone.access `;

function queueAccessLine(block: string, scrubbed: string): void {
  const line = `${asctimeAt(Date.now())}${ACCESS_NAME}${block} ${scrubbed}`;
  for (const t of directTransports) t.queueLine(line);
}

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
  for (const t of directTransports) if (t instanceof StderrTransport) t.close();
  const transports: (StderrTransport | ReopenableFileTransport)[] = [];
  if (file) {
    const t = new ReopenableFileTransport({ filename: file, checkIntervalMs: options.checkIntervalMs });
    fileTransports.push(t);
    transports.push(t);
  }
  if (stderr) transports.push(stderrTransport(journal));
  const level = d.debug ? 'debug' : 'info';
  directTransports = transports;
  textFormat = !json;
  // eslint-disable-next-line @typescript-eslint/no-unsafe-class-instance-assignment -- as in createLogger above
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
