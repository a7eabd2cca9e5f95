/**
 * Cross-validation with the real Keystone 22 (Debian's python3-keystone,
 * run by /usr/bin/python3 through test/fixtures/keystone/fernet_tool.py):
 * our tokens, receipts, credentials and key repositories against
 * Keystone's code, both directions. Without an importable keystone the
 * tests skip, except with CI=true, where they fail.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CredentialCrypto, NULL_KEY, credentialRepository, primaryKeyHash } from '../../src/credential/credential-crypto.js';
import { KeyRepository } from '../../src/token/fernet/key-repository.js';
import { KeyRing } from '../../src/token/fernet/key-ring.js';
import { uuidBytes } from '../../src/token/fernet/payload-codec.js';
import { ReceiptFormatter } from '../../src/receipt/receipt-formatter.js';
import { TokenFormatter, type DecodedToken } from '../../src/token/fernet/token-formatter.js';
import { AUTH_METHODS, SAMPLES } from '../fixtures/fernet/samples.js';

const PYTHON = process.env.KEYSTONE_TEST_PYTHON ?? '/usr/bin/python3';
const TOOL = fileURLToPath(new URL('../../../test/fixtures/keystone/fernet_tool.py', import.meta.url));

const probe = spawnSync(
  PYTHON,
  ['-c', 'import keystone.token.token_formatters, keystone.receipt.receipt_formatters, keystone.credential.providers.fernet.core'],
  { encoding: 'utf8' },
);
const available = probe.status === 0;
const whyNot = available
  ? ''
  : `${PYTHON} cannot import keystone (${(probe.error?.message ?? probe.stderr ?? '').trim().split('\n').pop()}); install python3-keystone`;
const skip: string | false = available || process.env.CI === 'true' ? false : `${whyNot} (set CI=true to make this a failure)`;

function requireKeystone(): void {
  if (!available) assert.fail(`Keystone cross-check required with CI=true: ${whyNot}`);
}

/** One answer of fernet_tool.py: ok (or a message), and the fields of its op. */
interface Answer {
  ok: boolean;
  message?: string;
  /** create_token, create_receipt, credential_encrypt */
  token: string;
  receipt: string;
  encrypted: string;
  [field: string]: unknown;
}
function keystone(req: Record<string, unknown>): Answer[] {
  const r = spawnSync(PYTHON, [TOOL], { input: JSON.stringify(req), encoding: 'utf8', maxBuffer: 1 << 24 });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout) as Answer[];
}

const root = mkdtempSync(join(tmpdir(), 'ks-crosscheck-'));
after(() => {
  rmSync(root, { recursive: true, force: true });
});

function fromKeystone(d: Answer): Record<string, unknown> {
  return Object.fromEntries(Object.entries(d).filter(([k, v]) => v !== null && k !== 'ok'));
}
const withoutKind = ({ kind: _k, ...rest }: DecodedToken) => rest;

function ourRepository(name: string, rotations = 2): KeyRepository {
  const repo = new KeyRepository({ path: join(root, name), maxActiveKeys: 3 });
  repo.setup();
  for (let i = 0; i < rotations; i++) repo.rotate();
  return repo;
}

test('(a) tokens of every kind issued here validate in Keystone to the same fields', { skip }, () => {
  requireKeystone();
  const repo = ourRepository('tokens-a');
  const ring = KeyRing.open(repo);
  const formatter = new TokenFormatter(() => ring.keys(), AUTH_METHODS);
  const tokens = SAMPLES.map((s) => formatter.create(s.payload));
  const answers = keystone({
    key_repository: repo.path,
    methods: AUTH_METHODS,
    ops: tokens.map((token) => ({ op: 'validate_token', token })),
  });
  for (const [i, s] of SAMPLES.entries()) {
    assert.ok(answers[i].ok, `${s.name}: ${answers[i].message}`);
    assert.deepEqual(fromKeystone(answers[i]), withoutKind(formatter.validate(tokens[i])), s.name);
  }
  // tokens made with the previous primary still validate there after our rotation
  const older = tokens[4];
  repo.rotate();
  const [again] = keystone({ key_repository: repo.path, methods: AUTH_METHODS, ops: [{ op: 'validate_token', token: older }] });
  assert.ok(again.ok, again.message);
});

