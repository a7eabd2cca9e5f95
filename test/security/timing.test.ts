/**
 * Timing, proven by code path rather than by clock (no timed assertion):
 *
 *  - a password login spends exactly one hash verification, with the
 *    configured algorithm and rounds, whether the user exists (wrong password)
 *    or not (unknown name, id or domain, disabled domain, an empty
 *    password), and every such failure is the same 401 body;
 *  - secrets are compared in constant time: constantTimeEqual() and the
 *    admin_token matcher always go through crypto.timingSafeEqual (even on a
 *    length mismatch), and no source file compares a secret with === / !==.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire, syncBuiltinESMExports } from 'node:module';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { startTestServer, TEST_LOG_DIR, type TestServer } from '../helpers/test-server.js';
import { issueToken, adminToken } from '../helpers/tokens.js';
import { constantTimeEqual } from '../../src/identity/password-hashing/constant-time.js';
import { adminTokenMatcher } from '../../src/server/pipeline/auth-context.js';
import { REPO_ROOT } from '../helpers/keystone-process.js';

const require = createRequire(import.meta.url);
const crypto = require('node:crypto') as typeof import('node:crypto');

/** Counts crypto.timingSafeEqual calls (the ESM bindings follow the builtin's exports). */
function spyTimingSafeEqual(): { calls: Array<[number, number]>; restore(): void } {
  const original = crypto.timingSafeEqual;
  const calls: Array<[number, number]> = [];
  crypto.timingSafeEqual = (a: NodeJS.ArrayBufferView, b: NodeJS.ArrayBufferView) => {
    calls.push([a.byteLength, b.byteLength]);
    return original(a, b);
  };
  syncBuiltinESMExports();
  return {
    calls,
    restore: () => {
      crypto.timingSafeEqual = original;
      syncBuiltinESMExports();
    },
  };
}

