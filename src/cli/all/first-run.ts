/**
 * keystone-all's first run on the embedded database (a fresh data
 * directory, or one with no schema): the schema applied, and the admin user
 * bootstrapped with its project, roles and the identity endpoints at the
 * addresses keystone-all listens on (password OS_BOOTSTRAP_PASSWORD, else
 * generated here and shown once in the banner). The Fernet and credential
 * key repositories are created whenever they are absent.
 */
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { KeystoneConfig } from '../../config/options.js';
import { log } from '../../log/logger.js';
import type { Database } from '../../storage/database.js';
import { syncSchema } from '../../storage/migrator.js';
import { KeyRepository } from '../../token/fernet/key-repository.js';
import { credentialRepository } from '../../credential/credential-crypto.js';
import { buildProviders } from '../../wiring/build-providers.js';
import { runBootstrap } from '../bootstrap.js';
import { displayHost, type Endpoints, type ServiceName } from './ports.js';

export interface FirstRun {
  /** the admin user's password */
  password: string;
  /** generated here (no OS_BOOTSTRAP_PASSWORD): the banner shows it */
  generated: boolean;
}

/** The [fernet_tokens], [fernet_receipts] and [credential] key repositories set up where they have no key yet. */
export function ensureKeyRepositories(conf: KeystoneConfig): void {
  const repos = [
    new KeyRepository({
      path: conf.fernet_tokens.key_repository,
      maxActiveKeys: conf.fernet_tokens.max_active_keys,
      configGroup: 'fernet_tokens',
    }),
  ];
  if (conf.fernet_receipts.key_repository !== conf.fernet_tokens.key_repository) {
    repos.push(
      new KeyRepository({
        path: conf.fernet_receipts.key_repository,
        maxActiveKeys: conf.fernet_receipts.max_active_keys,
        configGroup: 'fernet_receipts',
      }),
    );
  }
  repos.push(credentialRepository(conf.credential.key_repository));
  for (const repo of repos) {
    if (existsSync(join(repo.path, '0'))) continue;
    const r = repo.setup();
    if (r.created)
      log.info(
        `created the [${repo.configGroup}] key repository ${repo.path} (keys ${r.keyIds
          .slice()
          .sort((a, b) => a - b)
          .join(', ')})`,
      );
  }
}

/** Creates the schema and bootstraps the admin user on an empty embedded database. */
export async function runFirstRun(
  conf: KeystoneConfig,
  db: Database,
  dataDir: string,
  embeddedSocketDir: string,
  endpoints: Endpoints,
): Promise<FirstRun> {
  log.info(`first run: creating the schema in ${dataDir}`);
  await syncSchema(db);
  const fromEnv = process.env.OS_BOOTSTRAP_PASSWORD;
  const firstRun: FirstRun = { password: fromEnv || randomBytes(18).toString('base64url'), generated: !fromEnv };
  const built = buildProviders(conf, { db, embeddedSocketDir });
  try {
    const base = (s: ServiceName) =>
      (s === 'public' ? conf.DEFAULT.public_endpoint : conf.DEFAULT.admin_endpoint)?.replace(/\/+$/, '') ??
      `http://${displayHost(endpoints[s].host)}:${endpoints[s].port}`;
    await runBootstrap(built, {
      password: firstRun.password,
      regionId: 'RegionOne',
      publicUrl: `${base('public')}/v3`,
      internalUrl: `${base('public')}/v3`,
      adminUrl: `${base('admin')}/v3`,
    });
  } finally {
    await built.cache.close().catch(() => undefined);
  }
  log.info('first run: bootstrapped the admin user, project and roles and the identity service');
  return firstRun;
}
