import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import {
  PasswordHasher,
  PasswordVerificationError,
  NullBytePasswordError,
  constantTimeEqual,
  identifyAlgorithm,
  parseHash,
  type PasswordHasherOptions,
} from '../../src/identity/password-hashing/index.js';
import { defaultHashConcurrency, threadPoolSize } from '../../src/identity/password-hashing/hash-concurrency.js';

const base: PasswordHasherOptions = {
  password_hash_algorithm: 'bcrypt',
  password_hash_rounds: null,
  salt_bytesize: null,
  scrypt_block_size: null,
  scrypt_parallelism: null,
  max_password_length: 4096,
  strict_password_check: false,
};
const hasher = (o: Partial<PasswordHasherOptions>) => new PasswordHasher({ ...base, ...o });
/** cheap settings per algorithm, for round trips */
const cheap: Record<string, Partial<PasswordHasherOptions>> = {
  bcrypt: { password_hash_algorithm: 'bcrypt', password_hash_rounds: 4 },
  bcrypt_sha256: { password_hash_algorithm: 'bcrypt_sha256', password_hash_rounds: 4 },
  scrypt: { password_hash_algorithm: 'scrypt', password_hash_rounds: 4 },
  pbkdf2_sha512: { password_hash_algorithm: 'pbkdf2_sha512', password_hash_rounds: 1000 },
};

/** Made by passlib 1.7.4 (Debian python3-passlib), so these tests also run without python. */
const KNOWN: Array<[algorithm: string, password: string, hash: string]> = [
  ['bcrypt', 'secretpassword', '$2b$04$I5rfLrrDDIbK/luIskDFj.lTHKBIDJrCd.NYuSEgQeMaLbztT95Wa'],
  ['bcrypt', 'pässwörd-ünïcødé-✓', '$2b$05$tdAmhjR8Hfgjo19MHkVgFOdzHFHKzojrdNJ0aFrmRIRRDdog31hSm'],
  ['bcrypt', 'a'.repeat(72), '$2b$04$mw8xUZc6MHOn5nkXC1kWOOVrNYG3wJDxLYH8T/y.kfpoCWvlFIoHW'],
  ['bcrypt', 'y-ident', '$2y$04$Yd0m8vJ4ZamqxAGyMnU5F.yK0jQxgqbr9MEIZrNgO2uGWxs1V4dwi'],
  ['bcrypt', 'a-ident', '$2a$04$97/KWujXaUay7WwqQ/zUHOHVoMQzWYpq06vEQ81tWh/yJA8UAbGGO'],
  ['bcrypt_sha256', 'secretpassword', '$bcrypt-sha256$v=2,t=2b,r=4$gf8SrctfOLsylidkHjm6kO$BEy6bY1LS0h0ZhpI.JY9FB5CfbbaAm2'],
  ['bcrypt_sha256', 'v1 password', '$bcrypt-sha256$2b,4$BJHb2Z/I8SaIDm4R9.vgA.$QQk111J32iBQD74750DUywXx4NXOiee'],
  ['bcrypt_sha256', 'x'.repeat(100), '$bcrypt-sha256$v=2,t=2b,r=4$KBnbb5DX0QrU2pVmp2Yyt.$ERRBbsdGVooKb/CCL5jXzUqzQ/sNZdK'],
  ['scrypt', 'secretpassword', '$scrypt$ln=4,r=8,p=1$K8W4l/IeQ4gRQqgVQqhVCg$OsmU/XsTa+VBOC70UbPYghkEDQA6I8++flrUFsSpQw8'],
  ['scrypt', 'pässwörd', '$scrypt$ln=5,r=4,p=2$d67VGiMk5Lz3XqsVYgzhHKM0JmRs7d07$c94OVhDnegkBCB1NUDNUt5qVX0MQD3wpdfJDO9N3cqA'],
  [
    'pbkdf2_sha512',
    'secretpassword',
    '$pbkdf2-sha512$1000$wBij9N77v1eKsbYWYmyN0Q$winj2btlWym99QKEncxde/E46EzouvDV0diLjK0lvTCRAt9SeInjCxTaZYO1NX.VYbDrBO58Pdvcg8s7AD86AA',
  ],
  [
    'pbkdf2_sha512',
    'pässwörd',
    '$pbkdf2-sha512$2000$BKAUgtC613oPoVRKCUHofU.pldLa2xtDyLlXSolRqnU$swar59PvJ3nUGg9.K4FvrqG1ofS19Xm3QfunXoXB23xvvLfKTWf6EnfzUioaaCMz6Avgsu9nsu/8xjjRB.criw',
  ],
  // sha512_crypt: verified only (Keystone's SUPPORTED_HASHERS), never written
  [
    'sha512_crypt',
    'secret',
    '$6$rounds=1000$hvDSrnfWDW7RyUky$/sKPoHgbY3vhOXfrdqhzPzZdLbzV8d3oVUEV/1mzK1zC9wYI8nb2HuY14YBhkN0P22ELzyv84E85qO6J9Ub7l1',
  ],
  [
    'sha512_crypt',
    'pässwörd-ünïcødé-✓',
    '$6$rounds=1001$uA4Cn1euSs29xG9l$Q3b.XHZ7IssFo//GyLh.PWjh/JJyWgTJysaD..vF.9rkPAWOm.q3lS9.ZB3px./8pN3.DO1RG7ZCkdRQ4iW4I.',
  ],
  [
    'sha512_crypt',
    'y'.repeat(130),
    '$6$rounds=2000$abc$z4nDQ7ZS8K8pFCZprXHohtXUMB/V3GglnNakfQsx1Wtfwz2kLSqL2JRt8ypZKTM8WkM32M/6Q8j78ey2Uv4kd1',
  ],
  [
    'sha512_crypt',
    'implicit',
    '$6$saltsaltsaltsalt$4tsApHgM.fMUi.6plaVrBx58La4rn5es0wJuygvC8h0aakg6BCi4BGyfnGmkr1Szm9XwxJsm.2jxppcAIb2tD1',
  ],
];

