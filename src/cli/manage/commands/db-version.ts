import { currentSchemaVersion } from '../../../storage/migrator.js';
import { defineCommand } from '../command.js';
import { withDatabase } from '../with-database.js';

export const dbVersion = defineCommand({
  help: 'Print the database schema version.',
  flags: {},
  async run({ conf, out }) {
    return withDatabase(conf, async ({ db }) => {
      out(String(await currentSchemaVersion(db)));
      return 0;
    });
  },
});
