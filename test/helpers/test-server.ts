/**
 * An in-process Keystone for API tests: a fresh database (PGlite or
 * PostgreSQL), db_sync, bootstrap, and the public and admin apps listening
 * on port 0. For tests of real processes see test/helpers/keystone-process.ts.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { buildProviders } from '../../src/wiring/build-providers.js';
import type { ProviderApi } from '../../src/common/provider-api.js';
import type { Database } from '../../src/storage/database.js';
import type { Cache } from '../../src/cache/cache.js';
import { createApp } from '../../src/server/create-app.js';
import { withFastPath } from '../../src/server/fast-path.js';
import { syncSchema } from '../../src/storage/migrator.js';
import { closeDatabases } from '../../src/storage/database.js';
import { runBootstrap, type BootstrapResult } from '../../src/cli/bootstrap.js';
import { createTestDatabase, type DatabaseKind, type TestDatabase } from './test-database.js';
import { makeTestConfig, mergeOverrides, type ConfigOverrides, type TestConfig } from './test-config.js';
import { prepareKeyRepositories } from './test-keys.js';
import { mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { configureLogging } from '../../src/log/logger.js';
import type { KeystoneConfig } from '../../src/config/options.js';

/** Where in-process servers of the suite log (one file per test process), instead of the runner's output. */
export const TEST_LOG_DIR = process.env.KEYSTONE_TEST_LOG_DIR ?? join(tmpdir(), 'keystone-test-logs');
let loggingConfigured = false;

function logToSuiteFile(conf: KeystoneConfig): void {
  if (loggingConfigured) return;
  loggingConfigured = true;
  mkdirSync(TEST_LOG_DIR, { recursive: true });
  const file = join(TEST_LOG_DIR, `in-process-${process.pid}.log`);
  configureLogging(
    { ...conf, DEFAULT: { ...conf.DEFAULT, log_file: file, log_dir: '', use_stderr: false, use_journal: false } },
    'keystone-test',
    { handleSignals: false, checkIntervalMs: 0 },
  );
}

export interface TestServer {
  publicUrl: string;
  adminUrl: string;
  providers: ProviderApi;
  /** for tests that read or plant rows directly */
  db: Database;
  cache: Cache;
  config: TestConfig;
  database: TestDatabase;
  adminPassword: string;
  bootstrap: BootstrapResult;
  close(): Promise<void>;
}

export interface TestServerOptions {
  database?: DatabaseKind;
  config?: ConfigOverrides;
  adminPassword?: string;
}

function listen(server: Server): Promise<number> {
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => {
      resolve((server.address() as AddressInfo).port);
    }),
  );
}

export async function startTestServer(options: TestServerOptions = {}): Promise<TestServer> {
  const database = await createTestDatabase(options.database ?? 'pglite', { migrated: true });
  const config = makeTestConfig(mergeOverrides({ database: { connection: database.connection } }, options.config ?? {}));
  prepareKeyRepositories(config.conf);
  logToSuiteFile(config.conf);
  const built = buildProviders(config.conf, { embeddedSocketDir: database.embeddedSocketDir });
  const { providers, db, cache } = built;
  await syncSchema(db);
  const adminPassword = options.adminPassword ?? 'test-admin-password';
  const bootstrap = await runBootstrap(built, {
    password: adminPassword,
    regionId: 'RegionOne',
    publicUrl: 'http://127.0.0.1:5000/v3',
    adminUrl: 'http://127.0.0.1:35357/v3',
    internalUrl: 'http://127.0.0.1:5000/v3',
  });
  const serverOf = (service: 'public' | 'admin') => {
    const { app, requestClasses } = createApp(service, providers, db);
    return createServer(requestClasses, withFastPath(app, service, providers));
  };
  const publicServer = serverOf('public');
  const adminServer = serverOf('admin');
  const [publicPort, adminPort] = await Promise.all([listen(publicServer), listen(adminServer)]);
  return {
    publicUrl: `http://127.0.0.1:${publicPort}`,
    adminUrl: `http://127.0.0.1:${adminPort}`,
    providers,
    db,
    cache,
    config,
    database,
    adminPassword,
    bootstrap,
    async close() {
      publicServer.closeAllConnections();
      adminServer.closeAllConnections();
      await Promise.all([new Promise((r) => publicServer.close(r)), new Promise((r) => adminServer.close(r))]);
      providers.token_provider_api.close();
      await cache.close();
      await closeDatabases();
      await database.close();
      config.cleanup();
    },
  };
}
