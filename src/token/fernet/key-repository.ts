/**
 * Keystone's Fernet key repository (keystone/common/fernet_utils.py), the
 * same files on disk so that a repository can be shared with (or copied
 * from) Keystone nodes:
 *
 *  - keys are files named by integers in one directory; only regular files
 *    whose name is all digits count (0.tmp and the like are ignored); an
 *    empty file is skipped with a warning, as Keystone skips it;
 *  - 0 is the staged key (next primary), the highest number the primary
 *    (encrypts), everything in between a secondary (decrypts only);
 *  - setup creates the directory (0700) if needed and, unless a key 0
 *    already exists, writes key 0 and rotates once: keys 0 and 1;
 *  - rotate writes a new key, promotes 0 to max+1, makes the new key 0 and
 *    purges the lowest-numbered keys until max_active_keys remain (staged
 *    included), exactly in Keystone's order;
 *  - a key is written to a temporary file in the same directory (mode 0600,
 *    fsync'd), optionally chown'ed, and renamed into place, so a reader
 *    never sees half a key; when the write fails (disk full, read-only
 *    directory, …) the temporary file is removed, the existing keys are left
 *    untouched and a KeyRepositoryError says so.
 *
 * Where Keystone would log and carry on with no keys (and fail later with a
 * 500), the loader throws a KeyRepositoryError that names the repository
 * and the keystone-manage command that fixes it.
 *
 * The in-memory key ring that follows a repository is KeyRing, in
 * key-ring.ts.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  accessSync,
  chownSync,
  closeSync,
  constants as fsc,
  fchmodSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  statSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { FernetKey, InvalidFernetKey, generateKey } from './fernet.js';

export type KeyRepositoryGroup = 'fernet_tokens' | 'fernet_receipts' | 'credential';

export interface KeyRepositoryLogger {
  warn(message: string): void;
  info?(message: string): void;
  debug?(message: string): void;
}

export interface KeyRepositoryOptions {
  /** the directory ([fernet_tokens] key_repository, …) */
  path: string;
  /** [fernet_tokens] max_active_keys (3 for credentials, as Keystone fixes it) */
  maxActiveKeys: number;
  /** the keystone.conf section the repository belongs to; used in messages */
  configGroup?: KeyRepositoryGroup;
  logger?: KeyRepositoryLogger;
}

/** --keystone-user / --keystone-group: uid/gid numbers or names. */
export interface KeyOwner {
  keystoneUser?: string | number;
  keystoneGroup?: string | number;
}

export interface LoadedKey {
  /** the file's number: 0 staged, highest primary */
  id: number;
  file: string;
  /** the file's content exactly as read (Keystone hashes this for credentials) */
  raw: string;
  key: FernetKey;
}

export type KeyRepositoryErrorCode =
  | 'missing'
  | 'not_directory'
  | 'unreadable'
  | 'not_writable'
  | 'empty'
  | 'invalid_key'
  | 'write_failed'
  | 'no_staged_key'
  | 'unknown_owner';

export class KeyRepositoryError extends Error {
  constructor(
    readonly code: KeyRepositoryErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'KeyRepositoryError';
  }
}

const SETUP_COMMAND: Record<KeyRepositoryGroup, string> = {
  fernet_tokens: 'keystone-manage fernet_setup',
  fernet_receipts: 'keystone-manage fernet_setup',
  credential: 'keystone-manage credential_setup',
};

const KEY_NAME = /^[0-9]+$/;

function errnoOf(err: unknown): string | undefined {
  return (err as NodeJS.ErrnoException | undefined)?.code;
}

export class KeyRepository {
  readonly path: string;
  readonly maxActiveKeys: number;
  readonly configGroup: KeyRepositoryGroup;
  private readonly logger?: KeyRepositoryLogger;

  constructor(options: KeyRepositoryOptions) {
    if (!options.path) throw new TypeError('key repository path is required');
    if (!Number.isInteger(options.maxActiveKeys) || options.maxActiveKeys < 1)
      throw new RangeError('max_active_keys must be an integer >= 1');
    this.path = options.path;
    this.maxActiveKeys = options.maxActiveKeys;
    this.configGroup = options.configGroup ?? 'fernet_tokens';
    this.logger = options.logger;
  }

  private get label(): string {
    return `[${this.configGroup}] key repository ${this.path}`;
  }

  private get setupCommand(): string {
    return SETUP_COMMAND[this.configGroup];
  }

