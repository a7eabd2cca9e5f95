/**
 * A fresh, migrated database for one test: embedded PGlite (always) or the
 * machine's PostgreSQL (when CI=true or KEYSTONE_TEST_POSTGRES=1; with
 * CI=true an unreachable PostgreSQL fails the test instead of skipping it).
 */
import { cpSync, existsSync, mkdtempSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pgPromise from 'pg-promise';
import { startEmbeddedHost, type EmbeddedHost } from '../../src/storage/embedded-host.js';
import { newId } from '../../src/common/ids.js';

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
  const template = join(tmpdir(), `keystone-pglite-template-${version}-${process.getuid?.() ?? 0}`);
  if (existsSync(join(template, 'PG_VERSION'))) return template;
  const work = mkdtempSync(join(tmpdir(), 'keystone-pglite-template-work-'));
  const dataDir = join(work, 'pglite');
  const host = await startEmbeddedHost(dataDir, 1);
  await host.stop();
  try {
    renameSync(dataDir, template);
  } catch {
    // another test process published it first
  }
  rmSync(work, { recursive: true, force: true });
  return template;
}

/** Puts an initialised, empty embedded database where keystone-all/keystone-manage look for it (state_path/pglite). */
export async function seedPgliteState(stateDir: string): Promise<void> {
  cpSync(await pgliteTemplate(), join(stateDir, 'pglite'), { recursive: true });
}

export async function createTestDatabase(kind: DatabaseKind): Promise<TestDatabase> {
  if (kind === 'pglite') {
    const dir = mkdtempSync(join(tmpdir(), 'keystone-pglite-'));
    const dataDir = join(dir, 'pglite');
    cpSync(await pgliteTemplate(), dataDir, { recursive: true });
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
  const admin = adminPgp(POSTGRES_ADMIN_URL);
  try {
    await admin.none('CREATE DATABASE $1:name', [name]);
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