// ---- passlib through Debian's python, when it is there ----
const PYTHON = process.env.KEYSTONE_TEST_PYTHON ?? '/usr/bin/python3';
const TOOL = fileURLToPath(new URL('../../../test/fixtures/passwords/passlib_tool.py', import.meta.url));

function runPasslib(request: unknown): { hashes: string[]; verified: Array<boolean | string> } {
  const r = spawnSync(PYTHON, [TOOL], { input: JSON.stringify(request), encoding: 'utf8', timeout: 120_000 });
  if (r.status !== 0) throw new Error(`passlib_tool failed: ${r.error?.message ?? r.stderr}`);
  return JSON.parse(r.stdout);
}

function passlibUnavailable(): string | null {
  const r = spawnSync(PYTHON, [TOOL], { input: '{"probe": true}', encoding: 'utf8', timeout: 60_000 });
  if (r.error) return `${PYTHON} cannot run: ${r.error.message}`;
  if (r.status !== 0) return `${PYTHON} cannot import passlib: ${r.stderr.trim().split('\n').at(-1)}`;
  return null;
}
const passlibMissing = passlibUnavailable();
/** With CI=true a missing passlib fails the run; otherwise those tests are skipped with the reason. */
const interopOpts = passlibMissing && process.env.CI !== 'true' ? { skip: passlibMissing } : {};
const requirePasslib = () => {
  if (passlibMissing) assert.fail(`CI=true but passlib is unavailable: ${passlibMissing}`);
};

