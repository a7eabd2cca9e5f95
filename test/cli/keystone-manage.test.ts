/**
 * keystone-manage as a real process: each subcommand's output and exit
 * status, the bad cases (missing key repository, unreachable database,
 * second db_sync), file modes, doctor's findings. Against the embedded PGlite
 * always and PostgreSQL in CI.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runKeystoneManage, writeKeystoneConfig, type ConfigOverrides } from '../helpers/keystone-process.js';
import { createTestDatabase, databaseKinds, seedPgliteState, type TestDatabase } from '../helpers/test-database.js';
import { loadConfig } from '../../src/config/load-config.js';
import { openCliDatabase } from '../../src/cli/cli-database.js';
import { LATEST_SCHEMA_VERSION } from '../../src/storage/migrator.js';

interface Env {
  dir: string;
  file: string;
  manage(...args: string[]): ReturnType<typeof runKeystoneManage>;
  close(): Promise<void>;
}

/** fresh: an embedded database that keystone-manage must create (initdb) itself; else an initialised, empty one */
async function environment(kind: 'pglite' | 'postgres', overrides: ConfigOverrides = {}, fresh = false): Promise<Env> {
  const db: TestDatabase | undefined = kind === 'postgres' ? await createTestDatabase('postgres') : undefined;
  const { dir, file } = writeKeystoneConfig({ ...(db ? { database: { connection: db.connection } } : {}), ...overrides });
  if (kind === 'pglite' && !fresh && !overrides.database) await seedPgliteState(dir);
  return {
    dir,
    file,
    manage: (...args: string[]) => runKeystoneManage(args, { configFile: file, env: { OS_BOOTSTRAP_PASSWORD: '' } }),
    async close() {
      await db?.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function oneErrorLine(r: { stderr: string }): string {
  const lines = r.stderr.trim().split('\n');
  assert.equal(lines.length, 1, `expected one line on stderr, got:\n${r.stderr}`);
  assert.match(lines[0], /^keystone-manage: /);
  return lines[0];
}

const mode = (p: string) => statSync(p).mode & 0o777;

for (const kind of databaseKinds()) {
  describe(`keystone-manage database commands (${kind})`, () => {
    test('db_sync applies the schema, a second db_sync is a no-op, db_version and --check report it', async () => {
      const env = await environment(kind, {}, true);
      try {
        const before = await env.manage('db_sync', '--check');
        if (kind === 'postgres') {
          assert.equal(before.code, 2, before.stderr);
          assert.match(before.stdout, /Database is at version 0, this code needs \d+: run "keystone-manage db_sync"/);
        }
        const first = await env.manage('db_sync');
        assert.equal(first.code, 0, first.stderr);
        assert.match(
          first.stdout,
          new RegExp(`^Database migrated from version 0 to ${LATEST_SCHEMA_VERSION} \\(applied 1(, \\d+)*\\)\\.$`, 'm'),
        );
        const second = await env.manage('db_sync');
        assert.equal(second.code, 0, second.stderr);
        assert.equal(second.stdout.trim(), `Database is already at version ${LATEST_SCHEMA_VERSION}; nothing to do.`);
        const version = await env.manage('db_version');
        assert.equal(version.code, 0);
        assert.equal(version.stdout.trim(), String(LATEST_SCHEMA_VERSION));
        const check = await env.manage('db_sync', '--check');
        assert.equal(check.code, 0);
        assert.match(check.stdout, /up to date/);
        // the tables are really there
        const { conf } = loadConfig({ configFiles: [env.file] });
        const h = await openCliDatabase(conf);
        try {
          const n = await h.db.one<{ n: number }>(
            "SELECT count(*)::int AS n FROM information_schema.tables WHERE table_name IN ('project', 'user', 'local_user', 'password', 'role', 'assignment', 'token', 'credential')",
          );
          assert.equal(n.n, 8);
        } finally {
          await h.close();
        }
      } finally {
        await env.close();
      }
    });

    test('bootstrap needs a password, creates the admin, and is safe to run again', async () => {
      const env = await environment(kind);
      try {
        assert.equal((await env.manage('db_sync')).code, 0);
        const none = await env.manage('bootstrap');
        assert.equal(none.code, 1);
        assert.equal(oneErrorLine(none), 'keystone-manage: Either --bootstrap-password argument or OS_BOOTSTRAP_PASSWORD must be set.');
        const args = [
          'bootstrap',
          '--bootstrap-password',
          's3cret',
          '--bootstrap-region-id',
          'RegionOne',
          '--bootstrap-public-url',
          'http://ks.example:5000/v3',
          '--bootstrap-admin-url',
          'http://ks.example:35357/v3',
          '--bootstrap-internal-url',
          'http://ks.internal:5000/v3',
          '--immutable-roles',
        ];
        const first = await env.manage(...args);
        assert.equal(first.code, 0, first.stderr);
        assert.match(first.stdout, /^Bootstrap complete: domain default, project [0-9a-f]{32}, user [0-9a-f]{32}/m);
        const again = await env.manage(...args.slice(0, 3), '--bootstrap-username=admin');
        assert.equal(again.code, 0, again.stderr);
        assert.equal(again.stdout.match(/user ([0-9a-f]{32})/)![1], first.stdout.match(/user ([0-9a-f]{32})/)![1]);
        const { conf } = loadConfig({ configFiles: [env.file] });
        const h = await openCliDatabase(conf);
        try {
          const roles = (await h.db.any<{ name: string }>('SELECT name FROM role ORDER BY name')).map((r) => r.name);
          assert.deepEqual(roles, ['admin', 'member', 'reader']);
          const immutable = await h.db.any<{ name: string }>(
            `SELECT r.name FROM role r JOIN role_option o ON o.role_id = r.id WHERE o.option_id = 'IMMU' AND o.option_value = 'true' ORDER BY r.name`,
          );
          assert.deepEqual(
            immutable.map((r) => r.name),
            ['admin', 'member', 'reader'],
          );
          const eps = await h.db.any<{ interface: string; url: string }>('SELECT interface, url FROM endpoint ORDER BY interface');
          assert.deepEqual(
            eps.map((e) => `${e.interface} ${e.url}`),
            ['admin http://ks.example:35357/v3', 'internal http://ks.internal:5000/v3', 'public http://ks.example:5000/v3'],
          );
        } finally {
          await h.close();
        }
        const unknownFlag = await env.manage('bootstrap', '--bootstrap-pasword', 'x');
        assert.equal(unknownFlag.code, 2);
        assert.equal(oneErrorLine(unknownFlag), 'keystone-manage: bootstrap: unrecognized option --bootstrap-pasword');
      } finally {
        await env.close();
      }
    });

    test('token_flush deletes only expired rows of the token table', async () => {
      const env = await environment(kind);
      try {
        assert.equal((await env.manage('db_sync')).code, 0);
        const { conf } = loadConfig({ configFiles: [env.file] });
        let h = await openCliDatabase(conf);
        try {
          await h.db.none(
            `INSERT INTO token (id, expires, valid, user_id) SELECT 'old' || g, now() - interval '1 hour', true, 'u' FROM generate_series(1, 2500) g`,
          );
          await h.db.none(`INSERT INTO token (id, expires, valid, user_id) VALUES ('fresh', now() + interval '1 hour', true, 'u')`);
        } finally {
          await h.close();
        }
        const r = await env.manage('token_flush');
        assert.equal(r.code, 0, r.stderr);
        assert.equal(r.stdout.trim(), 'Deleted 2500 expired token(s).');
        h = await openCliDatabase(conf);
        try {
          assert.deepEqual(
            (await h.db.any('SELECT id FROM token')).map((x: { id: string }) => x.id),
            ['fresh'],
          );
        } finally {
          await h.close();
        }
        assert.equal((await env.manage('token_flush')).stdout.trim(), 'Deleted 0 expired token(s).');
      } finally {
        await env.close();
      }
    });

    test('trust_flush purges expired and soft-deleted trusts with their roles, within the filters given', async () => {
      const env = await environment(kind);
      try {
        assert.equal((await env.manage('db_sync')).code, 0);
        const { conf } = loadConfig({ configFiles: [env.file] });
        let h = await openCliDatabase(conf);
        const rows: [string, string, string | null, string | null][] = [
          // id, project, expires_at, deleted_at
          ['expired', 'p1', "now() - interval '1 day'", null],
          ['deleted', 'p2', null, 'now()'],
          ['live', 'p1', "now() + interval '1 day'", null],
          ['forever', 'p2', null, null],
          ['expired-p2', 'p2', "now() - interval '1 day'", null],
        ];
        try {
          for (const [id, project, expires, deleted] of rows) {
            await h.db.none(
              `INSERT INTO trust (id, trustor_user_id, trustee_user_id, project_id, impersonation, expires_at, deleted_at)
              VALUES ($1, 'u1', 'u2', $2, false, ${expires ?? 'NULL'}, ${deleted ?? 'NULL'})`,
              [id, project],
            );
            await h.db.none(`INSERT INTO trust_role (trust_id, role_id) VALUES ($1, 'r1')`, [id]);
          }
        } finally {
          await h.close();
        }
        const bad = await env.manage('trust_flush', '--date', '2024-01-31');
        assert.equal(bad.code, 1);
        assert.equal(oneErrorLine(bad), 'keystone-manage: --date must be a date as DD-MM-YYYY, not "2024-01-31"');
        const p1 = await env.manage('trust_flush', '--project-id', 'p1');
        assert.equal(p1.code, 0, p1.stderr);
        assert.equal(p1.stdout.trim(), 'Purged 1 expired or soft-deleted trust(s).');
        const rest = await env.manage('trust_flush');
        assert.equal(rest.stdout.trim(), 'Purged 2 expired or soft-deleted trust(s).');
        h = await openCliDatabase(conf);
        try {
          assert.deepEqual(
            (await h.db.any<{ id: string }>('SELECT id FROM trust ORDER BY id')).map((x) => x.id),
            ['forever', 'live'],
          );
          assert.deepEqual(
            (await h.db.any<{ trust_id: string }>('SELECT trust_id FROM trust_role ORDER BY trust_id')).map((x) => x.trust_id),
            ['forever', 'live'],
          );
        } finally {
          await h.close();
        }
      } finally {
        await env.close();
      }
    });

    test('doctor: a healthy deployment has no findings', async () => {
      const env = await environment(kind);
      try {
        for (const c of ['db_sync', 'fernet_setup', 'credential_setup']) assert.equal((await env.manage(c)).code, 0);
        const r = await env.manage('doctor');
        assert.equal(r.stdout.trim(), 'No problems found.', r.stdout + r.stderr);
        assert.equal(r.code, 0);
      } finally {
        await env.close();
      }
    });
  });
}

describe('keystone-manage key repositories', () => {
  test('fernet_setup creates keys 0 and 1 with 0700/0600 modes; a second run changes nothing', async () => {
    const env = await environment('pglite');
    try {
      const repo = join(env.dir, 'fernet-keys');
      const r = await env.manage(
        'fernet_setup',
        '--keystone-user',
        String(process.getuid!()),
        '--keystone-group',
        String(process.getgid!()),
      );
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout.trim(), `Created Fernet keys in ${repo}: 0, 1`);
      assert.deepEqual(readdirSync(repo).sort(), ['0', '1']);
      assert.equal(mode(repo), 0o700);
      for (const k of ['0', '1']) {
        assert.equal(mode(join(repo, k)), 0o600);
        assert.equal(statSync(join(repo, k)).uid, process.getuid!());
        assert.match(readFileSync(join(repo, k), 'utf8'), /^[A-Za-z0-9_-]{43}=$/);
      }
      const keys = readdirSync(repo).map((k) => readFileSync(join(repo, k), 'utf8'));
      const again = await env.manage('fernet_setup');
      assert.equal(again.code, 0);
      assert.match(again.stdout, /already initialized \(keys 0, 1\); nothing changed/);
      assert.deepEqual(
        readdirSync(repo).map((k) => readFileSync(join(repo, k), 'utf8')),
        keys,
      );
    } finally {
      await env.close();
    }
  });

  test('fernet_rotate promotes the staged key and keeps max_active_keys keys', async () => {
    const env = await environment('pglite', { fernet_tokens: { max_active_keys: 3 } });
    try {
      const repo = join(env.dir, 'fernet-keys');
      assert.equal((await env.manage('fernet_setup')).code, 0);
      const staged = readFileSync(join(repo, '0'), 'utf8');
      const r1 = await env.manage('fernet_rotate');
      assert.equal(r1.code, 0, r1.stderr);
      assert.equal(r1.stdout.trim(), `Rotated Fernet keys in ${repo}: primary 2; keys 0, 1, 2`);
      assert.equal(readFileSync(join(repo, '2'), 'utf8'), staged, 'the staged key became the primary');
      assert.notEqual(readFileSync(join(repo, '0'), 'utf8'), staged);
      const r2 = await env.manage('fernet_rotate');
      assert.equal(r2.stdout.trim(), `Rotated Fernet keys in ${repo}: primary 3, purged 1; keys 0, 2, 3`);
      const r3 = await env.manage('fernet_rotate');
      assert.equal(r3.stdout.trim(), `Rotated Fernet keys in ${repo}: primary 4, purged 2; keys 0, 3, 4`);
      assert.deepEqual(readdirSync(repo).sort(), ['0', '3', '4']);
      for (const k of readdirSync(repo)) assert.equal(mode(join(repo, k)), 0o600);
    } finally {
      await env.close();
    }
  });

  test('token_setup/token_rotate and receipt_setup/receipt_rotate work on their own repository only', async () => {
    const receiptDir = mkdtempSync(join(tmpdir(), 'receipt-keys-'));
    const receipts = join(receiptDir, 'keys');
    const env = await environment('pglite', {
      fernet_tokens: { max_active_keys: 3 },
      fernet_receipts: { key_repository: receipts, max_active_keys: 4 },
    });
    try {
      const tokens = join(env.dir, 'fernet-keys');
      const owner = ['--keystone-user', String(process.getuid!()), '--keystone-group', String(process.getgid!())];
      const t = await env.manage('token_setup', ...owner);
      assert.equal(t.code, 0, t.stderr);
      assert.equal(t.stdout.trim(), `Created token keys in ${tokens}: 0, 1`);
      assert.equal(existsSync(receipts), false, 'token_setup leaves the receipt repository alone');
      const r = await env.manage('receipt_setup', ...owner);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout.trim(), `Created receipt keys in ${receipts}: 0, 1`);
      assert.equal(mode(receipts), 0o700);
      for (const k of ['0', '1']) assert.equal(mode(join(receipts, k)), 0o600);
      assert.match((await env.manage('token_setup')).stdout, /already initialized \(keys 0, 1\); nothing changed/);

      const stagedToken = readFileSync(join(tokens, '0'), 'utf8');
      const rt = await env.manage('token_rotate');
      assert.equal(rt.code, 0, rt.stderr);
      assert.equal(rt.stdout.trim(), `Rotated token keys in ${tokens}: primary 2; keys 0, 1, 2`);
      assert.equal(readFileSync(join(tokens, '2'), 'utf8'), stagedToken);
      assert.deepEqual(readdirSync(receipts).sort(), ['0', '1'], 'token_rotate leaves the receipt keys alone');
      for (const expected of ['primary 2; keys 0, 1, 2', 'primary 3; keys 0, 1, 2, 3', 'primary 4, purged 1; keys 0, 2, 3, 4']) {
        const rr = await env.manage('receipt_rotate', ...owner);
        assert.equal(rr.code, 0, rr.stderr);
        assert.equal(rr.stdout.trim(), `Rotated receipt keys in ${receipts}: ${expected}`);
      }
      assert.deepEqual(readdirSync(tokens).sort(), ['0', '1', '2'], 'receipt_rotate leaves the token keys alone');
    } finally {
      await env.close();
      rmSync(receiptDir, { recursive: true, force: true });
    }
  });

  test('a missing key repository is one clear error line', async () => {
    const env = await environment('pglite');
    try {
      const rotate = await env.manage('fernet_rotate');
      assert.equal(rotate.code, 1);
      assert.equal(
        oneErrorLine(rotate),
        `keystone-manage: The [fernet_tokens] key repository ${join(env.dir, 'fernet-keys')} does not exist; create it with \`keystone-manage fernet_setup\`.`,
      );
      const cred = await env.manage('credential_rotate');
      assert.equal(cred.code, 1);
      assert.match(
        oneErrorLine(cred),
        /\[credential\] key repository .* does not exist; create it with `keystone-manage credential_setup`/,
      );
      const owner = await env.manage('fernet_setup', '--keystone-user', 'no-such-user-k5');
      assert.equal(owner.code, 1);
      assert.match(oneErrorLine(owner), /no-such-user-k5/);
      assert.equal(existsSync(join(env.dir, 'fernet-keys', '0')), false);
    } finally {
      await env.close();
    }
  });

  test('credential_setup and credential_rotate (refused while a credential is not under the primary key)', async () => {
    const env = await environment('pglite');
    try {
      const repo = join(env.dir, 'credential-keys');
      assert.equal((await env.manage('db_sync')).code, 0);
      const setup = await env.manage('credential_setup');
      assert.equal(setup.code, 0, setup.stderr);
      assert.equal(setup.stdout.trim(), `Created credential keys in ${repo}: 0, 1`);
      assert.equal(mode(repo), 0o700);
      const rotate = await env.manage('credential_rotate');
      assert.equal(rotate.code, 0, rotate.stderr);
      assert.equal(rotate.stdout.trim(), `Rotated credential keys in ${repo}: primary 2; keys 0, 1, 2`);
      // a credential encrypted under another key blocks the rotation, as in Keystone
      const { conf } = loadConfig({ configFiles: [env.file] });
      const h = await openCliDatabase(conf);
      try {
        const cols = await h.db.any<{ column_name: string; is_nullable: string; column_default: string | null }>(
          "SELECT column_name, is_nullable, column_default FROM information_schema.columns WHERE table_name = 'credential'",
        );
        const row: Record<string, string> = { id: 'c1', user_id: 'u1', type: 'ec2', encrypted_blob: 'x', key_hash: 'not-the-primary' };
        for (const c of cols) if (c.is_nullable === 'NO' && c.column_default === null && !(c.column_name in row)) row[c.column_name] = '{}';
        const names = Object.keys(row);
        await h.db.none(
          `INSERT INTO credential (${names.map((n) => `"${n}"`).join(', ')}) VALUES (${names.map((_, i) => `$${i + 1}`).join(', ')})`,
          names.map((n) => row[n]),
        );
      } finally {
        await h.close();
      }
      const refused = await env.manage('credential_rotate');
      assert.equal(refused.code, 1);
      assert.match(
        oneErrorLine(refused),
        /Unable to rotate credential keys because not all credentials are encrypted with the primary key/,
      );
      assert.deepEqual(readdirSync(repo).sort(), ['0', '1', '2']);
    } finally {
      await env.close();
    }
  });
});

describe('keystone-manage failures and help', () => {
  test('an unreachable database is one clear line and a non-zero status', async () => {
    const env = await environment('pglite', { database: { connection: 'postgresql://127.0.0.1:1/x' } });
    try {
      for (const c of ['db_sync', 'db_version', 'token_flush']) {
        const r = await env.manage(c);
        assert.equal(r.code, 1, `${c}: ${r.stdout}${r.stderr}`);
        assert.match(oneErrorLine(r), /^keystone-manage: Cannot connect to PostgreSQL at 127\.0\.0\.1:1\/x: .*ECONNREFUSED/);
      }
    } finally {
      await env.close();
    }
  });

  test('db_version on an embedded database that does not exist yet', async () => {
    const env = await environment('pglite', {}, true);
    try {
      const r = await env.manage('db_version');
      assert.equal(r.code, 1);
      assert.match(oneErrorLine(r), /The embedded database at .*pglite does not exist: run "keystone-manage db_sync"/);
    } finally {
      await env.close();
    }
  });

  test('doctor reports each problem on a line and exits non-zero', async () => {
    const env = await environment('pglite', {
      DEFAULT: { admin_token: 'ADMIN', debug: true, no_such_option: 'x' },
      cache: { enabled: true, backend: 'dogpile.cache.redis', backend_argument: ['url:redis://127.0.0.1:1/0'] },
      database: { connection: 'postgresql://127.0.0.1:1/x' },
    });
    try {
      assert.equal((await env.manage('fernet_setup')).code, 0);
      chmodSync(join(env.dir, 'fernet-keys'), 0o755);
      chmodSync(join(env.dir, 'fernet-keys', '1'), 0o644);
      const r = await env.manage('doctor');
      assert.equal(r.code, 1);
      const lines = r.stdout.trim().split('\n');
      const expect = [
        /^configuration: Unknown option \[DEFAULT\] no_such_option is ignored$/,
        /^\[DEFAULT\] admin_token is set/,
        /^\[DEFAULT\] debug is enabled/,
        /^\[fernet_tokens\] key_repository .*: directory mode is 0755; it should be 0700/,
        /^\[fernet_tokens\] key_repository .*: key file 1 has mode 0644; it should be 0600\.$/,
        /^\[credential\] key_repository .*does not exist; create it with `keystone-manage credential_setup`/,
        /^database: Cannot connect to PostgreSQL at 127\.0\.0\.1:1\/x/,
        /^\[cache\] backend dogpile\.cache\.redis is not reachable \(url:redis:\/\/127\.0\.0\.1:1\/0\)\.$/,
      ];
      for (const re of expect)
        assert.ok(
          lines.some((l) => re.test(l)),
          `no line matches ${re} in:\n${r.stdout}`,
        );
      assert.equal(lines.length, expect.length, r.stdout);
      assert.doesNotMatch(r.stdout, /ADMIN\b(?! token)/, 'the admin_token value is not printed');
    } finally {
      await env.close();
    }
  });

  test('doctor on an old schema and with too few keys', async () => {
    const env = await environment('pglite');
    try {
      assert.equal((await env.manage('db_sync')).code, 0);
      assert.equal((await env.manage('fernet_setup')).code, 0);
      assert.equal((await env.manage('credential_setup')).code, 0);
      rmSync(join(env.dir, 'credential-keys', '1'));
      const { conf } = loadConfig({ configFiles: [env.file] });
      const h = await openCliDatabase(conf);
      try {
        await h.db.none('DELETE FROM keystone_schema_version WHERE version = $1', [LATEST_SCHEMA_VERSION]);
      } finally {
        await h.close();
      }
      const r = await env.manage('doctor');
      assert.equal(r.code, 1);
      assert.match(r.stdout, /^\[credential\] key_repository .*: has 1 key\(s\); a staged and a primary key \(at least 2\) are needed\.$/m);
      assert.match(
        r.stdout,
        new RegExp(
          `^database: the embedded database at .* is at schema version ${LATEST_SCHEMA_VERSION - 1}, this code needs ${LATEST_SCHEMA_VERSION}; run \`keystone-manage db_sync\`\\.$`,
          'm',
        ),
      );
      assert.equal(r.stdout.trim().split('\n').length, 2, r.stdout);
    } finally {
      await env.close();
    }
  });

  test('a bad configuration value is one line naming section, option and value', async () => {
    const env = await environment('pglite', { token: { expiration: 'soon' } });
    try {
      const r = await env.manage('db_version');
      assert.equal(r.code, 1);
      assert.equal(
        oneErrorLine(r),
        'keystone-manage: configuration error: Invalid value for option [token] expiration: "soon" (expected an integer)',
      );
    } finally {
      await env.close();
    }
  });

  test('--help for the program and each command; unknown commands', async () => {
    const commands = [
      'db_sync',
      'db_version',
      'bootstrap',
      'fernet_setup',
      'fernet_rotate',
      'token_setup',
      'token_rotate',
      'receipt_setup',
      'receipt_rotate',
      'credential_setup',
      'credential_rotate',
      'token_flush',
      'trust_flush',
      'doctor',
    ];
    // one process per help text, started together: they only print
    const [top, ...helps] = await Promise.all([runKeystoneManage(['--help']), ...commands.map((c) => runKeystoneManage([c, '--help']))]);
    const help = new Map(commands.map((c, i) => [c, helps[i]]));
    assert.equal(top.code, 0);
    for (const c of commands) {
      assert.match(top.stdout, new RegExp(`^  ${c} `, 'm'));
      const r = help.get(c)!;
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, new RegExp(`^usage: keystone-manage \\[global options\\] ${c}`));
    }
    const b = help.get('bootstrap')!;
    for (const f of [
      '--bootstrap-username',
      '--bootstrap-password',
      '--bootstrap-project-name',
      '--bootstrap-role-name',
      '--bootstrap-service-name',
      '--bootstrap-region-id',
      '--bootstrap-admin-url',
      '--bootstrap-public-url',
      '--bootstrap-internal-url',
      '--immutable-roles',
    ])
      assert.ok(b.stdout.includes(f), f);
    for (const c of ['fernet_rotate', 'token_setup', 'token_rotate', 'receipt_setup', 'receipt_rotate'])
      assert.match(help.get(c)!.stdout, /--keystone-user VALUE[\s\S]*--keystone-group VALUE/);
    const unknown = await runKeystoneManage(['db_frobnicate']);
    assert.equal(unknown.code, 2);
    assert.match(oneErrorLine(unknown), /unknown command "db_frobnicate"/);
    const all = await (await import('../helpers/keystone-process.js')).runKeystoneAll(['--help']);
    assert.equal(all.code, 0);
    assert.match(all.stdout, /^usage: keystone-all .* start/);
  });
});
