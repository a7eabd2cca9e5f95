import { assertSchemaCurrent } from '../../../storage/migrator.js';
import { flushExpiredTokens } from '../../../token/uuid/flush.js';
import { CommandError, defineCommand } from '../command.js';
import { withDatabase } from '../with-database.js';

export const tokenFlush = defineCommand({
  help: 'Delete expired rows of the token table (UUID tokens), in batches of short transactions.',
  flags: { 'batch-size': { type: 'string', help: 'Rows deleted per batch (default 1000).' } },
  async run({ conf, flags, out }) {
    const raw = flags['batch-size'];
    const batch = raw !== undefined ? Number(raw) : 1000;
    if (!Number.isInteger(batch) || batch < 1)
      throw new CommandError(`--batch-size must be a positive integer, not ${JSON.stringify(raw)}`);
    return withDatabase(conf, async ({ db }) => {
      await assertSchemaCurrent(db);
      const n = await flushExpiredTokens(db, batch);
      out(`Deleted ${n} expired token(s).`);
      return 0;
    });
  },
});
