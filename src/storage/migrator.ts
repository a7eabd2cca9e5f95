/** db_sync and db_version: versioned, forward-only migrations. */
import type { Database } from './database.js';
import { LATEST_SCHEMA_VERSION, MIGRATIONS } from './migrations/index.js';

const VERSION_TABLE = 'keystone_schema_version';
const MIGRATION_LOCK_ID = 0x6b657973; // "keys"

export async function currentSchemaVersion(db: Database): Promise<number> {
  const exists = await db.oneOrNone<{ t: string | null }>(`SELECT to_regclass('${VERSION_TABLE}') AS t`);
  if (!exists?.t) return 0;
  const row = await db.oneOrNone<{ v: number | null }>(`SELECT max(version) AS v FROM ${VERSION_TABLE}`);
  return row?.v ?? 0;
}

/** Applies every migration newer than the database's version; returns the versions applied. */
export async function syncSchema(db: Database): Promise<number[]> {
  return db.tx('db_sync', async (t) => {
    await t.any('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK_ID]);
    await t.none(
      `CREATE TABLE IF NOT EXISTS ${VERSION_TABLE} (version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`,
    );
    const row = await t.one<{ v: number | null }>(`SELECT max(version) AS v FROM ${VERSION_TABLE}`);
    const current = row.v ?? 0;
    const applied: number[] = [];
    for (const migration of MIGRATIONS) {
      if (migration.version <= current) continue;
      await t.none(migration.sql);
      await t.none(`INSERT INTO ${VERSION_TABLE} (version, name) VALUES ($1, $2)`, [migration.version, migration.name]);
      applied.push(migration.version);
    }
    return applied;
  });
}

export class SchemaOutOfDateError extends Error {
  constructor(found: number) {
    super(
      found === 0
        ? `The database has no Keystone schema: run "keystone-manage db_sync" first.`
        : `The database schema is at version ${found}, this code needs ${LATEST_SCHEMA_VERSION}: run "keystone-manage db_sync".`,
    );
  }
}

export async function assertSchemaCurrent(db: Database): Promise<void> {
  const found = await currentSchemaVersion(db);
  if (found < LATEST_SCHEMA_VERSION) throw new SchemaOutOfDateError(found);
  if (found > LATEST_SCHEMA_VERSION)
    throw new Error(`The database schema (version ${found}) is newer than this code (${LATEST_SCHEMA_VERSION}): upgrade the code.`);
}

export { LATEST_SCHEMA_VERSION };
