/**
 * /v3/credentials, /v3/users/{id}/credentials/OS-EC2, POST /v3/ec2tokens and
 * /v3/s3tokens over HTTP: CRUD with the filters and list_limit, the ec2 id
 * rule, the blob encrypted in the database row, Keystone's errors, the
 * default policy (owner, another user, system admin), delegated tokens,
 * signed requests (v2, v4, S3 v1 and v4) and their refusals, the totp
 * method reading its secrets from credentials, and the clean-up when a
 * user or a project is deleted.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, createHmac } from 'node:crypto';
import { startTestServer, type TestServer } from '../helpers/test-server.js';
import { databaseKinds } from '../helpers/test-database.js';
import { cacheConfig, redisWanted } from '../helpers/cache-kinds.js';
import { call, expectStatus, passwordToken, unique } from '../api/identity-resource-fixtures.js';
import { authenticate, newProject, PASSWORD, userOnProject, type ProjectUser } from '../trust/trust-fixtures.js';
import { generateEc2Signature, v4SigningKey } from '../../src/credential/ec2-signature.js';
import { totpPasscode } from '../../src/auth/methods/totp.js';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const LIST_LIMIT = 4;
const isoNow = (offsetMs = 0) => new Date(Date.now() + offsetMs).toISOString().replace(/\.\d+Z$/, 'Z');

/** An EC2 v2 request as keystoneclient's Ec2Signer signs it. */
function signedV2(access: string, secret: string, timestamp = isoNow()): Json {
  const credentials: Json = {
    access,
    host: 'localhost:8773',
    verb: 'GET',
    path: '/services/Cloud',
    params: {
      SignatureVersion: '2',
      SignatureMethod: 'HmacSHA256',
      Action: 'DescribeInstances',
      AWSAccessKeyId: access,
      Timestamp: timestamp,
    },
  };
  credentials.signature = generateEc2Signature(credentials, secret);
  return credentials;
}

/** An EC2 v4 request (Authorization header form), as botocore signs it. */
function signedV4(access: string, secret: string, amzDate: string): Json {
  const day = amzDate.slice(0, 8);
  const credentials: Json = {
    access,
    host: 'localhost',
    verb: 'POST',
    path: '/',
    params: {},
    headers: {
      Host: 'localhost',
      'X-Amz-Date': amzDate,
      Authorization: `AWS4-HMAC-SHA256 Credential=${access}/${day}/RegionOne/ec2/aws4_request, SignedHeaders=host;x-amz-date, Signature=x`,
    },
    body_hash: createHash('sha256').update('Action=DescribeRegions&Version=2013-10-15').digest('hex'),
  };
  credentials.signature = generateEc2Signature(credentials, secret);
  return credentials;
}

/** What swift3/s3api sends to /v3/s3tokens for an S3 v1 (HMAC-SHA1) request. */
function signedS3v1(access: string, secret: string, stringToSign = `GET\n\n\n${new Date().toUTCString()}\n/bucket/key`): Json {
  return {
    access,
    token: Buffer.from(stringToSign).toString('base64url') + '='.repeat((4 - (Buffer.byteLength(stringToSign) % 4)) % 4),
    signature: createHmac('sha1', secret).update(stringToSign).digest('base64'),
  };
}

function signedS3v4(access: string, secret: string): Json {
  const amzDate = isoNow().replace(/[-:]/g, '');
  const day = amzDate.slice(0, 8);
  const stringToSign = [
    'AWS4-HMAC-SHA256',
    amzDate,
    `${day}/RegionOne/s3/aws4_request`,
    createHash('sha256').update('canonical').digest('hex'),
  ].join('\n');
  return {
    access,
    token: Buffer.from(stringToSign).toString('base64'),
    signature: createHmac('sha256', v4SigningKey(secret, day, 'RegionOne', 's3'))
      .update(stringToSign)
      .digest('hex'),
  };
}

