/** db_import's summary: one line per table with rows, then what was refused and left behind, and the totals. */
import type { ImportSummary } from './db-importer.js';

export function formatImportSummary(summary: ImportSummary): string[] {
  const lines: string[] = [];
  const verb = summary.dryRun ? 'would stage' : 'staged';
  const width = Math.max(...summary.tables.map((t) => t.table.length));
  lines.push(
    `${'table'.padEnd(width)}  ${'rows'.padStart(9)}  ${'new'.padStart(9)}  ${'changed'.padStart(9)}  ${'gone'.padStart(9)}  ${'refused'.padStart(7)}` +
      (summary.applied ? `  applied (+new ~changed -deleted)` : ''),
  );
  const total = { read: 0, inserted: 0, updated: 0, deleted: 0, refused: 0 };
  for (const t of summary.tables) {
    const applied = summary.applied?.get(t.table);
    if (t.read === 0 && t.deleted === 0 && (!applied || applied.deleted + applied.inserted + applied.updated === 0)) continue;
    total.read += t.read;
    total.inserted += t.inserted;
    total.updated += t.updated;
    total.deleted += t.deleted;
    total.refused += t.refused;
    lines.push(
      `${t.table.padEnd(width)}  ${String(t.read).padStart(9)}  ${String(t.inserted).padStart(9)}  ${String(t.updated).padStart(9)}  ${String(t.deleted).padStart(9)}  ${String(t.refused).padStart(7)}` +
        (applied ? `  +${String(applied.inserted)} ~${String(applied.updated)} -${String(applied.deleted)}` : '') +
        (t.skipped ? '  (unchanged at the source: not read again)' : ''),
    );
  }
  lines.push(
    `${summary.dryRun ? 'Dry run, nothing changed: ' : ''}${String(total.read)} rows read from ${summary.source}; ${verb}: ${String(total.inserted)} new, ${String(total.updated)} changed, ${String(total.deleted)} gone; ${String(total.refused)} refused.`,
  );
  const skipped = summary.tables.filter((t) => t.skipped).length;
  if (skipped > 0)
    lines.push(
      `${String(skipped)} table(s) unchanged at the source since the last run (its own checksum) were not read again; their counts are the last run's.`,
    );
  for (const t of summary.tables) for (const r of t.refusals) lines.push(`cannot import ${t.table} ${r}`);
  for (const t of summary.tables)
    if (t.refused > t.refusals.length) lines.push(`cannot import ${String(t.refused - t.refusals.length)} more row(s) of ${t.table}`);
  for (const l of summary.leftBehind) lines.push(`left behind: ${l}`);
  if (summary.applied) {
    let changes = 0;
    for (const a of summary.applied.values()) changes += a.inserted + a.updated + a.deleted;
    lines.push(`Applied to the served tables in one transaction: ${String(changes)} row(s) written.`);
  }
  return lines;
}
