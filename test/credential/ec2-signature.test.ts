import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import {
  checkEc2Signature,
  checkTimestamp,
  checkTimestampDetailed,
  extractCredentials,
  generateEc2Signature,
  hostnameOf,
  parseIsoTime,
  verifyEc2Signature,
  type Ec2Credentials,
} from '../../src/credential/ec2-signature.js';

// ---- python signers (keystoneclient's Ec2Signer, botocore) ----
const PYTHON = process.env.KEYSTONE_TEST_PYTHON ?? '/usr/bin/python3';
const TOOL = fileURLToPath(new URL('../../../test/fixtures/ec2/sign_tool.py', import.meta.url));

export function runSigner<T = Record<string, unknown>>(jobs: unknown[]): T[] {
  const r = spawnSync(PYTHON, [TOOL], { input: JSON.stringify(jobs), encoding: 'utf8', timeout: 60_000 });
  if (r.status !== 0) throw new Error(`sign_tool failed: ${r.error?.message ?? r.stderr}`);
  return JSON.parse(r.stdout) as T[];
}
function probe(): { keystoneclient: string | null; botocore: string | null } {
  try {
    const [found] = runSigner<{ keystoneclient: boolean; botocore: boolean }>([{ kind: 'probe' }]);
    return {
      keystoneclient: found.keystoneclient ? null : `${PYTHON} cannot import keystoneclient`,
      botocore: found.botocore ? null : `${PYTHON} cannot import botocore (apt-get install python3-botocore)`,
    };
  } catch (e) {
    const reason = `${PYTHON} unusable: ${(e as Error).message.split('\n')[0]}`;
    return { keystoneclient: reason, botocore: reason };
  }
}
const missing = probe();
/** CI=true: a missing library fails the run; otherwise the test is skipped with the reason. */
const gate = (lib: 'keystoneclient' | 'botocore') => ({
  opts: missing[lib] && process.env.CI !== 'true' ? { skip: missing[lib] } : {},
  require: () => {
    if (missing[lib]) assert.fail(`CI=true but ${missing[lib]}`);
  },
});
const ksc = gate('keystoneclient');
const boto = gate('botocore');

const SECRET = 'sekrit';
const v2Params = {
  Action: 'DescribeInstances',
  AWSAccessKeyId: 'AK',
  SignatureVersion: '2',
  SignatureMethod: 'HmacSHA256',
  Timestamp: '2024-01-02T03:04:05Z',
  Version: '2013-10-15',
  'Filter.1.Value': 'a b/c*é',
};
const EMPTY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';
const v4Creds = (signature: string): Ec2Credentials => ({
  access: 'AK',
  signature,
  host: 'ec2.example.com:8773',
  verb: 'GET',
  path: '/',
  params: { Action: 'DescribeRegions', Version: '2013-10-15' },
  headers: {
    Host: 'ec2.example.com:8773',
    'X-Amz-Date': '20240102T030405Z',
    Authorization: `AWS4-HMAC-SHA256 Credential=AK/20240102/RegionOne/ec2/aws4_request, SignedHeaders=host;x-amz-date, Signature=${signature}`,
  },
  body_hash: EMPTY_SHA256,
});

