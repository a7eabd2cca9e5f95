/**
 * isDatabaseUnavailable (the 503 decision of the error renderer) on errors
 * that carry a non-string code: pg-promise's QueryResultError has a numeric
 * one, and deciding on it must not throw (a TypeError there turned a plain
 * bug into express's HTML stack-trace page).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isDatabaseUnavailable } from '../../src/storage/database.js';
import { toKeystoneError } from '../../src/server/pipeline/render-error.js';

test('a numeric or missing code is not "unavailable", and renders as a plain 500', () => {
  const queryResultError = { code: 1, message: 'No return data was expected.', received: 1 };
  assert.equal(isDatabaseUnavailable(queryResultError), false);
  assert.equal(isDatabaseUnavailable({ code: null, message: 5 }), false);
  assert.equal(toKeystoneError(queryResultError).code, 500);
});

test('the codes that do mean unavailable still do', () => {
  assert.equal(isDatabaseUnavailable({ code: 'ECONNREFUSED' }), true);
  assert.equal(isDatabaseUnavailable({ code: '08006' }), true);
  assert.equal(isDatabaseUnavailable({ code: '23505' }), false);
  assert.equal(isDatabaseUnavailable(new Error('Connection terminated unexpectedly')), true);
});
