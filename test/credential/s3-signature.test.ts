import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import {
  checkS3RequestTime,
  checkS3Signature,
  urlsafeB64Decode,
  verifyS3Signature,
  type S3Credentials,
} from '../../src/credential/s3-signature.js';

const PYTHON = process.env.KEYSTONE_TEST_PYTHON ?? '/usr/bin/python3';
const TOOL = fileURLToPath(new URL('../../../test/fixtures/ec2/sign_tool.py', import.meta.url));
function runSigner<T>(jobs: unknown[]): T[] {
  const r = spawnSync(PYTHON, [TOOL], { input: JSON.stringify(jobs), encoding: 'utf8', timeout: 60_000 });
  if (r.status !== 0) throw new Error(`sign_tool failed: ${r.error?.message ?? r.stderr}`);
  return JSON.parse(r.stdout) as T[];
}
let botoMissing: string | null;
try {
  botoMissing = runSigner<{ botocore: boolean }>([{ kind: 'probe' }])[0].botocore ? null : `${PYTHON} cannot import botocore`;
} catch (e) {
  botoMissing = `${PYTHON} unusable: ${(e as Error).message.split('\n')[0]}`;
}
const botoOpts = botoMissing && process.env.CI !== 'true' ? { skip: botoMissing } : {};

/** Signed by botocore 1.29 with secret "s" (HmacV1Auth and S3SigV4Auth). */
const V1: S3Credentials = {
  access: 'a',
  signature: 'xWkODQ6j8Sl+McikOxtWI+0MVec=',
  token: 'R0VUCgoKU3VuLCAyMiBOb3YgMjAyNiAxODo0OTozNCBHTVQKL2J1Y2tldC9rZXk=',
};
const V4: S3Credentials = {
  access: 'a',
  signature: 'c45a28931d300da50dfde93565e6164021d8fc705d3128bd8a1c255ef871b848',
  token:
    'QVdTNC1ITUFDLVNIQTI1NgoyMDI2MTEyMlQxODQ5MzRaCjIwMjYxMTIyL1JlZ2lvbk9uZS9zMy9hd3M0X3JlcXVlc3QKMTY4OGU0ZDYyNDZkODM5MmJhNDBmYWI1YWMxNjRjMDA4OWY5ZDk5NjYyZjRlNzA1OGEyOTgwNjRhZGY3ODBlZg==',
};
const b64url = (s: string) => Buffer.from(s, 'utf8').toString('base64').replace(/\+/g, '-').replace(/\//g, '_');

describe('S3 signatures: known botocore vectors', () => {
  it('v1 (HMAC-SHA1) and v4 verify with the right secret only', () => {
    assert.equal(verifyS3Signature(V1, 's'), true);
    assert.equal(verifyS3Signature(V4, 's'), true);
    assert.equal(verifyS3Signature(V1, 'S'), false);
    assert.equal(verifyS3Signature(V4, 't'), false);
  });

  it('an altered string to sign or signature fails', () => {
    const sts = urlsafeB64Decode(V1.token!)!.toString('utf8');
    assert.equal(verifyS3Signature({ ...V1, token: b64url(sts.replace('/bucket/key', '/bucket/other')) }, 's'), false);
    assert.equal(verifyS3Signature({ ...V1, signature: V1.signature!.toLowerCase() }, 's'), false);
    const sts4 = urlsafeB64Decode(V4.token!)!.toString('utf8');
    assert.equal(verifyS3Signature({ ...V4, token: b64url(sts4.replace(/\n[0-9a-f]{64}$/, '\n' + '0'.repeat(64))) }, 's'), false);
  });

  it('v4 strings to sign Keystone refuses: wrong line count, algorithm, scope or service', () => {
    const sts4 = urlsafeB64Decode(V4.token!)!.toString('utf8');
    for (const bad of [
      sts4 + '\nextra',
      sts4.replace('AWS4-HMAC-SHA256', 'AWS4-HMAC-SHA512'),
      sts4.replace('/s3/', '/ec2/'),
      sts4.replace('aws4_request', 'aws5_request'),
    ]) {
      assert.equal(checkS3Signature({ ...V4, token: b64url(bad) }, 's'), 'malformed', bad);
    }
    for (const service of ['iam', 'sts']) {
      assert.notEqual(checkS3Signature({ ...V4, token: b64url(sts4.replace('/s3/', `/${service}/`)) }, 's'), 'malformed');
    }
  });

  it('missing fields and bad base64 padding are malformed', () => {
    assert.equal(checkS3Signature({ access: 'a', signature: 'x' }, 's'), 'malformed');
    assert.equal(checkS3Signature({ access: 'a', token: V1.token }, 's'), 'malformed');
    assert.equal(checkS3Signature({ ...V1, token: V1.token!.replace(/=+$/, '') }, 's'), 'malformed');
    assert.equal(urlsafeB64Decode('YWJj')!.toString(), 'abc');
    assert.equal(urlsafeB64Decode('YWI'), null);
    assert.equal(urlsafeB64Decode('-_8=')!.toString('hex'), 'fbff');
  });
});

describe('S3 signatures: signed by botocore', () => {
  it('HmacV1 and S3 SigV4 requests verify; wrong secret fails', botoOpts, () => {
    if (botoMissing) assert.fail(`CI=true but ${botoMissing}`);
    const secret = `s3-${Math.random().toString(36).slice(2)}`;
    const jobs = [
      { kind: 'botocore_s3_v1', method: 'GET', url: 'http://s3.example.com:8080/bucket/key?acl' },
      {
        kind: 'botocore_s3_v1',
        method: 'PUT',
        url: 'http://s3.example.com/bucket/ünï',
        headers: { 'Content-Type': 'text/plain', 'x-amz-meta-a': 'b' },
      },
      { kind: 'botocore_s3_v4', method: 'GET', url: 'http://s3.example.com/bucket/key?list-type=2' },
      { kind: 'botocore_s3_v4', method: 'PUT', url: 'http://s3.example.com:8080/bucket/key', region: 'RegionTwo' },
    ].map((j) => ({ ...j, access: 'AKS3', secret }));
    for (const [i, { credentials }] of runSigner<{ credentials: S3Credentials }>(jobs).entries()) {
      assert.equal(verifyS3Signature(credentials, secret), true, `${jobs[i].kind} ${JSON.stringify(credentials)}`);
      assert.equal(verifyS3Signature(credentials, secret.toUpperCase()), false);
    }
  });
});

describe('S3 request times ([credential] auth_ttl), read from the signed string', () => {
  const at = (iso: string) => new Date(iso);
  const token = (s: string) => ({ token: Buffer.from(s, 'latin1').toString('base64') });
  it('v1 Date, x-amz-date, presigned Expires; v4 request date; none at all is missing', () => {
    // the botocore vector above was signed "Sun, 22 Nov 2026 18:49:34 GMT"
    assert.equal(checkS3RequestTime(V1, 15, at('2026-11-22T19:04:34Z')), 'ok');
    assert.equal(checkS3RequestTime(V1, 15, at('2026-11-22T19:04:35Z')), 'expired');
    assert.equal(checkS3RequestTime(V4, 15, at('2026-11-22T18:50:00Z')), 'ok');
    assert.equal(checkS3RequestTime(V4, 15, at('2026-11-22T19:05:00Z')), 'expired');
    assert.equal(checkS3RequestTime(V4, 15, at('2026-11-22T18:30:00Z')), 'expired');
    const amz = token('GET\n\n\n\nx-amz-date:Sun, 22 Nov 2026 18:49:34 GMT\nx-amz-meta-a:b\n/bucket/key');
    assert.equal(checkS3RequestTime(amz, 15, at('2026-11-22T18:50:00Z')), 'ok');
    assert.equal(checkS3RequestTime(amz, 15, at('2026-11-22T19:05:00Z')), 'expired');
    const presigned = token('GET\n\n\n1795200000\n/bucket/key');
    assert.equal(checkS3RequestTime(presigned, 15, new Date(1795200000 * 1000)), 'ok');
    assert.equal(checkS3RequestTime(presigned, 15, new Date(1795200001 * 1000)), 'expired');
    assert.equal(checkS3RequestTime(token('GET\n\n\n\n/bucket/key'), 15, new Date()), 'missing');
    assert.equal(checkS3RequestTime(token('GET\n/bucket/key'), 15, new Date()), 'missing');
    assert.equal(checkS3RequestTime({}, 15, new Date()), 'missing');
    assert.equal(checkS3RequestTime(token('GET\n\n\nnot a date\n/bucket/key'), 15, new Date()), 'invalid');
    assert.equal(checkS3RequestTime(token('AWS4-HMAC-SHA256\nlater\nscope\nhash'), 15, new Date()), 'invalid');
  });
});