/** A trustee's token through an admin-role trust on a new project of `srv`. */
async function adminTrust(srv: TestServer) {
  const project = await newProject(srv);
  const trustor = await userOnProject(srv, project, [srv.bootstrap.adminRoleId]);
  const trustee = await userOnProject(srv, project, [srv.bootstrap.memberRoleId]);
  const trust = expectStatus(
    await call(srv, 'POST', '/v3/OS-TRUST/trusts', {
      token: trustor.token,
      body: {
        trust: {
          trustor_user_id: trustor.userId,
          trustee_user_id: trustee.userId,
          project_id: project,
          impersonation: false,
          roles: [{ id: srv.bootstrap.adminRoleId }],
        },
      },
    }),
    201,
  ).trust;
  const auth = {
    identity: { methods: ['password'], password: { user: { id: trustee.userId, password: PASSWORD } } },
    scope: { 'OS-TRUST:trust': { id: trust.id } },
  };
  const token = (await authenticate(srv, auth)).token!;
  const access = unique('trust-access');
  return {
    project,
    trustee,
    trust,
    token,
    access,
    ec2: { type: 'ec2', user_id: trustee.userId, project_id: project, blob: JSON.stringify({ access, secret: 'the-secret' }) },
  };
}
const DENIED = 'You are not authorized to perform the requested action: Delegated tokens cannot access credentials directly.';

