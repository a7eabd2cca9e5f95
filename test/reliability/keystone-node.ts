/**
 * A keystone-all node on an external PostgreSQL, as an operator runs several:
 * its own state directory and ports (0: free ports), the database and the
 * key repositories given (shared between nodes), prepared with
 * keystone-manage as the install guide does.
 *
 *   const keys = mkdtempSync(…);                       // shared by the nodes
 *   const a = await startNode({ connection, keys, initialize: true });   // db_sync, fernet_setup, credential_setup, bootstrap
 *   const b = await startNode({ connection, keys });
 *   await a.stop();                                    // SIGTERM, then removes a's state directory (not the keys)
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runKeystoneManage, startKeystone, writeKeystoneConfig, type KeystoneProcess } from '../helpers/keystone-process.js';
import { mergeOverrides, type ConfigOverrides } from '../helpers/test-config.js';

export const NODE_ADMIN_PASSWORD = 'reliability-admin-password';

export interface NodeOptions {
  /** [database] connection */
  connection: string;
  /** directory holding the shared key repositories (fernet/, credential/) */
  keys: string;
  /** this node's own copy of the Fernet key repository instead of keys/fernet (distributed by the operator) */
  fernetKeys?: string;
  /** run db_sync and bootstrap (the first node on a fresh database) */
  initialize?: boolean;
  config?: ConfigOverrides;
}

export function keyRepositories(keys: string): { fernet: string; credential: string } {
  return { fernet: join(keys, 'fernet'), credential: join(keys, 'credential') };
}

export async function startNode(options: NodeOptions): Promise<KeystoneProcess> {
  const dir = mkdtempSync(join(tmpdir(), 'keystone-node-'));
  const repos = keyRepositories(options.keys);
  if (options.fernetKeys) repos.fernet = options.fernetKeys;
  try {
    const { file } = writeKeystoneConfig(
      mergeOverrides(
        {
          database: { connection: options.connection },
          fernet_tokens: { key_repository: repos.fernet },
          fernet_receipts: { key_repository: repos.fernet },
          credential: { key_repository: repos.credential },
        },
        options.config ?? {},
      ),
      dir,
    );
    const steps: string[][] = [];
    if (!existsSync(join(repos.fernet, '0'))) steps.push(['fernet_setup']);
    if (!existsSync(join(repos.credential, '0'))) steps.push(['credential_setup']);
    if (options.initialize) steps.push(['db_sync'], ['bootstrap', '--bootstrap-password', NODE_ADMIN_PASSWORD]);
    for (const args of steps) {
      const r = await runKeystoneManage(args, { configFile: file });
      if (r.code !== 0) throw new Error(`keystone-manage ${args[0]} failed (${r.code}): ${r.stderr}${r.stdout}`);
    }
    const ks = await startKeystone({ stateDir: dir, adminPassword: NODE_ADMIN_PASSWORD });
    const stop = ks.stop;
    return {
      ...ks,
      async stop(opts) {
        const r = await stop(opts);
        rmSync(dir, { recursive: true, force: true });
        return r;
      },
    };
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
}

/** The primary's /metrics URL, from its log line. */
export function metricsUrl(ks: KeystoneProcess): string | undefined {
  return /metrics listening on (http:\/\/\S+\/metrics)/.exec(ks.output())?.[1];
}
