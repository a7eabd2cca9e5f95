import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, chownSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  KeyRepository,
  KeyRepositoryError,
  resolveGroup,
  resolveOwner,
  resolveUser,
  type LoadedKey,
} from '../../src/token/fernet/key-repository.js';
import { KeyRing } from '../../src/token/fernet/key-ring.js';
import { decrypt, encrypt, generateKey } from '../../src/token/fernet/fernet.js';

const root = mkdtempSync(join(tmpdir(), 'fernet-repo-test-'));
after(() => {
  rmSync(root, { recursive: true, force: true });
});
let n = 0;
const freshDir = () => join(root, `repo${n++}`);
const files = (dir: string) => readdirSync(dir).sort();
const warnings: string[] = [];
const logger = { warn: (m: string) => warnings.push(m) };

test('setup creates the directory (0700) and keys 0 and 1 (0600); a second setup changes nothing', () => {
  const dir = join(freshDir(), 'nested', 'fernet-keys');
  const repo = new KeyRepository({ path: dir, maxActiveKeys: 3, logger });
  const res = repo.setup();
  assert.equal(res.created, true);
  assert.deepEqual(res.keyIds, [1, 0]);
  assert.equal(statSync(dir).mode & 0o777, 0o700);
  assert.deepEqual(files(dir), ['0', '1']);
  for (const f of ['0', '1']) {
    assert.equal(statSync(join(dir, f)).mode & 0o777, 0o600);
    assert.match(readFileSync(join(dir, f), 'utf8'), /^[A-Za-z0-9_-]{43}=$/, 'no newline, as Keystone writes it');
  }
  const before = readFileSync(join(dir, '1'), 'utf8');
  const again = repo.setup();
  assert.equal(again.created, false);
  assert.equal(readFileSync(join(dir, '1'), 'utf8'), before);
});

test('rotate promotes 0 to max+1, writes a new 0 and purges the lowest beyond max_active_keys', () => {
  const dir = freshDir();
  const repo = new KeyRepository({ path: dir, maxActiveKeys: 3 });
  repo.setup();
  const staged = readFileSync(join(dir, '0'), 'utf8');
  const r1 = repo.rotate();
  assert.equal(r1.primary, 2);
  assert.deepEqual(r1.purged, []);
  assert.deepEqual(files(dir), ['0', '1', '2']);
  assert.equal(readFileSync(join(dir, '2'), 'utf8'), staged, 'the staged key became the primary');
  assert.notEqual(readFileSync(join(dir, '0'), 'utf8'), staged);
  const r2 = repo.rotate();
  assert.equal(r2.primary, 3);
  assert.deepEqual(r2.purged, [1]);
  assert.deepEqual(files(dir), ['0', '2', '3']);
  repo.rotate();
  assert.deepEqual(files(dir), ['0', '3', '4']);
  // max_active_keys 5: nothing purged until five keys exist
  const big = new KeyRepository({ path: freshDir(), maxActiveKeys: 5 });
  big.setup();
  for (let i = 0; i < 6; i++) big.rotate();
  assert.deepEqual(big.keyIds(), [7, 6, 5, 4, 0]);
});

test('the loader returns the primary first and the staged key last; tmp and non-numeric files are ignored', () => {
  const dir = freshDir();
  const repo = new KeyRepository({ path: dir, maxActiveKeys: 3, logger });
  repo.setup();
  repo.rotate();
  writeFileSync(join(dir, '0.tmp'), 'garbage');
  writeFileSync(join(dir, 'README'), 'garbage');
  mkdirSync(join(dir, '9'));
  warnings.length = 0;
  writeFileSync(join(dir, '7'), '');
  const keys = repo.loadKeysSync();
  assert.deepEqual(
    keys.map((k) => k.id),
    [2, 1, 0],
  );
  assert.equal(keys[0].raw, readFileSync(join(dir, '2'), 'utf8'));
  assert.ok(warnings.some((w) => w.includes('Ignoring empty key') && w.includes(join(dir, '7'))));
  // a token made with the primary decrypts with the list; one made with the staged key too
  const list = keys.map((k) => k.key);
  assert.equal(decrypt(encrypt(keys[0].key, Buffer.from('p')), list).toString(), 'p');
  assert.equal(decrypt(encrypt(keys[2].key, Buffer.from('s')), list).toString(), 's');
});

test('async loader agrees with the sync one', async () => {
  const dir = freshDir();
  const repo = new KeyRepository({ path: dir, maxActiveKeys: 3 });
  repo.setup();
  repo.rotate();
  const a = await repo.loadKeys();
  const b = repo.loadKeysSync();
  assert.deepEqual(
    a.map((k) => [k.id, k.raw]),
    b.map((k) => [k.id, k.raw]),
  );
});

