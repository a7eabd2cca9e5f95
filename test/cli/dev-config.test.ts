/** conf/keystone-dev.conf (what `npm start` runs with) loads cleanly and means what the README says. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { loadConfig } from '../../src/config/load-config.js';
import { resolveRelativePaths } from '../../src/cli/cli-config.js';
import { resolveDatabaseTarget } from '../../src/storage/database.js';
import { REPO_ROOT } from '../helpers/keystone-process.js';

test('conf/keystone-dev.conf: state under ./state, embedded database, memory cache, 127.0.0.1:5000/35357, no warnings', () => {
  const file = join(REPO_ROOT, 'conf', 'keystone-dev.conf');
  const loaded = loadConfig({ configFiles: [file] });
  assert.deepEqual(loaded.warnings, []);
  const conf = resolveRelativePaths(loaded.conf);
  const state = resolve('state');
  assert.equal(conf.DEFAULT.state_path, state);
  assert.equal(conf.DEFAULT.debug, false);
  assert.deepEqual(resolveDatabaseTarget(conf), { kind: 'embedded', dataDir: join(state, 'pglite') });
  assert.equal(conf.fernet_tokens.key_repository, join(state, 'fernet-keys'));
  assert.equal(conf.credential.key_repository, join(state, 'credential-keys'));
  assert.equal(conf.cache.enabled, true);
  assert.equal(conf.cache.backend, 'dogpile.cache.memory');
  assert.equal(conf.eventlet_server.public_bind_host, '127.0.0.1');
  assert.equal(conf.eventlet_server.public_port, 5000);
  assert.equal(conf.eventlet_server.admin_bind_host, '127.0.0.1');
  assert.equal(conf.eventlet_server.admin_port, 35357);
  const pkg = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8'));
  assert.match(pkg.scripts.start, /keystone-all\.js --config-file conf\/keystone-dev\.conf start$/);
});
