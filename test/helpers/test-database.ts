/**
 * A fresh database for one test (empty, or with the schema applied): embedded PGlite (always) or the
 * machine's PostgreSQL (when CI=true or KEYSTONE_TEST_POSTGRES=1; with
 * CI=true an unreachable PostgreSQL fails the test instead of skipping it).
 */
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pgPromise from 'pg-promise';
import { startEmbeddedHost, type EmbeddedHost } from '../../src/storage/embedded-host.js';
import { newId } from '../../src/common/ids.js';
import { syncSchema } from '../../src/storage/migrator.js';

export type DatabaseKind = 'pglite' | 'postgres';

export const POSTGRES_ADMIN_URL = process.env.KEYSTONE_TEST_POSTGRES_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';

/** The backends this run covers: PGlite always, PostgreSQL in CI (or when asked). */
export function databaseKinds(): DatabaseKind[] {
  const kinds: DatabaseKind[] = ['pglite'];
  if (process.env.CI === 'true' || process.env.KEYSTONE_TEST_POSTGRES === '1') kinds.push('postgres');
  return kinds;
}

export interface TestDatabase {
  kind: DatabaseKind;
  /** the [database] connection value for keystone.conf */
  connection: string;
  /** for the embedded database: the socket directory workers connect to */
  embeddedSocketDir?: string;
  close(): Promise<void>;
}

const adminPgp = pgPromise();

/**
 * PGlite's initdb costs seconds per database; an empty, initialised data
 * directory made once (shared by the suite's processes, keyed by PGlite's
 * version, published by an atomic rename) is copied instead. It holds no
 * schema: tests still run db_sync / migrations themselves.
 */
export async function pgliteTemplate(): Promise<string> {
  const pkg = new URL('../../../node_modules/@electric-sql/pglite/package.json', import.meta.url);
  const version = (JSON.parse(readFileSync(pkg, 'utf8')) as { version: string }).version;
  return publishedDataDir(join(tmpdir(), `keystone-pglite-template-${version}-${process.getuid?.() ?? 0}`), async (dataDir) => {
    await (await startEmbeddedHost(dataDir, 1)).stop();
  });
}

/** A data directory made once by `make` in a work directory and published at `template` by an atomic rename. */
async function publishedDataDir(template: string, make: (dataDir: string) => Promise<void>): Promise<string> {
  if (existsSync(join(template, 'PG_VERSION'))) return template;
  const work = mkdtempSync(join(tmpdir(), 'keystone-pglite-template-work-'));
  const dataDir = join(work, 'pglite');
  try {
    await make(dataDir);
    renameSync(dataDir, template);
  } catch (err) {
    if (!existsSync(join(template, 'PG_VERSION'))) throw err; // else another test process published it first
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  return template;
}

/** The compiled migrations and migrator: a migrated template is made once per set of them. */
function migrationsDigest(): string {
  const storage = new URL('../../src/storage/', import.meta.url);
  const migrations = new URL('migrations/', storage);
  const hash = createHash('sha256').update(readFileSync(new URL('migrator.js', storage)));
  for (const name of readdirSync(migrations)
    .filter((n) => n.endsWith('.js'))
    .sort())
    hash.update(name).update(readFileSync(new URL(name, migrations)));
  return hash.digest('hex').slice(0, 16);
}

/**
 * db_sync on every in-process server's database costs about half a second of PGlite's CPU (and a second of
 * PostgreSQL's round trips): an embedded data directory with the schema applied is made once per set of
 * migrations (published as pgliteTemplate's), and copied instead.
 */
async function pgliteMigratedTemplate(): Promise<string> {
  const empty = await pgliteTemplate();
  return publishedDataDir(`${empty}-schema-${migrationsDigest()}`, async (dataDir) => {
    cpSync(empty, dataDir, { recursive: true });
    const host = await startEmbeddedHost(dataDir, 1);
    const db = adminPgp({ host: host.socketDir, port: 5432, database: 'postgres', user: 'postgres', max: 1 });
    try {
      await syncSchema(db);
    } finally {
      await db.$pool.end();
      await host.stop();
    }
  });
}

/**
 * The PostgreSQL counterpart: a template database with the schema applied, made once per set of migrations
 * (under an advisory lock, marked IS_TEMPLATE when complete) and copied by CREATE DATABASE … TEMPLATE.
 */
async function postgresMigratedTemplate(): Promise<string> {
  const name = `keystone_test_template_${migrationsDigest()}`;
  const admin = adminPgp(POSTGRES_ADMIN_URL);
  try {
    await admin.task(async (t) => {
      await t.one('SELECT pg_advisory_lock(hashtext($1))', [name]);
      try {
        if (await t.oneOrNone('SELECT 1 FROM pg_database WHERE datname = $1 AND datistemplate', [name])) return;
        await t.none('DROP DATABASE IF EXISTS $1:name', [name]);
        await t.none('CREATE DATABASE $1:name', [name]);
        const url = new URL(POSTGRES_ADMIN_URL);
        url.pathname = `/${name}`;
        const db = adminPgp({ connectionString: url.toString(), max: 1 });
        try {
          await syncSchema(db);
        } finally {
          await db.$pool.end();
        }
        await t.none('ALTER DATABASE $1:name IS_TEMPLATE true', [name]);
      } finally {
        await t.one('SELECT pg_advisory_unlock(hashtext($1))', [name]);
      }
    });
  } finally {
    await admin.$pool.end();
  }
  return name;
}

/** Puts an initialised, empty embedded database where keystone-all/keystone-manage look for it (state_path/pglite). */
export async function seedPgliteState(stateDir: string): Promise<void> {
  cpSync(await pgliteTemplate(), join(stateDir, 'pglite'), { recursive: true });
}

/** migrated: the schema already applied (db_sync finds nothing to do); else an empty database. */
export async function createTestDatabase(kind: DatabaseKind, options: { migrated?: boolean } = {}): Promise<TestDatabase> {
  if (kind === 'pglite') {
    const dir = mkdtempSync(join(tmpdir(), 'keystone-pglite-'));
    const dataDir = join(dir, 'pglite');
    cpSync(options.migrated ? await pgliteMigratedTemplate() : await pgliteTemplate(), dataDir, { recursive: true });
    const host: EmbeddedHost = await startEmbeddedHost(dataDir, 8);
    return {
      kind,
      connection: `pglite://${dataDir}`,
      embeddedSocketDir: host.socketDir,
      async close() {
        await host.stop();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  }
  const name = `keystone_test_${newId().slice(0, 12)}`;
  const template = options.migrated ? await postgresMigratedTemplate() : null;
  const admin = adminPgp(POSTGRES_ADMIN_URL);
  try {
    if (template) await admin.none('CREATE DATABASE $1:name TEMPLATE $2:name', [name, template]);
    else await admin.none('CREATE DATABASE $1:name', [name]);
  } finally {
    await admin.$pool.end();
  }
  const url = new URL(POSTGRES_ADMIN_URL);
  url.pathname = `/${name}`;
  return {
    kind,
    connection: url.toString(),
    async close() {
      const a = adminPgp(POSTGRES_ADMIN_URL);
      try {
        await a.none('DROP DATABASE IF EXISTS $1:name WITH (FORCE)', [name]);
      } finally {
        await a.$pool.end();
      }
    },
  };
}