/** Signatures computed by keystoneclient 5.0.1's Ec2Signer, so these run without python. */
describe('EC2 signatures: known keystoneclient vectors', () => {
  it('v2 with the port in host, and the same request signed without the port', () => {
    const withPort: Ec2Credentials = {
      access: 'AK',
      signature: 'InuIX21gjckqUSgzfAfnXKEvyoMqdRfTQ9ckely5PXA=',
      host: 'ec2.example.com:8773',
      verb: 'GET',
      path: '/services/Cloud',
      params: v2Params,
    };
    assert.equal(generateEc2Signature(withPort, SECRET), withPort.signature);
    assert.equal(verifyEc2Signature(withPort, SECRET), true);
    // a client that signed without the port: Keystone retries without it
    const signedWithoutPort = { ...withPort, signature: 'BzLlRr+iEHcpxiUeJ2Kcgf+aVV06whWv2+aomqQQPAM=' };
    assert.equal(verifyEc2Signature(signedWithoutPort, SECRET), true);
    assert.equal(verifyEc2Signature({ ...signedWithoutPort, host: 'ec2.example.com' }, SECRET), true);
    assert.equal(verifyEc2Signature({ ...withPort, host: 'ec2.example.com' }, SECRET), false);
  });

  it('v1, v0 and v4', () => {
    const v1: Ec2Credentials = {
      signature: 'FqSc3KjNRrPkP7QO8J8dQWglvSE=',
      params: { Action: 'DescribeImages', SignatureVersion: '1', zeta: '1', Alpha: '2', beta: 'x y' },
    };
    assert.equal(verifyEc2Signature(v1, SECRET), true);
    const v0: Ec2Credentials = {
      signature: 'C5KAgJ4zb17fDo+G5I6/SXgjW4k=',
      params: { Action: 'DescribeImages', SignatureVersion: '0', Timestamp: '2024-01-02T03:04:05Z' },
    };
    assert.equal(verifyEc2Signature(v0, SECRET), true);
    const v4 = v4Creds('db2a8501a323a531489a8f7febdcf386acf1a318718c0063e09e35d1a0080849');
    assert.equal(verifyEc2Signature(v4, SECRET), true);
  });

  it('wrong secret, altered params, verb, path, headers or body hash fail', () => {
    const v2: Ec2Credentials = {
      signature: 'InuIX21gjckqUSgzfAfnXKEvyoMqdRfTQ9ckely5PXA=',
      host: 'ec2.example.com:8773',
      verb: 'GET',
      path: '/services/Cloud',
      params: v2Params,
    };
    assert.equal(verifyEc2Signature(v2, 'other'), false);
    assert.equal(verifyEc2Signature({ ...v2, params: { ...v2Params, Action: 'TerminateInstances' } }, SECRET), false);
    assert.equal(verifyEc2Signature({ ...v2, params: { ...v2Params, Extra: '1' } }, SECRET), false);
    assert.equal(verifyEc2Signature({ ...v2, verb: 'POST' }, SECRET), false);
    assert.equal(verifyEc2Signature({ ...v2, path: '/other' }, SECRET), false);
    const v4 = v4Creds('db2a8501a323a531489a8f7febdcf386acf1a318718c0063e09e35d1a0080849');
    assert.equal(verifyEc2Signature(v4, 'other'), false);
    assert.equal(verifyEc2Signature({ ...v4, body_hash: EMPTY_SHA256.replace('e3', 'e4') }, SECRET), false);
    assert.equal(verifyEc2Signature({ ...v4, params: { ...v4.params, Version: '2016-11-15' } }, SECRET), false);
    assert.equal(verifyEc2Signature({ ...v4, headers: { ...v4.headers, 'X-Amz-Date': '20240102T030406Z' } }, SECRET), false);
  });

  it('missing signature, unknown version and malformed v4 are refused, not thrown', () => {
    assert.equal(checkEc2Signature({ params: { SignatureVersion: '2' } }, SECRET), 'missing');
    assert.equal(checkEc2Signature({ signature: 'x', params: { SignatureVersion: '3' } }, SECRET), 'malformed');
    assert.equal(checkEc2Signature({ signature: 'x', params: {} }, SECRET), 'malformed');
    const v4 = v4Creds('db2a8501a323a531489a8f7febdcf386acf1a318718c0063e09e35d1a0080849');
    // X-Amz-Date outside the credential scope's date
    assert.equal(checkEc2Signature({ ...v4, headers: { ...v4.headers, 'X-Amz-Date': '20240103T000000Z' } }, SECRET), 'malformed');
    assert.equal(checkEc2Signature({ ...v4, body_hash: undefined }, SECRET), 'malformed');
  });

  it('extractCredentials takes "credentials", then "credential", then "ec2Credentials"', () => {
    assert.deepEqual(extractCredentials({ credentials: { access: 'a' }, ec2Credentials: { access: 'b' } }), { access: 'a' });
    assert.deepEqual(extractCredentials({ credentials: {}, credential: { access: 'c' } }), { access: 'c' });
    assert.deepEqual(extractCredentials({ ec2Credentials: { access: 'b' } }), { access: 'b' });
    assert.deepEqual(extractCredentials(null), {});
  });

  it('hostnameOf drops userinfo, port and brackets and lower-cases (urlsplit().hostname)', () => {
    assert.equal(hostnameOf('Example.COM:8773'), 'example.com');
    assert.equal(hostnameOf('[::1]:80'), '::1');
    assert.equal(hostnameOf('user@h:1'), 'h');
    assert.equal(hostnameOf('h:'), 'h');
  });
});