  // ---------------------------------------------------------------- checks

  /** Throws a clear error unless the repository exists, is a directory and is readable (and writable). */
  checkAccess(requiresWrite = false): void {
    let st;
    try {
      st = statSync(this.path);
    } catch (err) {
      if (errnoOf(err) === 'ENOENT') {
        throw new KeyRepositoryError('missing', `The ${this.label} does not exist; create it with \`${this.setupCommand}\`.`, {
          cause: err,
        });
      }
      throw new KeyRepositoryError('unreadable', `The ${this.label} cannot be read: ${(err as Error).message}`, { cause: err });
    }
    if (!st.isDirectory()) throw new KeyRepositoryError('not_directory', `The ${this.label} is not a directory.`);
    try {
      accessSync(this.path, fsc.R_OK | fsc.X_OK);
    } catch (err) {
      throw new KeyRepositoryError(
        'unreadable',
        `The ${this.label} is not readable by this process (uid ${process.getuid?.() ?? '?'}); check its owner and mode (keystone-manage --keystone-user/--keystone-group).`,
        { cause: err },
      );
    }
    if (requiresWrite) {
      try {
        accessSync(this.path, fsc.W_OK);
      } catch (err) {
        throw new KeyRepositoryError(
          'not_writable',
          `The ${this.label} is not writable by this process (uid ${process.getuid?.() ?? '?'}); the existing keys are unchanged.`,
          { cause: err },
        );
      }
    }
    if (st.mode & 0o005) this.logger?.warn(`key_repository is world readable: ${this.path}`);
  }

  // ---------------------------------------------------------------- reading

  /** The numbered key files: id → path (empty files skipped, with a warning). */
  private keyFiles(): Map<number, string> {
    const files = new Map<number, string>();
    for (const name of readdirSync(this.path)) {
      if (!KEY_NAME.test(name)) continue;
      const file = join(this.path, name);
      let st;
      try {
        st = statSync(file);
      } catch {
        continue;
      }
      if (!st.isFile()) continue;
      if (st.size === 0) {
        this.logger?.warn(`Ignoring empty key found in key repository: ${file}`);
        continue;
      }
      files.set(Number(name), file);
    }
    return files;
  }

  private parseKey(id: number, file: string, raw: string): LoadedKey {
    try {
      return { id, file, raw, key: FernetKey.parse(raw) };
    } catch (err) {
      if (err instanceof InvalidFernetKey) {
        throw new KeyRepositoryError(
          'invalid_key',
          `Key file ${file} in the ${this.label} is not a valid Fernet key (32 url-safe base64-encoded bytes).`,
        );
      }
      throw err;
    }
  }

  private finish(keys: LoadedKey[]): LoadedKey[] {
    if (keys.length === 0) {
      throw new KeyRepositoryError('empty', `The ${this.label} does not contain keys; use \`${this.setupCommand}\` to create Fernet keys.`);
    }
    keys.sort((a, b) => b.id - a.id);
    if (keys.length !== this.maxActiveKeys) {
      this.logger?.debug?.(
        `Loaded ${keys.length} Fernet keys from ${this.path}, but \`[${this.configGroup}] max_active_keys = ${this.maxActiveKeys}\`; perhaps there have not been enough key rotations to reach \`max_active_keys\` yet?`,
      );
    }
    return keys;
  }

  private readError(file: string, err: unknown): KeyRepositoryError {
    return new KeyRepositoryError('unreadable', `Key file ${file} in the ${this.label} cannot be read: ${(err as Error).message}`, {
      cause: err,
    });
  }

  /** The keys, primary first (highest number), staged key 0 last. */
  loadKeysSync(): LoadedKey[] {
    this.checkAccess();
    const keys: LoadedKey[] = [];
    for (const [id, file] of this.keyFiles()) {
      let raw: string;
      try {
        raw = readFileSync(file, 'utf8');
      } catch (err) {
        if (errnoOf(err) === 'ENOENT') continue; // removed by a concurrent rotation
        throw this.readError(file, err);
      }
      if (raw.length === 0) continue;
      keys.push(this.parseKey(id, file, raw));
    }
    return this.finish(keys);
  }

