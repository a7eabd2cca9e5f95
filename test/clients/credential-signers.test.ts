/**
 * Signed EC2 and S3 requests made by the real signers, exchanged for tokens:
 * keystoneclient's Ec2Signer (keystoneclient.contrib.ec2.utils, the
 * reference Keystone itself uses) for signature versions 2 and 4, botocore's
 * SigV2Auth and SigV4Auth on an EC2 request, presented as an EC2 API server
 * (ec2-api, nova's ec2token) forwards it, and botocore's HmacV1Auth (S3
 * v2 signatures) as swift3/s3api forward them to /v3/s3tokens. A wrong
 * secret, an unknown key, a disabled user and an old timestamp get 401.
 * With CI=true a missing python3-botocore / python3-keystoneclient fails;
 * elsewhere the suite is skipped with the reason.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestServer, type TestServer } from '../helpers/test-server.js';
import { call, expectStatus, passwordToken } from '../api/identity-resource-fixtures.js';
import { newProject, userOnProject } from '../trust/trust-fixtures.js';
import { PYTHON, assertOk, pythonModulesMissing, run, skipUnlessCi } from './python-clients.js';
import type { Ec2Credential } from '../../src/credential/credential-manager.js';

const reason = pythonModulesMissing(['botocore', 'keystoneclient.contrib.ec2.utils']);
type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** Prints the credentials body an EC2/S3 front end would send for a request signed by `kind`. */
const SIGNER = String.raw`
import base64, datetime, hashlib, json, sys
from urllib.parse import urlsplit, parse_qsl
kind, access, secret, age = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
when = datetime.datetime.utcnow() - datetime.timedelta(minutes=age)
if kind.startswith('ec2signer'):
    from keystoneclient.contrib.ec2.utils import Ec2Signer
    signer = Ec2Signer(secret)
    if kind == 'ec2signer-v2':
        creds = {'access': access, 'host': 'ec2.example.com:8773', 'verb': 'GET', 'path': '/services/Cloud',
                 'params': {'SignatureVersion': '2', 'SignatureMethod': 'HmacSHA256', 'Action': 'DescribeInstances',
                            'AWSAccessKeyId': access, 'Timestamp': when.strftime('%Y-%m-%dT%H:%M:%SZ')}}
    else:
        amz_date = when.strftime('%Y%m%dT%H%M%SZ')
        creds = {'access': access, 'host': 'ec2.example.com', 'verb': 'GET', 'path': '/',
                 'params': {'Action': 'DescribeRegions', 'X-Amz-Algorithm': 'AWS4-HMAC-SHA256',
                            'X-Amz-Credential': '%s/%s/RegionOne/ec2/aws4_request' % (access, amz_date[:8]),
                            'X-Amz-Date': amz_date, 'X-Amz-SignedHeaders': 'host'},
                 'headers': {'Host': 'ec2.example.com'},
                 'body_hash': hashlib.sha256(b'').hexdigest()}
    creds['signature'] = signer.generate(creds)
elif kind in ('botocore-v2', 'botocore-v4'):
    import botocore.auth, botocore.awsrequest, botocore.credentials
    from unittest import mock
    body = 'Action=DescribeRegions&Version=2013-10-15'
    url = 'http://ec2.example.com:8788/'
    request = botocore.awsrequest.AWSRequest(method='POST', url=url, data=dict(parse_qsl(body)) if kind == 'botocore-v2' else body,
                                             headers={'Content-Type': 'application/x-www-form-urlencoded; charset=utf-8'})
    credentials = botocore.credentials.Credentials(access, secret)
    with mock.patch('botocore.auth.datetime') as fake, mock.patch('time.gmtime', return_value=when.timetuple()):
        fake.datetime.utcnow.return_value = when
        fake.datetime.now.return_value = when
        fake.datetime.strptime = datetime.datetime.strptime
        if kind == 'botocore-v2':
            botocore.auth.SigV2Auth(credentials).add_auth(request)
        else:
            botocore.auth.SigV4Auth(credentials, 'ec2', 'RegionOne').add_auth(request)
    split = urlsplit(url)
    headers = dict(request.headers.items())
    headers['Host'] = split.netloc
    if kind == 'botocore-v2':
        params = dict(request.data)
        signature = params.pop('Signature')
        creds = {'access': access, 'host': split.netloc, 'verb': 'POST', 'path': '/', 'params': params, 'signature': signature}
    else:
        auth = headers['Authorization']
        signature = auth.split('Signature=')[1]
        creds = {'access': access, 'host': split.netloc, 'verb': 'POST', 'path': '/', 'params': dict(parse_qsl(body)),
                 'headers': headers, 'body_hash': hashlib.sha256(body.encode()).hexdigest(), 'signature': signature}
else:
    import botocore.auth, botocore.awsrequest, botocore.credentials
    from email.utils import formatdate
    url = 'http://swift.example.com:8080/bucket/object.txt'
    request = botocore.awsrequest.AWSRequest(method='GET', url=url, headers={'Date': formatdate(usegmt=True)})
    auth = botocore.auth.HmacV1Auth(botocore.credentials.Credentials(access, secret))
    split = urlsplit(url)
    string_to_sign = auth.canonical_string('GET', split, request.headers)
    creds = {'access': access, 'token': base64.urlsafe_b64encode(string_to_sign.encode()).decode(),
             'signature': auth.get_signature('GET', split, request.headers)}
print(json.dumps(creds))
`;

