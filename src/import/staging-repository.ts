/**
 * The import's side of our database. Rows read from Keystone land first in a
 * staging copy of each table (schema keystone_import, no constraints, each
 * row with its key and digest), committed batch by batch: a killed import
 * leaves only staged rows, which the server never reads, and the next run
 * resumes by digest. applyStaged() then makes the served tables equal to the
 * staged ones in one transaction, writing only the rows that differ.
 *
 * Two bookkeeping tables make a run with little or nothing changed fast:
 * `pending` names every staged row written or removed since the last apply (in
 * the same transaction as the staging write), so the apply of a table already
 * in step touches those rows only; `table_state` says which tables are in step
 * (`synced`, set by an apply, cleared when a staging table is re-created) and
 * keeps each table's source fingerprint and counts from its last staging, so
 * an unchanged source table is not read again.
 */
import { pgp, type Database } from '../storage/database.js';
import type { TargetColumn } from './target-values.js';

export const STAGING_SCHEMA = 'keystone_import';
const KEY = '_import_key';
const DIGEST = '_import_digest';

/** The columns a staging table has for a served table with these columns. */
export function stagingColumnsFor(columns: readonly string[]): string[] {
  return [...columns, KEY, DIGEST];
}

export interface StagedRow {
  key: string;
  digest: string;
  values: readonly unknown[];
}

export interface AppliedCounts {
  inserted: number;
  updated: number;
  deleted: number;
}

/** What the last staging of a table recorded (table_state). */
export interface StagedTableState {
  /** the source's fingerprint of the table when it was last read completely, if the source gives one */
  sourceFingerprint: string | null;
  counts: { read: number; refused: number; refusals: string[] } | null;
  /** the served table equals its staged copy as of the last apply (only pending rows differ) */
  synced: boolean;
}

export interface ImportRunRecord {
  id: number;
  source: string;
  revision: string;
  started_at: string;
  staged_at: string | null;
  applied_at: string | null;
  summary: unknown;
}

const staged = (table: string): string => `${pgp.as.name(STAGING_SCHEMA)}.${pgp.as.name(table)}`;
const served = (table: string): string => pgp.as.name(table);
const names = (columns: readonly string[], prefix = ''): string => columns.map((c) => prefix + pgp.as.name(c)).join(', ');
const PENDING = staged('pending');
const TABLE_STATE = staged('table_state');

export class StagingRepository {
  constructor(private readonly db: Database) {}

  /** Our tables' columns (the served schema), in column order. */
  async targetColumns(tables: readonly string[]): Promise<Map<string, TargetColumn[]>> {
    const rows = await this.db.any<{ table_name: string; column_name: string; data_type: string; character_maximum_length: number | null }>(
      `SELECT table_name, column_name, data_type, character_maximum_length FROM information_schema.columns
        WHERE table_schema = current_schema() AND table_name IN ($1:csv) ORDER BY table_name, ordinal_position`,
      [tables],
    );
    const out = new Map<string, TargetColumn[]>();
    for (const row of rows) {
      const columns = out.get(row.table_name) ?? [];
      columns.push({ name: row.column_name, dataType: row.data_type, maxLength: row.character_maximum_length });
      out.set(row.table_name, columns);
    }
    return out;
  }

  /** The columns of every staging table there is (one look for the whole run). */
  async stagedTables(): Promise<Map<string, string[]>> {
    const rows = await this.db.any<{ table_name: string; column_name: string }>(
      `SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = $1 ORDER BY table_name, ordinal_position`,
      [STAGING_SCHEMA],
    );
    const out = new Map<string, string[]>();
    for (const row of rows) out.set(row.table_name, [...(out.get(row.table_name) ?? []), row.column_name]);
    return out;
  }

