/**
 * A fresh, migrated database for one test: embedded PGlite (always) or the
 * machine's PostgreSQL (when CI=true or KEYSTONE_TEST_POSTGRES=1; with
 * CI=true an unreachable PostgreSQL fails the test instead of skipping it).
 */
import { mkdtempSync, rmSync } from 'node:fs';
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

export async function createTestDatabase(kind: DatabaseKind): Promise<TestDatabase> {
  if (kind === 'pglite') {
    const dir = mkdtempSync(join(tmpdir(), 'keystone-pglite-'));
    const dataDir = join(dir, 'pglite');
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
