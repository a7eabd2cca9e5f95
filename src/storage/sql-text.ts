/**
 * PostgreSQL text cannot hold NUL characters: a value carrying one can never
 * match a stored row, and must never reach a query (PostgreSQL would raise).
 */
export function hasNul(value: string): boolean {
  return value.includes('\u0000');
}

/** True when the value could equal something stored (no NUL; not longer than the column). */
export function canMatch(value: string, maxLength?: number): boolean {
  return !hasNul(value) && (maxLength === undefined || value.length <= maxLength);
}
