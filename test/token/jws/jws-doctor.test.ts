/** keystone-manage doctor's JWS checks ([token] provider = jws): missing files, bad keys, a private key no public key matches. */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeTestConfig } from '../../helpers/test-config.js';
import { jwsKeyProblems } from '../../../src/cli/manage/doctor/jws-key-check.js';
import { createJwsKeypair } from '../../../src/token/jws/jws-keypair.js';

describe('doctor: [jwt_tokens] key files', () => {
  const dir = mkdtempSync(join(tmpdir(), 'jws-doctor-'));
  const pub = join(dir, 'public');
  const priv = join(dir, 'private');
  const cfg = makeTestConfig({
    token: { provider: 'jws' },
    jwt_tokens: { jws_public_key_repository: pub, jws_private_key_repository: priv },
  });
  after(() => {
    cfg.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  test('missing files, then a good pair, then a stray file, a loose mode and a mismatched pair', () => {
    assert.deepEqual(jwsKeyProblems(cfg.conf), [
      `[jwt_tokens]: ${join(priv, 'private.pem')} does not exist. You can generate a key pair using \`keystone-manage create_jws_keypair\`.`,
    ]);
    mkdirSync(priv);
    mkdirSync(pub);
    createJwsKeypair(join(priv, 'private.pem'), join(pub, 'public.pem'));
    assert.deepEqual(jwsKeyProblems(cfg.conf), []);
    writeFileSync(join(pub, 'README'), 'not a key');
    chmodSync(join(priv, 'private.pem'), 0o644);
    const problems = jwsKeyProblems(cfg.conf);
    assert.equal(problems.length, 2, problems.join('\n'));
    assert.match(problems[0], /private\.pem has mode 0644; it should be 0600/);
    assert.match(problems[1], /public\/README: .*; it is ignored\./);
    rmSync(join(pub, 'README'));
    chmodSync(join(priv, 'private.pem'), 0o600);
    createJwsKeypair(join(dir, 'other.pem'), join(dir, 'other-public.pem'));
    copyFileSync(join(dir, 'other.pem'), join(priv, 'private.pem'));
    assert.deepEqual(jwsKeyProblems(cfg.conf), [
      `[jwt_tokens] no public key in ${pub} matches ${join(priv, 'private.pem')}: tokens issued here would not validate.`,
    ]);
  });

  test('nothing to say with another provider', () => {
    const fernet = makeTestConfig({ jwt_tokens: { jws_public_key_repository: join(dir, 'none') } });
    try {
      assert.deepEqual(jwsKeyProblems(fernet.conf), []);
    } finally {
      fernet.cleanup();
    }
  });
});
