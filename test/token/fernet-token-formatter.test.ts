import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { TokenNotFound, Unauthorized, UnexpectedError } from '../../src/common/errors.js';
import { FernetKey, decrypt, encrypt, generateKey } from '../../src/token/fernet/fernet.js';
import { packb, Float64 } from '../../src/token/fernet/msgpack.js';
import { MethodMap, expiresToFloat, floatToIsotime, uuidBytes } from '../../src/token/fernet/payload-codec.js';
import { ReceiptFormatter, ReceiptNotFound } from '../../src/receipt/receipt-formatter.js';
import { PAYLOAD_VERSIONS, TokenFormatter, payloadKindOf, type DecodedToken } from '../../src/token/fernet/token-formatter.js';
import { AUTH_METHODS, SAMPLES } from '../fixtures/fernet/samples.js';

const FIXTURES = fileURLToPath(new URL('../../../test/fixtures/fernet/', import.meta.url));
const recorded = JSON.parse(readFileSync(FIXTURES + 'keystone-tokens.json', 'utf8')) as {
  methods: string[];
  keys: string[];
  tokens: { name: string; kind: string; token: string; payload: string; decoded: Record<string, unknown> }[];
};

/** Keystone's validate output (nulls for absent fields) → our shape. */
export function fromKeystone(d: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(d).filter(([k, v]) => v !== null && k !== 'ok'));
}
const withoutKind = ({ kind: _kind, ...rest }: DecodedToken) => rest;

test('every token Keystone 22 issued (recorded) validates here to the same fields', () => {
  const keys = recorded.keys.map((k) => FernetKey.parse(k));
  const formatter = new TokenFormatter(() => keys, recorded.methods);
  assert.equal(recorded.tokens.length, SAMPLES.length);
  for (const t of recorded.tokens) {
    const ours = formatter.validate(t.token);
    assert.equal(ours.kind, t.kind, t.name);
    assert.deepEqual(withoutKind(ours), fromKeystone(t.decoded), t.name);
  }
});

test('our serialized payload is byte for byte the plaintext Keystone encrypted', () => {
  const formatter = new TokenFormatter(() => recorded.keys, AUTH_METHODS);
  for (const [i, s] of SAMPLES.entries()) {
    assert.equal(payloadKindOf(s.payload), s.kind, s.name);
    assert.equal(formatter.serialize(s.payload).toString('hex'), recorded.tokens[i].payload, s.name);
    // and decrypting Keystone's token gives those bytes
    assert.equal(decrypt(recorded.tokens[i].token, recorded.keys).toString('hex'), recorded.tokens[i].payload);
  }
});

test('every kind round-trips through create/validate, as Keystone decodes it', () => {
  const keys = [generateKey(), generateKey()];
  const formatter = new TokenFormatter(() => keys, AUTH_METHODS);
  for (const [i, s] of SAMPLES.entries()) {
    const time = 1_790_000_000 + i;
    const token = formatter.create(s.payload, { time });
    assert.match(token, /^[A-Za-z0-9_-]+$/, 'no padding, urlsafe');
    const ours = formatter.validate(token);
    const expected = {
      ...fromKeystone(recorded.tokens[i].decoded),
      issuedAt: new Date(time * 1000).toISOString().slice(0, 19) + '.000000Z',
    };
    assert.deepEqual(withoutKind(ours), expected, s.name);
    assert.equal(ours.version, PAYLOAD_VERSIONS[s.kind]);
    assert.equal(TokenFormatter.creationTime(token), expected.issuedAt);
  }
});

test('createDecoded gives, for every kind, what validate() decodes from the token it made', () => {
  const keys = [generateKey()];
  const formatter = new TokenFormatter(() => keys, AUTH_METHODS);
  for (const s of SAMPLES) {
    const { token, decoded } = formatter.createDecoded(s.payload);
    assert.deepEqual(decoded, formatter.validate(token), s.name);
    assert.equal(decoded.issuedAt, TokenFormatter.creationTime(token), s.name);
  }
});

test("a project-scoped token is about as long as Keystone's (under 255)", () => {
  const formatter = new TokenFormatter(() => [generateKey()], AUTH_METHODS);
  const token = formatter.create(SAMPLES.find((s) => s.kind === 'project')!.payload);
  assert.ok(token.length >= 180 && token.length <= 190, `length ${token.length}`);
  assert.equal(token.length, recorded.tokens.find((t) => t.kind === 'project')!.token.length);
});