test('clear errors: missing, not a directory, empty, invalid key', async () => {
  const missing = join(root, 'does-not-exist');
  const repo = new KeyRepository({ path: missing, maxActiveKeys: 3 });
  assert.throws(
    () => repo.loadKeysSync(),
    (err: unknown) => {
      assert.ok(err instanceof KeyRepositoryError);
      assert.equal(err.code, 'missing');
      assert.match(err.message, /key repository .*does-not-exist does not exist/);
      assert.match(err.message, /keystone-manage fernet_setup/);
      return true;
    },
  );
  await assert.rejects(repo.loadKeys(), /does not exist/);
  const cred = new KeyRepository({ path: missing, maxActiveKeys: 3, configGroup: 'credential' });
  assert.throws(
    () => cred.loadKeysSync(),
    /\[credential\] key repository .* does not exist; create it with `keystone-manage credential_setup`/,
  );
  assert.throws(() => repo.rotate(), /does not exist/);

  const file = join(root, 'a-file');
  writeFileSync(file, 'x');
  assert.throws(() => new KeyRepository({ path: file, maxActiveKeys: 3 }).loadKeysSync(), /is not a directory/);

  const empty = freshDir();
  mkdirSync(empty, { mode: 0o700 });
  const emptyRepo = new KeyRepository({ path: empty, maxActiveKeys: 3 });
  assert.throws(
    () => emptyRepo.loadKeysSync(),
    (err: unknown) =>
      err instanceof KeyRepositoryError &&
      err.code === 'empty' &&
      /does not contain keys; use `keystone-manage fernet_setup`/.test(err.message),
  );
  assert.throws(() => emptyRepo.rotate(), /does not contain keys/);

  const bad = freshDir();
  mkdirSync(bad, { mode: 0o700 });
  writeFileSync(join(bad, '1'), generateKey());
  writeFileSync(join(bad, '0'), 'not-a-key');
  assert.throws(
    () => new KeyRepository({ path: bad, maxActiveKeys: 3 }).loadKeysSync(),
    (err: unknown) => err instanceof KeyRepositoryError && err.code === 'invalid_key' && err.message.includes(join(bad, '0')),
  );

  const noStaged = freshDir();
  mkdirSync(noStaged, { mode: 0o700 });
  writeFileSync(join(noStaged, '1'), generateKey());
  assert.throws(() => new KeyRepository({ path: noStaged, maxActiveKeys: 3 }).rotate(), /no staged key 0/);
  assert.deepEqual(files(noStaged), ['1']);
});

test('a key file with a trailing newline loads (as Keystone accepts it), raw text kept', () => {
  const dir = freshDir();
  mkdirSync(dir, { mode: 0o700 });
  const k = generateKey();
  writeFileSync(join(dir, '0'), k + '\n');
  const [loaded] = new KeyRepository({ path: dir, maxActiveKeys: 3 }).loadKeysSync();
  assert.equal(loaded.raw, k + '\n');
  assert.equal(loaded.key.encoded, k);
});

test('world-readable repositories are warned about', () => {
  const dir = freshDir();
  const repo = new KeyRepository({ path: dir, maxActiveKeys: 3, logger });
  repo.setup();
  chmodSync(dir, 0o755);
  warnings.length = 0;
  repo.loadKeysSync();
  assert.ok(warnings.some((w) => w.includes('world readable')));
});

// Write failures. A read-only directory: root ignores modes, so as root the
// attempt runs in a child process as nobody (uid/gid 65534). A full disk:
// a child whose file size limit is 0 (ulimit -f 0, SIGXFSZ ignored), so
// every write fails with EFBIG after the access checks passed.
const isRoot = process.getuid?.() === 0;
const moduleUrl = new URL('../../src/token/fernet/key-repository.js', import.meta.url).href;

function rotateInChild(dir: string, how: 'unprivileged' | 'no-space'): { ok: boolean; code?: string; message?: string } {
  const script = `import(${JSON.stringify(moduleUrl)}).then(({ KeyRepository }) => {
    try { new KeyRepository({ path: ${JSON.stringify(dir)}, maxActiveKeys: 3 }).rotate(); console.log(JSON.stringify({ ok: true })); }
    catch (e) { console.log(JSON.stringify({ ok: false, code: e.code, message: e.message })); }
  });`;
  const r =
    how === 'unprivileged'
      ? spawnSync(process.execPath, ['--input-type=module', '-e', script], {
          encoding: 'utf8',
          ...(isRoot ? { uid: 65534, gid: 65534 } : {}),
        })
      : spawnSync('/bin/sh', ['-c', 'ulimit -f 0; trap "" XFSZ; exec "$0" --input-type=module -e "$1"', process.execPath, script], {
          encoding: 'utf8',
        });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout.trim().split('\n').pop()!);
}