describe('password hashing: known passlib hashes', () => {
  const h = hasher({ password_hash_algorithm: 'scrypt' }); // verification ignores the configured algorithm
  for (const [algorithm, password, stored] of KNOWN) {
    it(`verifies passlib's ${algorithm} ${stored.slice(0, 18)}…`, async () => {
      assert.equal(identifyAlgorithm(stored), algorithm);
      assert.equal(await h.verify(password, stored), true);
      assert.equal(await h.verify('!' + password, stored), false);
      assert.equal(await h.verify('', stored), false);
    });
  }

  it('a 72-byte bcrypt password also matches with more appended (bcrypt reads 72 bytes)', async () => {
    const [, password, stored] = KNOWN[2];
    assert.equal(await h.verify(password + 'tail', stored), true);
    assert.equal(await h.verify(password.slice(1), stored), false);
  });

  it('bcrypt_sha256 does not truncate at 72 bytes', async () => {
    const [, password, stored] = KNOWN[7];
    assert.equal(await h.verify(password + 'x', stored), false);
  });

  it('answers false for malformed, altered and unsupported hashes', async () => {
    const good = KNOWN[0][2];
    for (const bad of [
      '',
      'plaintext',
      '$6$rounds=5000$salt$abc',
      '$2x$04$I5rfLrrDDIbK/luIskDFj.lTHKBIDJrCd.NYuSEgQeMaLbztT95Wa',
      good.slice(0, -1),
      good.replace('$04$', '$4$'),
      good.replace('$04$', '$03$'),
      good.slice(0, -1) + (good.endsWith('a') ? 'b' : 'a'),
      KNOWN[5][2].replace('r=4', 'r=04'),
      KNOWN[5][2].replace('v=2', 'v=3'),
      KNOWN[8][2].slice(0, -4),
      KNOWN[10][2].replace('$1000$', '$01000$'),
      KNOWN[12][2].replace('rounds=1000', 'rounds=999'),
      KNOWN[12][2].replace('rounds=1000', 'rounds=01000'),
      KNOWN[12][2].slice(0, -1),
    ]) {
      assert.equal(await h.verify('secretpassword', bad), false, bad);
    }
    assert.equal(await h.verify(null as unknown as string, good), false);
    assert.equal(await h.verify('secretpassword', null as unknown as string), false);
  });
});

