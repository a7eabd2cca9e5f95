/**
 * Where a federated assertion comes from (src/federation/request-assertion.ts): a trusted front
 * proxy's headers under their own names and their CGI names, filtered by [federation]
 * assertion_prefix, REMOTE_USER from [external_auth] remote_user_header; the same headers from any
 * other peer are ignored (401); Python's quote for the unique ids of federated users.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { makeTestConfig, type TestConfig } from '../helpers/test-config.js';
import { RequestAssertions, claimsAssertion, type AssertionRequest } from '../../src/federation/request-assertion.js';
import { Unauthorized } from '../../src/common/errors.js';
import { pyQuote } from '../../src/federation/python-quote.js';

const configs: TestConfig[] = [];
after(() => {
  for (const c of configs) c.cleanup();
});

function assertions(federation: Record<string, string | string[]>): RequestAssertions {
  const config = makeTestConfig({ federation, external_auth: { remote_user_header: 'X-Remote-User' } });
  configs.push(config);
  return new RequestAssertions(config.conf);
}

function request(remoteAddress: string, headers: [string, string][]): AssertionRequest {
  return {
    remoteAddress,
    rawHeaders: headers.flat(),
    headers: Object.fromEntries(headers.map(([k, v]) => [k.toLowerCase(), v])),
  };
}

const HEADERS: [string, string][] = [
  ['Host', 'keystone.example.test'],
  ['OIDC-email', 'carol@example.test'],
  ['OIDC-groups', 'a'],
  ['OIDC-groups', 'b'],
  ['X-Remote-User', 'carol'],
  ['OIDC-name', Buffer.from('Zoë', 'utf8').toString('latin1')],
];

test("a trusted proxy's headers: their names, CGI names, multiple values joined, REMOTE_USER, UTF-8", async () => {
  const { assertion, issuerChecked } = await assertions({ trusted_proxies: ['10.0.0.0/8', '::1'] }).assertionOf(
    request('::ffff:10.1.2.3', HEADERS),
    [],
  );
  assert.equal(issuerChecked, false);
  assert.equal(assertion['OIDC-email'], 'carol@example.test');
  assert.equal(assertion.HTTP_OIDC_EMAIL, 'carol@example.test');
  assert.equal(assertion['OIDC-groups'], 'a;b');
  assert.equal(assertion.REMOTE_USER, 'carol');
  assert.equal(assertion['OIDC-name'], 'Zoë');
  assert.equal(assertion.Host, 'keystone.example.test');
});

test('[federation] assertion_prefix keeps only the names that start with it', async () => {
  const { assertion } = await assertions({ trusted_proxies: ['127.0.0.1'], assertion_prefix: 'OIDC-' }).assertionOf(
    request('127.0.0.1', HEADERS),
    [],
  );
  assert.deepEqual(Object.keys(assertion).sort(), ['OIDC-email', 'OIDC-groups', 'OIDC-name']);
});

test('the same headers from an untrusted peer (or with no proxy configured) are no assertion: 401', async () => {
  for (const [proxies, peer] of [
    [['10.0.0.0/8'], '192.168.1.1'],
    [[], '127.0.0.1'],
  ] as const) {
    await assert.rejects(assertions({ trusted_proxies: [...proxies] }).assertionOf(request(peer, HEADERS), []), Unauthorized);
  }
});

test("claims become prefixed attributes; lists are joined with ';'", () => {
  assert.deepEqual(claimsAssertion({ sub: 'x', groups: ['a', 'b'], email_verified: true, n: 3, extra: { k: 1 }, none: null }, 'OIDC-'), {
    'OIDC-sub': 'x',
    'OIDC-groups': 'a;b',
    'OIDC-email_verified': 'true',
    'OIDC-n': '3',
    'OIDC-extra': '{"k":1}',
  });
});

test("python's quote: safe characters kept, the rest percent-encoded as UTF-8", () => {
  assert.equal(pyQuote('alice'), 'alice');
  assert.equal(pyQuote('a b/c@d.e~f_g-h'), 'a%20b/c%40d.e~f_g-h');
  assert.equal(pyQuote('Zoë!'), 'Zo%C3%AB%21');
});
