import { importKeystoneDatabase } from '../../../import/db-importer.js';
import { formatImportSummary } from '../../../import/import-report.js';
import { openKeystoneSource } from '../../../import/source/open-source.js';
import { announceOutsideWrites } from '../../../wiring/announce-outside-writes.js';
import { CommandError, defineCommand } from '../command.js';
import { withDatabase } from '../with-database.js';

export const dbImport = defineCommand({
  help:
    "Import a running Keystone's database (every table, ids kept) into this one. Run it again to bring only what changed; " +
    'a killed run resumes. The served tables change in one transaction at the end.',
  flags: {
    from: { type: 'string', help: 'The SQLAlchemy URL of the Keystone database ([database] connection of its keystone.conf).' },
    'dry-run': { type: 'boolean', help: 'Say what would be imported and what cannot be, changing nothing.' },
    full: {
      type: 'boolean',
      help: 'Read every table and compare every served row, also those this server changed since the last run (a re-run otherwise brings what changed at Keystone only).',
    },
  },
  async run({ conf, flags, out }) {
    const url = flags.from;
    if (!url) throw new CommandError('db_import: --from <SQLAlchemy URL of the Keystone database> is required', 2);
    let source;
    try {
      source = openKeystoneSource(url);
    } catch (err) {
      throw new CommandError(`db_import: ${(err as Error).message}`, 2);
    }
    try {
      // the apply is one transaction over every table: no [database] query_timeout on it
      const importConf = { ...conf, database: { ...conf.database, query_timeout: 0 } };
      return await withDatabase(importConf, async ({ db }) => {
        const summary = await importKeystoneDatabase(source, db, {
          dryRun: flags['dry-run'] === true,
          full: flags.full === true,
          progress: (line) => process.stderr.write(line + '\n'),
        });
        const written = [...(summary.applied?.values() ?? [])].some((c) => c.inserted + c.updated + c.deleted > 0);
        // running servers drop what they read before: the apply bypassed the managers and their invalidations
        if (written) await announceOutsideWrites(importConf, db);
        for (const line of formatImportSummary(summary)) out(line);
        return summary.tables.some((t) => t.refused > 0) ? 3 : 0;
      });
    } catch (err) {
      const e = err as { code?: string; message?: string };
      if (e.code && /^(ECONNREFUSED|ENOTFOUND|ER_|ETIMEDOUT|ENOENT|28|3D)/.test(e.code))
        throw new CommandError(`db_import: cannot read ${source.description}: ${e.message ?? e.code}`);
      throw new CommandError(`db_import: ${e.message ?? String(err)}`);
    } finally {
      await source.close().catch(() => undefined);
    }
  },
});
