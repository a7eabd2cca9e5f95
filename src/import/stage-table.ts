/**
 * One Keystone table read into its staging copy: every source row turned
 * into our columns' values, compared by digest with what the last run
 * staged, and only the new and changed rows written, in batches of one
 * transaction each; staged rows the source no longer has are deleted.
 * With dryRun nothing is written: the counts say what would be.
 */
import type { KeystoneSource } from './source/keystone-source.js';
import { stagingColumnsFor, type StagingRepository, type StagedRow, type StagedTableState } from './staging-repository.js';
import type { ImportContext, SourceRow, TableMapping } from './table-mapping.js';
import { toTargetValue, UnimportableValueError, type TargetColumn } from './target-values.js';
import { rowDigest, rowKey } from './row-digest.js';

export const STAGE_BATCH_SIZE = 5000;
/**
 * Part of every recorded source fingerprint: raise it when a mapper converts a
 * value differently, so that the next run reads every table again.
 */
const CONVERSION_REVISION = 1;
/** How many unimportable rows a table reports one by one (the rest are counted). */
const REPORTED_REFUSALS = 10;

export interface TableCounts {
  table: string;
  read: number;
  unchanged: number;
  inserted: number;
  updated: number;
  deleted: number;
  refused: number;
  /** why rows could not be imported: "row <key>: column <c> <reason>" */
  refusals: string[];
  /** the source table was unchanged since it was last staged: not read again (the counts are that run's) */
  skipped?: boolean;
}

export interface StageTableInput {
  mapping: TableMapping;
  /** our table's columns */
  targetColumns: readonly TargetColumn[];
  /** the source table's columns (absent ones read as null) */
  sourceColumns: ReadonlySet<string>;
  source: KeystoneSource;
  staging: StagingRepository;
  /** the columns of this table's staging table, when it has one */
  stagedColumns: readonly string[] | undefined;
  context: ImportContext;
  dryRun: boolean;
  /** what the last run recorded of this table */
  state: StagedTableState | undefined;
  progress: (counts: TableCounts) => void;
}

export async function stageTable(input: StageTableInput): Promise<TableCounts> {
  const { mapping, targetColumns, sourceColumns, staging, context, dryRun } = input;
  const counts: TableCounts = {
    table: mapping.table,
    read: 0,
    unchanged: 0,
    inserted: 0,
    updated: 0,
    deleted: 0,
    refused: 0,
    refusals: [],
  };
  const readers = targetColumns.map((column) => {
    const special = mapping.columns?.[column.name];
    if (special) return (row: SourceRow) => special.read(row, context);
    return (row: SourceRow) => row[column.name];
  });
  const wanted = new Set<string>();
  for (const column of targetColumns) {
    const special = mapping.columns?.[column.name];
    for (const name of special ? special.sources : [column.name]) if (sourceColumns.has(name)) wanted.add(name);
  }
  if (mapping.remember) for (const name of ['id', 'internal_id']) if (sourceColumns.has(name)) wanted.add(name);
  const keyIndexes = mapping.key.map((k) => targetColumns.findIndex((c) => c.name === k));
  const columnNames = targetColumns.map((c) => c.name);

  const stagingMatches = input.stagedColumns?.join('\u0001') === stagingColumnsFor(columnNames).join('\u0001');
  // the source's table as it was when last staged completely: nothing to read (a table other tables
  // look up through the context is always read)
  const sourceFingerprint = dryRun || sourceColumns.size === 0 ? null : await input.source.fingerprint(mapping.table);
  const fingerprint = sourceFingerprint === null ? null : `${String(CONVERSION_REVISION)}|${[...wanted].join(',')}|${sourceFingerprint}`;
  const last = input.state;
  if (fingerprint !== null && stagingMatches && !mapping.remember && last?.counts && last.sourceFingerprint === fingerprint) {
    counts.read = last.counts.read;
    counts.refused = last.counts.refused;
    counts.refusals = last.counts.refusals;
    counts.unchanged = counts.read - counts.refused;
    counts.skipped = true;
    return counts;
  }
  if (!dryRun) await staging.prepareStaging(mapping.table, targetColumns, input.stagedColumns);
  // a staging table of another shape (our schema changed since) is re-created empty: everything is new again
  const previous = await staging.stagedDigests(mapping.table, stagingMatches);
  let batch: StagedRow[] = [];
  const flush = async () => {
    if (!dryRun) await staging.upsertStaged(mapping.table, columnNames, batch);
    batch = [];
    input.progress(counts);
  };

  // a table an older Keystone does not have reads as empty
  const rows = sourceColumns.size === 0 ? [] : input.source.rows(mapping.table, [...wanted]);
  for await (const row of rows) {
    counts.read++;
    mapping.remember?.(row, context);
    let values: unknown[];
    try {
      values = targetColumns.map((column, i) => {
        try {
          return toTargetValue(readers[i](row), column);
        } catch (err) {
          if (err instanceof UnimportableValueError) throw new UnimportableValueError(`column ${column.name} ${err.message}`);
          throw err;
        }
      });
    } catch (err) {
      if (!(err instanceof UnimportableValueError)) throw err;
      counts.refused++;
      if (counts.refusals.length < REPORTED_REFUSALS)
        counts.refusals.push(`row ${JSON.stringify(mapping.key.map((k) => row[k] ?? null))}: ${err.message}`);
      continue;
    }
    const key = rowKey(keyIndexes.map((i) => values[i]));
    const digest = rowDigest(values);
    const before = previous.get(key);
    previous.delete(key);
    if (before === digest) {
      counts.unchanged++;
      continue;
    }
    if (before === undefined) counts.inserted++;
    else counts.updated++;
    batch.push({ key, digest, values });
    if (batch.length >= STAGE_BATCH_SIZE) await flush();
  }
  await flush();
  // what is left was staged before and is gone from the source (or refused now)
  const gone = [...previous.keys()];
  counts.deleted = gone.length;
  for (let i = 0; i < gone.length && !dryRun; i += STAGE_BATCH_SIZE)
    await staging.deleteStaged(mapping.table, gone.slice(i, i + STAGE_BATCH_SIZE));
  if (!dryRun)
    await staging.recordStaged(mapping.table, fingerprint, { read: counts.read, refused: counts.refused, refusals: counts.refusals });
  return counts;
}
