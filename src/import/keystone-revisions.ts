/**
 * Which Keystone schema a database holds, from its bookkeeping tables.
 * Keystone 13 (Queens) to 20 (Xena) kept sqlalchemy-migrate's migrate_version
 * rows (repositories keystone, keystone_expand, keystone_data_migrate,
 * keystone_contract); Yoga moved to alembic (keystone/common/sql/migrations:
 * one expand and one contract head in alembic_version). A revision not
 * listed here is from a Keystone newer than this code knows: refused.
 */
import type { KeystoneSource } from './source/keystone-source.js';

/** Alembic revisions of Keystone's migrations, Yoga (21) to 2026.1, each with the release that added it. */
export const KNOWN_ALEMBIC_REVISIONS: ReadonlyMap<string, string> = new Map([
  ['27e647c0fad4', 'Yoga (initial)'],
  ['29e87d24a316', 'Yoga expand'],
  ['e25ffa003242', 'Yoga contract'],
  ['b4f8b3f584e0', '2023.2 expand: fix incorrect constraints'],
  ['11c3b243b4cb', '2023.2 expand: service_provider relay_state_prefix default'],
  ['99de3849d860', '2023.2 contract: fix incorrect constraints'],
  ['c88cdce8f248', '2023.2 contract: remove duplicate constraints'],
  ['47147121', '2024.1 expand: mapping schema_version'],
  ['e8725d6fa226', '2025.2 expand: index on project_endpoint_group.project_id'],
  ['742c857f1dfb', '2026.1 expand: index on revocation_event'],
]);

/** sqlalchemy-migrate repositories of Keystone before Yoga. */
const MIGRATE_REPOSITORIES = new Set(['keystone', 'keystone_expand', 'keystone_data_migrate', 'keystone_contract']);
/** Keystone's own tables that any release since Queens has. */
const CORE_TABLES = ['project', 'user', 'local_user', 'password', 'role', 'assignment'];

export class NotKeystoneDatabaseError extends Error {}

export interface KeystoneRevision {
  /** e.g. "alembic 29e87d24a316 (Yoga expand), e25ffa003242 (Yoga contract)" */
  description: string;
}

export async function checkKeystoneRevision(source: KeystoneSource, tables: Map<string, string[]>): Promise<KeystoneRevision> {
  const missing = CORE_TABLES.filter((t) => !tables.has(t));
  if (missing.length > 0)
    throw new NotKeystoneDatabaseError(
      `${source.description} is not a Keystone database: it has no ${missing.join(', ')} table${missing.length > 1 ? 's' : ''}.`,
    );
  if (tables.has('alembic_version')) {
    const revisions = (await source.versionRows('alembic_version')).map((row) => row.version_num);
    if (revisions.length === 0)
      throw new NotKeystoneDatabaseError(`${source.description} has an empty alembic_version table: its db_sync never finished.`);
    const unknown = revisions.filter((r) => !KNOWN_ALEMBIC_REVISIONS.has(r));
    if (unknown.length > 0)
      throw new NotKeystoneDatabaseError(
        `${source.description} is at alembic revision ${unknown.join(', ')}, which this code does not know (newer than Keystone 2026.1, or not Keystone's): refusing to import a schema it cannot read faithfully.`,
      );
    return { description: 'alembic ' + revisions.map((r) => `${r} (${KNOWN_ALEMBIC_REVISIONS.get(r) ?? ''})`).join(', ') };
  }
  if (tables.has('migrate_version')) {
    const rows = await source.versionRows('migrate_version');
    const ours = rows.filter((row) => MIGRATE_REPOSITORIES.has(row.repository_id));
    if (ours.length === 0)
      throw new NotKeystoneDatabaseError(`${source.description} has a migrate_version table with no Keystone repository in it.`);
    return { description: 'sqlalchemy-migrate ' + ours.map((row) => `${row.repository_id} ${row.version}`).join(', ') };
  }
  throw new NotKeystoneDatabaseError(
    `${source.description} has neither alembic_version nor migrate_version: not a database that keystone-manage db_sync made.`,
  );
}
