import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CredentialCrypto,
  CredentialEncryptionError,
  NULL_KEY,
  credentialRepository,
  loadCredentialKeys,
  primaryKeyHash,
} from '../../src/credential/credential-crypto.js';
import { UnexpectedError } from '../../src/common/errors.js';
import { decrypt, generateKey } from '../../src/token/fernet/fernet.js';

const root = mkdtempSync(join(tmpdir(), 'cred-crypto-test-'));
after(() => {
  rmSync(root, { recursive: true, force: true });
});

test("NULL_KEY is Keystone's: urlsafe base64 of 32 zero bytes", () => {
  assert.equal(NULL_KEY, 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=');
});

test('encrypts with the primary key; key_hash is the SHA-1 hex of the primary key file as read', () => {
  const path = join(root, 'keys');
  const repo = credentialRepository(path);
  repo.setup();
  const crypto = CredentialCrypto.forRepository(path);
  const blob = '{"access": "abc", "secret": "dé€"}';
  const enc = crypto.encrypt(blob);
  assert.match(enc.encryptedBlob, /^[A-Za-z0-9_-]+=*$/);
  assert.equal(enc.encryptedBlob.length % 4, 0, 'stored with padding, as Keystone stores it');
  const primary = readFileSync(join(path, '1'), 'utf8');
  assert.equal(enc.keyHash, createHash('sha1').update(primary).digest('hex'));
  assert.equal(crypto.primaryKeyHash(), enc.keyHash);
  assert.equal(decrypt(enc.encryptedBlob, [primary]).toString('utf8'), blob);
  assert.equal(crypto.decrypt(enc.encryptedBlob), blob);
  assert.equal(crypto.decrypt(Buffer.from(enc.encryptedBlob)), blob);

  // after a rotation the old blob still decrypts and new blobs carry the new hash
  repo.rotate();
  const enc2 = crypto.encrypt(blob);
  assert.notEqual(enc2.keyHash, enc.keyHash);
  assert.equal(crypto.decrypt(enc.encryptedBlob), blob);
});

test('the raw key text is hashed (a trailing newline changes the hash, as in Keystone)', () => {
  const k = generateKey();
  assert.equal(primaryKeyHash([k]), createHash('sha1').update(k).digest('hex'));
  const path = join(root, 'newline');
  mkdirSync(path, { mode: 0o700 });
  writeFileSync(join(path, '0'), k + '\n');
  const keys = loadCredentialKeys(credentialRepository(path));
  assert.equal(keys.length, 2, 'the key, then the null key');
  assert.equal(
    primaryKeyHash(keys),
    createHash('sha1')
      .update(k + '\n')
      .digest('hex'),
  );
  assert.equal(keys[1].raw, NULL_KEY);
});

test('no repository (or an empty one): the null key encrypts, with a warning', () => {
  const warnings: string[] = [];
  const logger = { warn: (m: string) => warnings.push(m) };
  const crypto = CredentialCrypto.forRepository(join(root, 'missing'), logger);
  const enc = crypto.encrypt('x');
  assert.equal(enc.keyHash, createHash('sha1').update(NULL_KEY).digest('hex'));
  assert.ok(warnings.some((w) => w.includes('Encrypting credentials with the null key')));
  assert.equal(decrypt(enc.encryptedBlob, [NULL_KEY]).toString(), 'x');
  const empty = join(root, 'empty');
  mkdirSync(empty, { mode: 0o700 });
  assert.deepEqual(
    loadCredentialKeys(credentialRepository(empty)).map((k) => k.raw),
    [NULL_KEY],
  );
  // once keys exist, null-key blobs still decrypt
  const path = join(root, 'later');
  credentialRepository(path).setup();
  assert.equal(CredentialCrypto.forRepository(path).decrypt(enc.encryptedBlob), 'x');
});

test("undecryptable blobs: CredentialEncryptionError (500) with Keystone's message", () => {
  const path = join(root, 'keys2');
  credentialRepository(path).setup();
  const crypto = CredentialCrypto.forRepository(path);
  const other = CredentialCrypto.forRepository(join(root, 'keys'));
  for (const bad of ['garbage', other.encrypt('secret').encryptedBlob, undefined as unknown as string]) {
    assert.throws(
      () => crypto.decrypt(bad),
      (err: unknown) => {
        assert.ok(err instanceof CredentialEncryptionError);
        assert.ok(err instanceof UnexpectedError);
        assert.equal(err.code, 500);
        assert.equal(err.message, 'Credential could not be decrypted. Please contact the administrator');
        return true;
      },
    );
  }
});
