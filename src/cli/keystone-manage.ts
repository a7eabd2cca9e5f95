/**
 * keystone-manage: Keystone's administrative commands, with Keystone's names
 * and flags.
 *
 *   keystone-manage [--config-file F]… [--config-dir D]… [--debug] <command> [options]
 *
 *   db_sync [--check]         apply the migrations (a second run is a no-op);
 *                             --check exits 0 when current, 2 when a sync is needed
 *   db_version                print the schema version
 *   bootstrap [--bootstrap-*] the default domain, roles, admin user/project, identity service
 *   fernet_setup / fernet_rotate [--keystone-user U] [--keystone-group G]
 *   credential_setup / credential_rotate / credential_migrate [--keystone-user U] [--keystone-group G]
 *   token_flush               delete expired rows of the token table (UUID tokens)
 *   policy_generator [--output-file F]  print the effective policy (defaults under policy.yaml) as YAML
 *   doctor                    report configuration, key repository, database and cache problems
 *
 * Exit status 0 on success; on failure one line on stderr naming what is wrong.
 * Against the embedded database (empty [database] connection or pglite://)
 * it goes through the running keystone-all that hosts it (its socket), or,
 * when none runs, opens the data directory itself: the same commands and the
 * same output either way (src/cli/cli-database.ts).
 */
