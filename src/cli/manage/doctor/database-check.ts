import type { KeystoneConfig } from '../../../config/options.js';
import { resolveDatabaseTarget, type DatabaseTarget } from '../../../storage/database.js';
import { currentSchemaVersion, LATEST_SCHEMA_VERSION } from '../../../storage/migrator.js';
import { describeTarget } from '../../cli-database.js';
import { oneLine } from '../../cli-config.js';
import { withDatabase } from '../with-database.js';

/** [database] connection understood, the database reachable, its schema the one of this code. */
export async function databaseProblems(conf: KeystoneConfig): Promise<string[]> {
  let target: DatabaseTarget;
  try {
    target = resolveDatabaseTarget(conf);
  } catch (err) {
    return [`[database] connection: ${(err as Error).message}`];
  }
  const problems: string[] = [];
  try {
    await withDatabase(conf, async ({ db }) => {
      const version = await currentSchemaVersion(db);
      if (version < LATEST_SCHEMA_VERSION)
        problems.push(
          `database: ${describeTarget(target)} is at schema version ${version}, this code needs ${LATEST_SCHEMA_VERSION}; run \`keystone-manage db_sync\`.`,
        );
      else if (version > LATEST_SCHEMA_VERSION)
        problems.push(
          `database: ${describeTarget(target)} is at schema version ${version}, newer than this code (${LATEST_SCHEMA_VERSION}).`,
        );
    });
  } catch (err) {
    problems.push(`database: ${oneLine((err as Error).message)}`);
  }
  return problems;
}
