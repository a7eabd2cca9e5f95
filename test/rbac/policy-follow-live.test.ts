/**
 * A running keystone-all follows its policy files (issue 11, item 7): a
 * policy.yaml created beside keystone.conf after start-up is read within
 * about a second by every worker, a change is read, a removed file drops its
 * rules, policy.d files likewise; a file that cannot be parsed or read is
 * logged and the last good rules stay in force.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startKeystone, type KeystoneProcess } from '../helpers/keystone-process.js';
import { api, bootstrapAdminToken } from '../security/victims.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('policy files followed by a running keystone-all', () => {
  let ks: KeystoneProcess;
  let token: string;
  before(async () => {
    ks = await startKeystone({ config: { eventlet_server: { public_workers: 2 } } });
    token = await bootstrapAdminToken(ks.publicUrl, ks.adminPassword);
  });
  after(async () => {
    await ks?.stop();
  });

  const policyFile = () => join(ks.stateDir, 'policy.yaml');
  const policyDir = () => join(ks.stateDir, 'policy.d');
  const status = async (path: string) => (await api(ks.publicUrl, 'GET', path, { token })).status;
  /** Every worker answers `expected` (several requests in a row, after the first one does). */
  const settlesTo = async (path: string, expected: number) => {
    let last = 0;
    for (let i = 0; i < 60; i++) {
      last = await status(path);
      if (last === expected) break;
      await sleep(100);
    }
    assert.equal(last, expected, path);
    for (let i = 0; i < 8; i++) assert.equal(await status(path), expected, `${path} (request ${i})`);
  };
  /** Requests (the enforcer re-checks its files when it is asked, at most once a second) until the output has `count` matches of `pattern`. */
  const loggedWhileServing = async (pattern: RegExp, count: number) => {
    const matches = () =>
      ks
        .output()
        .split('\n')
        .filter((l) => pattern.test(l)).length;
    for (let i = 0; i < 100 && matches() < count; i++) {
      await status('/v3/regions');
      await sleep(100);
    }
    assert.ok(matches() >= count, `${count} × ${pattern} in the output`);
  };
  /** Lets every worker's throttled re-check (once a second) run, then asserts the answer holds. */
  const holds = async (path: string, expected: number) => {
    await sleep(1500);
    for (let i = 0; i < 8; i++) assert.equal(await status(path), expected, `${path} (request ${i})`);
  };

  test('without a policy file: the defaults', async () => {
    assert.equal(await status('/v3/regions'), 200);
    assert.equal(await status('/v3/services'), 200);
  });

  test('a policy.yaml created after start-up is read; a change is read', async () => {
    writeFileSync(policyFile(), '"identity:list_regions": "!"\n');
    await settlesTo('/v3/regions', 403);
    writeFileSync(policyFile(), '"identity:list_services": "!"\n');
    await settlesTo('/v3/services', 403);
    await settlesTo('/v3/regions', 200);
  });

  test('a file that no longer parses, or cannot be read: logged, the last good rules kept', async () => {
    writeFileSync(policyFile(), '"identity:list_services": [unclosed\n  : :\n');
    const keeping = /ERROR .*policy: keeping the rules in force/;
    await loggedWhileServing(keeping, 1);
    await holds('/v3/services', 403);
    assert.equal(await status('/v3/regions'), 200);
    // a directory where the file was: it cannot be read
    rmSync(policyFile());
    mkdirSync(policyFile());
    const before = ks
      .output()
      .split('\n')
      .filter((l) => keeping.test(l)).length;
    await loggedWhileServing(keeping, before + 1);
    await holds('/v3/services', 403);
    rmSync(policyFile(), { recursive: true });
  });

  test('a removed policy file drops its rules', async () => {
    await settlesTo('/v3/services', 200);
    assert.equal(await status('/v3/regions'), 200);
  });

  test('policy.d created after start-up: its files are read, changed and dropped', async () => {
    mkdirSync(policyDir());
    writeFileSync(join(policyDir(), '10-regions.yaml'), '"identity:list_regions": "!"\n');
    await settlesTo('/v3/regions', 403);
    writeFileSync(join(policyDir(), '20-services.yaml'), '"identity:list_services": "!"\n');
    await settlesTo('/v3/services', 403);
    rmSync(join(policyDir(), '10-regions.yaml'));
    await settlesTo('/v3/regions', 200);
    rmSync(policyDir(), { recursive: true });
    await settlesTo('/v3/services', 200);
  });

  test('afterwards: the failures were logged as errors of the policy files, no worker died', () => {
    const errors = ks
      .output()
      .split('\n')
      .filter((l) => / ERROR /.test(l));
    assert.ok(errors.length > 0);
    for (const line of errors) assert.match(line, /policy: keeping the rules in force/);
    assert.doesNotMatch(ks.output(), /\bdied\b/);
  });
});
