import type { KeystoneSource } from './keystone-source.js';
import { MysqlSourceRepository } from './mysql-source-repository.js';
import { PostgresSourceRepository } from './postgres-source-repository.js';
import { parseSourceUrl } from './sqlalchemy-url.js';

/** The reader for the Keystone database a SQLAlchemy URL names (nothing is connected until it is asked). */
export function openKeystoneSource(url: string): KeystoneSource {
  const location = parseSourceUrl(url);
  return location.dialect === 'mysql' ? new MysqlSourceRepository(location) : new PostgresSourceRepository(location);
}
