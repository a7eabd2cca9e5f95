import { randomUUID } from 'node:crypto';

/** Keystone's ids: uuid4().hex, 32 lowercase hex characters. */
export function newId(): string {
  return randomUUID().replace(/-/g, '');
}
