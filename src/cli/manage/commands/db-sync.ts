import { currentSchemaVersion, LATEST_SCHEMA_VERSION, syncSchema } from '../../../storage/migrator.js';
import { CommandError, defineCommand } from '../command.js';
import { withDatabase } from '../with-database.js';

const COMPAT = 'Accepted for compatibility: the migrations run in one step.';

export const dbSync = defineCommand({
  help: 'Apply the database migrations. Running it again is a no-op.',
  flags: {
    check: { type: 'boolean', help: 'Only report whether a sync is needed: exit 0 when the schema is current, 2 when db_sync must run.' },
    expand: { type: 'boolean', help: COMPAT },
    migrate: { type: 'boolean', help: COMPAT },
    contract: { type: 'boolean', help: COMPAT },
  },
  async run({ conf, flags, out }) {
    if (flags.check) {
      return withDatabase(conf, async ({ db }) => {
        const version = await currentSchemaVersion(db);
        if (version === LATEST_SCHEMA_VERSION) {
          out(`Database is up to date (version ${version}); db_sync is not needed.`);
          return 0;
        }
        if (version > LATEST_SCHEMA_VERSION)
          throw new CommandError(`The database schema (version ${version}) is newer than this code (${LATEST_SCHEMA_VERSION}).`);
        out(`Database is at version ${version}, this code needs ${LATEST_SCHEMA_VERSION}: run "keystone-manage db_sync".`);
        return 2;
      });
    }
    return withDatabase(
      conf,
      async ({ db }) => {
        const found = await currentSchemaVersion(db);
        if (found > LATEST_SCHEMA_VERSION)
          throw new CommandError(
            `The database schema (version ${found}) is newer than this code (${LATEST_SCHEMA_VERSION}): upgrade the code.`,
          );
        const applied = await syncSchema(db);
        if (applied.length === 0) out(`Database is already at version ${found}; nothing to do.`);
        else out(`Database migrated from version ${found} to ${applied[applied.length - 1]} (applied ${applied.join(', ')}).`);
        return 0;
      },
      { create: true },
    );
  },
});