test('long tokens are logged at info, as Keystone does', () => {
  const lines: string[] = [];
  const formatter = new TokenFormatter(() => [generateKey()], AUTH_METHODS, { logger: { info: (m) => lines.push(m) } });
  formatter.create(SAMPLES.find((s) => s.name === 'federated project')!.payload);
  assert.equal(lines.length, 1);
  assert.match(lines[0], /Fernet token created with length of 311 characters, which exceeds 255 characters/);
});

test('garbage, tampered and foreign tokens: TokenNotFound "Could not recognize Fernet token" (404)', () => {
  const key = generateKey();
  const formatter = new TokenFormatter(() => [key], AUTH_METHODS);
  const good = formatter.create(SAMPLES[0].payload);
  const other = new TokenFormatter(() => [generateKey()], AUTH_METHODS).create(SAMPLES[0].payload);
  for (const bad of [
    'garbage',
    '',
    'gAAAAA',
    good.slice(0, -2),
    good.slice(0, 20) + (good[20] === 'A' ? 'B' : 'A') + good.slice(21),
    other,
    good + '====',
  ]) {
    assert.throws(
      () => formatter.validate(bad),
      (err: unknown) => {
        assert.ok(err instanceof TokenNotFound);
        assert.equal(err.code, 404);
        assert.equal(err.title, 'Not Found');
        assert.equal(err.message, 'Could not recognize Fernet token');
        return true;
      },
      JSON.stringify(bad),
    );
  }
  // padding restored or not, the same token validates
  assert.equal(formatter.validate(TokenFormatter.restorePadding(good)).userId, SAMPLES[0].payload.userId);
});

test('an unknown payload version is Keystone\'s "not a recognized Fernet payload version"', () => {
  const key = generateKey();
  const formatter = new TokenFormatter(() => [key], AUTH_METHODS);
  const token = encrypt(key, packb([42, [false, 'u'], 2, new Float64(1.9e9), []])).replace(/=+$/, '');
  assert.throws(
    () => formatter.validate(token),
    (err: unknown) => err instanceof TokenNotFound && err.message === 'This is not a recognized Fernet payload version: 42',
  );
  const malformed = encrypt(key, packb([2, [true, Buffer.alloc(3)], 2])).replace(/=+$/, '');
  assert.throws(
    () => formatter.validate(malformed),
    (err: unknown) => err instanceof TokenNotFound && err.message === 'Could not recognize Fernet token',
  );
  const notMsgpack = encrypt(key, Buffer.from([0xc1])).replace(/=+$/, '');
  assert.throws(() => formatter.validate(notMsgpack), TokenNotFound);
});

test("no keys: Keystone's KeysNotFound, a 500", () => {
  const formatter = new TokenFormatter(() => [], AUTH_METHODS);
  assert.throws(() => formatter.validate('x'), UnexpectedError);
  assert.throws(() => formatter.create(SAMPLES[0].payload), UnexpectedError);
});

test('rotation: tokens of the old primary validate while their key is in the list; the key getter is live', () => {
  let keys = [generateKey(), generateKey()];
  const formatter = new TokenFormatter(() => keys, AUTH_METHODS);
  const before = formatter.create(SAMPLES[4].payload);
  keys = [generateKey(), ...keys];
  assert.equal(formatter.validate(before).projectId, SAMPLES[4].payload.projectId);
  const after = formatter.create(SAMPLES[4].payload);
  assert.equal(decrypt(after, [keys[0]]).length > 0, true, 'new tokens use the new primary');
  keys = keys.slice(0, 1);
  assert.throws(() => formatter.validate(before), TokenNotFound);
});

test('domain-scoped tokens refuse a non-uuid domain other than the default domain', () => {
  const keys = [generateKey()];
  const formatter = new TokenFormatter(() => keys, AUTH_METHODS, { defaultDomainId: 'corp' });
  const p = { userId: 'u', methods: ['password'], expiresAt: '2030-01-01T00:00:00Z', auditIds: [] };
  assert.throws(() => formatter.create({ ...p, domainId: 'default' }), RangeError);
  assert.equal(formatter.validate(formatter.create({ ...p, domainId: 'corp' })).domainId, 'corp');
  assert.throws(() => formatter.create({ ...p, trustId: 'not-a-uuid', projectId: 'x' }), RangeError);
});