test('(b) tokens of every kind issued by Keystone validate here, with the same payload bytes', { skip }, () => {
  requireKeystone();
  const repo = ourRepository('tokens-b');
  const formatter = new TokenFormatter(() => repo.loadKeysSync().map((k) => k.key), AUTH_METHODS);
  const created = keystone({
    key_repository: repo.path,
    methods: AUTH_METHODS,
    ops: SAMPLES.map((s) => ({ op: 'create_token', kind: s.kind, payload: s.payload })),
  });
  const validated = keystone({
    key_repository: repo.path,
    methods: AUTH_METHODS,
    ops: created.map((c) => ({ op: 'validate_token', token: c.token })),
  });
  for (const [i, s] of SAMPLES.entries()) {
    assert.ok(created[i].ok && validated[i].ok, `${s.name}: ${created[i].message ?? validated[i].message}`);
    const ours = formatter.validate(created[i].token);
    assert.equal(ours.kind, s.kind);
    assert.deepEqual(withoutKind(ours), fromKeystone(validated[i]), s.name);
    assert.equal(ours.issuedAt, created[i].issuedAt);
    assert.equal(formatter.serialize(s.payload).toString('hex'), created[i].payload, `${s.name}: payload bytes`);
  }
});

test('garbage: Keystone refuses what we refuse', { skip }, () => {
  requireKeystone();
  const repo = ourRepository('tokens-garbage', 0);
  const formatter = new TokenFormatter(() => repo.loadKeysSync().map((k) => k.key), AUTH_METHODS);
  const good = formatter.create(SAMPLES[4].payload);
  const bad = ['garbage', good.slice(0, -3), good + 'A', good.slice(0, 30) + (good[30] === 'x' ? 'y' : 'x') + good.slice(31)];
  const answers = keystone({
    key_repository: repo.path,
    methods: AUTH_METHODS,
    ops: bad.map((token) => ({ op: 'validate_token', token })),
  });
  for (const [i, token] of bad.entries()) {
    assert.equal(answers[i].ok, false, token);
    assert.throws(() => formatter.validate(token), /Could not recognize Fernet token/);
  }
});

test('receipts both ways', { skip }, () => {
  requireKeystone();
  const repo = ourRepository('receipts', 1);
  const rf = new ReceiptFormatter(() => repo.loadKeysSync().map((k) => k.key), AUTH_METHODS);
  const payloads = [
    { userId: '3b6c2ec7f4a8420f9a1f1c3f0d7e5a11', methods: ['password'], expiresAt: '2030-01-01T00:05:00.000000Z' },
    { userId: 'ldap-user', methods: ['password', 'token'], expiresAt: '2030-01-01T00:05:00.123456Z' },
  ];
  const ours = payloads.map((p) => rf.create(p));
  const theirs = keystone({
    receipt_repository: repo.path,
    methods: AUTH_METHODS,
    ops: [
      ...ours.map((receipt) => ({ op: 'validate_receipt', receipt })),
      ...payloads.map((payload) => ({ op: 'create_receipt', payload })),
    ],
  });
  for (const [i] of payloads.entries()) {
    const k = theirs[i];
    assert.ok(k.ok, k.message);
    assert.deepEqual(fromKeystone(k), rf.validate(ours[i]));
    const made = theirs[payloads.length + i];
    assert.ok(made.ok, made.message);
    assert.equal(rf.serialize(payloads[i]).toString('hex'), made.payload);
    assert.deepEqual(rf.validate(made.receipt), { ...rf.validate(ours[i]), issuedAt: ReceiptFormatter.creationTime(made.receipt) });
  }
});