describe('EC2 and S3 signers from keystoneclient and botocore', { skip: skipUnlessCi(reason) }, () => {
  let server: TestServer;
  let systemAdmin: string;
  let projectId: string;
  let userId: string;
  let cred: Ec2Credential;

  before(async () => {
    assert.equal(reason, false, `${reason} (required when CI=true)`);
    server = await startTestServer();
    systemAdmin = await passwordToken(server, server.bootstrap.userId, server.adminPassword, { system: true });
    projectId = await newProject(server);
    userId = (await userOnProject(server, projectId, [server.bootstrap.memberRoleId])).userId;
    cred = await server.providers.credential_api.createEc2(userId, projectId);
  });
  after(async () => {
    await server?.close();
  });

  const sign = async (kind: string, access = cred.access, secret = cred.secret, ageMinutes = 0): Promise<Json> =>
    JSON.parse(
      assertOk(
        await run(PYTHON, ['-c', SIGNER, kind, access, secret, String(ageMinutes)], { PATH: '/usr/bin:/bin', LANG: 'C.UTF-8' }),
        `signer ${kind}`,
      ),
    );
  const ec2tokens = (credentials: Json) => call(server, 'POST', '/v3/ec2tokens', { token: systemAdmin, body: { credentials } });

  for (const kind of ['ec2signer-v2', 'ec2signer-v4', 'botocore-v2', 'botocore-v4']) {
    test(`${kind}: a token for the credential's user and project; a wrong secret or an old request gets 401`, async () => {
      const res = await ec2tokens(await sign(kind));
      const body = expectStatus(res, 200);
      assert.ok(res.headers.get('x-subject-token'));
      assert.equal(body.token.user.id, userId);
      assert.equal(body.token.project.id, projectId);
      assert.deepEqual(body.token.methods, ['ec2credential']);
      expectStatus(await ec2tokens(await sign(kind, cred.access, 'not-the-secret')), 401, 'Invalid EC2 signature.');
      expectStatus(await ec2tokens(await sign(kind, cred.access, cred.secret, 30)), 401, 'Credential is expired');
    });
  }

  test('unknown access key and disabled user: 401, nothing issued', async () => {
    expectStatus(await ec2tokens(await sign('ec2signer-v2', 'no-such-key', cred.secret)), 401, 'EC2 access key not found.');
    await server.providers.identity_api.updateUser(userId, { enabled: false });
    try {
      expectStatus(await ec2tokens(await sign('botocore-v4')), 401);
    } finally {
      await server.providers.identity_api.updateUser(userId, { enabled: true });
    }
    expectStatus(await ec2tokens(await sign('botocore-v4')), 200);
  });

  test('s3tokens: an S3 request signed by botocore (HmacV1) as s3api forwards it', async () => {
    const s3tokens = (credentials: Json) => call(server, 'POST', '/v3/s3tokens', { token: systemAdmin, body: { credentials } });
    const body = expectStatus(await s3tokens(await sign('botocore-s3')), 200);
    assert.equal(body.token.user.id, userId);
    assert.equal(body.token.project.id, projectId);
    expectStatus(await s3tokens(await sign('botocore-s3', cred.access, 'wrong')), 401, 'Credential signature mismatch');
  });
});