describe('password hashing: round trips', () => {
  for (const [algorithm, opts] of Object.entries(cheap)) {
    it(`${algorithm}: hash then verify, wrong passwords fail, fresh salt each time`, async () => {
      const h = hasher(opts);
      const a = await h.hash('correct horse ✓');
      const b = await h.hash('correct horse ✓');
      assert.notEqual(a, b);
      assert.equal(identifyAlgorithm(a), algorithm);
      assert.equal(await h.verify('correct horse ✓', a), true);
      assert.equal(await h.verify('correct horse ✓', b), true);
      assert.equal(await h.verify('correct horse', a), false);
      assert.equal(await h.verify('Correct horse ✓', a), false);
      assert.equal(h.needsRehash(a), false);
      // another configuration still verifies it (dispatch on the stored prefix)
      const other = hasher(cheap[algorithm === 'bcrypt' ? 'scrypt' : 'bcrypt']);
      assert.equal(await other.verify('correct horse ✓', a), true);
      assert.equal(other.needsRehash(a), true);
    });
  }

  it('formats: bcrypt $2b$, bcrypt_sha256 v=2, scrypt and pbkdf2_sha512 carry their parameters', async () => {
    assert.match(await hasher(cheap.bcrypt).hash('p'), /^\$2b\$04\$[./A-Za-z0-9]{21}[.Oeu][./A-Za-z0-9]{31}$/);
    assert.match(
      await hasher(cheap.bcrypt_sha256).hash('p'),
      /^\$bcrypt-sha256\$v=2,t=2b,r=4\$[./A-Za-z0-9]{21}[.Oeu]\$[./A-Za-z0-9]{31}$/,
    );
    const s = await hasher({ ...cheap.scrypt, scrypt_block_size: 4, scrypt_parallelism: 3, salt_bytesize: 24 }).hash('p');
    const ps = parseHash(s);
    assert.ok(ps && ps.algorithm === 'scrypt');
    assert.deepEqual([ps.rounds, ps.blockSize, ps.parallelism, ps.salt.length, ps.checksum.length], [4, 4, 3, 24, 32]);
    const p = parseHash(await hasher({ ...cheap.pbkdf2_sha512, salt_bytesize: 32 }).hash('p'));
    assert.ok(p && p.algorithm === 'pbkdf2_sha512');
    assert.deepEqual([p.rounds, p.salt.length, p.checksum.length], [1000, 32, 64]);
  });

  it("unset rounds mean passlib's defaults: bcrypt 12, scrypt 16, pbkdf2_sha512 25000 (0 counts as unset)", async () => {
    assert.match(await hasher({ password_hash_algorithm: 'bcrypt' }).hash('p'), /^\$2b\$12\$/);
    assert.match(await hasher({ password_hash_algorithm: 'scrypt', password_hash_rounds: 0 }).hash('p'), /^\$scrypt\$ln=16,r=8,p=1\$/);
    assert.match(await hasher({ password_hash_algorithm: 'pbkdf2_sha512' }).hash('p'), /^\$pbkdf2-sha512\$25000\$/);
    assert.equal(hasher({ password_hash_algorithm: 'bcrypt_sha256' }).rounds, 12);
  });

  it('rejects unknown algorithms and out-of-range rounds at construction', () => {
    assert.throws(() => hasher({ password_hash_algorithm: 'md5_crypt' }), /not found/);
    assert.throws(() => hasher({ password_hash_algorithm: 'bcrypt', password_hash_rounds: 3 }), /between 4 and 31/);
    assert.throws(() => hasher({ password_hash_algorithm: 'scrypt', password_hash_rounds: 32 }), /between 1 and 31/);
  });

  it('needsRehash: other rounds, scrypt parameters, bcrypt_sha256 v1, garbage', async () => {
    const h = hasher(cheap.bcrypt);
    assert.equal(h.needsRehash(await hasher({ ...cheap.bcrypt, password_hash_rounds: 5 }).hash('p')), true);
    assert.equal(h.needsRehash(KNOWN[0][2]), false);
    assert.equal(h.needsRehash('garbage'), true);
    const s = hasher(cheap.scrypt);
    assert.equal(s.needsRehash(KNOWN[8][2]), false);
    assert.equal(s.needsRehash(KNOWN[9][2]), true);
    assert.equal(hasher(cheap.bcrypt_sha256).needsRehash(KNOWN[6][2]), true);
    assert.equal(hasher(cheap.bcrypt_sha256).needsRehash(KNOWN[5][2]), false);
  });
});