function snapshot(dir: string): Record<string, string> {
  return Object.fromEntries(files(dir).map((f) => [f, readFileSync(join(dir, f), 'utf8')]));
}

test('a read-only directory: the old keys stay and a clear error is thrown', () => {
  if (isRoot) chmodSync(root, 0o711); // let nobody reach the repository
  const dir = freshDir();
  const repo = new KeyRepository({ path: dir, maxActiveKeys: 3 });
  repo.setup();
  const before = snapshot(dir);
  chmodSync(dir, 0o555); // readable and listable by the unprivileged user, not writable
  try {
    const res = rotateInChild(dir, 'unprivileged');
    assert.equal(res.ok, false);
    assert.equal(res.code, 'not_writable');
    assert.match(res.message!, /not writable .*existing keys are unchanged/);
  } finally {
    chmodSync(dir, 0o700);
    if (isRoot) chmodSync(root, 0o700);
  }
  assert.deepEqual(snapshot(dir), before);
});

test('a failing write (no space): no temporary file left, the old keys stay, a clear error', () => {
  const dir = freshDir();
  const repo = new KeyRepository({ path: dir, maxActiveKeys: 3 });
  repo.setup();
  repo.rotate();
  const before = snapshot(dir);
  const res = rotateInChild(dir, 'no-space');
  assert.equal(res.ok, false);
  assert.equal(res.code, 'write_failed');
  assert.match(res.message!, /Failed to write a new key in the \[fernet_tokens\] key repository .*EFBIG.*existing keys are unchanged/);
  assert.deepEqual(snapshot(dir), before);
  assert.deepEqual(files(dir), ['0', '1', '2']);
});

test('owners: numbers pass through, names resolve with id/getent, unknown names fail, one alone is ignored', () => {
  assert.equal(resolveUser('0'), 0);
  assert.equal(resolveUser(1234), 1234);
  assert.equal(resolveUser('root'), 0);
  assert.equal(resolveGroup('root'), 0);
  assert.equal(resolveGroup('65534'), 65534);
  assert.throws(() => resolveUser('no-such-user-xyz'), /Unknown user 'no-such-user-xyz' in --keystone-user/);
  assert.throws(() => resolveGroup('no-such-group-xyz'), /Unknown group 'no-such-group-xyz' in --keystone-group/);
  warnings.length = 0;
  assert.deepEqual(resolveOwner({ keystoneUser: 'root' }, logger), {});
  assert.equal(warnings.length, 1);
  assert.deepEqual(resolveOwner({ keystoneUser: 'root', keystoneGroup: '0' }), { uid: 0, gid: 0 });
});

test(
  'setup/rotate with --keystone-user/--keystone-group chown the directory and the keys',
  { skip: isRoot ? false : `chown needs root (running as uid ${process.getuid?.()})` },
  () => {
    const dir = freshDir();
    const repo = new KeyRepository({ path: dir, maxActiveKeys: 3 });
    repo.setup({ keystoneUser: 'nobody', keystoneGroup: '65534' });
    repo.rotate({ keystoneUser: '65534', keystoneGroup: '65534' });
    for (const p of [dir, ...files(dir).map((f) => join(dir, f))]) {
      const st = statSync(p);
      assert.equal(st.uid, 65534, p);
      assert.equal(st.gid, 65534, p);
    }
    chownSync(dir, 0, 0);
  },
);

test('KeyRing follows the repository: a rotation is picked up, a broken state keeps the old keys', async () => {
  const dir = freshDir();
  const repo = new KeyRepository({ path: dir, maxActiveKeys: 3 });
  repo.setup();
  const reloads: (readonly LoadedKey[])[] = [];
  const errors: Error[] = [];
  const ring = KeyRing.open(repo, {
    watch: true,
    debounceMs: 20,
    pollMs: 200,
    onReload: (k) => reloads.push(k),
    onError: (e) => errors.push(e),
  });
  try {
    assert.deepEqual(
      ring.loaded().map((k) => k.id),
      [1, 0],
    );
    const oldPrimary = ring.keys()[0];
    repo.rotate();
    const deadline = Date.now() + 5000;
    while (reloads.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    await ring.settled();
    assert.deepEqual(
      ring.loaded().map((k) => k.id),
      [2, 1, 0],
    );
    assert.notEqual(ring.keys()[0], oldPrimary);
    // a corrupt key: the reload fails, the ring keeps serving the last good keys
    const good = ring.keys();
    writeFileSync(join(dir, '5'), 'garbage');
    const deadline2 = Date.now() + 5000;
    while (errors.length === 0 && Date.now() < deadline2) await new Promise((r) => setTimeout(r, 20));
    await ring.settled();
    assert.ok(errors.some((e) => e instanceof KeyRepositoryError && e.code === 'invalid_key'));
    assert.equal(ring.keys(), good);
  } finally {
    ring.close();
  }
});
