import { assertSchemaCurrent } from '../../../storage/migrator.js';
import { TrustRepository } from '../../../trust/trust-repository.js';
import { CommandError, defineCommand } from '../command.js';
import { withDatabase } from '../with-database.js';

/** --date: DD-MM-YYYY, midnight UTC of that day. */
function parseDate(raw: string): Date {
  const m = /^(\d{2})-(\d{2})-(\d{4})$/.exec(raw);
  const date = m ? new Date(Date.UTC(Number(m[3]), Number(m[2]) - 1, Number(m[1]))) : new Date(NaN);
  if (!m || Number.isNaN(date.getTime()) || date.getUTCDate() !== Number(m[1]))
    throw new CommandError(`--date must be a date as DD-MM-YYYY, not ${JSON.stringify(raw)}`);
  return date;
}

export const trustFlush = defineCommand({
  help: 'Purge expired and soft-deleted trusts (and their roles), optionally only those of a project, trustor or trustee, or older than --date.',
  flags: {
    'project-id': { type: 'string', help: 'Only the trusts of this project.' },
    'trustor-user-id': { type: 'string', help: 'Only the trusts of this trustor.' },
    'trustee-user-id': { type: 'string', help: 'Only the trusts of this trustee.' },
    date: { type: 'string', help: 'Expired means expired before this date, DD-MM-YYYY (default: now).' },
  },
  async run({ conf, flags, out }) {
    const date = flags.date !== undefined ? parseDate(flags.date) : new Date();
    return withDatabase(conf, async ({ db }) => {
      await assertSchemaCurrent(db);
      const n = await new TrustRepository(db).purge({
        projectId: flags['project-id'],
        trustorUserId: flags['trustor-user-id'],
        trusteeUserId: flags['trustee-user-id'],
        date,
      });
      out(`Purged ${n} expired or soft-deleted trust(s).`);
      return 0;
    });
  },
});