describe('password hashing: max_password_length and strict_password_check', () => {
  it('bcrypt configured: the limit becomes 72 bytes and longer passwords are truncated', async () => {
    const h = hasher(cheap.bcrypt);
    assert.equal(h.maxPasswordLength, 72);
    const long = 'p'.repeat(100);
    const stored = await h.hash(long);
    assert.equal(await h.verify('p'.repeat(72), stored), true);
    assert.equal(await h.verify('p'.repeat(71), stored), false);
  });

  it('other algorithms: truncated bytewise at max_password_length (even inside a UTF-8 character)', async () => {
    const h = hasher({ ...cheap.pbkdf2_sha512, max_password_length: 5 });
    assert.equal(h.maxPasswordLength, 5);
    const stored = await h.hash('abcdé-and-more'); // "abcd" + first byte of "é"
    assert.equal(await h.verify('abcdé', stored), true);
    assert.equal(await h.verify('abcdè', stored), true); // same first byte 0xC3
    assert.equal(await h.verify('abcd', stored), false);
    assert.equal(hasher({ ...cheap.bcrypt, max_password_length: 10 }).maxPasswordLength, 10);
  });

  it('strict: hash, verify and the dummy all refuse with 403 PasswordVerificationError', async () => {
    const h = hasher({ ...cheap.scrypt, max_password_length: 8, strict_password_check: true });
    const stored = await h.hash('12345678');
    assert.equal(await h.verify('12345678', stored), true);
    for (const call of [() => h.hash('123456789'), () => h.verify('123456789', stored), () => h.verifyAgainstDummy('123456789')]) {
      await assert.rejects(call(), (e: unknown) => {
        assert.ok(e instanceof PasswordVerificationError);
        assert.equal(e.code, 403);
        assert.match(e.message, /less than or equal to 8\./);
        return true;
      });
    }
    const b = hasher({ ...cheap.bcrypt, strict_password_check: true });
    await assert.rejects(b.hash('x'.repeat(73)), /less than or equal to 72\./);
    assert.match(await b.hash('x'.repeat(72)), /^\$2b\$/);
  });

  it('a non-string password is a 400', async () => {
    await assert.rejects(hasher(cheap.bcrypt).hash(42 as unknown as string), (e: unknown) => (e as { code: number }).code === 400);
  });

  it('NUL bytes: bcrypt refuses to hash them (as passlib) and never matches them; bcrypt_sha256 takes them', async () => {
    const b = hasher(cheap.bcrypt);
    await assert.rejects(b.hash('a\0b'), NullBytePasswordError);
    const stored = await b.hash('a');
    assert.equal(await b.verify('a\0b', stored), false);
    const s = hasher(cheap.bcrypt_sha256);
    const withNul = await s.hash('a\0b');
    assert.equal(await s.verify('a\0b', withNul), true);
    assert.equal(await s.verify('a', withNul), false);
  });
});

describe('password hashing: dummy verification and the event loop', () => {
  it('verifyAgainstDummy answers false, for any password', async () => {
    for (const opts of Object.values(cheap)) {
      const h = hasher(opts);
      assert.equal(await h.verifyAgainstDummy('whatever'), false);
      assert.equal(await h.verifyAgainstDummy(''), false);
    }
  });

  it('verifyAgainstDummy does the work of a real verification at the configured rounds', async () => {
    const h = hasher({ password_hash_algorithm: 'bcrypt', password_hash_rounds: 10 });
    const stored = await h.hash('real password');
    const time = async (f: () => Promise<unknown>) => {
      const samples: number[] = [];
      for (let i = 0; i < 3; i++) {
        const t0 = process.hrtime.bigint();
        await f();
        samples.push(Number(process.hrtime.bigint() - t0) / 1e6);
      }
      return samples.sort((x, y) => x - y)[1];
    };
    const real = await time(() => h.verify('wrong password', stored));
    const dummy = await time(() => h.verifyAgainstDummy('wrong password'));
    const cheapDummy = await time(() => hasher(cheap.bcrypt).verifyAgainstDummy('wrong password'));
    // 2^10 vs 2^4 rounds: the configured cost is what is paid, not a fixed cheap one
    assert.ok(dummy > real / 3, `dummy ${dummy}ms vs real ${real}ms`);
    assert.ok(dummy > cheapDummy * 4, `dummy ${dummy}ms at 10 rounds vs ${cheapDummy}ms at 4`);
  });

  it('20 bcrypt verifications at 12 rounds leave the event loop ticking', async () => {
    const h = hasher({ password_hash_algorithm: 'bcrypt', password_hash_rounds: 12 });
    const stored = await h.hash('event loop');
    let ticks = 0;
    const timer = setInterval(() => {
      ticks++;
    }, 5);
    try {
      const results = await Promise.all(Array.from({ length: 20 }, (_, i) => h.verify(i === 0 ? 'event loop' : `wrong ${i}`, stored)));
      assert.deepEqual(results, [true, ...Array(19).fill(false)]);
    } finally {
      clearInterval(timer);
    }
    // a blocking implementation would let no tick through until every hash was done
    assert.ok(ticks >= 10, `only ${ticks} timer ticks while 20 verifications ran`);
  });
});