import { readdirSync, realpathSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { KeystoneConfig } from '../config/options.js';
import { configureLogging, log } from '../log/logger.js';
import { currentSchemaVersion, syncSchema, assertSchemaCurrent, LATEST_SCHEMA_VERSION } from '../storage/migrator.js';
import { resolveDatabaseTarget } from '../storage/database.js';
import { EmbeddedDatabaseBusyError } from '../storage/embedded-host.js';
import { KeyRepository, KeyRepositoryError, type KeyOwner, type KeyRepositoryLogger } from '../token/fernet/key-repository.js';
import { CredentialCrypto, credentialRepository, loadCredentialKeys, primaryKeyHash } from '../credential/credential-crypto.js';
import { flushExpiredTokens } from '../token/uuid/flush.js';
import { TrustRepository } from '../trust/trust-repository.js';
import { buildProviders } from '../wiring/build-providers.js';
import { PolicyEnforcer } from '../rbac/policy-enforcer.js';
import { renderEffectivePolicy } from '../rbac/policy-generator.js';
import { runBootstrap } from './bootstrap.js';
import { configSourcesOf, describeError, loadCliConfig, oneLine, parseGlobalArgs, UsageError, type CliConfig } from './cli-config.js';
import { describeTarget, openCliDatabase, type CliDatabase } from './cli-database.js';

const PROGRAM = 'keystone-manage';

interface FlagSpec {
  name: string;
  value?: boolean;
  help: string;
  /** a negative form (--no-…) exists */
  negatable?: boolean;
}

interface Command {
  help: string;
  flags: FlagSpec[];
  run(ctx: CommandContext): Promise<number>;
}

interface CommandContext {
  config: CliConfig;
  conf: KeystoneConfig;
  flags: Map<string, string | boolean>;
  out: (line: string) => void;
}

export class CommandError extends Error {
  constructor(message: string, readonly exitCode = 1) {
    super(message);
  }
}

const OWNER_FLAGS: FlagSpec[] = [
  { name: '--keystone-user', value: true, help: 'The user (name or uid) that will own the key files.' },
  { name: '--keystone-group', value: true, help: 'The group (name or gid) that will own the key files.' },
];

function ownerOf(flags: Map<string, string | boolean>): KeyOwner {
  const owner: KeyOwner = {};
  const u = flags.get('--keystone-user');
  const g = flags.get('--keystone-group');
  if (typeof u === 'string') owner.keystoneUser = /^\d+$/.test(u) ? Number(u) : u;
  if (typeof g === 'string') owner.keystoneGroup = /^\d+$/.test(g) ? Number(g) : g;
  return owner;
}

const keyLogger: KeyRepositoryLogger = {
  warn: (m) => log.warn(m),
  info: (m) => log.debug(m),
  debug: (m) => log.debug(m),
};

function tokenRepository(conf: KeystoneConfig): KeyRepository {
  return new KeyRepository({ path: conf.fernet_tokens.key_repository, maxActiveKeys: conf.fernet_tokens.max_active_keys, configGroup: 'fernet_tokens', logger: keyLogger });
}
function receiptRepository(conf: KeystoneConfig): KeyRepository {
  return new KeyRepository({ path: conf.fernet_receipts.key_repository, maxActiveKeys: conf.fernet_receipts.max_active_keys, configGroup: 'fernet_receipts', logger: keyLogger });
}

async function withDatabase<T>(conf: KeystoneConfig, fn: (d: CliDatabase) => Promise<T>, options: { create?: boolean } = {}): Promise<T> {
  const d = await openCliDatabase(conf, options);
  try {
    return await fn(d);
  } finally {
    await d.close();
  }
}

function keyList(ids: number[]): string {
  return ids.slice().sort((a, b) => a - b).join(', ');
}

const COMMANDS: Record<string, Command> = {
  db_sync: {
    help: 'Apply the database migrations. Running it again is a no-op.',
    flags: [
      { name: '--check', help: 'Only report whether a sync is needed: exit 0 when the schema is current, 2 when db_sync must run.' },
      { name: '--expand', help: 'Accepted for compatibility: the migrations run in one step.' },
      { name: '--migrate', help: 'Accepted for compatibility: the migrations run in one step.' },
      { name: '--contract', help: 'Accepted for compatibility: the migrations run in one step.' },
    ],
    async run({ conf, flags, out }) {
      if (flags.get('--check')) {
        return withDatabase(conf, async ({ db }) => {
          const version = await currentSchemaVersion(db);
          if (version === LATEST_SCHEMA_VERSION) {
            out(`Database is up to date (version ${version}); db_sync is not needed.`);
            return 0;
          }
          if (version > LATEST_SCHEMA_VERSION) throw new CommandError(`The database schema (version ${version}) is newer than this code (${LATEST_SCHEMA_VERSION}).`);
          out(`Database is at version ${version}, this code needs ${LATEST_SCHEMA_VERSION}: run "keystone-manage db_sync".`);
          return 2;
        });
      }
      return withDatabase(conf, async ({ db }) => {
        const found = await currentSchemaVersion(db);
        if (found > LATEST_SCHEMA_VERSION) throw new CommandError(`The database schema (version ${found}) is newer than this code (${LATEST_SCHEMA_VERSION}): upgrade the code.`);
        const applied = await syncSchema(db);
        if (applied.length === 0) out(`Database is already at version ${found}; nothing to do.`);
        else out(`Database migrated from version ${found} to ${applied[applied.length - 1]} (applied ${applied.join(', ')}).`);
        return 0;
      }, { create: true });
    },
  },

  db_version: {
    help: 'Print the database schema version.',
    flags: [],
    async run({ conf, out }) {
      return withDatabase(conf, async ({ db }) => {
        out(String(await currentSchemaVersion(db)));
        return 0;
      });
    },
  },

  bootstrap: {
    help: 'Create the default domain, the admin/member/reader roles, the admin project and user, and the identity service with its endpoints. Safe to run again.',
    flags: [
      { name: '--bootstrap-username', value: true, help: 'The username of the initial admin user (default: admin).' },
      { name: '--bootstrap-password', value: true, help: 'The password of the initial admin user (or OS_BOOTSTRAP_PASSWORD).' },
      { name: '--bootstrap-project-name', value: true, help: 'The initial project created (default: admin).' },
      { name: '--bootstrap-role-name', value: true, help: 'The initial role name created (default: admin).' },
      { name: '--bootstrap-service-name', value: true, help: 'The initial name for the initial identity service (default: keystone).' },
      { name: '--bootstrap-admin-url', value: true, help: 'The initial identity admin URL.' },
      { name: '--bootstrap-public-url', value: true, help: 'The initial identity public URL.' },
      { name: '--bootstrap-internal-url', value: true, help: 'The initial identity internal URL.' },
      { name: '--bootstrap-region-id', value: true, help: 'The region of the initial endpoints.' },
      { name: '--immutable-roles', negatable: true, help: 'Create the default roles (admin, member, reader) immutable: the default; --no-immutable-roles creates them mutable.' },
    ],
    async run({ conf, flags, out }) {
      const str = (n: string): string | undefined => (typeof flags.get(n) === 'string' ? (flags.get(n) as string) : undefined);
      const password = str('--bootstrap-password') ?? process.env.OS_BOOTSTRAP_PASSWORD;
      if (!password) throw new CommandError('Either --bootstrap-password argument or OS_BOOTSTRAP_PASSWORD must be set.');
      return withDatabase(conf, async ({ db, host }) => {
        await assertSchemaCurrent(db);
        const built = buildProviders(conf, { db, embeddedSocketDir: host?.socketDir });
        try {
          const r = await runBootstrap(built, {
            username: str('--bootstrap-username') ?? process.env.OS_BOOTSTRAP_USERNAME,
            password,
            projectName: str('--bootstrap-project-name') ?? process.env.OS_BOOTSTRAP_PROJECT_NAME,
            roleName: str('--bootstrap-role-name') ?? process.env.OS_BOOTSTRAP_ROLE_NAME,
            serviceName: str('--bootstrap-service-name') ?? process.env.OS_BOOTSTRAP_SERVICE_NAME,
            regionId: str('--bootstrap-region-id') ?? process.env.OS_BOOTSTRAP_REGION_ID ?? null,
            adminUrl: str('--bootstrap-admin-url') ?? process.env.OS_BOOTSTRAP_ADMIN_URL ?? null,
            publicUrl: str('--bootstrap-public-url') ?? process.env.OS_BOOTSTRAP_PUBLIC_URL ?? null,
            internalUrl: str('--bootstrap-internal-url') ?? process.env.OS_BOOTSTRAP_INTERNAL_URL ?? null,
            immutableRoles: flags.get('--immutable-roles') !== false,
          });
          out(`Bootstrap complete: domain ${r.domainId}, project ${r.projectId}, user ${r.userId}, role ${r.adminRoleId}, service ${r.serviceId}.`);
        } finally {
          await built.cache.close().catch(() => undefined);
        }
        return 0;
      });
    },
  },

  fernet_setup: {
    help: 'Create the [fernet_tokens] key repository with a staged and a primary key (nothing changes when it is already set up).',
    flags: OWNER_FLAGS,
    async run({ conf, flags, out }) {
      const owner = ownerOf(flags);
      const repos = [tokenRepository(conf)];
      if (conf.fernet_receipts.key_repository !== conf.fernet_tokens.key_repository) repos.push(receiptRepository(conf));
      for (const repo of repos) {
        const r = repo.setup(owner);
        out(r.created ? `Created Fernet keys in ${repo.path}: ${keyList(r.keyIds)}` : `Key repository ${repo.path} is already initialized (keys ${keyList(r.keyIds)}); nothing changed.`);
      }
      return 0;
    },
  },

  fernet_rotate: {
    help: 'Rotate the [fernet_tokens] keys: the staged key 0 becomes the primary, a new staged key is written, the oldest keys beyond max_active_keys are removed.',
    flags: OWNER_FLAGS,
    async run({ conf, flags, out }) {
      const owner = ownerOf(flags);
      const repos = [tokenRepository(conf)];
      if (conf.fernet_receipts.key_repository !== conf.fernet_tokens.key_repository) repos.push(receiptRepository(conf));
      for (const repo of repos) {
        const r = repo.rotate(owner);
        out(`Rotated Fernet keys in ${repo.path}: primary ${r.primary}${r.purged.length ? `, purged ${keyList(r.purged)}` : ''}; keys ${keyList(r.keyIds)}`);
      }
      return 0;
    },
  },

  credential_setup: {
    help: 'Create the [credential] key repository (nothing changes when it is already set up).',
    flags: OWNER_FLAGS,
    async run({ conf, flags, out }) {
      const repo = credentialRepository(conf.credential.key_repository, keyLogger);
      const r = repo.setup(ownerOf(flags));
      out(r.created ? `Created credential keys in ${repo.path}: ${keyList(r.keyIds)}` : `Key repository ${repo.path} is already initialized (keys ${keyList(r.keyIds)}); nothing changed.`);
      return 0;
    },
  },

  credential_rotate: {
    help: 'Rotate the [credential] keys. Refused while a credential is not encrypted with the primary key (run credential_migrate first).',
    flags: OWNER_FLAGS,
    async run({ conf, flags, out }) {
      const repo = credentialRepository(conf.credential.key_repository, keyLogger);
      repo.checkAccess(true);
      await withDatabase(conf, async ({ db }) => {
        const primary = primaryKeyHash(loadCredentialKeys(repo, keyLogger));
        const stale = await db.one<{ n: number }>('SELECT count(*)::int AS n FROM credential WHERE key_hash <> $1', [primary]);
        if (stale.n > 0) {
          throw new CommandError('Unable to rotate credential keys because not all credentials are encrypted with the primary key. Please make sure all credentials have been encrypted with the primary key using `keystone-manage credential_migrate`.');
        }
      });
      const r = repo.rotate(ownerOf(flags));
      out(`Rotated credential keys in ${repo.path}: primary ${r.primary}${r.purged.length ? `, purged ${keyList(r.purged)}` : ''}; keys ${keyList(r.keyIds)}`);
      return 0;
    },
  },

  credential_migrate: {
    help: 'Re-encrypt every credential with the primary credential key.',
    flags: [],
    async run({ conf, out }) {
      const crypto = CredentialCrypto.forRepository(conf.credential.key_repository, keyLogger);
      return withDatabase(conf, async ({ db }) => {
        const primary = crypto.primaryKeyHash();
        const rows = await db.any<{ id: string; encrypted_blob: string }>('SELECT id, encrypted_blob FROM credential WHERE key_hash <> $1', [primary]);
        for (const row of rows) {
          const blob = crypto.decrypt(row.encrypted_blob);
          const e = crypto.encrypt(blob);
          await db.none('UPDATE credential SET encrypted_blob = $1, key_hash = $2 WHERE id = $3', [e.encryptedBlob, e.keyHash, row.id]);
        }
        out(`Re-encrypted ${rows.length} credential(s) with the primary key.`);
        return 0;
      });
    },
  },

  token_flush: {
    help: 'Delete expired rows of the token table (UUID tokens), in batches of short transactions.',
    flags: [{ name: '--batch-size', value: true, help: 'Rows deleted per batch (default 1000).' }],
    async run({ conf, flags, out }) {
      const raw = flags.get('--batch-size');
      const batch = typeof raw === 'string' ? Number(raw) : 1000;
      if (!Number.isInteger(batch) || batch < 1) throw new CommandError(`--batch-size must be a positive integer, not ${JSON.stringify(raw)}`);
      return withDatabase(conf, async ({ db }) => {
        await assertSchemaCurrent(db);
        const n = await flushExpiredTokens(db, batch);
        out(`Deleted ${n} expired token(s).`);
        return 0;
      });
    },
  },

  trust_flush: {
    help: 'Purge expired and soft-deleted trusts (and their roles), optionally only those of a project, trustor or trustee, or older than --date.',
    flags: [
      { name: '--project-id', value: true, help: 'Only the trusts of this project.' },
      { name: '--trustor-user-id', value: true, help: 'Only the trusts of this trustor.' },
      { name: '--trustee-user-id', value: true, help: 'Only the trusts of this trustee.' },
      { name: '--date', value: true, help: 'Expired means expired before this date, DD-MM-YYYY (default: now).' },
    ],
    async run({ conf, flags, out }) {
      const str = (n: string): string | undefined => (typeof flags.get(n) === 'string' ? (flags.get(n) as string) : undefined);
      const rawDate = str('--date');
      let date = new Date();
      if (rawDate !== undefined) {
        const m = /^(\d{2})-(\d{2})-(\d{4})$/.exec(rawDate);
        date = m ? new Date(Date.UTC(Number(m[3]), Number(m[2]) - 1, Number(m[1]))) : new Date(NaN);
        if (!m || Number.isNaN(date.getTime()) || date.getUTCDate() !== Number(m[1])) throw new CommandError(`--date must be a date as DD-MM-YYYY, not ${JSON.stringify(rawDate)}`);
      }
      return withDatabase(conf, async ({ db }) => {
        await assertSchemaCurrent(db);
        const n = await new TrustRepository(db).purge({
          projectId: str('--project-id'), trustorUserId: str('--trustor-user-id'), trusteeUserId: str('--trustee-user-id'), date,
        });
        out(`Purged ${n} expired or soft-deleted trust(s).`);
        return 0;
      });
    },
  },

  policy_generator: {
    help: 'Print the effective policy as YAML (as oslopolicy-policy-generator --namespace keystone): the rules of [oslo_policy] policy_file and policy_dirs, then Keystone\'s defaults they leave alone.',
    flags: [{ name: '--output-file', value: true, help: 'Write the policy to this file instead of standard output.' }],
    async run({ conf, flags, out }) {
      const text = renderEffectivePolicy(PolicyEnforcer.fromConfig(conf));
      const file = flags.get('--output-file');
      if (typeof file === 'string') writeFileSync(file, text);
      else out(text.replace(/\n$/, ''));
      return 0;
    },
  },

  doctor: {
    help: 'Check the configuration, the key repositories, the database and the cache; print each problem found and exit non-zero when there is any.',
    flags: [],
    async run(ctx) {
      const problems = await diagnose(ctx.config);
      for (const p of problems) ctx.out(p);
      if (problems.length === 0) {
        ctx.out('No problems found.');
        return 0;
      }
      return 1;
    },
  },
};

// ---------------------------------------------------------------- doctor

function checkKeyRepository(repo: KeyRepository, setupCommand: string, problems: string[]): void {
  const label = `[${repo.configGroup}] key_repository ${repo.path}`;
  try {
    repo.checkAccess(false);
  } catch (err) {
    problems.push(`${label}: ${(err as Error).message}`);
    return;
  }
  const st = statSync(repo.path);
  if (st.mode & 0o077) problems.push(`${label}: directory mode is ${(st.mode & 0o777).toString(8).padStart(4, '0')}; it should be 0700 (only keystone may read keys).`);
  const ids = repo.keyIds();
  if (ids.length === 0) {
    problems.push(`${label}: contains no keys; run \`${setupCommand}\`.`);
    return;
  }
  if (!ids.includes(0)) problems.push(`${label}: has no staged key 0; the next rotation cannot promote it.`);
  if (ids.length < 2) problems.push(`${label}: has ${ids.length} key(s); a staged and a primary key (at least 2) are needed.`);
  if (ids.length > repo.maxActiveKeys) problems.push(`${label}: has ${ids.length} keys, more than max_active_keys (${repo.maxActiveKeys}).`);
  for (const name of readdirSync(repo.path)) {
    if (!/^\d+$/.test(name)) continue;
    const m = statSync(join(repo.path, name)).mode & 0o777;
    if (m & 0o077) problems.push(`${label}: key file ${name} has mode ${m.toString(8).padStart(4, '0')}; it should be 0600.`);
  }
  try {
    repo.loadKeysSync();
  } catch (err) {
    problems.push(`${label}: ${(err as Error).message}`);
  }
}

export async function diagnose(config: CliConfig): Promise<string[]> {
  const { conf } = config;
  const problems: string[] = [];
  for (const w of config.warnings) problems.push(`configuration: ${w}`);
  if (conf.DEFAULT.admin_token) problems.push('[DEFAULT] admin_token is set: this shared secret grants full access; remove it once bootstrapped (use `keystone-manage bootstrap`).');
  if (conf.DEFAULT.debug) problems.push('[DEFAULT] debug is enabled: debug mode logs sensitive details; disable it in production.');
  if (conf.DEFAULT.insecure_debug) problems.push('[DEFAULT] insecure_debug is enabled: clients see internal details; disable it in production.');
  if (conf.security_compliance.password_regex && !conf.security_compliance.password_regex_description) {
    problems.push('[security_compliance] password_regex is set without password_regex_description: users will not be told what a valid password is.');
  }

  try {
    const policy = PolicyEnforcer.fromConfig(conf);
    for (const { rule, references } of policy.undefinedReferences()) problems.push(`policy: rule "${rule}" refers to rule:${references}, which is not defined.`);
  } catch (err) {
    problems.push(`[oslo_policy] policy_file: ${(err as Error).message}`);
  }

  if (conf.token.provider === 'fernet') checkKeyRepository(tokenRepository(conf), 'keystone-manage fernet_setup', problems);
  if (conf.fernet_receipts.key_repository !== conf.fernet_tokens.key_repository) checkKeyRepository(receiptRepository(conf), 'keystone-manage fernet_setup', problems);
  checkKeyRepository(credentialRepository(conf.credential.key_repository), 'keystone-manage credential_setup', problems);

  let target;
  try {
    target = resolveDatabaseTarget(conf);
  } catch (err) {
    problems.push(`[database] connection: ${(err as Error).message}`);
  }
  if (target) {
    try {
      await withDatabase(conf, async ({ db }) => {
        const version = await currentSchemaVersion(db);
        if (version < LATEST_SCHEMA_VERSION) problems.push(`database: ${describeTarget(target)} is at schema version ${version}, this code needs ${LATEST_SCHEMA_VERSION}; run \`keystone-manage db_sync\`.`);
        else if (version > LATEST_SCHEMA_VERSION) problems.push(`database: ${describeTarget(target)} is at schema version ${version}, newer than this code (${LATEST_SCHEMA_VERSION}).`);
      });
    } catch (err) {
      problems.push(`database: ${oneLine((err as Error).message)}`);
    }
  }

  if (conf.cache.enabled && conf.cache.backend.includes('redis')) {
    const { RedisCacheBackend, parseRedisArguments } = await import('../cache/redis-backend.js');
    const backend = new RedisCacheBackend(parseRedisArguments(conf.cache.backend_argument));
    try {
      const ready = await backend.waitReady(3000);
      if (!ready) problems.push(`[cache] backend ${conf.cache.backend} is not reachable (${conf.cache.backend_argument.filter((a) => a.startsWith('url:') || a.startsWith('sentinels:')).join(' ') || 'redis://127.0.0.1:6379'}).`);
    } finally {
      await backend.close().catch(() => undefined);
    }
  } else if (conf.cache.enabled && /memcache/.test(conf.cache.backend)) {
    problems.push(`[cache] backend ${conf.cache.backend}: memcached is not supported here; the in-process cache is used instead (use dogpile.cache.redis for a shared cache).`);
  }
  return problems;
}

// ---------------------------------------------------------------- the command line

function usage(): string {
  const lines = [
    `usage: ${PROGRAM} [--config-file PATH]... [--config-dir DIR]... [--debug] <command> [options]`,
    '',
    'Commands:',
    ...Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(20)} ${c.help}`),
    '',
    'Global options:',
    '  --config-file PATH   A keystone.conf to read (repeatable; later files override earlier ones).',
    '  --config-dir DIR     Read every *.conf in DIR, in name order (repeatable).',
    '  --debug, -d          Log at debug level.',
    '  --help, -h           Show this help (or a command\'s: keystone-manage <command> --help).',
  ];
  return lines.join('\n');
}

function commandUsage(name: string, c: Command): string {
  const lines = [`usage: ${PROGRAM} [global options] ${name}${c.flags.map((f) => ` [${f.name}${f.value ? ' VALUE' : ''}]`).join('')}`, '', c.help];
  if (c.flags.length) {
    lines.push('', 'Options:');
    for (const f of c.flags) lines.push(`  ${(f.name + (f.value ? ' VALUE' : '')).padEnd(32)} ${f.help}`);
  }
  return lines.join('\n');
}

function parseFlags(name: string, c: Command, args: string[]): Map<string, string | boolean> {
  const flags = new Map<string, string | boolean>();
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    const eq = arg.startsWith('--') ? arg.indexOf('=') : -1;
    const flagName = eq > 0 ? arg.slice(0, eq) : arg;
    let spec = c.flags.find((f) => f.name === flagName);
    let negated = false;
    if (!spec && flagName.startsWith('--no-')) {
      spec = c.flags.find((f) => f.negatable && f.name === `--${flagName.slice(5)}`);
      negated = !!spec;
    }
    if (!spec) {
      if (!arg.startsWith('-')) throw new UsageError(`${name}: unexpected argument ${JSON.stringify(arg)}`);
      throw new UsageError(`${name}: unrecognized option ${flagName}`);
    }
    if (spec.value) {
      const v = eq > 0 ? arg.slice(eq + 1) : args[++i];
      if (v === undefined) throw new UsageError(`${name}: ${spec.name} needs a value`);
      flags.set(spec.name, v);
    } else {
      flags.set(spec.name, !negated);
    }
  }
  return flags;
}

/** Runs keystone-manage with `argv` (without node and the script); resolves with the exit status. */
export async function main(argv: string[] = process.argv.slice(2)): Promise<number> {
  const out = (line: string) => process.stdout.write(line + '\n');
  const fail = (message: string, code = 1): number => {
    process.stderr.write(`${PROGRAM}: ${oneLine(message)}\n`);
    return code;
  };
  let args;
  try {
    args = parseGlobalArgs(argv);
  } catch (err) {
    return fail((err as Error).message, 2);
  }
  const [name, ...rest] = args.rest;
  if (!name) {
    if (args.help) { out(usage()); return 0; }
    process.stderr.write(usage() + '\n');
    return fail('a command is required', 2);
  }
  const command = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  if (!command) return fail(`unknown command ${JSON.stringify(name)}; commands: ${Object.keys(COMMANDS).join(', ')}`, 2);
  if (args.help) { out(commandUsage(name, command)); return 0; }
  let flags;
  try {
    flags = parseFlags(name, command, rest);
  } catch (err) {
    return fail((err as Error).message, 2);
  }
  let config: CliConfig;
  try {
    config = loadCliConfig(configSourcesOf(args), args.debug);
  } catch (err) {
    return fail(describeError(err));
  }
  configureLogging(config.conf, PROGRAM, { handleSignals: false, checkIntervalMs: 0 });
  if (name !== 'doctor') for (const w of config.warnings) log.warn(w);
  try {
    return await command.run({ config, conf: config.conf, flags, out });
  } catch (err) {
    if (err instanceof CommandError) return fail(err.message, err.exitCode);
    if (err instanceof KeyRepositoryError || err instanceof EmbeddedDatabaseBusyError) return fail(err.message);
    if (args.debug && err instanceof Error && err.stack) log.debug(err.stack);
    return fail(describeError(err));
  }
}

function invokedDirectly(): boolean {
  try {
    return !!process.argv[1] && pathToFileURL(realpathSync(process.argv[1])).href === import.meta.url;
  } catch {
    return false;
  }
}

/** Runs main and exits with its status (bin/keystone-manage and `node dist/src/cli/keystone-manage.js`). */
export function run(argv: string[] = process.argv.slice(2)): void {
  main(argv).then(
    (code) => {
      process.exitCode = code;
      // pools, watchers and timers must not keep a finished command alive
      setTimeout(() => process.exit(code), 50).unref();
    },
    (err) => {
      process.stderr.write(`${PROGRAM}: ${oneLine(describeError(err))}\n`);
      process.exit(1);
    },
  );
}

if (invokedDirectly()) run();