  /** As loadKeysSync, without blocking the event loop (the watcher uses this). */
  async loadKeys(): Promise<LoadedKey[]> {
    this.checkAccess();
    const names = (await readdir(this.path)).filter((n) => KEY_NAME.test(n));
    const keys: LoadedKey[] = [];
    await Promise.all(
      names.map(async (name) => {
        const file = join(this.path, name);
        let raw: string;
        try {
          if (!(await stat(file)).isFile()) return;
          raw = await readFile(file, 'utf8');
        } catch (err) {
          if (errnoOf(err) === 'ENOENT') return;
          throw this.readError(file, err);
        }
        if (raw.length === 0) {
          this.logger?.warn(`Ignoring empty key found in key repository: ${file}`);
          return;
        }
        keys.push(this.parseKey(Number(name), file, raw));
      }),
    );
    return this.finish(keys);
  }

  /** The key numbers present, highest first. */
  keyIds(): number[] {
    return [...this.keyFiles().keys()].sort((a, b) => b - a);
  }

  // ---------------------------------------------------------------- writing

  /**
   * fernet_setup / credential_setup: creates the directory (0700, chown'ed
   * when an owner is given) and, unless key 0 exists, key 0 then one
   * rotation. Returns whether keys were created.
   */
  setup(owner: KeyOwner = {}): { created: boolean; keyIds: number[] } {
    const ids = resolveOwner(owner, this.logger);
    this.createDirectory(ids);
    this.checkAccess(true);
    const staged = join(this.path, '0');
    if (existsFile(staged)) {
      this.logger?.info?.('Key repository is already initialized; aborting.');
      return { created: false, keyIds: this.keyIds() };
    }
    this.writeKey('0', ids);
    this.rotateWith(ids);
    return { created: true, keyIds: this.keyIds() };
  }

  /**
   * fernet_rotate / credential_rotate: the staged key becomes the primary,
   * a new staged key is written, excess keys are purged.
   */
  rotate(owner: KeyOwner = {}): { primary: number; purged: number[]; keyIds: number[] } {
    const ids = resolveOwner(owner, this.logger);
    this.checkAccess(true);
    return this.rotateWith(ids);
  }

  private rotateWith(ids: OwnerIds): { primary: number; purged: number[]; keyIds: number[] } {
    const files = this.keyFiles();
    this.logger?.info?.(`Starting key rotation with ${files.size} key files: ${[...files.values()].join(', ')}`);
    if (files.size === 0) {
      throw new KeyRepositoryError('empty', `The ${this.label} does not contain keys; use \`${this.setupCommand}\` before rotating.`);
    }
    if (!files.has(0)) {
      throw new KeyRepositoryError('no_staged_key', `The ${this.label} has no staged key 0 to promote; the existing keys are unchanged.`);
    }
    // 1. the next staged key, written aside (a failure here changes nothing)
    const tmp = this.writeTemporaryKey(ids);
    // 2. promote the staged key
    const primary = Math.max(...files.keys()) + 1;
    const primaryFile = join(this.path, String(primary));
    try {
      renameSync(join(this.path, '0'), primaryFile);
    } catch (err) {
      safeUnlink(tmp);
      throw new KeyRepositoryError(
        'write_failed',
        `Could not promote key 0 to ${primary} in the ${this.label}: ${(err as Error).message}; the existing keys are unchanged.`,
        { cause: err },
      );
    }
    files.delete(0);
    files.set(primary, primaryFile);
    this.logger?.info?.(`Promoted key 0 to be the primary: ${primary}`);
    // 3. the new staged key
    try {
      renameSync(tmp, join(this.path, '0'));
    } catch (err) {
      safeUnlink(tmp);
      throw new KeyRepositoryError('write_failed', `Could not install the new staged key in the ${this.label}: ${(err as Error).message}`, {
        cause: err,
      });
    }
    // 4. purge the excess (lowest numbers first), as Keystone does
    const active = [...files.keys()].sort((a, b) => b - a);
    const purged: number[] = [];
    for (const id of active.slice(Math.max(0, this.maxActiveKeys - 1)).reverse()) {
      const file = files.get(id) ?? join(this.path, String(id));
      this.logger?.info?.(`Excess key to purge: ${file}`);
      unlinkSync(file);
      purged.push(id);
    }
    syncDirectory(this.path);
    return { primary, purged, keyIds: this.keyIds() };
  }

  private createDirectory(ids: OwnerIds): void {
    if (existsPath(this.path)) return;
    this.logger?.info?.(`${this.path} does not appear to exist; attempting to create it`);
    try {
      mkdirSync(this.path, { recursive: true, mode: 0o700 });
    } catch (err) {
      throw new KeyRepositoryError('not_writable', `Failed to create the ${this.label}: ${(err as Error).message}`, { cause: err });
    }
    if (ids.uid !== undefined && ids.gid !== undefined) chownSync(this.path, ids.uid, ids.gid);
  }

