/**
 * A keystone.conf for a test: written to a temp dir from an object of
 * overrides, loaded by the real loader. Key repositories and state_path
 * point into the same temp dir.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/config/load-config.js';
import type { KeystoneConfig } from '../../src/config/options.js';

export type ConfigOverrides = Record<string, Record<string, string | number | boolean | string[] | null | undefined>>;

export interface TestConfig {
  conf: KeystoneConfig;
  dir: string;
  file: string;
  cleanup(): void;
}

export function renderIni(sections: ConfigOverrides): string {
  const lines: string[] = [];
  for (const [section, options] of Object.entries(sections)) {
    lines.push(`[${section}]`);
    for (const [name, value] of Object.entries(options)) {
      if (value === undefined || value === null) continue;
      if (Array.isArray(value) && section === 'cache' && name === 'backend_argument') for (const v of value) lines.push(`${name} = ${v}`);
      else lines.push(`${name} = ${Array.isArray(value) ? value.join(',') : String(value)}`);
    }
    lines.push('');
  }
  return lines.join('\n');
}

export function mergeOverrides(...layers: ConfigOverrides[]): ConfigOverrides {
  const out: ConfigOverrides = {};
  for (const layer of layers) for (const [s, opts] of Object.entries(layer)) out[s] = { ...(out[s] ?? {}), ...opts };
  return out;
}

export function makeTestConfig(overrides: ConfigOverrides = {}): TestConfig {
  const dir = mkdtempSync(join(tmpdir(), 'keystone-test-'));
  const base: ConfigOverrides = {
    DEFAULT: { state_path: dir },
    fernet_tokens: { key_repository: join(dir, 'fernet-keys') },
    fernet_receipts: { key_repository: join(dir, 'fernet-keys') },
    credential: { key_repository: join(dir, 'credential-keys') },
    identity: { password_hash_rounds: 4 },
    eventlet_server: { public_bind_host: '127.0.0.1', admin_bind_host: '127.0.0.1', public_port: 0, admin_port: 0 },
    metrics: { port: 0 },
  };
  const file = join(dir, 'keystone.conf');
  writeFileSync(file, renderIni(mergeOverrides(base, overrides)));
  const { conf } = loadConfig({ configFiles: [file] });
  return {
    conf,
    dir,
    file,
    cleanup: () => {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
