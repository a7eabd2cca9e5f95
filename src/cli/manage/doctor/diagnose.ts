/**
 * keystone-manage doctor: every problem found, one line each, in this order:
 * the configuration and the policy, the key repositories, the database, the
 * cache. Nothing is changed.
 */
import type { CliConfig } from '../../cli-config.js';
import { cacheProblems } from './cache-check.js';
import { configurationProblems } from './configuration-check.js';
import { databaseProblems } from './database-check.js';
import { keyRepositoryProblems } from './key-repository-check.js';

export async function diagnose(config: CliConfig): Promise<string[]> {
  const { conf } = config;
  return [
    ...configurationProblems(config),
    ...keyRepositoryProblems(conf),
    ...(await databaseProblems(conf)),
    ...(await cacheProblems(conf)),
  ];
}