describe('password hashing: [identity] password_hash_concurrency', () => {
  it('runs at most that many hashes at once; the others wait in arrival order and all get their answer', async () => {
    const h = hasher({ ...cheap.bcrypt, password_hash_concurrency: 2 });
    const stored = await h.hash('queued');
    assert.deepEqual(h.load(), { running: 0, waiting: 0, limit: 2 });
    const finished: number[] = [];
    const all = Array.from({ length: 5 }, (_, i) =>
      h.verify(i === 3 ? 'queued' : `wrong ${i}`, stored).then((ok) => {
        finished.push(i);
        return ok;
      }),
    );
    // p-limit starts a queued call on a microtask: let the first ones begin
    await Promise.resolve();
    await Promise.resolve();
    assert.deepEqual(h.load(), { running: 2, waiting: 3, limit: 2 });
    assert.deepEqual(await Promise.all(all), [false, false, false, true, false]);
    assert.deepEqual(h.load(), { running: 0, waiting: 0, limit: 2 });
    assert.ok(finished[0] === 0 || finished[0] === 1, `one of the first two finishes first, not ${finished[0]}`);
  });

  it('a password refused before hashing takes no turn, and the next one runs', async () => {
    const h = hasher({ ...cheap.bcrypt, password_hash_concurrency: 1 });
    await assert.rejects(h.hash('nul\u0000byte'), NullBytePasswordError);
    const stored = await h.hash('after');
    assert.equal(await h.verify('after', stored), true);
    assert.deepEqual(h.load(), { running: 0, waiting: 0, limit: 1 });
  });

  it('unset, a hasher built directly has no limit; a limit below 1 is refused', () => {
    assert.deepEqual(hasher(cheap.bcrypt).load(), { running: 0, waiting: 0, limit: null });
    assert.throws(() => hasher({ password_hash_concurrency: 0.5 }), /password_hash_concurrency/);
    assert.throws(() => hasher({ password_hash_concurrency: -1 }), /password_hash_concurrency/);
  });

  it('the default is the cores, at most the thread pool less one, at least one', () => {
    assert.equal(defaultHashConcurrency(2, 4), 2);
    assert.equal(defaultHashConcurrency(16, 4), 3);
    assert.equal(defaultHashConcurrency(16, 64), 16);
    assert.equal(defaultHashConcurrency(1, 4), 1);
    assert.equal(defaultHashConcurrency(8, 1), 1);
    assert.equal(threadPoolSize({}), 4);
    assert.equal(threadPoolSize({ UV_THREADPOOL_SIZE: '16' }), 16);
    assert.equal(threadPoolSize({ UV_THREADPOOL_SIZE: 'x' }), 4);
    assert.equal(threadPoolSize({ UV_THREADPOOL_SIZE: '5000' }), 1024);
  });

  it('keystone.conf sets it, and fromConfig falls back to the default given', () => {
    const conf = (concurrency: number | null) => ({
      identity: { ...base, password_hash_concurrency: concurrency },
      DEFAULT: { strict_password_check: false },
    });
    assert.equal(PasswordHasher.fromConfig(conf(5), 2).load().limit, 5);
    assert.equal(PasswordHasher.fromConfig(conf(null), 2).load().limit, 2);
  });
});

describe('password hashing: constant-time comparison', () => {
  it('compares strings and bytes, unequal lengths are unequal', () => {
    assert.equal(constantTimeEqual('abc', 'abc'), true);
    assert.equal(constantTimeEqual('abc', 'abd'), false);
    assert.equal(constantTimeEqual('abc', 'abcd'), false);
    assert.equal(constantTimeEqual(Buffer.from([1, 2]), Buffer.from([1, 2])), true);
    assert.equal(constantTimeEqual('', ''), true);
  });
});