describe("EC2 signatures: signed by keystoneclient's Ec2Signer", () => {
  it('v0, v1, v2 (host with and without port) and v4 (header and query auth, GET and POST) verify; tampering fails', ksc.opts, () => {
    ksc.require();
    const secret = `secret-${Math.random().toString(36).slice(2)}`;
    const now = new Date();
    const amzDate = now
      .toISOString()
      .replace(/[-:]/g, '')
      .replace(/\.\d+Z$/, 'Z');
    const day = amzDate.slice(0, 8);
    const cases: Ec2Credentials[] = [
      { params: { Action: 'DescribeImages', SignatureVersion: '0', Timestamp: now.toISOString() } },
      { params: { Action: 'DescribeImages', SignatureVersion: '1', b: 'B', A: 'a', 'c~d': 'é è', n: '5' } },
      {
        host: 'ec2.example.com:8773',
        verb: 'GET',
        path: '/services/Cloud',
        params: { ...v2Params, Timestamp: now.toISOString(), 'Weird!*()': "it's (a) *test*" },
      },
      { host: 'ec2.example.com', verb: 'POST', path: '/', params: { ...v2Params, Timestamp: now.toISOString() } },
      {
        host: 'ec2.example.com:8773',
        verb: 'GET',
        path: '/services/Cloud',
        params: { Action: 'DescribeRegions', 'Filter.1.Name': 'a b' },
        headers: {
          Host: 'ec2.example.com:8773',
          'X-Amz-Date': amzDate,
          'Content-Type': ' text/plain ',
          Authorization: `AWS4-HMAC-SHA256 Credential=AK/${day}/RegionOne/ec2/aws4_request, SignedHeaders=content-type;host;x-amz-date, Signature=x`,
        },
        body_hash: EMPTY_SHA256,
      },
      {
        host: 'ec2.example.com',
        verb: 'POST',
        path: '/',
        params: { Action: 'RunInstances' },
        headers: {
          Host: 'ec2.example.com',
          'X-Amz-Date': amzDate,
          Authorization: `AWS4-HMAC-SHA256 Credential=AK/${day}/RegionOne/ec2/aws4_request, SignedHeaders=host;x-amz-date, Signature=x`,
        },
        body_hash: 'a'.repeat(64),
      },
      {
        host: 'ec2.example.com:443',
        verb: 'GET',
        path: '/',
        params: {
          Action: 'DescribeRegions',
          'X-Amz-Algorithm': 'AWS4-HMAC-SHA256',
          'X-Amz-Credential': `AK/${day}/RegionOne/ec2/aws4_request`,
          'X-Amz-Date': amzDate,
          'X-Amz-SignedHeaders': 'host',
        },
        headers: { Host: 'ec2.example.com:443' },
        body_hash: EMPTY_SHA256,
      },
    ];
    const signed = runSigner<{ signature: string }>(cases.map((credentials) => ({ kind: 'keystoneclient', secret, credentials })));
    for (const [i, c] of cases.entries()) {
      const creds = { ...c, signature: signed[i].signature };
      assert.equal(verifyEc2Signature(creds, secret), true, `case ${i}`);
      // case 1 (v1) carries no time at all: refused, whatever its signature
      assert.equal(checkTimestampDetailed(creds, 15, now), i === 1 ? 'missing' : 'ok', `case ${i} timestamp`);
      assert.equal(verifyEc2Signature(creds, secret + 'x'), false, `case ${i} wrong secret`);
      // v4 POST requests sign the body (body_hash), not params
      const paramsSigned = !(creds.verb === 'POST' && creds.body_hash !== undefined);
      assert.equal(
        verifyEc2Signature({ ...creds, params: { ...creds.params, Action: 'Tampered' } }, secret),
        !paramsSigned,
        `case ${i} tampered`,
      );
      if (!paramsSigned)
        assert.equal(verifyEc2Signature({ ...creds, body_hash: 'b'.repeat(64) }, secret), false, `case ${i} tampered body`);
    }
    // v2 signed with a host without its port verifies when the request names the port
    const [noPort] = runSigner<{ signature: string }>([
      { kind: 'keystoneclient', secret, credentials: { ...cases[2], host: 'ec2.example.com' } },
    ]);
    assert.equal(verifyEc2Signature({ ...cases[2], signature: noPort.signature }, secret), true);
  });
});