describe('constant-time comparisons', () => {
  test('constantTimeEqual: right answers, and always through timingSafeEqual', () => {
    const spy = spyTimingSafeEqual();
    try {
      assert.equal(constantTimeEqual('secret', 'secret'), true);
      assert.equal(constantTimeEqual('secret', 'secreT'), false);
      assert.equal(constantTimeEqual('secret', 'secret-but-longer'), false);
      assert.equal(constantTimeEqual('', 'x'), false);
      assert.equal(constantTimeEqual('', ''), true);
      assert.equal(constantTimeEqual('pässwörd', 'pässwörd'), true);
      assert.equal(constantTimeEqual(Buffer.from([1, 2, 3]), Buffer.from([1, 2, 3])), true);
      assert.equal(constantTimeEqual(Buffer.from([1, 2, 3]), Buffer.from([1, 2, 4])), false);
      assert.equal(spy.calls.length, 8, 'one timingSafeEqual per comparison, a length mismatch included');
      // on a length mismatch the work depends on the provided value only
      assert.deepEqual(spy.calls[2], [6, 6]);
    } finally {
      spy.restore();
    }
  });

  test('the admin_token matcher hashes both sides and compares 32 bytes, whatever was presented', () => {
    const matches = adminTokenMatcher('ADMIN-SHARED-SECRET');
    const spy = spyTimingSafeEqual();
    try {
      assert.equal(matches('ADMIN-SHARED-SECRET'), true);
      for (const presented of ['ADMIN-SHARED-SECRE', 'ADMIN-SHARED-SECRET ', 'x', 'A'.repeat(5000), 'admin-shared-secret']) {
        assert.equal(matches(presented), false, presented.slice(0, 30));
      }
      assert.deepEqual(spy.calls, Array(6).fill([32, 32]));
    } finally {
      spy.restore();
    }
    assert.equal(adminTokenMatcher(undefined)('anything'), false);
    assert.equal(adminTokenMatcher('')(''), false);
  });

  test('code inspection: secrets are compared only through timingSafeEqual / constantTimeEqual', () => {
    const files: string[] = [];
    const walk = (dir: string) => {
      for (const name of readdirSync(dir)) {
        const path = join(dir, name);
        if (statSync(path).isDirectory()) walk(path);
        else if (name.endsWith('.ts')) files.push(path);
      }
    };
    walk(join(REPO_ROOT, 'src'));
    // a secret-ish name on either side of === / !== / == / != (not typeof, null, undefined, length checks)
    const SECRET = String.raw`[\w.]*(?:[sS]ecret|[sS]ignature|[aA]dmin_?[tT]oken|[cC]hecksum|[pP]asscode|[hH]mac|\bmac|[dD]igest|[pP]assword(?!Expires|_expires|Hash|_hash))\w*`;
    const compare = new RegExp(
      String.raw`(?:${SECRET}\s*[!=]==?\s*(?!null|undefined|['"\`]|\d|true|false)[\w.]+|[\w.]+\s*[!=]==?\s*${SECRET}\b(?!\s*\())`,
    );
    /** comparisons of things named like secrets that are none */
    const NOT_SECRETS = [
      /key-ring\.ts: if \(sig === this\.signature\)/ /* has the key set on disk changed? (both sides are our own keys, no client input) */,
      /stage-table\.ts: if \(before === digest\)/ /* db_import: has a source row changed since the last run? (row digests, no client input) */,
      /jws-keys\.ts: if \((this\.privateKeyObject && )?sig === this\.(private|public)Signature\)/ /* JWS key files: changed on disk? (file stamps, no client input) */,
    ];
    const offenders: string[] = [];
    for (const file of files) {
      readFileSync(file, 'utf8')
        .split('\n')
        .forEach((line, i) => {
          if (/^\s*(\*|\/\/)/.test(line) || /typeof |\.length\b|\.algorithm\b|\.type\b/.test(line)) return;
          const where = `${file.slice(REPO_ROOT.length)}: ${line.trim()}`;
          if (compare.test(line) && !NOT_SECRETS.some((re) => re.test(where)))
            offenders.push(`${file.slice(REPO_ROOT.length)}:${i + 1}: ${line.trim()}`);
        });
    }
    assert.deepEqual(offenders, []);
    // and the places that do compare secrets use the constant-time primitives
    const uses = (path: string, what: RegExp) => {
      assert.match(readFileSync(join(REPO_ROOT, path), 'utf8'), what, path);
    };
    uses('src/token/fernet/fernet.ts', /timingSafeEqual\(expected, mac\)/);
    uses('src/server/pipeline/auth-context.ts', /timingSafeEqual\(digest\(presented\), known\)/);
    uses('src/server/fast-path.ts', /adminTokenMatcher\(/);
    uses('src/identity/password-hashing/password-hasher.ts', /constantTimeEqual\(computed, parsed\.checksum\)/);
    uses('src/auth/methods/totp.ts', /timingSafeEqual\(expected, given\)/);
    uses('src/credential/ec2-signature.ts', /constantTimeEqual\(provided,/);
    uses('src/credential/s3-signature.ts', /constantTimeEqual\(creds\.signature, expected\)/);
  });
});

describe('password logins spend one hash whether the user exists or not', () => {
  let server: TestServer;
  let hashes: Array<{ algorithm: string; rounds: unknown }>;
  let ids: { user: string; disabledDomainUser: string; domain: string };

  before(async () => {
    server = await startTestServer();
    const token = await adminToken(server);
    const post = async (path: string, body: unknown) => {
      const res = await fetch(`${server.publicUrl}${path}`, {
        method: 'POST',
        headers: { 'X-Auth-Token': token, 'Content-Type': 'application/json' },
        body: JSON.stringify(body),
      });
      assert.equal(res.status, 201, `${path}: ${await res.clone().text()}`);
      return Object.values((await res.json()) as Record<string, { id: string }>)[0];
    };
    const user = await post('/v3/users', { user: { name: 'timed', domain_id: 'default', password: 'right-password' } });
    const domain = await post('/v3/domains', { domain: { name: 'off-domain' } });
    const offUser = await post('/v3/users', { user: { name: 'off-user', domain_id: domain.id, password: 'right-password' } });
    const patch = await fetch(`${server.publicUrl}/v3/domains/${domain.id}`, {
      method: 'PATCH',
      headers: { 'X-Auth-Token': token, 'Content-Type': 'application/json' },
      body: JSON.stringify({ domain: { enabled: false } }),
    });
    assert.equal(patch.status, 200);
    ids = { user: user.id, disabledDomainUser: offUser.id, domain: domain.id };
    // every verification goes through the hasher's one private check(parsed hash, secret)
    const hasher = server.providers.identity_api.passwordHasher as unknown as {
      check(parsed: { algorithm: string; rounds?: unknown }, secret: Buffer): Promise<boolean>;
    };
    const check = hasher.check.bind(hasher);
    hashes = [];
    hasher.check = (parsed, secret) => {
      hashes.push({ algorithm: parsed.algorithm, rounds: parsed.rounds });
      return check(parsed, secret);
    };
  });
  after(async () => {
    await server?.close();
  });

  const password = (user: Record<string, unknown>, pw: unknown = 'wrong-password') => ({
    identity: { methods: ['password'], password: { user: { ...user, password: pw } } },
  });

  test('wrong password, unknown user / id / domain, disabled domain, an empty password: one hash each, the same 401', async () => {
    const cases: Array<[string, unknown]> = [
      ['existing user by name, wrong password', password({ name: 'timed', domain: { id: 'default' } })],
      ['existing user by id, wrong password', password({ id: ids.user })],
      ['unknown user name', password({ name: 'nobody-here', domain: { id: 'default' } })],
      ['unknown user id', password({ id: 'f'.repeat(32) })],
      ['unknown domain name', password({ name: 'timed', domain: { name: 'no-such-domain' } })],
      ['unknown domain id', password({ name: 'timed', domain: { id: 'e'.repeat(32) } })],
      ['user of a disabled domain', password({ id: ids.disabledDomainUser }, 'right-password')],
      ['an empty password', password({ name: 'timed', domain: { id: 'default' } }, '')],
      ['an empty password, unknown user', password({ name: 'nobody-here', domain: { id: 'default' } }, '')],
    ];
    const bodies = new Set<string>();
    let reference: { algorithm: string; rounds: unknown } | undefined;
    for (const [what, auth] of cases) {
      hashes.length = 0;
      const res = await issueToken(server, auth);
      assert.equal(res.status, 401, `${what}: ${JSON.stringify(res.body)}`);
      bodies.add(JSON.stringify(res.body));
      assert.equal(hashes.length, 1, `${what}: exactly one hash verification (got ${hashes.length})`);
      reference ??= hashes[0];
      assert.deepEqual(hashes[0], reference, `${what}: the same algorithm and rounds as a real user's hash`);
    }
    assert.equal(bodies.size, 1, `one answer for every failure: ${[...bodies].join(' | ')}`);
    assert.equal(reference!.algorithm, server.config.conf.identity.password_hash_algorithm);
    assert.equal(reference!.rounds, server.config.conf.identity.password_hash_rounds);
  });

  test("the passwords tried are in no line of this process's server log", () => {
    const file = join(TEST_LOG_DIR, `in-process-${process.pid}.log`);
    const text = existsSync(file) ? readFileSync(file, 'utf8') : '';
    for (const secret of ['right-password', 'wrong-password']) assert.ok(!text.includes(secret), `${secret} in ${file}`);
  });

  test('the right password also costs exactly one hash', async () => {
    hashes.length = 0;
    const res = await issueToken(server, password({ id: ids.user }, 'right-password'));
    assert.equal(res.status, 201);
    assert.equal(hashes.length, 1);
  });
});
