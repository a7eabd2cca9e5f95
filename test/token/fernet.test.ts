import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import {
  FernetKey,
  InvalidFernetKey,
  InvalidToken,
  MultiFernet,
  decodeTokenBytes,
  decrypt,
  decryptDetailed,
  encrypt,
  generateKey,
  tokenTimestamp,
} from '../../src/token/fernet/fernet.js';

const FIXTURES = fileURLToPath(new URL('../../../test/fixtures/fernet/', import.meta.url));
/** A vector of the Fernet spec's fixtures (generate.json, verify.json, invalid.json). */
interface FernetVector {
  token: string;
  now: string;
  iv: number[];
  src: string;
  secret: string;
  ttl_sec: number;
  desc: string;
}
const load = (name: string) => JSON.parse(readFileSync(FIXTURES + name, 'utf8')) as FernetVector[];
const seconds = (iso: string) => Math.floor(Date.parse(iso) / 1000);

test('generate.json: every vector encrypts to the exact token', () => {
  const vectors = load('generate.json');
  assert.ok(vectors.length > 0);
  for (const v of vectors) {
    const token = encrypt(v.secret, Buffer.from(v.src, 'utf8'), { iv: Buffer.from(v.iv), time: seconds(v.now) });
    assert.equal(token, v.token);
  }
});

test('verify.json: every vector decrypts to its message within its ttl', () => {
  const vectors = load('verify.json');
  assert.ok(vectors.length > 0);
  for (const v of vectors) {
    const out = decryptDetailed(v.token, [v.secret], { ttl: v.ttl_sec, now: seconds(v.now) });
    assert.equal(out.plaintext.toString('utf8'), v.src);
    assert.equal(out.keyIndex, 0);
    // and without its padding, as Keystone carries tokens
    assert.equal(decrypt(v.token.replace(/=+$/, ''), [v.secret], { ttl: v.ttl_sec, now: seconds(v.now) }).toString(), v.src);
  }
});

test('invalid.json: every vector is refused', () => {
  const vectors = load('invalid.json');
  assert.equal(vectors.length, 8);
  for (const v of vectors) {
    assert.throws(() => decrypt(v.token, [v.secret], { ttl: v.ttl_sec, now: seconds(v.now) }), InvalidToken, v.desc);
  }
});

test('without a ttl no time check is made (cryptography 38 semantics)', () => {
  const v = load('invalid.json').find((x) => x.desc === 'expired TTL')!;
  // these two vectors carry an empty message (checked with Python's cryptography)
  assert.equal(decrypt(v.token, [v.secret]).length, 0);
  const future = load('invalid.json').find((x) => x.desc.startsWith('far-future'))!;
  assert.equal(decrypt(future.token, [future.secret]).length, 0);
  assert.throws(() => decrypt(future.token, [future.secret], { ttl: 1e9, now: seconds(future.now) }), InvalidToken);
});

test('binary payloads round-trip, every length around the block size', () => {
  const key = generateKey();
  for (let n = 0; n <= 70; n++) {
    const msg = Buffer.alloc(n);
    for (let i = 0; i < n; i++) msg[i] = (i * 37 + n) & 0xff;
    const token = encrypt(key, msg);
    assert.match(token, /^[A-Za-z0-9_-]+=*$/);
    assert.equal(token.length % 4, 0, 'padded as Python emits it');
    assert.deepEqual(decrypt(token, [key]), msg);
  }
});

test('every token gets a fresh IV, also across refills of the IV pool (600 tokens, the pool holds 256)', () => {
  const key = generateKey();
  const ivs = new Set<string>();
  for (let i = 0; i < 600; i++) {
    const token = encrypt(key, Buffer.from('same message'));
    ivs.add(decodeTokenBytes(token).subarray(9, 25).toString('hex'));
    assert.equal(decrypt(token, [key]).toString(), 'same message');
  }
  assert.equal(ivs.size, 600);
});

test('MultiFernet: encrypts with the primary key, decrypts with any, rotates', () => {
  const [k1, k2, k3] = [generateKey(), generateKey(), generateKey()];
  const old = new MultiFernet([k2]);
  const t = old.encrypt(Buffer.from([0, 1, 2, 0xff]), { time: 1_000_000 });
  const multi = new MultiFernet([k1, k2, k3]);
  const d = multi.decryptDetailed(t);
  assert.deepEqual(d.plaintext, Buffer.from([0, 1, 2, 0xff]));
  assert.equal(d.keyIndex, 1);
  assert.equal(d.timestamp, 1_000_000);
  const fresh = multi.encrypt(Buffer.from('x'));
  assert.equal(decrypt(fresh, [k1]).toString(), 'x');
  assert.throws(() => decrypt(fresh, [k2, k3]), InvalidToken);
  const rotated = multi.rotate(t);
  assert.equal(tokenTimestamp(rotated), 1_000_000);
  assert.equal(decrypt(rotated, [k1]).toString('hex'), '000102ff');
  assert.throws(() => new MultiFernet([]), RangeError);
});

test('tampering anywhere is detected', () => {
  const key = generateKey();
  const token = encrypt(key, Buffer.from('payload payload payload'));
  const raw = decodeTokenBytes(token);
  for (let i = 0; i < raw.length; i++) {
    const copy = Buffer.from(raw);
    copy[i] ^= 0x01;
    assert.throws(() => decrypt(copy.toString('base64url'), [key]), InvalidToken, `byte ${i}`);
  }
  assert.throws(() => decrypt(token.slice(0, -4), [key]), InvalidToken);
  assert.throws(() => decrypt(token + 'A', [key]), InvalidToken, '4n+1 characters');
  assert.throws(() => decrypt(token.replace(/=*$/, '==='), [key]), InvalidToken, 'too much padding');
  assert.throws(() => decrypt(token.slice(0, 10) + '.' + token.slice(11), [key]), InvalidToken, 'stray character');
  assert.throws(() => decrypt('', [key]), InvalidToken);
  assert.throws(() => decrypt(token, []), InvalidToken);
});

test('keys: 32 urlsafe base64 bytes with padding; surrounding whitespace ignored', () => {
  const k = generateKey();
  assert.equal(k.length, 44);
  assert.equal(FernetKey.parse(k + '\n').encoded, k);
  assert.throws(() => FernetKey.parse(k.slice(0, 43)), InvalidFernetKey);
  assert.throws(() => FernetKey.parse('abc='), InvalidFernetKey);
  assert.throws(() => FernetKey.parse(Buffer.alloc(33).toString('base64url')), InvalidFernetKey);
  const fk = FernetKey.fromBytes(Buffer.alloc(32, 7));
  assert.equal(fk.encoded, Buffer.alloc(32, 7).toString('base64url') + '=');
  // a key given as FernetKey and as its string decrypt each other's tokens
  assert.equal(decrypt(encrypt(fk, Buffer.from('a')), [fk.encoded]).toString(), 'a');
});