describe('EC2 signatures: signed by botocore', () => {
  it('SigV2 and SigV4, GET and POST, with and without a port, verify; wrong secret and altered params fail', boto.opts, () => {
    boto.require();
    const secret = `boto-${Math.random().toString(36).slice(2)}`;
    const jobs = [
      {
        kind: 'botocore_v2',
        method: 'GET',
        url: 'http://ec2.example.com:8773/services/Cloud',
        params: { Action: 'DescribeInstances', Version: '2013-10-15', 'Filter.1.Value': 'x y*' },
      },
      { kind: 'botocore_v2', method: 'POST', url: 'http://ec2.example.com/', params: { Action: 'RunInstances', ImageId: 'ami-1' } },
      {
        kind: 'botocore_v4',
        method: 'GET',
        url: 'http://ec2.example.com:8773/services/Cloud',
        params: { Action: 'DescribeRegions', Version: '2013-10-15' },
      },
      {
        kind: 'botocore_v4',
        method: 'GET',
        url: 'https://ec2.example.com/',
        params: { Action: 'DescribeRegions', 'Filter.1.Name': 'a b' },
      },
      {
        kind: 'botocore_v4',
        method: 'POST',
        url: 'http://ec2.example.com:8773/',
        body: 'Action=RunInstances&ImageId=ami-1',
        region: 'RegionTwo',
      },
    ].map((j) => ({ ...j, access: 'AKBOTO', secret }));
    const results = runSigner<{ credentials: Ec2Credentials }>(jobs);
    const now = new Date();
    for (const [i, { credentials }] of results.entries()) {
      assert.equal(verifyEc2Signature(credentials, secret), true, `${jobs[i].kind} ${JSON.stringify(credentials)}`);
      assert.equal(checkTimestamp(credentials, 15, now), true);
      assert.equal(checkTimestamp(credentials, 15, new Date(now.getTime() + 16 * 60_000)), false);
      assert.equal(verifyEc2Signature(credentials, 'not-' + secret), false);
      assert.equal(
        verifyEc2Signature({ ...credentials, params: { ...credentials.params, Injected: '1' } }, secret),
        jobs[i].kind === 'botocore_v4' && jobs[i].method === 'POST', // POST v4 signs the body, not params
        `${jobs[i].kind} altered params`,
      );
    }
  });
});

