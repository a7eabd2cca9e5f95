/**
 * The OAuth 1.0a pieces of src/oauth1/signature.ts against oauthlib's own
 * (oauthlib.oauth1.rfc5849.signature and its Client), run by Debian's
 * python: base string URIs, normalized parameters, signature base strings
 * and HMAC/PLAINTEXT signatures over awkward inputs (reserved characters,
 * spaces, non-ASCII, repeated names, default and other ports), and the
 * Authorization headers oauthlib's Client writes, parsed back.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { PYTHON, skipUnlessCi } from '../clients/python-clients.js';
import { oauthClientsMissing } from './oauth1-helpers.js';
import {
  baseStringUri,
  expectedSignature,
  normalizeParameters,
  parseAuthorizationHeader,
  signatureBaseString,
  type Param,
} from '../../src/oauth1/signature.js';

const reason = oauthClientsMissing();

const SCRIPT = `
import json, sys
from oauthlib import oauth1
from oauthlib.oauth1.rfc5849 import signature
cases = json.load(sys.stdin)
out = []
for c in cases:
    params = [tuple(p) for p in c['params']]
    uri = signature.base_string_uri(c['url'])
    norm = signature.normalize_parameters(params)
    base = signature.signature_base_string(c['method'], uri, norm)
    sig = {
        'HMAC-SHA1': signature.sign_hmac_sha1(base, c['client_secret'], c['token_secret']),
        'HMAC-SHA256': signature.sign_hmac_sha256(base, c['client_secret'], c['token_secret']),
        'HMAC-SHA512': signature._sign_hmac('SHA-512', base, c['client_secret'], c['token_secret']),
        'PLAINTEXT': signature.sign_plaintext(c['client_secret'], c['token_secret']),
    }
    client = oauth1.Client('0123456789abcdef0123456789abcdef', client_secret=c['client_secret'],
                           resource_owner_key=c['token'], resource_owner_secret=c['token_secret'],
                           callback_uri=c.get('callback'), realm=c.get('realm'))
    _, headers, _ = client.sign(c['url'], http_method=c['method'])
    header = headers['Authorization']
    parsed = dict(signature.collect_parameters(headers={'Authorization': header}, exclude_oauth_signature=False, with_realm=True))
    out.append({'uri': uri, 'norm': norm, 'base': base, 'sig': sig, 'header': header, 'parsed': parsed})
print(json.dumps(out))
`;

type Theirs = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

function oauthlib(cases: unknown[]): Promise<Theirs[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(PYTHON, ['-c', SCRIPT], { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code === 0) resolve(JSON.parse(out) as Theirs[]);
      else reject(new Error(err));
    });
    child.stdin.end(JSON.stringify(cases));
  });
}

const CASES: {
  method: string;
  url: string;
  params: Param[];
  client_secret: string;
  token_secret: string;
  token: string;
  callback?: string;
  realm?: string;
}[] = [
  {
    method: 'POST',
    url: 'http://EXAMPLE.com:80/request',
    params: [
      ['b5', '=%3D'],
      ['a3', 'a'],
      ['c@', ''],
      ['a2', 'r b'],
      ['oauth_consumer_key', '9djdj82h48djs9d2'],
      ['oauth_token', 'kkk9d7dh3k39sjv7'],
      ['oauth_signature_method', 'HMAC-SHA1'],
      ['oauth_timestamp', '137131201'],
      ['oauth_nonce', '7d8f3e4a'],
      ['c2', ''],
      ['a3', '2 q'],
    ],
    client_secret: 'j49sk3j29djd',
    token_secret: 'dh893hdasih9',
    token: 'kkk9d7dh3k39sjv7',
    realm: 'Example',
  },
  {
    method: 'post',
    url: 'https://keystone.example.org:443/v3/OS-OAUTH1/request_token',
    params: [
      ['oauth_callback', 'oob'],
      ['x', "!*'()~._-"],
      ['ü', 'ñ€ 𝄞'],
    ],
    client_secret: 'sec&ret=/+',
    token_secret: '',
    token: 'fedcba9876543210fedcba9876543210',
    callback: 'oob',
  },
  {
    method: 'GET',
    url: 'http://127.0.0.1:35357/v3/auth/tokens',
    params: [
      ['z', '1'],
      ['z', '0'],
      ['a', '%'],
    ],
    client_secret: '0123456789abcdef0123456789abcdef',
    token_secret: 'ffffffffffffffffffffffffffffffff',
    token: 'ffffffffffffffffffffffffffffffff',
  },
];

describe('OAuth 1.0a signatures as oauthlib makes them', { skip: skipUnlessCi(reason) }, () => {
  test('base string URI, normalized parameters, base string, HMAC-SHA1/256/512 and PLAINTEXT signatures', async () => {
    assert.equal(reason, false, `${reason} (required when CI=true)`);
    const theirs = await oauthlib(CASES);
    CASES.forEach((c, i) => {
      const t = theirs[i];
      assert.equal(baseStringUri(c.url), t.uri, c.url);
      assert.equal(normalizeParameters(c.params), t.norm);
      const request = { method: c.method, uri: c.url, params: c.params };
      assert.equal(signatureBaseString(c.method, c.url, c.params), t.base);
      for (const method of ['HMAC-SHA1', 'HMAC-SHA256', 'HMAC-SHA512', 'PLAINTEXT']) {
        assert.equal(expectedSignature(method, request, c.client_secret, c.token_secret), t.sig[method], `${method} of case ${i}`);
      }
      assert.equal(expectedSignature('RSA-SHA1', request, c.client_secret, c.token_secret), null);
    });
  });

  test("oauthlib Client's Authorization headers parse to the same parameters", async () => {
    assert.equal(reason, false, `${reason} (required when CI=true)`);
    const theirs = await oauthlib(CASES);
    for (const t of theirs) {
      const parsed = parseAuthorizationHeader(t.header as string);
      assert.ok(parsed, t.header as string);
      assert.deepEqual(Object.fromEntries(parsed), t.parsed);
    }
    assert.equal(parseAuthorizationHeader('Bearer abc'), null);
    assert.equal(parseAuthorizationHeader(undefined), null);
    assert.equal(parseAuthorizationHeader('OAuth novalue'), null);
  });
});