  /**
   * The staging table for `table`, created (or re-created, when our schema
   * changed since) with the served table's columns; `existing` is what
   * stagedTables() found for it.
   */
  async prepareStaging(table: string, columns: readonly TargetColumn[], existing: readonly string[] | undefined): Promise<void> {
    const wanted = stagingColumnsFor(columns.map((c) => c.name));
    if (existing && existing.join('\u0001') === wanted.join('\u0001')) return;
    await this.db.tx('db_import prepare staging', async (t) => {
      await t.none(`CREATE SCHEMA IF NOT EXISTS ${pgp.as.name(STAGING_SCHEMA)}`);
      await t.none(`DROP TABLE IF EXISTS ${staged(table)}`);
      await t.none(`CREATE TABLE ${staged(table)} AS SELECT * FROM ${served(table)} WITH NO DATA`);
      await t.none(`ALTER TABLE ${staged(table)} ADD COLUMN ${KEY} text PRIMARY KEY, ADD COLUMN ${DIGEST} text NOT NULL`);
      // a new staging copy: the next apply of this table compares every row
      await t.none(`DELETE FROM ${PENDING} WHERE tbl = $1`, [table]);
      await t.none(`DELETE FROM ${TABLE_STATE} WHERE tbl = $1`, [table]);
    });
  }

  /** key → digest of every staged row of a table (empty when it has no staging table). */
  async stagedDigests(table: string, exists: boolean): Promise<Map<string, string>> {
    const digests = new Map<string, string>();
    if (!exists) return digests;
    const rows = await this.db.any<{ k: string; d: string }>(`SELECT ${KEY} AS k, ${DIGEST} AS d FROM ${staged(table)}`);
    for (const row of rows) digests.set(row.k, row.d);
    return digests;
  }

  /** Writes (inserts or replaces) a batch of staged rows in one transaction. */
  async upsertStaged(table: string, columns: readonly string[], rows: readonly StagedRow[]): Promise<void> {
    if (rows.length === 0) return;
    const columnSet = new pgp.helpers.ColumnSet([...columns, KEY, DIGEST], {
      table: new pgp.helpers.TableName({ table, schema: STAGING_SCHEMA }),
    });
    const records = rows.map((row) => {
      const record: Record<string, unknown> = { [KEY]: row.key, [DIGEST]: row.digest };
      columns.forEach((c, i) => (record[c] = row.values[i]));
      return record;
    });
    const update = [...columns, DIGEST].map((c) => `${pgp.as.name(c)} = EXCLUDED.${pgp.as.name(c)}`).join(', ');
    await this.db.tx('db_import stage', async (t) => {
      await t.none(`${pgp.helpers.insert(records, columnSet)} ON CONFLICT (${KEY}) DO UPDATE SET ${update}`);
      await t.none(
        `INSERT INTO ${PENDING} (tbl, import_key, keyvals) SELECT $1, k, NULL FROM unnest($2::text[]) AS k
         ON CONFLICT (tbl, import_key) DO UPDATE SET keyvals = NULL`,
        [table, rows.map((r) => r.key)],
      );
    });
  }

  async deleteStaged(table: string, keys: readonly string[]): Promise<void> {
    if (keys.length === 0) return;
    await this.db.tx('db_import unstage', async (t) => {
      // the row as it was staged: the apply deletes the served row by its key columns
      await t.none(
        `INSERT INTO ${PENDING} (tbl, import_key, keyvals) SELECT $1, s.${KEY}, to_jsonb(s) FROM ${staged(table)} s WHERE s.${KEY} IN ($2:csv)
         ON CONFLICT (tbl, import_key) DO UPDATE SET keyvals = EXCLUDED.keyvals`,
        [table, keys],
      );
      await t.none(`DELETE FROM ${staged(table)} WHERE ${KEY} IN ($1:csv)`, [keys]);
    });
  }

  /** What the last staging of each table recorded (empty before the first run, and on a dry run's first). */
  async tableStates(): Promise<Map<string, StagedTableState>> {
    const exists = await this.db.one<{ t: string | null }>(`SELECT to_regclass($1) AS t`, [`${STAGING_SCHEMA}.table_state`]);
    const out = new Map<string, StagedTableState>();
    if (!exists.t) return out;
    const rows = await this.db.any<{ tbl: string; source_fingerprint: string | null; counts: StagedTableState['counts']; synced: boolean }>(
      `SELECT tbl, source_fingerprint, counts, synced FROM ${TABLE_STATE}`,
    );
    for (const r of rows) out.set(r.tbl, { sourceFingerprint: r.source_fingerprint, counts: r.counts, synced: r.synced });
    return out;
  }

  /** Records a table staged completely from a source with this fingerprint. */
  async recordStaged(table: string, sourceFingerprint: string | null, counts: NonNullable<StagedTableState['counts']>): Promise<void> {
    await this.db.none(
      `INSERT INTO ${TABLE_STATE} (tbl, source_fingerprint, counts, synced) VALUES ($1, $2, $3, false)
       ON CONFLICT (tbl) DO UPDATE SET source_fingerprint = EXCLUDED.source_fingerprint, counts = EXCLUDED.counts`,
      [table, sourceFingerprint, JSON.stringify(counts)],
    );
  }

