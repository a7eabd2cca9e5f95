/**
 * keystone-manage db_import's work: checks that the source is a Keystone
 * database this code can read, stages every Keystone table (stage-table.ts),
 * then applies the staged copy to the served tables in one transaction. What
 * cannot be brought over (tables and columns we have no place for, values our
 * columns cannot hold) is named with its reason.
 */
import type { Database } from '../storage/database.js';
import { assertSchemaCurrent } from '../storage/migrator.js';
import { BOOKKEEPING_TABLES, KEYSTONE_TABLES } from './mappers/index.js';
import { checkKeystoneRevision } from './keystone-revisions.js';
import type { KeystoneSource } from './source/keystone-source.js';
import { stageTable, type TableCounts } from './stage-table.js';
import { StagingRepository, STAGING_SCHEMA, type AppliedCounts, type StagedTableState } from './staging-repository.js';
import type { ImportContext } from './table-mapping.js';

export interface ImportOptions {
  dryRun: boolean;
  /** read every source table and compare every served row (no skipping by fingerprint, no pending-only apply) */
  full?: boolean;
  /** one line of progress (stderr) */
  progress: (line: string) => void;
}

export interface ImportSummary {
  source: string;
  revision: string;
  dryRun: boolean;
  tables: TableCounts[];
  /** per table, what the apply changed in the served tables (absent on a dry run) */
  applied?: Map<string, AppliedCounts>;
  /** source tables and columns not imported, each with the reason */
  leftBehind: string[];
}

export class ImportApplyError extends Error {}

function leftBehind(sourceTables: Map<string, string[]>): string[] {
  const out: string[] = [];
  const mapped = new Map(KEYSTONE_TABLES.map((m) => [m.table, m]));
  for (const [table, columns] of sourceTables) {
    if (BOOKKEEPING_TABLES.has(table)) continue;
    const mapping = mapped.get(table);
    if (!mapping) {
      out.push(`table ${table}: not one of Keystone's tables this code knows (a plugin's, or not Keystone's); not imported`);
      continue;
    }
    const consumed = new Set(Object.values(mapping.columns ?? {}).flatMap((c) => c.sources));
    for (const column of columns) if (!consumed.has(column)) out.push(`column ${table}.${column}`); // kept only if we have the column: filtered below
  }
  return out;
}

export async function importKeystoneDatabase(source: KeystoneSource, db: Database, options: ImportOptions): Promise<ImportSummary> {
  await assertSchemaCurrent(db);
  const sourceTables = await source.tables();
  const revision = await checkKeystoneRevision(source, sourceTables);
  options.progress(`db_import: ${source.description}, Keystone schema ${revision.description}`);
  const staging = new StagingRepository(db);
  const targetColumns = await staging.targetColumns(KEYSTONE_TABLES.map((m) => m.table));
  const summary: ImportSummary = {
    source: source.description,
    revision: revision.description,
    dryRun: options.dryRun,
    tables: [],
    leftBehind: [],
  };
  for (const line of leftBehind(sourceTables)) {
    const m = /^column ([^.]+)\.(.+)$/.exec(line);
    if (!m) summary.leftBehind.push(line);
    else if (!targetColumns.get(m[1])?.some((c) => c.name === m[2])) summary.leftBehind.push(`${line}: no such column here; not imported`);
  }

  const runId = options.dryRun ? 0 : await staging.startRun(source.description, revision.description);
  const stagedTables = await staging.stagedTables();
  const tableStates = options.full ? new Map<string, StagedTableState>() : await staging.tableStates();
  const context: ImportContext = { registeredLimitInternalIds: new Map() };
  for (const mapping of KEYSTONE_TABLES) {
    const columns = targetColumns.get(mapping.table);
    if (!columns) throw new Error(`our schema has no table ${mapping.table}: run "keystone-manage db_sync"`);
    const counts = await stageTable({
      mapping,
      targetColumns: columns,
      sourceColumns: new Set(sourceTables.get(mapping.table) ?? []),
      source,
      staging,
      stagedColumns: stagedTables.get(mapping.table),
      context,
      dryRun: options.dryRun,
      state: tableStates.get(mapping.table),
      progress: (c) => {
        if (c.read > 0) options.progress(`db_import: ${c.table}: ${String(c.read)} rows read, ${String(c.inserted + c.updated)} to stage`);
      },
    });
    if (counts.skipped) options.progress(`db_import: ${counts.table}: unchanged at the source since the last run, not read`);
    summary.tables.push(counts);
  }
  if (options.dryRun) return summary;

  await staging.markStaged(runId);
  const applyStarted = Date.now();
  options.progress('db_import: every table staged; applying to the served tables in one transaction');
  const applied = new Map<string, AppliedCounts>();
  // read again after staging: a staging table re-created in this run is not in step any more
  const synced = options.full
    ? new Set<string>()
    : new Set([...(await staging.tableStates())].filter(([, state]) => state.synced).map(([table]) => table));
  try {
    await staging.applyStaged(
      KEYSTONE_TABLES.map((m) => ({ table: m.table, key: m.key, columns: (targetColumns.get(m.table) ?? []).map((c) => c.name) })),
      synced,
      (table, counts) => {
        applied.set(table, counts);
        const written = counts.inserted + counts.updated + counts.deleted;
        if (written > 0)
          options.progress(
            `db_import: ${table}: applied +${String(counts.inserted)} ~${String(counts.updated)} -${String(counts.deleted)}`,
          );
      },
    );
  } catch (err) {
    const e = err as { code?: string; message?: string; detail?: string; table?: string; constraint?: string };
    if (!e.code?.startsWith('23')) throw err;
    throw new ImportApplyError(
      `A row of table ${e.table ?? '?'} breaks our constraint ${e.constraint ?? ''}: ${e.message ?? ''}${e.detail ? ` (${e.detail})` : ''}. ` +
        `Nothing was applied: the server serves what it served before. The staged copy stays in schema ${STAGING_SCHEMA}; ` +
        `correct the row in the Keystone database and run db_import again (it brings only what changed).`,
    );
  }
  summary.applied = applied;
  options.progress(`db_import: applied in ${((Date.now() - applyStarted) / 1000).toFixed(1)} s`);
  await staging.markApplied(runId, {
    tables: Object.fromEntries(summary.tables.map((t) => [t.table, { rows: t.read - t.refused, refused: t.refused }])),
  });
  return summary;
}