describe('EC2 timestamps ([credential] auth_ttl)', () => {
  const at = (iso: string) => new Date(iso);
  it('v2 Timestamp, v4 X-Amz-Date header or parameter; expired after auth_ttl minutes, or more than auth_ttl ahead', () => {
    const c = { params: { Timestamp: '2024-01-02T03:04:05Z' } };
    assert.equal(checkTimestamp(c, 15, at('2024-01-02T03:19:05Z')), true);
    assert.equal(checkTimestamp(c, 15, at('2024-01-02T03:19:05.001Z')), false);
    assert.equal(checkTimestampDetailed(c, 15, at('2024-01-02T04:00:00Z')), 'expired');
    assert.equal(checkTimestamp(c, 15, at('2024-01-02T02:49:05Z')), true);
    assert.equal(checkTimestampDetailed(c, 15, at('2023-01-01T00:00:00Z')), 'expired');
    assert.equal(checkTimestamp({ headers: { 'X-Amz-Date': '20240102T030405Z' } }, 1, at('2024-01-02T03:05:05Z')), true);
    assert.equal(checkTimestamp({ headers: { 'X-Amz-Date': '20240102T030405Z' } }, 1, at('2024-01-02T03:05:06Z')), false);
    assert.equal(checkTimestamp({ params: { 'X-Amz-Date': '20240102T030405Z' } }, 1, at('2024-01-02T03:05:06Z')), false);
    // Timestamp wins over X-Amz-Date
    assert.equal(
      checkTimestamp(
        { params: { Timestamp: '2024-01-02T03:04:05Z' }, headers: { 'X-Amz-Date': '20200101T000000Z' } },
        15,
        at('2024-01-02T03:05:00Z'),
      ),
      true,
    );
    // offsets count
    assert.equal(checkTimestamp({ params: { Timestamp: '2024-01-02T05:04:05+02:00' } }, 15, at('2024-01-02T03:19:06Z')), false);
  });

  it('Expires (v2) and X-Amz-Expires (v4 presigned): refused once passed', () => {
    assert.equal(checkTimestampDetailed({ params: { Expires: '2024-01-02T03:04:05Z' } }, 15, at('2024-01-02T03:04:05Z')), 'ok');
    assert.equal(checkTimestampDetailed({ params: { Expires: '2024-01-02T03:04:05Z' } }, 15, at('2024-01-02T03:04:06Z')), 'expired');
    assert.equal(checkTimestampDetailed({ params: { Expires: 'soon' } }, 15, at('2024-01-02T03:04:06Z')), 'invalid');
    const presigned = { params: { 'X-Amz-Date': '20240102T030405Z', 'X-Amz-Expires': '60' } };
    assert.equal(checkTimestampDetailed(presigned, 15, at('2024-01-02T03:05:05Z')), 'ok');
    assert.equal(checkTimestampDetailed(presigned, 15, at('2024-01-02T03:05:06Z')), 'expired');
    // auth_ttl still bounds a longer expiry
    assert.equal(
      checkTimestampDetailed({ params: { 'X-Amz-Date': '20240102T030405Z', 'X-Amz-Expires': '86400' } }, 15, at('2024-01-02T03:20:06Z')),
      'expired',
    );
    assert.equal(checkTimestampDetailed({ params: { 'X-Amz-Expires': '60' } }, 15, at('2024-01-02T03:05:06Z')), 'invalid');
  });

  it('no time at all is refused (missing); an unparseable one is invalid', () => {
    assert.equal(checkTimestampDetailed({}, 15, new Date()), 'missing');
    assert.equal(checkTimestampDetailed({ params: { Timestamp: '' } }, 15, new Date()), 'missing');
    assert.equal(checkTimestampDetailed({ params: { Timestamp: 'yesterday' } }, 15, new Date()), 'invalid');
    assert.equal(checkTimestampDetailed({ params: { Timestamp: '2024-02-30T00:00:00Z' } }, 15, new Date()), 'invalid');
    assert.equal(checkTimestamp({ params: { Timestamp: 12 } }, 15, new Date()), false);
  });

  it('parseIsoTime accepts what python-iso8601 accepts', () => {
    const ok: Array<[string, string]> = [
      ['20240102T030405Z', '2024-01-02T03:04:05.000Z'],
      ['2024-01-02T03:04:05Z', '2024-01-02T03:04:05.000Z'],
      ['2024-01-02T03:04:05', '2024-01-02T03:04:05.000Z'],
      ['2024-01-02T03:04:05.123456+02:00', '2024-01-02T01:04:05.123Z'],
      ['2024-01-02', '2024-01-02T00:00:00.000Z'],
      ['2024-01-02 03:04:05', '2024-01-02T03:04:05.000Z'],
      ['2024-01-02T03:04', '2024-01-02T03:04:00.000Z'],
      ['20240102', '2024-01-02T00:00:00.000Z'],
      ['2024-01-02T03:04:05,5Z', '2024-01-02T03:04:05.500Z'],
      ['2024-01-02T03Z', '2024-01-02T03:00:00.000Z'],
      ['2024-01-02T03:04:05+0200', '2024-01-02T01:04:05.000Z'],
      ['2024-01-02T03:04:05-02', '2024-01-02T05:04:05.000Z'],
      ['2024', '2024-01-01T00:00:00.000Z'],
      ['2024-01', '2024-01-01T00:00:00.000Z'],
      ['2024-1-2', '2024-01-02T00:00:00.000Z'],
      ['2024-02-29', '2024-02-29T00:00:00.000Z'],
    ];
    for (const [text, iso] of ok) assert.equal(parseIsoTime(text), Date.parse(iso), text);
    for (const bad of ['  2024-01-02', '2024-01-02T24:00:00Z', '2024-02-30', '202401', '2023-02-29', 'x', '', '2024-13-01']) {
      assert.equal(parseIsoTime(bad), null, bad);
    }
  });
});
