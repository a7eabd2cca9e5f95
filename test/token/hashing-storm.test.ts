/**
 * bcrypt (and the other hashes) never block the event loop: a storm of
 * password logins on a keystone-all with ONE public worker does not stall
 * the token validations that worker answers meanwhile. (The database runs
 * in keystone-all's primary, as in production.)
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { instanceToken, startKeystoneAll, type KeystoneInstance } from './keystone-all-harness.js';

describe('a storm of password logins (bcrypt, 10 rounds) on one worker', () => {
  let ks: KeystoneInstance;
  before(async () => {
    ks = await startKeystoneAll({
      workers: 1,
      config: { identity: { password_hash_rounds: 10 }, cache: { enabled: true, backend: 'dogpile.cache.memory' } },
    });
  });
  after(async () => {
    await ks?.stop();
  });

  test('validations stay fast while 24 logins hash', async () => {
    const url = ks.publicUrl;
    // the admin was hashed with the configured rounds at bootstrap
    const admin = await instanceToken(url);
    const validate = async () => {
      const t0 = performance.now();
      const r = await fetch(`${url}/v3/auth/tokens`, { headers: { 'X-Auth-Token': admin, 'X-Subject-Token': admin } });
      await r.arrayBuffer();
      assert.equal(r.status, 200);
      return performance.now() - t0;
    };
    for (let i = 0; i < 5; i++) await validate();
    const quiet: number[] = [];
    for (let i = 0; i < 20; i++) quiet.push(await validate());
    const started = performance.now();
    const storm = Array.from({ length: 24 }, () => instanceToken(url));
    const during: number[] = [];
    let stormDone = false;
    const all = Promise.all(storm).then((ids) => {
      stormDone = true;
      return ids;
    });
    while (!stormDone && during.length < 400) during.push(await validate());
    const ids = await all;
    const stormMs = performance.now() - started;
    assert.equal(ids.length, 24);
    assert.ok(during.length >= 10, `only ${during.length} validations during a ${stormMs.toFixed(0)} ms storm`);
    during.sort((a, b) => a - b);
    const p90 = during[Math.floor(during.length * 0.9)];
    // 24 bcrypt(10) verifications are seconds of CPU on the thread pool; validations go on meanwhile.
    assert.ok(
      p90 < 100,
      `validation p90 ${p90.toFixed(1)} ms during the storm (quiet median ${quiet.sort((a, b) => a - b)[10].toFixed(1)} ms, storm ${stormMs.toFixed(0)} ms, ${during.length} validations)`,
    );
  });
});
