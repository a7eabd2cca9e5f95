/**
 * Keystone's sha256 public id generator (identity/id_generators/sha256.py):
 * the hex SHA-256 of the mapping's values in the order of their sorted keys
 * (domain_id, entity_type, local_id), so that a user of a directory gets the
 * id Keystone would give it, on every node and after every restart.
 */
import { createHash } from 'node:crypto';
import type { LocalEntity } from './id-mapping-backend.js';

export function generatePublicId(entity: LocalEntity): string {
  const hash = createHash('sha256');
  for (const key of (['domain_id', 'entity_type', 'local_id'] as const).slice().sort()) hash.update(entity[key], 'utf8');
  return hash.digest('hex');
}
