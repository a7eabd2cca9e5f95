import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isoMicros, isoMicrosZ, isoSecondsZ, isoZeroMicrosZ } from '../../src/common/time.js';

// Instants around the edges that matter: the epoch, leap days, the last millisecond of a second and of a year.
const SECONDS = [
  0, 0.000001, 0.999999, 1, 59.5, 951782400, 951868799.999, 1700000000.123456, 1893456000.999999, 4102444799.999, 253402300799,
];

test('each form writes what its name says', () => {
  const d = new Date(Date.UTC(2026, 10, 22, 19, 8, 0, 123));
  assert.equal(isoMicrosZ(d), '2026-11-22T19:08:00.123000Z');
  assert.equal(isoMicrosZ(d, 456), '2026-11-22T19:08:00.123456Z');
  assert.equal(isoMicros(d), '2026-11-22T19:08:00.123000');
  assert.equal(isoZeroMicrosZ(d.getTime() / 1000), '2026-11-22T19:08:00.000000Z');
  assert.equal(isoSecondsZ(d.getTime() / 1000), '2026-11-22T19:08:00Z');
});

test('the same texts as the expressions they replaced', () => {
  for (const s of SECONDS) {
    const d = new Date(s * 1000);
    // identity-manager keystoneTime, api/v3/delegation-input, token-provider keystoneIsoSeconds, revoke-model wholeIso
    assert.equal(isoMicros(d), `${d.toISOString().slice(0, 23)}000`, String(s));
    assert.equal(isoMicrosZ(d, 789), `${d.toISOString().slice(0, 23)}789Z`, String(s));
    assert.equal(isoZeroMicrosZ(s), new Date(Math.floor(s) * 1000).toISOString().slice(0, 19) + '.000000Z', String(s));
    assert.equal(isoSecondsZ(s), isoMicrosZ(new Date(s * 1000)).replace(/\.\d{6}Z$/, 'Z'), String(s));
  }
});

test('a time no Date holds throws RangeError', () => {
  assert.throws(() => isoZeroMicrosZ(Number.NaN), RangeError);
  assert.throws(() => isoZeroMicrosZ(1e20), RangeError);
});
