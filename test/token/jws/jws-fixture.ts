/**
 * Shared by the JWS tests: key repositories made by keystone-manage create_jws_keypair
 * (ours, run in the private directory as Keystone's is), and Keystone 22's own JWSFormatter
 * through /usr/bin/python3 and test/fixtures/keystone/jws_tool.py.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SUITE_NODE_FLAGS } from '../../helpers/keystone-process.js';

const PYTHON = process.env.KEYSTONE_TEST_PYTHON ?? '/usr/bin/python3';
const TOOL = fileURLToPath(new URL('../../../../test/fixtures/keystone/jws_tool.py', import.meta.url));
const KEYSTONE_MANAGE = fileURLToPath(new URL('../../../src/cli/keystone-manage.js', import.meta.url));

const probe = spawnSync(PYTHON, ['-c', 'import keystone.token.providers.jws.core, keystone.common.jwt_utils, jwt'], { encoding: 'utf8' });
const available = probe.status === 0;
const whyNot = available
  ? ''
  : `${PYTHON} cannot import Keystone's JWS provider (${(probe.error?.message ?? probe.stderr).trim().split('\n').pop() ?? ''}); install python3-keystone`;
/** node:test's skip option: false when Keystone 22 can run here (or CI=true, where its absence fails). */
export const skipWithoutKeystone: string | false =
  available || process.env.CI === 'true' ? false : `${whyNot} (set CI=true to make this a failure)`;

export function requireKeystone(): void {
  if (!available) assert.fail(`Keystone cross-check required with CI=true: ${whyNot}`);
}

/** One answer of jws_tool.py. */
export interface KeystoneAnswer {
  ok: boolean;
  error?: string;
  message?: string;
  token?: string;
  issued_at?: string;
  [field: string]: unknown;
}

/** Runs Keystone's JWSFormatter on the operations, with the given key repositories. */
export function keystoneJws(repos: { publicRepository: string; privateRepository: string }, ops: object[]): KeystoneAnswer[] {
  const req = { public_repository: repos.publicRepository, private_repository: repos.privateRepository, ops };
  const r = spawnSync(PYTHON, [TOOL], { input: JSON.stringify(req), encoding: 'utf8', maxBuffer: 1 << 24 });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout) as KeystoneAnswer[];
}

export interface KeyRepositories {
  publicRepository: string;
  privateRepository: string;
}

/**
 * <dir>/private/private.pem and <dir>/public/<publicName>: our keystone-manage create_jws_keypair run in
 * the private directory, its public.pem moved into the public one.
 */
export function createKeyRepositories(dir: string, publicName = 'public.pem'): KeyRepositories {
  const privateRepository = join(dir, 'private');
  const publicRepository = join(dir, 'public');
  mkdirSync(privateRepository, { recursive: true });
  mkdirSync(publicRepository, { recursive: true });
  const conf = join(dir, 'manage.conf');
  writeFileSync(conf, '');
  const r = spawnSync(process.execPath, [...SUITE_NODE_FLAGS, KEYSTONE_MANAGE, '--config-file', conf, 'create_jws_keypair'], {
    cwd: privateRepository,
    encoding: 'utf8',
  });
  assert.equal(r.status, 0, `create_jws_keypair: ${r.stderr}${r.stdout}`);
  renameSync(join(privateRepository, 'public.pem'), join(publicRepository, publicName));
  return { publicRepository, privateRepository };
}