  /** Writes a fresh key to a temporary file of the repository; returns its path. */
  private writeTemporaryKey(ids: OwnerIds): string {
    // a name the loader ignores (not all digits), unique per writer
    const tmp = join(this.path, `0.tmp.${process.pid}.${randomBytes(4).toString('hex')}`);
    let fd: number | undefined;
    try {
      fd = openSync(tmp, 'wx', 0o600);
      fchmodSync(fd, 0o600); // whatever the umask
      const data = Buffer.from(generateKey(), 'ascii');
      let off = 0;
      while (off < data.length) off += writeSync(fd, data, off, data.length - off);
      fsyncSync(fd);
      closeSync(fd);
      fd = undefined;
      if (ids.uid !== undefined && ids.gid !== undefined) chownSync(tmp, ids.uid, ids.gid);
      return tmp;
    } catch (err) {
      if (fd !== undefined) {
        try {
          closeSync(fd);
        } catch {
          /* already failing */
        }
      }
      safeUnlink(tmp);
      throw new KeyRepositoryError(
        'write_failed',
        `Failed to write a new key in the ${this.label}: ${(err as Error).message}; the existing keys are unchanged.`,
        { cause: err },
      );
    }
  }

  private writeKey(name: string, ids: OwnerIds): void {
    const tmp = this.writeTemporaryKey(ids);
    try {
      renameSync(tmp, join(this.path, name));
    } catch (err) {
      safeUnlink(tmp);
      throw new KeyRepositoryError('write_failed', `Could not install key ${name} in the ${this.label}: ${(err as Error).message}`, {
        cause: err,
      });
    }
    syncDirectory(this.path);
  }
}

function existsPath(p: string): boolean {
  try {
    statSync(p);
    return true;
  } catch {
    return false;
  }
}

function existsFile(p: string): boolean {
  try {
    return statSync(p).isFile();
  } catch {
    return false;
  }
}

function safeUnlink(p: string): void {
  try {
    unlinkSync(p);
  } catch {
    /* gone or never there */
  }
}

function syncDirectory(dir: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(dir, 'r');
    fsyncSync(fd);
  } catch {
    /* not supported everywhere; the renames are already atomic */
  } finally {
    if (fd !== undefined)
      try {
        closeSync(fd);
      } catch {
        /* ignore */
      }
  }
}

// ------------------------------------------------------------------ owners

export interface OwnerIds {
  uid?: number;
  gid?: number;
}

/** A --keystone-user value: a uid, or a name resolved with `id -u`. */
export function resolveUser(user: string | number): number {
  if (typeof user === 'number') return user;
  if (/^[0-9]+$/.test(user)) return Number(user);
  try {
    const out = execFileSync('id', ['-u', '--', user], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    if (/^[0-9]+$/.test(out)) return Number(out);
  } catch {
    /* unknown */
  }
  throw new KeyRepositoryError('unknown_owner', `Unknown user '${user}' in --keystone-user`);
}

/** A --keystone-group value: a gid, or a name resolved with `getent group`. */
export function resolveGroup(group: string | number): number {
  if (typeof group === 'number') return group;
  if (/^[0-9]+$/.test(group)) return Number(group);
  try {
    const out = execFileSync('getent', ['group', '--', group], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    const gid = out.split('\n')[0]?.split(':')[2];
    if (gid && /^[0-9]+$/.test(gid)) return Number(gid);
  } catch {
    /* unknown */
  }
  throw new KeyRepositoryError('unknown_owner', `Unknown group '${group}' in --keystone-group`);
}

/** Both or neither, as Keystone: with only one of them, ownership is left alone (with a warning). */
export function resolveOwner(owner: KeyOwner, logger?: KeyRepositoryLogger): OwnerIds {
  const uid = owner.keystoneUser !== undefined && owner.keystoneUser !== '' ? resolveUser(owner.keystoneUser) : undefined;
  const gid = owner.keystoneGroup !== undefined && owner.keystoneGroup !== '' ? resolveGroup(owner.keystoneGroup) : undefined;
  if ((uid === undefined) !== (gid === undefined)) {
    logger?.warn('Unable to change the ownership of the new key without a keystone user ID and keystone group ID both being provided');
    return {};
  }
  return { uid, gid };
}
