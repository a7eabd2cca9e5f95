/**
 * keystone-manage doctor: every problem found, one line each, in this order:
 * the configuration and the policy, the key repositories, the database, what
 * a db_import left, the cache. Nothing is changed.
 */
import type { CliConfig } from '../../cli-config.js';
import { cacheProblems } from './cache-check.js';
import { configurationProblems } from './configuration-check.js';
import { databaseProblems } from './database-check.js';
import { importProblems } from './import-check.js';
import { jwsKeyProblems } from './jws-key-check.js';
import { keyRepositoryProblems } from './key-repository-check.js';

export async function diagnose(config: CliConfig): Promise<string[]> {
  const { conf } = config;
  const database = await databaseProblems(conf);
  return [
    ...configurationProblems(config),
    ...keyRepositoryProblems(conf),
    ...jwsKeyProblems(conf),
    ...database,
    ...(database.length === 0 ? await importProblems(conf) : []),
    ...(await cacheProblems(conf)),
  ];
}
