/**
 * The database errors the managers turn into Keystone's answers. pg-promise (PostgreSQL) and PGlite both
 * carry PostgreSQL's SQLSTATE in `code`.
 */

/** PostgreSQL's unique_violation (SQLSTATE 23505): a row with the same key or unique value exists. */
export function isUniqueViolation(err: unknown): boolean {
  return (err as { code?: string } | null)?.code === '23505';
}
