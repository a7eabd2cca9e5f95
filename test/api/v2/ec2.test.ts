/**
 * The v2.0 EC2 and S3 extensions: /v2.0/users/{id}/credentials/OS-EC2 CRUD
 * (the user or an admin), POST /v2.0/ec2tokens and /v2.0/s3tokens answering
 * with a v2 access body (an admin or service caller only), refusals as 401/403.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { startTestServer, type TestServer } from '../../helpers/test-server.js';
import { databaseKinds } from '../../helpers/test-database.js';
import { generateEc2Signature } from '../../../src/credential/ec2-signature.js';
import { expect, v2call, v2Token } from './v2-helpers.js';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const isoNow = () => new Date().toISOString().replace(/\.\d+Z$/, 'Z');

function signedV2(access: string, secret: string): Json {
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
      Timestamp: isoNow(),
    },
  };
  credentials.signature = generateEc2Signature(credentials, secret);
  return credentials;
}

function signedS3(access: string, secret: string): Json {
  const stringToSign = `GET\n\n\n${new Date().toUTCString()}\n/bucket/key`;
  return {
    access,
    token: Buffer.from(stringToSign).toString('base64'),
    signature: createHmac('sha1', secret).update(stringToSign).digest('base64'),
  };
}

for (const kind of databaseKinds()) {
  describe(`v2.0 OS-EC2, ec2tokens and s3tokens (${kind})`, () => {
    let server: TestServer;
    let adminToken: string;
    let carol: Json;
    let projectId: string;
    before(async () => {
      server = await startTestServer({ database: kind });
      adminToken = (await v2Token(server, 'admin', server.adminPassword, 'admin')).token.id;
      const s = server.providers;
      const user = await s.identity_api.createUser({ name: 'carol', domainId: 'default', password: 'carol-pass' });
      const project = await s.resource_api.createProject({ name: 'carols', domainId: 'default' });
      projectId = project.id;
      await s.assignment_api.addGrant(server.bootstrap.memberRoleId, { userId: user.id }, { projectId });
      carol = await v2Token(server, 'carol', 'carol-pass', 'carols');
    });
    after(async () => {
      await server?.close();
    });

    test("a user's EC2 credentials: create, list, show, a token for a signed request, delete", async () => {
      const path = `/v2.0/users/${carol.user.id}/credentials/OS-EC2`;
      const token = carol.token.id;
      const made = expect(await v2call(server, 'POST', path, { token, body: { tenant_id: projectId } }), 200).json.credential;
      assert.equal(made.user_id, carol.user.id);
      assert.equal(made.tenant_id, projectId);
      assert.match(made.access, /^[0-9a-f]{32}$/);
      assert.match(made.secret, /^[0-9a-f]{32}$/);
      assert.equal(made.trust_id, null);
      assert.deepEqual(expect(await v2call(server, 'GET', path, { token }), 200).json.credentials, [made]);
      assert.deepEqual(expect(await v2call(server, 'GET', `${path}/${made.access}`, { token }), 200).json.credential, made);
      // an admin may see them too (admin port), another user may not
      expect(await v2call(server, 'GET', path, { token: adminToken, admin: true }), 200);
      expect(await v2call(server, 'GET', `/v2.0/users/${server.bootstrap.userId}/credentials/OS-EC2`, { token }), 403);
      expect(
        await v2call(server, 'GET', `/v2.0/users/${server.bootstrap.userId}/credentials/OS-EC2/${made.access}`, { token: adminToken }),
        403,
      );
      expect(await v2call(server, 'POST', path, { token, body: {} }), 400);
      expect(await v2call(server, 'GET', path), 401);

      // the exchange needs a service or admin caller (identity:ec2tokens_validate), as on v3
      expect(await v2call(server, 'POST', '/v2.0/ec2tokens', { body: { credentials: signedV2(made.access, made.secret) } }), 401);
      expect(await v2call(server, 'POST', '/v2.0/ec2tokens', { token, body: { credentials: signedV2(made.access, made.secret) } }), 403);
      const ec2 = expect(
        await v2call(server, 'POST', '/v2.0/ec2tokens', { token: adminToken, body: { credentials: signedV2(made.access, made.secret) } }),
        200,
      ).json.access;
      assert.equal(ec2.user.id, carol.user.id);
      assert.equal(ec2.token.tenant.id, projectId);
      assert.ok(ec2.serviceCatalog.length > 0);
      const v3 = await fetch(`${server.publicUrl}/v3/auth/tokens`, {
        headers: { 'X-Auth-Token': adminToken, 'X-Subject-Token': ec2.token.id },
      });
      assert.equal(v3.status, 200);
      assert.deepEqual(((await v3.json()) as Json).token.methods, ['ec2credential']);
      const bad = signedV2(made.access, made.secret);
      bad.signature = 'x' + bad.signature;
      expect(await v2call(server, 'POST', '/v2.0/ec2tokens', { token: adminToken, body: { credentials: bad } }), 401);
      expect(
        await v2call(server, 'POST', '/v2.0/ec2tokens', {
          token: adminToken,
          body: { credentials: signedV2('0'.repeat(32), made.secret) },
        }),
        401,
      );
      expect(await v2call(server, 'POST', '/v2.0/ec2tokens', { token: adminToken, body: {} }), 400);

      expect(
        await v2call(server, 'POST', '/v2.0/s3tokens', { admin: true, body: { credentials: signedS3(made.access, made.secret) } }),
        401,
      );
      const s3 = expect(
        await v2call(server, 'POST', '/v2.0/s3tokens', {
          admin: true,
          token: adminToken,
          body: { credentials: signedS3(made.access, made.secret) },
        }),
        200,
      ).json.access;
      assert.equal(s3.token.tenant.id, projectId);
      expect(
        await v2call(server, 'POST', '/v2.0/s3tokens', {
          admin: true,
          token: adminToken,
          body: { credentials: signedS3(made.access, 'wrong') },
        }),
        401,
      );
      expect(await v2call(server, 'POST', '/v2.0/s3tokens', { body: { credentials: signedS3(made.access, made.secret) } }), 404);

      expect(await v2call(server, 'DELETE', `${path}/${made.access}`, { token }), 204);
      assert.deepEqual(expect(await v2call(server, 'GET', path, { token }), 200).json.credentials, []);
      expect(await v2call(server, 'GET', `${path}/${made.access}`, { token }), 404);
      expect(
        await v2call(server, 'POST', '/v2.0/ec2tokens', { token: adminToken, body: { credentials: signedV2(made.access, made.secret) } }),
        401,
      );
    });
  });
}