for (const kind of databaseKinds()) {
  describe(`credentials, OS-EC2, ec2tokens and s3tokens (${kind})`, () => {
    let server: TestServer;
    let systemAdmin: string;
    let projectId: string;
    let owner: ProjectUser;
    let other: ProjectUser;

    before(async () => {
      server = await startTestServer({
        database: kind,
        // the cache on (Redis with PostgreSQL when asked for): every change must drop what it touches
        config: {
          DEFAULT: { list_limit: LIST_LIMIT },
          auth: { methods: 'external,password,token,oauth1,mapped,application_credential,totp' },
          ...cacheConfig(kind === 'postgres' && redisWanted() ? 'redis' : 'memory'),
        },
      });
      const roles = server.bootstrap;
      systemAdmin = await passwordToken(server, roles.userId, server.adminPassword, { system: true });
      projectId = await newProject(server);
      owner = await userOnProject(server, projectId, [roles.memberRoleId]);
      other = await userOnProject(server, projectId, [roles.memberRoleId]);
    });
    after(async () => {
      await server?.close();
    });

    const create = (credential: Json, token = owner.token) => call(server, 'POST', '/v3/credentials', { token, body: { credential } });
    const ec2Blob = (access: string, secret = 'the-secret') => JSON.stringify({ access, secret });

    test('create, show, list with filters, update the blob, delete; the blob encrypted in the row', async () => {
      const created = expectStatus(
        await create({ type: 'cert', user_id: owner.userId, blob: 'plaintext-blob-value', color: 'blue' }),
        201,
      ).credential;
      assert.match(created.id, /^[0-9a-f]{32}$/);
      assert.equal(created.blob, 'plaintext-blob-value');
      assert.equal(created.type, 'cert');
      assert.equal(created.user_id, owner.userId);
      assert.equal(created.project_id, null);
      assert.equal(created.color, 'blue');
      assert.equal(created.links.self, `${server.publicUrl}/v3/credentials/${created.id}`);

      const row = await server.db.one('SELECT * FROM credential WHERE id = $1', [created.id]);
      assert.ok(!row.encrypted_blob.includes('plaintext-blob-value'));
      assert.ok(!Buffer.from(row.encrypted_blob, 'base64url').toString('latin1').includes('plaintext-blob-value'));
      assert.match(row.key_hash, /^[0-9a-f]{40}$/);
      assert.equal(row.key_hash, server.providers.credential_api.crypto.primaryKeyHash());
      assert.equal(server.providers.credential_api.crypto.decrypt(row.encrypted_blob), 'plaintext-blob-value');

      const shown = expectStatus(await call(server, 'GET', `/v3/credentials/${created.id}`, { token: owner.token }), 200).credential;
      assert.deepEqual(shown, created);
      expectStatus(await call(server, 'GET', `/v3/credentials/${created.id}`, { token: owner.token }), 200);
      assert.ok((server.cache.stats.credential?.hits ?? 0) > 0, 'credential rows come from the cache');

      const second = expectStatus(await create({ type: 'other', user_id: owner.userId, blob: 'b2' }), 201).credential;
      const byType = expectStatus(
        await call(server, 'GET', `/v3/credentials?type=cert&user_id=${owner.userId}`, { token: owner.token }),
        200,
      );
      assert.deepEqual(
        byType.credentials.map((c: Json) => c.id),
        [created.id],
      );
      assert.equal(byType.links.self, `${server.publicUrl}/v3/credentials?type=cert&user_id=${owner.userId}`);
      const mine = expectStatus(await call(server, 'GET', `/v3/credentials?user_id=${owner.userId}`, { token: owner.token }), 200);
      assert.deepEqual(mine.credentials.map((c: Json) => c.id).sort(), [created.id, second.id].sort());

      const updated = expectStatus(
        await call(server, 'PATCH', `/v3/credentials/${created.id}`, { token: owner.token, body: { credential: { blob: 'new-blob' } } }),
        200,
      ).credential;
      assert.equal(updated.blob, 'new-blob');
      assert.equal(updated.color, 'blue');
      assert.equal(
        expectStatus(await call(server, 'GET', `/v3/credentials/${created.id}`, { token: owner.token }), 200).credential.blob,
        'new-blob',
      );
      // Keystone 22 lets a PATCH change the blob only
      expectStatus(
        await call(server, 'PATCH', `/v3/credentials/${created.id}`, {
          token: owner.token,
          body: { credential: { blob: 'x', type: 'ec2' } },
        }),
        400,
        "Additional properties are not allowed ('type' was unexpected)",
      );
      expectStatus(
        await call(server, 'PATCH', `/v3/credentials/${created.id}`, {
          token: owner.token,
          body: { credential: { project_id: projectId } },
        }),
        400,
      );
      // keystoneclient sends user_id and type along: unchanged values pass, a change does not
      expectStatus(
        await call(server, 'PATCH', `/v3/credentials/${created.id}`, {
          token: owner.token,
          body: { credential: { blob: 'new-blob', user_id: owner.userId, type: 'cert' } },
        }),
        200,
      );
      expectStatus(
        await call(server, 'PATCH', `/v3/credentials/${created.id}`, {
          token: owner.token,
          body: { credential: { blob: 'x', user_id: other.userId } },
        }),
        400,
        "Additional properties are not allowed ('user_id' was unexpected)",
      );

      expectStatus(await call(server, 'DELETE', `/v3/credentials/${created.id}`, { token: owner.token }), 204);
      expectStatus(
        await call(server, 'GET', `/v3/credentials/${created.id}`, { token: systemAdmin }),
        404,
        `Could not find credential: ${created.id}.`,
      );
      expectStatus(await call(server, 'DELETE', `/v3/credentials/${created.id}`, { token: systemAdmin }), 404);
      expectStatus(await call(server, 'DELETE', `/v3/credentials/${second.id}`, { token: owner.token }), 204);
    });

    test('ec2: the id is the sha256 of the access key, the project is required; the blob stored as Keystone stores it', async () => {
      const access = unique('access');
      const made = expectStatus(
        await create({ type: 'ec2', user_id: owner.userId, project_id: projectId, blob: ec2Blob(access) }),
        201,
      ).credential;
      assert.equal(made.id, createHash('sha256').update(access).digest('hex'));
      assert.equal(made.blob, ec2Blob(access));
      assert.equal(made.project_id, projectId);
      const row = await server.db.one('SELECT encrypted_blob FROM credential WHERE id = $1', [made.id]);
      assert.ok(!row.encrypted_blob.includes(access));
      // Keystone json.dumps the ec2 blob string before encrypting it
      assert.equal(server.providers.credential_api.crypto.decrypt(row.encrypted_blob), JSON.stringify(ec2Blob(access)));

      expectStatus(
        await create({ type: 'ec2', user_id: owner.userId, project_id: projectId, blob: ec2Blob(access) }),
        409,
        `Conflict occurred attempting to store credential - Duplicate entry found with ID ${made.id}.`,
      );
      expectStatus(
        await create({ type: 'ec2', user_id: owner.userId, blob: '{"access":"a"}' }),
        400,
        `{'type': 'ec2', 'user_id': '${owner.userId}', 'blob': '{"access":"a"}'} is not valid under any of the given schemas`,
      );
      expectStatus(
        await create({ type: 'ec2', user_id: owner.userId, project_id: projectId, blob: 'not json' }),
        400,
        'Invalid blob in credential',
      );
      expectStatus(
        await create({ type: 'ec2', user_id: owner.userId, project_id: projectId, blob: '{"secret": "s"}' }),
        400,
        /^Expecting to find access in credential\./,
      );
      expectStatus(
        await create({ type: 'ec2', user_id: owner.userId, project_id: projectId, blob: '[]' }),
        400,
        /^Expecting to find blob in credential\./,
      );
      expectStatus(await create({ type: 'cert', user_id: owner.userId }), 400);
      expectStatus(await create({ type: 'cert', user_id: owner.userId, blob: 42 }), 400);
      // policy comes first: an empty credential is not the caller's
      expectStatus(await call(server, 'POST', '/v3/credentials', { token: owner.token, body: {} }), 403);
      expectStatus(await call(server, 'POST', '/v3/credentials', { token: systemAdmin, body: {} }), 400);

      // the scope keys of an ec2 blob cannot change
      const withTrust = JSON.stringify({ access, secret: 's2', trust_id: 'abc' });
      expectStatus(
        await call(server, 'PATCH', `/v3/credentials/${made.id}`, { token: owner.token, body: { credential: { blob: withTrust } } }),
        400,
        'trust_id can not be updated for credential',
      );
      const newSecret = JSON.stringify({ access, secret: 'rotated' });
      expectStatus(
        await call(server, 'PATCH', `/v3/credentials/${made.id}`, { token: owner.token, body: { credential: { blob: newSecret } } }),
        200,
      );
      const ec2 = await server.providers.credential_api.getEc2(owner.userId, access);
      assert.equal(ec2.secret, 'rotated');
      expectStatus(await call(server, 'DELETE', `/v3/credentials/${made.id}`, { token: owner.token }), 204);
    });

    test('policy: the owner and a system admin, never another user', async () => {
      const mine = expectStatus(await create({ type: 'cert', user_id: owner.userId, blob: 'mine' }), 201).credential;
      const path = `/v3/credentials/${mine.id}`;
      expectStatus(await call(server, 'GET', path, { token: other.token }), 403);
      expectStatus(await call(server, 'PATCH', path, { token: other.token, body: { credential: { blob: 'stolen' } } }), 403);
      expectStatus(await call(server, 'DELETE', path, { token: other.token }), 403);
      expectStatus(await create({ type: 'cert', user_id: owner.userId, blob: 'planted' }, other.token), 403);
      // a missing credential is a 403 for them too: policy comes before the look-up
      expectStatus(await call(server, 'GET', '/v3/credentials/nonexistent', { token: other.token }), 403);
      const theirList = expectStatus(await call(server, 'GET', `/v3/credentials?user_id=${owner.userId}`, { token: other.token }), 200);
      assert.deepEqual(theirList.credentials, []);
      expectStatus(await call(server, 'GET', '/v3/credentials', {}), 401);

      expectStatus(await call(server, 'GET', path, { token: systemAdmin }), 200);
      const all = expectStatus(await call(server, 'GET', `/v3/credentials?user_id=${owner.userId}`, { token: systemAdmin }), 200);
      assert.ok(all.credentials.some((c: Json) => c.id === mine.id));
      expectStatus(await call(server, 'PATCH', path, { token: systemAdmin, body: { credential: { blob: 'by admin' } } }), 200);
      expectStatus(await create({ type: 'cert', user_id: other.userId, blob: 'given' }, systemAdmin), 201);
      expectStatus(await call(server, 'DELETE', path, { token: systemAdmin }), 204);
    });

    test('list_limit truncates the list', async () => {
      const user = await userOnProject(server, projectId, [server.bootstrap.memberRoleId]);
      for (let i = 0; i < LIST_LIMIT + 1; i++)
        expectStatus(await create({ type: 'cert', user_id: user.userId, blob: `b${i}` }, user.token), 201);
      const listed = expectStatus(await call(server, 'GET', `/v3/credentials?user_id=${user.userId}`, { token: systemAdmin }), 200);
      assert.equal(listed.credentials.length, LIST_LIMIT);
      assert.equal(listed.truncated, true);
      const few = expectStatus(await call(server, 'GET', `/v3/credentials?user_id=${user.userId}&type=none`, { token: systemAdmin }), 200);
      assert.equal(few.truncated, undefined);
    });

    test('OS-EC2: create, list, show, delete, in the EC2 form', async () => {
      const base = `/v3/users/${owner.userId}/credentials/OS-EC2`;
      const before = expectStatus(await call(server, 'GET', base, { token: owner.token }), 200).credentials;
      const made = expectStatus(await call(server, 'POST', base, { token: owner.token, body: { tenant_id: projectId } }), 201).credential;
      assert.match(made.access, /^[0-9a-f]{32}$/);
      assert.match(made.secret, /^[0-9a-f]{32}$/);
      assert.equal(made.user_id, owner.userId);
      assert.equal(made.tenant_id, projectId);
      assert.equal(made.trust_id, null);
      assert.equal(made.links.self, `${server.publicUrl}${base}/${made.access}`);
      assert.deepEqual(Object.keys(made).sort(), ['access', 'links', 'secret', 'tenant_id', 'trust_id', 'user_id']);

      const listed = expectStatus(await call(server, 'GET', base, { token: owner.token }), 200);
      assert.deepEqual(
        listed.credentials.filter((c: Json) => c.access === made.access),
        [made],
      );
      assert.equal(listed.credentials.length, before.length + 1);
      assert.equal(listed.links.self, `${server.publicUrl}${base}`);
      assert.deepEqual(expectStatus(await call(server, 'GET', `${base}/${made.access}`, { token: owner.token }), 200).credential, made);
      // the same credential through /v3/credentials, with Keystone's blob string
      const v3 = expectStatus(
        await call(server, 'GET', `/v3/credentials/${createHash('sha256').update(made.access).digest('hex')}`, { token: owner.token }),
        200,
      ).credential;
      assert.equal(v3.type, 'ec2');
      assert.equal(v3.blob, `{"access": "${made.access}", "secret": "${made.secret}", "trust_id": null}`);

      expectStatus(
        await call(server, 'POST', base, { token: owner.token, body: { tenant_id: 'nope' } }),
        404,
        'Could not find project: nope.',
      );
      expectStatus(await call(server, 'POST', base, { token: owner.token, body: {} }), 404, 'Could not find project: None.');
      expectStatus(await call(server, 'POST', base, { token: other.token, body: { tenant_id: projectId } }), 403);
      expectStatus(await call(server, 'GET', `${base}/${made.access}`, { token: other.token }), 403);
      expectStatus(await call(server, 'GET', `${base}/unknown`, { token: owner.token }), 404);
      expectStatus(
        await call(server, 'POST', `/v3/users/nobody/credentials/OS-EC2`, { token: systemAdmin, body: { tenant_id: projectId } }),
        404,
        'Could not find user: nobody.',
      );

      expectStatus(await call(server, 'DELETE', `${base}/${made.access}`, { token: owner.token }), 204);
      assert.equal(expectStatus(await call(server, 'GET', base, { token: owner.token }), 200).credentials.length, before.length);
    });

    test('ec2tokens: a v2 or v4 signed request gets a project-scoped token; every refusal is a 401', async () => {
      const user = await userOnProject(server, projectId, [server.bootstrap.memberRoleId]);
      const made = await server.providers.credential_api.createEc2(user.userId, projectId);
      const post = (credentials: Json, token = systemAdmin) => call(server, 'POST', '/v3/ec2tokens', { token, body: { credentials } });

      const res = await post(signedV2(made.access, made.secret));
      const body = expectStatus(res, 200);
      assert.ok(res.headers.get('x-subject-token'));
      assert.equal(body.token.user.id, user.userId);
      assert.equal(body.token.project.id, projectId);
      assert.deepEqual(body.token.methods, ['ec2credential']);
      assert.ok(Array.isArray(body.token.catalog));
      assert.ok(body.token.roles.some((r: Json) => r.name === 'member'));
      // the token is a real one
      const check = await call(server, 'GET', '/v3/auth/tokens', {
        token: systemAdmin,
        headers: { 'X-Subject-Token': res.headers.get('x-subject-token')! },
      });
      assert.deepEqual(expectStatus(check, 200).token.methods, ['ec2credential']);

      // the other body keys Keystone accepts, and v4
      expectStatus(
        await call(server, 'POST', '/v3/ec2tokens', { token: systemAdmin, body: { ec2Credentials: signedV2(made.access, made.secret) } }),
        200,
      );
      const amzDate = isoNow().replace(/[-:]/g, '');
      expectStatus(await post(signedV4(made.access, made.secret, amzDate)), 200);

      expectStatus(await post(signedV2(made.access, 'wrong-secret')), 401, 'Invalid EC2 signature.');
      expectStatus(await post(signedV2('unknown-access', made.secret)), 401, 'EC2 access key not found.');
      expectStatus(await post({ ...signedV2(made.access, made.secret), signature: undefined }), 401, 'EC2 signature not supplied.');
      expectStatus(await post({ signature: 'x' }), 401, 'EC2 Signature not supplied');
      expectStatus(await post(signedV2(made.access, made.secret, isoNow(-20 * 60_000))), 401, 'Credential is expired');
      expectStatus(await post(signedV4(made.access, made.secret, isoNow(-20 * 60_000).replace(/[-:]/g, ''))), 401, 'Credential is expired');
      expectStatus(await post(signedV2(made.access, made.secret, 'yesterday')), 401, /^Credential timestamp is invalid/);
      // a request that carries no time would be good forever: refused
      const timeless: Json = {
        ...signedV2(made.access, made.secret),
        params: { SignatureVersion: '2', SignatureMethod: 'HmacSHA256', Action: 'DescribeInstances', AWSAccessKeyId: made.access },
      };
      timeless.signature = generateEc2Signature(timeless, made.secret);
      expectStatus(await post(timeless), 401, /^Credential timestamp is missing/);
      expectStatus(await post(signedV2(made.access, made.secret), ''), 401);
      expectStatus(await post(signedV2(made.access, made.secret), user.token), 403);
      expectStatus(
        await call(server, 'POST', '/v3/ec2tokens', { token: systemAdmin, body: {} }),
        400,
        'request must include a request body',
      );
      const get = await call(server, 'GET', '/v3/ec2tokens', { token: systemAdmin });
      assert.equal(get.status, 405);
      assert.match(get.headers.get('allow') ?? '', /^POST\b/);

      await server.providers.identity_api.updateUser(user.userId, { enabled: false });
      expectStatus(await post(signedV2(made.access, made.secret)), 401);
      await server.providers.identity_api.updateUser(user.userId, { enabled: true });
      expectStatus(await post(signedV2(made.access, made.secret)), 200);
    });

    test('ec2tokens: a disabled project, or no role on it, gets nothing', async () => {
      const project = await newProject(server);
      const user = await userOnProject(server, project, [server.bootstrap.memberRoleId]);
      const made = await server.providers.credential_api.createEc2(user.userId, project);
      const roleless = await server.providers.credential_api.createEc2(other.userId, project);
      const post = (credentials: Json) => call(server, 'POST', '/v3/ec2tokens', { token: systemAdmin, body: { credentials } });
      expectStatus(await post(signedV2(roleless.access, roleless.secret)), 401, 'User not valid for project.');
      expectStatus(
        await call(server, 'PATCH', `/v3/projects/${project}`, { token: systemAdmin, body: { project: { enabled: false } } }),
        200,
      );
      expectStatus(await post(signedV2(made.access, made.secret)), 401);
    });

    test('s3tokens: S3 v1 and v4 signatures as swift3/s3api sends them', async () => {
      const made = await server.providers.credential_api.createEc2(owner.userId, projectId);
      const post = (credentials: Json, token = systemAdmin) => call(server, 'POST', '/v3/s3tokens', { token, body: { credentials } });
      const res = await post(signedS3v1(made.access, made.secret));
      const body = expectStatus(res, 200);
      assert.equal(res.headers.get('x-subject-token'), null);
      assert.equal(body.token.user.id, owner.userId);
      assert.equal(body.token.project.id, projectId);
      expectStatus(await post(signedS3v4(made.access, made.secret)), 200);
      expectStatus(await post({ ...signedS3v1(made.access, made.secret), signature: 'bm9wZQ==' }), 401, 'Credential signature mismatch');
      expectStatus(await post(signedS3v1(made.access, 'wrong')), 401, 'Credential signature mismatch');
      expectStatus(await post(signedS3v1('unknown', made.secret)), 401, 'EC2 access key not found.');
      expectStatus(
        await post(signedS3v1(made.access, made.secret, 'GET\n\n\nTue, 27 Mar 2007 19:36:42 +0000\n/bucket/key')),
        401,
        'Credential is expired',
      );
      expectStatus(await post(signedS3v1(made.access, made.secret, 'GET\n\n\n\n/bucket/key')), 401, /^Credential timestamp is missing/);
      const badScope = signedS3v4(made.access, made.secret);
      badScope.token = Buffer.from('AWS4-HMAC-SHA256\n20250101T000000Z\n20250101/RegionOne/ec2/aws4_request\nabc').toString('base64');
      expectStatus(await post(badScope), 401, 'Invalid EC2 signature.');
      expectStatus(await post(signedS3v1(made.access, made.secret), ''), 401);
    });

    test('delegated tokens: an ec2credential token cannot read credentials', async () => {
      const made = await server.providers.credential_api.createEc2(owner.userId, projectId);
      const res = await call(server, 'POST', '/v3/ec2tokens', {
        token: systemAdmin,
        body: { credentials: signedV2(made.access, made.secret) },
      });
      const ec2Token = res.headers.get('x-subject-token')!;
      expectStatus(res, 200);
      expectStatus(await call(server, 'GET', `/v3/users/${owner.userId}/credentials/OS-EC2`, { token: ec2Token }), 403, DENIED);
      expectStatus(
        await call(server, 'GET', `/v3/users/${owner.userId}/credentials/OS-EC2/${made.access}`, { token: ec2Token }),
        403,
        DENIED,
      );
      expectStatus(await call(server, 'GET', `/v3/credentials/${made.id}`, { token: ec2Token }), 403, DENIED);
      expectStatus(await create({ type: 'cert', user_id: owner.userId, blob: 'x' }, ec2Token), 403, DENIED);
      const listed = expectStatus(await call(server, 'GET', '/v3/credentials', { token: ec2Token }), 200);
      assert.deepEqual(listed.credentials, []);
    });

    test('trust-scoped tokens cannot touch credentials', async () => {
      const { trustee, token, ec2, project } = await adminTrust(server);
      expectStatus(await create(ec2, token), 403, DENIED);
      expectStatus(
        await call(server, 'POST', `/v3/users/${trustee.userId}/credentials/OS-EC2`, { token, body: { tenant_id: project } }),
        403,
        DENIED,
      );
      expectStatus(await create({ type: 'cert', user_id: trustee.userId, blob: 'x' }, token), 403, DENIED);
    });

    test('JSON-Home lists the credential, OS-EC2, ec2tokens and s3tokens relations', async () => {
      const res = await fetch(`${server.publicUrl}/v3`, { headers: { Accept: 'application/json-home' } });
      const resources = ((await res.json()) as Json).resources;
      assert.deepEqual(resources['https://docs.openstack.org/api/openstack-identity/3/rel/credentials'], { href: '/credentials' });
      assert.deepEqual(resources['https://docs.openstack.org/api/openstack-identity/3/ext/OS-EC2/1.0/rel/ec2tokens'], {
        href: '/ec2tokens',
      });
      assert.deepEqual(resources['https://docs.openstack.org/api/openstack-identity/3/ext/s3tokens/1.0/rel/s3tokens'], {
        href: '/s3tokens',
      });
      assert.equal(
        resources['https://docs.openstack.org/api/openstack-identity/3/ext/OS-EC2/1.0/rel/user_credential']['href-template'],
        '/users/{user_id}/credentials/OS-EC2/{credential_id}',
      );
    });

    test('totp credentials are what the totp method checks', async () => {
      const user = await userOnProject(server, projectId, [server.bootstrap.memberRoleId]);
      const secret = 'JBSWY3DPEHPK3PXP';
      const totpAuth = (passcode: string) => ({ identity: { methods: ['totp'], totp: { user: { id: user.userId, passcode } } } });
      assert.equal((await authenticate(server, totpAuth(totpPasscode(secret, Date.now() / 1000)))).status, 401);
      const made = expectStatus(await create({ type: 'totp', user_id: user.userId, blob: secret }, user.token), 201).credential;
      const ok = await authenticate(server, totpAuth(totpPasscode(secret, Date.now() / 1000)));
      assert.equal(ok.status, 201, JSON.stringify(ok.body));
      assert.deepEqual(ok.body.token.methods, ['totp']);
      expectStatus(await call(server, 'DELETE', `/v3/credentials/${made.id}`, { token: user.token }), 204);
      assert.equal((await authenticate(server, totpAuth(totpPasscode(secret, Date.now() / 1000)))).status, 401);
    });

    test("a deleted user's and a deleted project's credentials go with them", async () => {
      const project = await newProject(server);
      const user = await userOnProject(server, project, [server.bootstrap.memberRoleId]);
      const ec2 = await server.providers.credential_api.createEc2(user.userId, project);
      const ownerEc2 = await server.providers.credential_api.createEc2(owner.userId, project);
      const cert = await server.providers.credential_api.create({ userId: user.userId, type: 'cert', blob: 'x' });
      expectStatus(
        await call(server, 'PATCH', `/v3/projects/${project}`, { token: systemAdmin, body: { project: { enabled: false } } }),
        200,
      );
      expectStatus(await call(server, 'DELETE', `/v3/projects/${project}`, { token: systemAdmin }), 204);
      assert.equal(await server.providers.credential_api.find(ec2.id), null);
      assert.equal(await server.providers.credential_api.find(ownerEc2.id), null);
      assert.ok(await server.providers.credential_api.find(cert.id));
      expectStatus(await call(server, 'DELETE', `/v3/users/${user.userId}`, { token: systemAdmin }), 204);
      assert.equal(await server.providers.credential_api.find(cert.id), null);
      const count = await server.db.one('SELECT count(*)::int AS n FROM credential WHERE user_id = $1', [user.userId]);
      assert.equal(count.n, 0);
    });
  });

  describe(`credentials under allow_insecure_admin_trust_cross_project_credentials_access (${kind})`, () => {
    test('allow_insecure_admin_trust_cross_project_credentials_access: an admin trust makes ec2 credentials, and their EC2 token is trust-scoped', async () => {
      const insecure = await startTestServer({
        database: kind,
        config: { security_compliance: { allow_insecure_admin_trust_cross_project_credentials_access: true } },
      });
      try {
        const { trustee, trust, token, ec2, access } = await adminTrust(insecure);
        const made = expectStatus(await call(insecure, 'POST', '/v3/credentials', { token, body: { credential: ec2 } }), 201).credential;
        assert.equal(JSON.parse(made.blob).trust_id, trust.id);
        expectStatus(
          await call(insecure, 'POST', '/v3/credentials', {
            token,
            body: { credential: { type: 'cert', user_id: trustee.userId, blob: 'x' } },
          }),
          403,
          DENIED,
        );
        const admin = await passwordToken(insecure, insecure.bootstrap.userId, insecure.adminPassword, { system: true });
        const res = await call(insecure, 'POST', '/v3/ec2tokens', { token: admin, body: { credentials: signedV2(access, 'the-secret') } });
        const issued = expectStatus(res, 200).token;
        assert.equal(issued['OS-TRUST:trust'].id, trust.id);
        assert.equal(issued.user.id, trustee.userId);
      } finally {
        await insecure.close();
      }
    });
  });
}
