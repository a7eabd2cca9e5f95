/** keystone-manage create_jws_keypair: Keystone's files in the current directory, its refusals, --force, the owner flags. */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createPrivateKey, createPublicKey } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SUITE_NODE_FLAGS } from '../../helpers/keystone-process.js';

const KEYSTONE_MANAGE = fileURLToPath(new URL('../../../src/cli/keystone-manage.js', import.meta.url));

describe('keystone-manage create_jws_keypair', () => {
  const dir = mkdtempSync(join(tmpdir(), 'create-jws-keypair-'));
  const conf = join(dir, 'keystone.conf');
  writeFileSync(conf, '');
  after(() => {
    rmSync(dir, { recursive: true, force: true });
  });
  const manage = (...args: string[]) =>
    spawnSync(process.execPath, [...SUITE_NODE_FLAGS, KEYSTONE_MANAGE, '--config-file', conf, 'create_jws_keypair', ...args], {
      cwd: dir,
      encoding: 'utf8',
    });
  const privatePath = join(dir, 'private.pem');
  const publicPath = join(dir, 'public.pem');

  test('writes a matching P-256 pair in the current directory: PKCS#8 0600, SubjectPublicKeyInfo 0644', () => {
    const r = manage();
    assert.equal(r.status, 0, r.stderr);
    const priv = createPrivateKey(readFileSync(privatePath));
    const pub = createPublicKey(readFileSync(publicPath));
    assert.equal(priv.asymmetricKeyDetails?.namedCurve, 'prime256v1');
    assert.deepEqual(createPublicKey(priv).export({ format: 'jwk' }), pub.export({ format: 'jwk' }));
    assert.match(readFileSync(privatePath, 'utf8'), /^-----BEGIN PRIVATE KEY-----\n/);
    assert.match(readFileSync(publicPath, 'utf8'), /^-----BEGIN PUBLIC KEY-----\n/);
    assert.equal(statSync(privatePath).mode & 0o777, 0o600);
    assert.equal(statSync(publicPath).mode & 0o777, 0o644);
  });

  test("an existing key is kept without --force, with Keystone's message; --force replaces both", () => {
    const before = readFileSync(privatePath, 'utf8');
    const refused = manage();
    assert.equal(refused.status, 1);
    assert.match(refused.stderr, new RegExp(`Private key ${privatePath.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} already exists`));
    assert.equal(readFileSync(privatePath, 'utf8'), before);
    rmSync(privatePath);
    const publicOnly = manage();
    assert.equal(publicOnly.status, 1);
    assert.match(publicOnly.stderr, /Public key .*public\.pem already exists/);
    const forced = manage('--force');
    assert.equal(forced.status, 0, forced.stderr);
    assert.notEqual(readFileSync(privatePath, 'utf8'), before);
  });

  test('--keystone-user/--keystone-group: an unknown user is refused, a known one owns the files', () => {
    const unknown = manage('--force', '--keystone-user', 'no-such-user-jws', '--keystone-group', 'root');
    assert.notEqual(unknown.status, 0);
    assert.match(unknown.stderr, /Unknown user 'no-such-user-jws' in --keystone-user/);
    const uid = process.getuid?.() ?? 0;
    const gid = process.getgid?.() ?? 0;
    const owned = manage('--force', '--keystone-user', String(uid), '--keystone-group', String(gid));
    assert.equal(owned.status, 0, owned.stderr);
    assert.equal(statSync(privatePath).uid, uid);
    assert.equal(statSync(publicPath).gid, gid);
    assert.notEqual(manage('--bogus').status, 0, 'an unknown flag is refused');
  });
});