  /**
   * Makes each served table equal to its staged copy, all in one transaction:
   * deletes first (children before parents), then inserts and updates
   * (parents first), each touching only rows that differ; serial sequences
   * follow the imported ids. A table in `synced` (in step since the last
   * apply) is compared on its pending rows only; the others row by row. A row
   * that breaks a constraint rolls it all back.
   */
  async applyStaged(
    tables: readonly { table: string; key: readonly string[]; columns: readonly string[] }[],
    synced: ReadonlySet<string>,
    onTable: (table: string, counts: AppliedCounts) => void,
  ): Promise<void> {
    await this.db.tx('db_import apply', async (t) => {
      const pending = new Map(
        (
          await t.any<{ tbl: string; upserts: number; deletes: number }>(
            `SELECT tbl, count(*) FILTER (WHERE keyvals IS NULL) AS upserts, count(*) FILTER (WHERE keyvals IS NOT NULL) AS deletes
               FROM ${PENDING} GROUP BY tbl`,
          )
        ).map((r) => [r.tbl, r]),
      );
      // Fresh statistics for what the apply compares: the embedded database has no autovacuum, and without them
      // the planner takes a freshly staged table for a few rows and probes the served table row by row through an
      // index the same statement keeps growing (30,000 assignment rows: two minutes instead of two seconds).
      const compared = tables.filter(({ table }) => !synced.has(table) || pending.has(table)).map(({ table }) => table);
      if (compared.length > 0)
        await t.none(`ANALYZE ${[PENDING, ...compared.flatMap((table) => [staged(table), served(table)])].join(', ')}`);
      const deleted = new Map<string, number>();
      for (const { table, key } of [...tables].reverse()) {
        if (synced.has(table) && !pending.get(table)?.deletes) continue;
        const result = synced.has(table)
          ? await t.result(
              `DELETE FROM ${served(table)} p USING (SELECT (jsonb_populate_record(NULL::${served(table)}, d.keyvals)).* FROM ${PENDING} d
                WHERE d.tbl = $1 AND d.keyvals IS NOT NULL) x WHERE ${key.map((k) => `p.${pgp.as.name(k)} = x.${pgp.as.name(k)}`).join(' AND ')}`,
              [table],
            )
          : await t.result(
              `DELETE FROM ${served(table)} p WHERE NOT EXISTS (SELECT 1 FROM ${staged(table)} s WHERE ${key.map((k) => `s.${pgp.as.name(k)} = p.${pgp.as.name(k)}`).join(' AND ')})`,
            );
        deleted.set(table, result.rowCount);
      }
      for (const { table, key, columns } of tables) {
        if (synced.has(table) && !pending.get(table)?.upserts) {
          onTable(table, { inserted: 0, updated: 0, deleted: deleted.get(table) ?? 0 });
          continue;
        }
        const match = key.map((k) => `q.${pgp.as.name(k)} = s.${pgp.as.name(k)}`).join(' AND ');
        const others = columns.filter((c) => !key.includes(c));
        const onConflict =
          others.length === 0
            ? 'DO NOTHING'
            : `DO UPDATE SET ${others.map((c) => `${pgp.as.name(c)} = EXCLUDED.${pgp.as.name(c)}`).join(', ')}`;
        const onlyPending = synced.has(table) ? `JOIN ${PENDING} d ON d.tbl = $1 AND d.import_key = s.${KEY} AND d.keyvals IS NULL` : '';
        const counts = await t.one<{ inserted: number; updated: number }>(
          `WITH changed AS (
             INSERT INTO ${served(table)} AS p (${names(columns)})
             SELECT ${names(columns, 's.')} FROM ${staged(table)} s ${onlyPending}
              WHERE NOT EXISTS (SELECT 1 FROM ${served(table)} q WHERE ${match} AND (${names(columns, 'q.')}) IS NOT DISTINCT FROM (${names(columns, 's.')}))
             ON CONFLICT (${names(key)}) ${onConflict}
             RETURNING (xmax = 0) AS inserted)
           SELECT count(*) FILTER (WHERE inserted) AS inserted, count(*) FILTER (WHERE NOT inserted) AS updated FROM changed`,
          [table],
        );
        onTable(table, { inserted: counts.inserted, updated: counts.updated, deleted: deleted.get(table) ?? 0 });
      }
      const serials = await t.any<{ table_name: string; column_name: string }>(
        `SELECT table_name, column_name FROM information_schema.columns
          WHERE table_schema = current_schema() AND table_name IN ($1:csv) AND column_default LIKE 'nextval(%'`,
        [tables.map((x) => x.table)],
      );
      for (const { table_name, column_name } of serials) {
        await t.one(
          `SELECT setval(pg_get_serial_sequence($1, $2), COALESCE(max(${pgp.as.name(column_name)}), 1), max(${pgp.as.name(column_name)}) IS NOT NULL)
             FROM ${served(table_name)}`,
          [pgp.as.name(table_name), column_name],
        );
      }
      // every served table is now in step with its staged copy
      await t.none(`DELETE FROM ${PENDING}`);
      await t.none(
        `INSERT INTO ${TABLE_STATE} (tbl, synced) SELECT unnest($1::text[]), true ON CONFLICT (tbl) DO UPDATE SET synced = true`,
        [tables.map((x) => x.table)],
      );
    });
  }