test("credentials both ways: same key_hash, each decrypts the other's blobs; the null key without a repository", { skip }, () => {
  requireKeystone();
  const path = join(root, 'credential-keys');
  credentialRepository(path).setup();
  const crypto = CredentialCrypto.forRepository(path);
  const blob = JSON.stringify({ access: 'a'.repeat(32), secret: 's€cret' });
  const mine = crypto.encrypt(blob);
  const [dec, enc] = keystone({
    credential_repository: path,
    ops: [
      { op: 'credential_decrypt', encrypted: mine.encryptedBlob },
      { op: 'credential_encrypt', blob },
    ],
  });
  assert.ok(dec.ok && enc.ok, dec.message ?? enc.message);
  assert.equal(dec.blob, blob);
  assert.equal(enc.keyHash, mine.keyHash);
  assert.equal(crypto.decrypt(enc.encrypted), blob);
  // no repository: both fall back to the null key
  const missing = join(root, 'no-credential-keys');
  const nullCrypto = CredentialCrypto.forRepository(missing);
  const nullMine = nullCrypto.encrypt('x');
  assert.equal(nullMine.keyHash, primaryKeyHash([NULL_KEY]));
  const [nullDec, nullEnc] = keystone({
    credential_repository: missing,
    ops: [
      { op: 'credential_decrypt', encrypted: nullMine.encryptedBlob },
      { op: 'credential_encrypt', blob: 'y' },
    ],
  });
  assert.equal(nullDec.blob, 'x');
  assert.equal(nullEnc.keyHash, nullMine.keyHash);
  assert.equal(nullCrypto.decrypt(nullEnc.encrypted), 'y');
  // and a credential encrypted with the null key still decrypts once a repository exists
  assert.equal(crypto.decrypt(nullEnc.encrypted), 'y');
});

test("key repositories: Keystone reads ours in the same order; we read and keep rotating Keystone's", { skip }, () => {
  requireKeystone();
  const repo = ourRepository('repo-order', 3);
  const [loaded] = keystone({ ops: [{ op: 'load_keys', repository: repo.path, max_active_keys: 3 }] });
  assert.ok(loaded.ok, loaded.message);
  assert.deepEqual(
    loaded.keys,
    repo.loadKeysSync().map((k) => k.raw),
  );

  const theirs = join(root, 'keystone-made');
  const steps = keystone({
    ops: [
      { op: 'rotate_keys', repository: theirs, max_active_keys: 3, initialize: true },
      { op: 'rotate_keys', repository: theirs, max_active_keys: 3 },
    ],
  });
  assert.ok(
    steps.every((s) => s.ok),
    JSON.stringify(steps),
  );
  const ks = new KeyRepository({ path: theirs, maxActiveKeys: 3 });
  assert.deepEqual(ks.keyIds(), [2, 1, 0]);
  ks.rotate();
  assert.deepEqual(readdirSync(theirs).sort(), ['0', '2', '3']);
  // Keystone keeps rotating after us, with the same result we would get
  const [rotated, after2] = keystone({
    ops: [
      { op: 'rotate_keys', repository: theirs, max_active_keys: 3 },
      { op: 'load_keys', repository: theirs, max_active_keys: 3 },
    ],
  });
  assert.ok(rotated.ok, rotated.message);
  assert.deepEqual(ks.keyIds(), [4, 3, 0]);
  assert.deepEqual(
    after2.keys,
    ks.loadKeysSync().map((k) => k.raw),
  );
});

test("uuid detection agrees with Python's uuid.UUID on odd spellings", { skip }, () => {
  requireKeystone();
  const h = '3b6c2ec7f4a8420f9a1f1c3f0d7e5a11';
  const values = [
    h,
    h.toUpperCase(),
    `{${h}}`,
    `{{${h}}}`,
    `urn:uuid:${h}`,
    `uuid:${h}`,
    `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`,
    ` ${h.slice(1)}`,
    `+${h.slice(1)}`,
    `0x${h.slice(2)}`,
    `0X_${h.slice(3)}`,
    `${h.slice(0, 10)}_${h.slice(11)}`,
    `_${h.slice(1)}`,
    `${h.slice(0, 10)}__${h.slice(12)}`,
    `${h.slice(1)} `,
    `${h.slice(0, 31)}g`,
    'default',
    '',
    'a'.repeat(64),
    `-${h}`,
    `{${h}`,
    `${h}}`,
    'urn:urn:' + h,
    `\t${h.slice(1)}`,
  ];
  const answers = keystone({ ops: values.map((value) => ({ op: 'uuid_bytes', value })) });
  for (const [i, v] of values.entries()) {
    assert.ok(answers[i].ok, answers[i].message);
    const ours = uuidBytes(v);
    assert.equal(ours !== undefined, answers[i].isBytes, JSON.stringify(v));
    if (ours) assert.equal(ours.toString('hex'), answers[i].hex, JSON.stringify(v));
  }
});
