import { createHash } from 'node:crypto';

/** A row's key as one string (its key columns' canonical values). */
export function rowKey(values: readonly unknown[]): string {
  return JSON.stringify(values);
}

/** A digest of a row's canonical values: equal digests, equal rows. */
export function rowDigest(values: readonly unknown[]): string {
  return createHash('sha1').update(JSON.stringify(values)).digest('base64url');
}