test("methods bitmask: configuration order, pseudo methods, Keystone's decode order", () => {
  const map = new MethodMap(AUTH_METHODS);
  assert.equal(map.toInteger(['external']), 1);
  assert.equal(map.toInteger(['password', 'token']), 6);
  assert.equal(map.toInteger(['application_credential']), 32);
  assert.equal(map.toInteger(['ec2credential']), 2 ** 32);
  assert.equal(map.toInteger(['oauth2_credential']), 2 ** 33);
  assert.equal(map.toInteger(['totp']), 0, 'unknown methods count for nothing');
  assert.deepEqual(map.toList(6), ['token', 'password']);
  assert.deepEqual(map.toList(0), []);
  assert.deepEqual(map.toList(2 ** 33 + 2), ['oauth2_credential', 'password']);
  const custom = new MethodMap(['password', 'totp', 'token']);
  assert.equal(custom.toInteger(['totp', 'password']), 3);
  assert.deepEqual(custom.toList(3), ['totp', 'password']);
});

test('ids: uuid spellings Python accepts become 16 bytes, others stay strings', () => {
  const hex = '3b6c2ec7f4a8420f9a1f1c3f0d7e5a11';
  for (const s of [hex, hex.toUpperCase(), '3b6c2ec7-f4a8-420f-9a1f-1c3f0d7e5a11', `{${hex}}`, `urn:uuid:${hex}`]) {
    assert.equal(uuidBytes(s)?.toString('hex'), hex, s);
  }
  for (const s of ['default', hex.slice(1), hex + '0', 'g'.repeat(32), '', 'a'.repeat(64)]) assert.equal(uuidBytes(s), undefined, s);
  assert.equal(uuidBytes(null), undefined);
});

test('times: expires_at to float and back as Keystone renders it', () => {
  assert.equal(expiresToFloat('2030-01-01T00:00:00Z'), 1893456000);
  assert.equal(expiresToFloat('2030-01-01T00:00:00.000000Z'), 1893456000);
  assert.equal(expiresToFloat('2030-01-01T00:00:00.123456Z'), 1893456000.123456);
  assert.equal(expiresToFloat('2030-01-01T00:00:00.1234569Z'), 1893456000.123456, 'truncated to microseconds');
  assert.equal(expiresToFloat('2030-01-01T02:00:00+02:00'), 1893456000);
  assert.equal(expiresToFloat('2030-01-01T00:00:00'), 1893456000, 'no zone is UTC');
  assert.equal(expiresToFloat(new Date(1893456000500)), 1893456000.5);
  assert.throws(() => expiresToFloat('tomorrow'), RangeError);
  assert.equal(floatToIsotime(1893456000.999999), '2030-01-01T00:00:00.000000Z');
  assert.equal(floatToIsotime(1893456000.9999995), '2030-01-01T00:00:01.000000Z', 'utcfromtimestamp rounds to the microsecond first');
});

test("receipts: round trip, Keystone's shape, ReceiptNotFound (401) for anything else", () => {
  const keys = [generateKey()];
  const rf = new ReceiptFormatter(() => keys, AUTH_METHODS);
  const receipt = rf.create(
    { userId: '3b6c2ec7f4a8420f9a1f1c3f0d7e5a11', methods: ['password'], expiresAt: '2030-01-01T00:05:00.000000Z' },
    { time: 1_800_000_000 },
  );
  assert.match(receipt, /^[A-Za-z0-9_-]+$/);
  assert.deepEqual(rf.validate(receipt), {
    userId: '3b6c2ec7f4a8420f9a1f1c3f0d7e5a11',
    methods: ['password'],
    expiresAt: '2030-01-01T00:05:00.000000Z',
    issuedAt: '2027-01-15T08:00:00.000000Z',
  });
  assert.equal(ReceiptFormatter.creationTime(receipt), '2027-01-15T08:00:00.000000Z');
  assert.equal(rf.serialize({ userId: 'u', methods: ['token'], expiresAt: 0 }).toString('hex'), '9392c2a17504cb0000000000000000');
  assert.throws(
    () => rf.validate('nonsense'),
    (err: unknown) =>
      err instanceof ReceiptNotFound &&
      err instanceof Unauthorized &&
      err.code === 401 &&
      err.message === 'Could not find auth receipt: nonsense.',
  );
  const token = new TokenFormatter(() => keys, AUTH_METHODS).create(SAMPLES[0].payload);
  assert.throws(() => rf.validate(token), ReceiptNotFound, 'a token is not a receipt');
});