describe('password hashing: sha512_crypt against passlib', () => {
  it('verifies what passlib hashes with random salts, sizes and rounds, and refuses wrong passwords', interopOpts, async () => {
    requirePasslib();
    const passwords = ['', 'a', 'secret', 'pässwörd ✓', 'z'.repeat(64), 'q'.repeat(65), 'w'.repeat(200)];
    const { hashes } = runPasslib({
      hash: passwords.map((password, i) => ({ algorithm: 'sha512_crypt', password, params: { rounds: 1000 + 37 * i } })),
    });
    const h = hasher(cheap.pbkdf2_sha512);
    for (const [i, stored] of hashes.entries()) {
      assert.equal(identifyAlgorithm(stored), 'sha512_crypt');
      assert.equal(await h.verify(passwords[i], stored), true, stored);
      assert.equal(await h.verify(passwords[i] + '.', stored), false, stored);
    }
  });
});

describe('password hashing: interoperability with passlib', () => {
  it('passlib hashes (every algorithm, random passwords) verify here; wrong ones do not', interopOpts, async () => {
    requirePasslib();
    const items = [
      { algorithm: 'bcrypt', password: 'pw-1 ✓', params: { rounds: 4 } },
      { algorithm: 'bcrypt', password: 'q'.repeat(90), params: { rounds: 4 } },
      { algorithm: 'bcrypt_sha256', password: 'pw-2 ✓', params: { rounds: 4 } },
      { algorithm: 'bcrypt_sha256', password: 'pw-3', params: { rounds: 5, version: 1 } },
      { algorithm: 'scrypt', password: 'pw-4 ✓', params: { rounds: 6, block_size: 2, parallelism: 3, salt_size: 5 } },
      { algorithm: 'scrypt', password: '', params: { rounds: 3 } },
      { algorithm: 'pbkdf2_sha512', password: 'pw-5 ✓', params: { rounds: 1234, salt_size: 7 } },
      { algorithm: 'pbkdf2_sha512', password: 'pw-6' },
    ].map((item) => ({ ...item, password: item.password + Math.random().toString(36).slice(2) }));
    const { hashes } = runPasslib({ hash: items });
    const h = hasher({ password_hash_algorithm: 'scrypt', max_password_length: 4096 });
    for (const [i, item] of items.entries()) {
      assert.equal(await h.verify(item.password, hashes[i]), true, `${item.algorithm} ${hashes[i]}`);
      assert.equal(await h.verify(item.password + 'x', hashes[i]), item.algorithm === 'bcrypt' && item.password.length >= 72, hashes[i]);
      assert.equal(await h.verify('x' + item.password, hashes[i]), false, hashes[i]);
    }
  });

  it('our hashes (every algorithm, every parameter) verify in passlib; wrong ones do not', interopOpts, async () => {
    requirePasslib();
    const configs: Array<Partial<PasswordHasherOptions>> = [
      cheap.bcrypt,
      { ...cheap.bcrypt, password_hash_rounds: 5 },
      cheap.bcrypt_sha256,
      cheap.scrypt,
      { ...cheap.scrypt, scrypt_block_size: 2, scrypt_parallelism: 2, salt_bytesize: 9 },
      cheap.pbkdf2_sha512,
      { ...cheap.pbkdf2_sha512, password_hash_rounds: 777, salt_bytesize: 1 },
    ];
    const verify: Array<{ password: string; hash: string }> = [];
    const expected: boolean[] = [];
    for (const opts of configs) {
      const password = `pässword ${Math.random()}`;
      const stored = await hasher(opts).hash(password);
      verify.push({ password, hash: stored }, { password: password + '!', hash: stored });
      expected.push(true, false);
    }
    const { verified } = runPasslib({ verify });
    assert.deepEqual(verified, expected, JSON.stringify(verify.map((v) => v.hash)));
  });
});
