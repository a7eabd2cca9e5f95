/** JWS tokens never reach a log line: masked whole (header, guessable payload and signature) in messages and access lines. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { scrubText } from '../../../src/log/scrub.js';
import { signEs256 } from '../../../src/token/jws/jws.js';

test('a JWS token is masked whole in free text, key=value, JSON and access lines', () => {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  // a short unscoped token: its payload alone is shorter than the long-base64 rule's 160 characters
  const token = signEs256({ sub: 'u', iat: 1, exp: 2, openstack_methods: ['password'], openstack_audit_ids: ['a'] }, privateKey);
  const signature = token.split('.')[2];
  const lines = [
    `validating ${token} for the caller`,
    `token=${token}`,
    JSON.stringify({ message: `subject ${token}` }),
    `127.0.0.1 - - "GET /v2.0/tokens/${token} HTTP/1.1" 404`,
  ];
  for (const line of lines) {
    for (const access of [false, true]) {
      const out = scrubText(line, { access });
      assert.ok(!out.includes(signature), `the signature survives in: ${out}`);
      assert.ok(!out.includes(token.split('.')[1]), `the payload survives in: ${out}`);
      assert.ok(out.includes('***'), out);
    }
  }
  assert.equal(scrubText('a.b.c and eyJ alone'), 'a.b.c and eyJ alone', 'dotted words and a lone eyJ are left alone');
});