  async startRun(source: string, revision: string): Promise<number> {
    await this.db.none(`CREATE SCHEMA IF NOT EXISTS ${pgp.as.name(STAGING_SCHEMA)}`);
    await this.db.none(
      `CREATE TABLE IF NOT EXISTS ${staged('import_run')} (
         id serial PRIMARY KEY, source text NOT NULL, revision text NOT NULL,
         started_at timestamptz NOT NULL DEFAULT now(), staged_at timestamptz, applied_at timestamptz, summary jsonb)`,
    );
    await this.db.none(
      `CREATE TABLE IF NOT EXISTS ${PENDING} (tbl text NOT NULL, import_key text NOT NULL, keyvals jsonb, PRIMARY KEY (tbl, import_key))`,
    );
    await this.db.none(
      `CREATE TABLE IF NOT EXISTS ${TABLE_STATE} (tbl text PRIMARY KEY, source_fingerprint text, counts jsonb, synced boolean NOT NULL DEFAULT false)`,
    );
    const row = await this.db.one<{ id: number }>(`INSERT INTO ${staged('import_run')} (source, revision) VALUES ($1, $2) RETURNING id`, [
      source,
      revision,
    ]);
    return row.id;
  }

  async markStaged(runId: number): Promise<void> {
    await this.db.none(`UPDATE ${staged('import_run')} SET staged_at = now() WHERE id = $1`, [runId]);
  }

  async markApplied(runId: number, summary: unknown): Promise<void> {
    await this.db.none(`UPDATE ${staged('import_run')} SET applied_at = now(), summary = $2 WHERE id = $1`, [
      runId,
      JSON.stringify(summary),
    ]);
  }

  /** The latest import run recorded in this database, if any import ever ran. */
  async lastRun(): Promise<ImportRunRecord | null> {
    const exists = await this.db.one<{ t: string | null }>(`SELECT to_regclass($1) AS t`, [`${STAGING_SCHEMA}.import_run`]);
    if (!exists.t) return null;
    return this.db.oneOrNone<ImportRunRecord>(
      `SELECT id, source, revision, started_at::text, staged_at::text, applied_at::text, summary FROM ${staged('import_run')} ORDER BY id DESC LIMIT 1`,
    );
  }

  /** Rows of a served table missing from its staged copy, or differing from it (0 and 0 right after an apply). */
  async driftFromStaged(
    table: string,
    key: readonly string[],
    columns: readonly string[],
  ): Promise<{ missing: number; differing: number }> {
    const match = key.map((k) => `p.${pgp.as.name(k)} = s.${pgp.as.name(k)}`).join(' AND ');
    return this.db.one<{ missing: number; differing: number }>(
      `SELECT count(*) FILTER (WHERE p.${pgp.as.name(key[0])} IS NULL) AS missing,
              count(*) FILTER (WHERE p.${pgp.as.name(key[0])} IS NOT NULL AND (${names(columns, 'p.')}) IS DISTINCT FROM (${names(columns, 's.')})) AS differing
         FROM ${staged(table)} s LEFT JOIN ${served(table)} p ON ${match}`,
    );
  }
}
