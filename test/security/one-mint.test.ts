/**
 * Issue 11, items 2–5, against a running keystone-all: no side door around
 * the v3 rules on the way to a token.
 *
 *  2. POST /v2.0/ec2tokens (both ports) and /v2.0/s3tokens need a caller
 *     allowed by identity:ec2tokens_validate / identity:s3tokens_validate,
 *     as on v3; a signed request without any time, older than [credential]
 *     auth_ttl, or past its own expiry is refused on every version.
 *  3. POST /v2.0/tokens with {"token": …} does not rescope an application
 *     credential token or an EC2 token (v3's token method refuses both);
 *     nor do v2.0 OS-EC2 credentials or OS-KSCRUD widen such a token.
 *  4. v2.0 password login of a user whose MFA rules need password + totp: 401.
 *  5. An EC2 blob may name only the creator's own delegation: refused at
 *     creation, and a blob planted in the database (as a server without
 *     this check stored it) is refused at the exchange.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, createHmac } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startKeystone, type KeystoneProcess } from '../helpers/keystone-process.js';
import { api, bootstrapAdminToken, mustCreate, passwordToken, type ApiAnswer } from './victims.js';
import { generateEc2Signature, v4SigningKey } from '../../src/credential/ec2-signature.js';
import { loadConfig } from '../../src/config/load-config.js';
import { buildProviders } from '../../src/wiring/build-providers.js';
import { startEmbeddedHost } from '../../src/storage/embedded-host.js';
import { closeDatabases } from '../../src/storage/database.js';
import { ec2CredentialId } from '../../src/credential/credential-manager.js';
import { pythonJsonDumps } from '../../src/common/python-text.js';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const PASSWORD = 'one-mint-password';
const CONFIG = { auth: { methods: ['external', 'password', 'token', 'oauth1', 'mapped', 'application_credential', 'totp'] } };
const isoAt = (minutes = 0) => new Date(Date.now() + minutes * 60_000).toISOString().replace(/\.\d+Z$/, 'Z');
const amzAt = (minutes = 0) => isoAt(minutes).replace(/[-:]/g, '');
const httpDate = (minutes = 0) => new Date(Date.now() + minutes * 60_000).toUTCString();

/** An EC2 request as keystoneclient's Ec2Signer signs it; `params` replace the time parameters. */
function signedEc2(access: string, secret: string, params: Record<string, string> = { Timestamp: isoAt() }, version = '2'): Json {
  const credentials: Json = {
    access,
    host: 'ec2.example.com:8773',
    verb: 'GET',
    path: '/services/Cloud',
    params: { SignatureVersion: version, SignatureMethod: 'HmacSHA256', Action: 'DescribeInstances', AWSAccessKeyId: access, ...params },
  };
  credentials.signature = generateEc2Signature(credentials, secret);
  return credentials;
}

/** A presigned SigV4 query (X-Amz-Date, X-Amz-Expires). */
function presignedV4(access: string, secret: string, amzDate: string, expires: string): Json {
  const credentials: Json = {
    access,
    host: 'ec2.example.com',
    verb: 'GET',
    path: '/',
    params: {
      Action: 'DescribeRegions',
      'X-Amz-Algorithm': 'AWS4-HMAC-SHA256',
      'X-Amz-Credential': `${access}/${amzDate.slice(0, 8)}/RegionOne/ec2/aws4_request`,
      'X-Amz-Date': amzDate,
      'X-Amz-Expires': expires,
      'X-Amz-SignedHeaders': 'host',
    },
    headers: { Host: 'ec2.example.com' },
    body_hash: createHash('sha256').update('').digest('hex'),
  };
  credentials.signature = generateEc2Signature(credentials, secret);
  return credentials;
}

/** What s3api forwards for an S3 v1 request whose signed string is `stringToSign`. */
function signedS3(access: string, secret: string, stringToSign: string): Json {
  return {
    access,
    token: Buffer.from(stringToSign).toString('base64'),
    signature: createHmac('sha1', secret).update(stringToSign).digest('base64'),
  };
}

function signedS3v4(access: string, secret: string, amzDate: string): Json {
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

function status(a: ApiAnswer, expected: number, what: string): ApiAnswer {
  assert.equal(a.status, expected, `${what}: expected ${expected}, got ${a.status} ${a.text.slice(0, 300)}`);
  return a;
}

describe('one authentication path: no side door to a token (keystone-all)', () => {
  const stateDir = mkdtempSync(join(tmpdir(), 'keystone-one-mint-'));
  let ks: KeystoneProcess;
  let admin: string;
  let roles: Record<string, string>;
  const projects: Record<string, string> = {};
  const users: Record<string, string> = {};
  const tokenOf = async (user: string, project?: string): Promise<string> => {
    const a = await passwordToken(
      ks.publicUrl,
      { id: users[user] },
      PASSWORD,
      project ? { project: { id: projects[project] } } : undefined,
    );
    status(a, 201, `${user}'s token`);
    return a.token!;
  };
  const ec2Credential = async (user: string, project: string): Promise<{ access: string; secret: string }> => {
    const token = await tokenOf(user, project);
    const made = status(
      await api(ks.publicUrl, 'POST', `/v3/users/${users[user]}/credentials/OS-EC2`, { token, body: { tenant_id: projects[project] } }),
      201,
      'OS-EC2 create',
    );
    return made.body.credential;
  };
  const exchange = (base: string, path: string, credentials: Json, token?: string) =>
    api(base, 'POST', path, { token, body: { credentials } });

  before(async () => {
    ks = await startKeystone({ stateDir, config: CONFIG });
    admin = await bootstrapAdminToken(ks.publicUrl, ks.adminPassword);
    roles = {};
    for (const r of (await api(ks.publicUrl, 'GET', '/v3/roles', { token: admin })).body.roles as Array<{ id: string; name: string }>)
      roles[r.name] = r.id;
    for (const name of ['p1', 'p2'])
      projects[name] = (
        await mustCreate(ks.publicUrl, admin, '/v3/projects', { project: { name: `mint-${name}`, domain_id: 'default' } })
      ).id;
    for (const name of ['alice', 'tom', 'ted', 'mallory', 'mfa']) {
      users[name] = (
        await mustCreate(ks.publicUrl, admin, '/v3/users', { user: { name: `mint-${name}`, domain_id: 'default', password: PASSWORD } })
      ).id;
    }
    const grant = (user: string, project: string) =>
      mustCreate(ks.publicUrl, admin, `/v3/projects/${projects[project]}/users/${users[user]}/roles/${roles.member}`, undefined, 'PUT');
    for (const [user, project] of [
      ['alice', 'p1'],
      ['alice', 'p2'],
      ['tom', 'p1'],
      ['ted', 'p2'],
      ['mallory', 'p2'],
      ['mfa', 'p1'],
    ])
      await grant(user, project);
  });
  after(async () => {
    await ks?.stop();
    rmSync(stateDir, { recursive: true, force: true });
  });

  test('item 2: the v2.0 EC2/S3 exchanges need a service or admin caller, as v3', async () => {
    const { access, secret } = await ec2Credential('alice', 'p1');
    const member = await tokenOf('alice', 'p1');
    for (const base of [ks.publicUrl, ks.adminUrl]) {
      status(await exchange(base, '/v2.0/ec2tokens', signedEc2(access, secret)), 401, 'v2.0 ec2tokens without a token');
      status(await exchange(base, '/v2.0/ec2tokens', signedEc2(access, secret), member), 403, 'v2.0 ec2tokens by a member');
      const ok = status(await exchange(base, '/v2.0/ec2tokens', signedEc2(access, secret), admin), 200, 'v2.0 ec2tokens by an admin');
      assert.equal(ok.body.access.user.id, users.alice);
      assert.equal(ok.body.access.token.tenant.id, projects.p1);
    }
    const s3 = () => signedS3(access, secret, `GET\n\n\n${httpDate()}\n/bucket/key`);
    status(await exchange(ks.adminUrl, '/v2.0/s3tokens', s3()), 401, 'v2.0 s3tokens without a token');
    status(await exchange(ks.adminUrl, '/v2.0/s3tokens', s3(), member), 403, 'v2.0 s3tokens by a member');
    status(await exchange(ks.adminUrl, '/v2.0/s3tokens', s3(), admin), 200, 'v2.0 s3tokens by an admin');
    // v3 as before
    status(await exchange(ks.publicUrl, '/v3/ec2tokens', signedEc2(access, secret)), 401, 'v3 ec2tokens without a token');
    status(await exchange(ks.publicUrl, '/v3/ec2tokens', signedEc2(access, secret), admin), 200, 'v3 ec2tokens by an admin');
  });

  test('item 2: a signed request without a time, too old, too far ahead or past its expiry is refused on every version', async () => {
    const { access, secret } = await ec2Credential('alice', 'p1');
    const refused: Array<[string, Json]> = [
      ['EC2 v1 without any time', signedEc2(access, secret, {}, '1')],
      ['EC2 v2 without any time', signedEc2(access, secret, {})],
      ['EC2 v2 Timestamp 20 minutes old', signedEc2(access, secret, { Timestamp: isoAt(-20) })],
      ['EC2 v2 Timestamp a year ahead', signedEc2(access, secret, { Timestamp: isoAt(525_600) })],
      ['EC2 v2 Expires passed', signedEc2(access, secret, { Expires: isoAt(-1) })],
      ['SigV4 presigned, X-Amz-Expires passed', presignedV4(access, secret, amzAt(-5), '60')],
      ['SigV4 presigned, X-Amz-Date 20 minutes old', presignedV4(access, secret, amzAt(-20), '86400')],
    ];
    for (const [what, credentials] of refused) {
      for (const [base, path] of [
        [ks.publicUrl, '/v3/ec2tokens'],
        [ks.publicUrl, '/v2.0/ec2tokens'],
        [ks.adminUrl, '/v2.0/ec2tokens'],
      ] as const) {
        status(await exchange(base, path, credentials, admin), 401, `${what} on ${path}`);
      }
    }
    for (const [what, credentials] of [
      ['EC2 v2 Expires ahead', signedEc2(access, secret, { Expires: isoAt(10) })],
      ['SigV4 presigned, fresh', presignedV4(access, secret, amzAt(-1), '300')],
    ] as Array<[string, Json]>) {
      status(await exchange(ks.publicUrl, '/v3/ec2tokens', credentials, admin), 200, what);
    }
    const s3Refused: Array<[string, Json]> = [
      ['S3 v1 without a date', signedS3(access, secret, 'GET\n\n\n\n/bucket/key')],
      ['S3 v1 Date 20 minutes old', signedS3(access, secret, `GET\n\n\n${httpDate(-20)}\n/bucket/key`)],
      ['S3 v1 x-amz-date 20 minutes old', signedS3(access, secret, `GET\n\n\n\nx-amz-date:${httpDate(-20)}\n/bucket/key`)],
      ['S3 presigned, Expires passed', signedS3(access, secret, `GET\n\n\n${Math.floor(Date.now() / 1000) - 60}\n/bucket/key`)],
      ['S3 v4 20 minutes old', signedS3v4(access, secret, amzAt(-20))],
    ];
    for (const [what, credentials] of s3Refused) {
      status(await exchange(ks.publicUrl, '/v3/s3tokens', credentials, admin), 401, `${what} on /v3/s3tokens`);
      status(await exchange(ks.adminUrl, '/v2.0/s3tokens', credentials, admin), 401, `${what} on /v2.0/s3tokens`);
    }
    for (const [what, credentials] of [
      ['S3 v1 x-amz-date now', signedS3(access, secret, `GET\n\n\n\nx-amz-date:${httpDate()}\n/bucket/key`)],
      ['S3 presigned, Expires ahead', signedS3(access, secret, `GET\n\n\n${Math.floor(Date.now() / 1000) + 3600}\n/bucket/key`)],
      ['S3 v4 now', signedS3v4(access, secret, amzAt())],
    ] as Array<[string, Json]>) {
      status(await exchange(ks.publicUrl, '/v3/s3tokens', credentials, admin), 200, what);
    }
  });

  test('item 3: v2.0 rescoping does not widen an application credential token or an EC2 token', async () => {
    const aliceP1 = await tokenOf('alice', 'p1');
    const appCred = status(
      await api(ks.publicUrl, 'POST', `/v3/users/${users.alice}/application_credentials`, {
        token: aliceP1,
        body: { application_credential: { name: 'mint-reader', roles: [{ name: 'reader' }] } },
      }),
      201,
      'application credential',
    ).body.application_credential;
    const acAuth = await api(ks.publicUrl, 'POST', '/v3/auth/tokens', {
      body: {
        auth: { identity: { methods: ['application_credential'], application_credential: { id: appCred.id, secret: appCred.secret } } },
      },
    });
    status(acAuth, 201, 'application credential token');
    const acToken = acAuth.headers['x-subject-token'] as string;
    assert.deepEqual(
      acAuth.body.token.roles.map((r: { name: string }) => r.name),
      ['reader'],
    );

    const { access, secret } = await ec2Credential('alice', 'p1');
    const ec2Token = status(await exchange(ks.publicUrl, '/v2.0/ec2tokens', signedEc2(access, secret), admin), 200, 'EC2 token').body.access
      .token.id as string;

    for (const [what, id] of [
      ['application credential', acToken],
      ['EC2', ec2Token],
    ] as const) {
      for (const tenant of [{ tenantId: projects.p2 }, { tenantId: projects.p1 }, {}]) {
        status(
          await api(ks.publicUrl, 'POST', '/v2.0/tokens', { body: { auth: { token: { id }, ...tenant } } }),
          403,
          `v2.0 rescoping of the ${what} token (${JSON.stringify(tenant)})`,
        );
      }
      const v3 = await api(ks.publicUrl, 'POST', '/v3/auth/tokens', {
        body: { auth: { identity: { methods: ['token'], token: { id } }, scope: { project: { id: projects.p2 } } } },
      });
      status(v3, 403, `v3 rescoping of the ${what} token`);
    }
    // nor through the side doors around rescoping: an EC2 credential made with the application
    // credential token is limited as the token is, and OS-KSCRUD does not trade it for a password token
    const v2ec2 = `/v2.0/users/${users.alice}/credentials/OS-EC2`;
    status(
      await api(ks.publicUrl, 'POST', v2ec2, { token: acToken, body: { tenant_id: projects.p2 } }),
      403,
      'v2.0 OS-EC2 create on another project with the application credential token',
    );
    const limited = status(
      await api(ks.publicUrl, 'POST', v2ec2, { token: acToken, body: { tenant_id: projects.p1 } }),
      200,
      'v2.0 OS-EC2 create with the application credential token',
    ).body.credential;
    const limitedToken = status(
      await exchange(ks.publicUrl, '/v3/ec2tokens', signedEc2(limited.access, limited.secret), admin),
      200,
      'its EC2 token',
    ).body.token;
    assert.deepEqual(
      limitedToken.roles.map((r: { name: string }) => r.name),
      ['reader'],
    );
    assert.equal(limitedToken.application_credential.id, appCred.id);
    status(
      await api(ks.publicUrl, 'PATCH', `/v2.0/OS-KSCRUD/users/${users.alice}`, {
        token: acToken,
        body: { user: { password: PASSWORD, original_password: PASSWORD } },
      }),
      403,
      'OS-KSCRUD with the application credential token',
    );
    // the application credential token dies with its credential; nothing wider was made from it
    status(
      await api(ks.publicUrl, 'DELETE', `/v3/users/${users.alice}/application_credentials/${appCred.id}`, { token: aliceP1 }),
      204,
      'delete the application credential',
    );
    status(
      await api(ks.publicUrl, 'GET', '/v3/auth/tokens', { token: admin, headers: { 'X-Subject-Token': acToken } }),
      404,
      'the application credential token after deletion',
    );
    // a primary token still rescopes on v2.0
    const unscoped = status(
      await api(ks.publicUrl, 'POST', '/v2.0/tokens', {
        body: { auth: { passwordCredentials: { userId: users.alice, password: PASSWORD } } },
      }),
      200,
      'v2.0 unscoped',
    ).body.access.token.id;
    const rescoped = status(
      await api(ks.publicUrl, 'POST', '/v2.0/tokens', { body: { auth: { token: { id: unscoped }, tenantId: projects.p2 } } }),
      200,
      'v2.0 rescoping of a password token',
    );
    assert.equal(rescoped.body.access.token.tenant.id, projects.p2);
  });

  test('item 4: v2.0 password login of a user whose MFA rules need password + totp is a 401', async () => {
    status(
      await api(ks.publicUrl, 'PATCH', `/v3/users/${users.mfa}`, {
        token: admin,
        body: { user: { options: { multi_factor_auth_rules: [['password', 'totp']], multi_factor_auth_enabled: true } } },
      }),
      200,
      'MFA rules',
    );
    const v3 = await passwordToken(ks.publicUrl, { id: users.mfa }, PASSWORD, { project: { id: projects.p1 } });
    status(v3, 401, 'v3 password alone');
    assert.ok(v3.headers['openstack-auth-receipt'], 'v3 answers with a receipt');
    for (const auth of [
      { passwordCredentials: { userId: users.mfa, password: PASSWORD }, tenantId: projects.p1 },
      { passwordCredentials: { username: 'mint-mfa', password: PASSWORD } },
    ]) {
      const v2 = status(await api(ks.publicUrl, 'POST', '/v2.0/tokens', { body: { auth } }), 401, 'v2.0 password alone');
      assert.equal(v2.headers['openstack-auth-receipt'], undefined, 'v2.0 has no receipts');
    }
    // the same user's password still works once the rules are off
    status(
      await api(ks.publicUrl, 'PATCH', `/v3/users/${users.mfa}`, {
        token: admin,
        body: { user: { options: { multi_factor_auth_enabled: false } } },
      }),
      200,
      'MFA off',
    );
    status(
      await api(ks.publicUrl, 'POST', '/v2.0/tokens', {
        body: { auth: { passwordCredentials: { userId: users.mfa, password: PASSWORD }, tenantId: projects.p1 } },
      }),
      200,
      'v2.0 password without MFA rules',
    );
  });

  test("item 5: an EC2 blob names only its creator's own delegation; a planted one is refused at the exchange", async () => {
    const tomP1 = await tokenOf('tom', 'p1');
    const trust = status(
      await api(ks.publicUrl, 'POST', '/v3/OS-TRUST/trusts', {
        token: tomP1,
        body: {
          trust: {
            trustor_user_id: users.tom,
            trustee_user_id: users.ted,
            project_id: projects.p1,
            impersonation: true,
            roles: [{ name: 'member' }],
          },
        },
      }),
      201,
      'impersonating trust',
    ).body.trust;
    const blob = (access: string, extra: Json) => JSON.stringify({ access, secret: 'planted-secret', ...extra });

    // creation: mallory (no relation to the trust) and ted (the trustee, on a project not the trust's) are refused
    const mallory = await tokenOf('mallory', 'p2');
    for (const project of ['p1', 'p2']) {
      status(
        await api(ks.publicUrl, 'POST', '/v3/credentials', {
          token: mallory,
          body: {
            credential: {
              type: 'ec2',
              user_id: users.mallory,
              project_id: projects[project],
              blob: blob(`mallory-${project}`, { trust_id: trust.id }),
            },
          },
        }),
        403,
        `mallory's blob naming tom's trust (${project})`,
      );
    }
    const ted = await tokenOf('ted', 'p2');
    status(
      await api(ks.publicUrl, 'POST', '/v3/credentials', {
        token: ted,
        body: {
          credential: {
            type: 'ec2',
            user_id: users.ted,
            project_id: projects.p2,
            blob: blob('ted-p2', { trust_id: trust.id }),
          },
        },
      }),
      403,
      "the trustee's blob on a project not the trust's",
    );
    status(
      await api(ks.publicUrl, 'POST', '/v3/credentials', {
        token: mallory,
        body: {
          credential: {
            type: 'ec2',
            user_id: users.mallory,
            project_id: projects.p2,
            blob: blob('mallory-ac', { app_cred_id: 'not-hers' }),
          },
        },
      }),
      403,
      "a blob naming an application credential not the caller's",
    );
    // the trustee's own blob on the trust's project is fine, and its token is the trust's
    status(
      await api(ks.publicUrl, 'POST', '/v3/credentials', {
        token: ted,
        body: {
          credential: {
            type: 'ec2',
            user_id: users.ted,
            project_id: projects.p1,
            blob: blob('ted-p1', { trust_id: trust.id }),
          },
        },
      }),
      201,
      "the trustee's blob on the trust's project",
    );
    const legit = status(
      await exchange(ks.publicUrl, '/v3/ec2tokens', signedEc2('ted-p1', 'planted-secret'), admin),
      200,
      "the trustee's EC2 token",
    ).body.token;
    assert.equal(legit['OS-TRUST:trust'].id, trust.id);
    assert.equal(legit.project.id, projects.p1);

    // exchange: blobs stored by a server without the creation check (planted in the database) are refused
    await ks.stop();
    const { conf } = loadConfig({ configFiles: [ks.configFile] });
    const host = await startEmbeddedHost(join(stateDir, 'pglite'), 2);
    const { providers, cache } = buildProviders(conf, { embeddedSocketDir: host.socketDir });
    try {
      for (const [access, userId, projectId] of [
        ['mallory-p1', users.mallory, projects.p1],
        ['mallory-p2', users.mallory, projects.p2],
        ['ted-p2', users.ted, projects.p2],
      ]) {
        await providers.credential_api.create({
          id: ec2CredentialId(access),
          userId: userId,
          projectId,
          type: 'ec2',
          blob: pythonJsonDumps({ access, secret: 'planted-secret', trust_id: trust.id }),
        });
      }
    } finally {
      providers.token_provider_api.close();
      await cache.close();
      await closeDatabases();
      await host.stop();
    }
    ks = await startKeystone({ stateDir, config: CONFIG });
    admin = await bootstrapAdminToken(ks.publicUrl, ks.adminPassword);
    for (const access of ['mallory-p1', 'mallory-p2', 'ted-p2']) {
      for (const [base, path] of [
        [ks.publicUrl, '/v3/ec2tokens'],
        [ks.publicUrl, '/v2.0/ec2tokens'],
      ] as const) {
        status(await exchange(base, path, signedEc2(access, 'planted-secret'), admin), 401, `planted blob ${access} on ${path}`);
      }
    }
    status(
      await exchange(ks.publicUrl, '/v3/ec2tokens', signedEc2('ted-p1', 'planted-secret'), admin),
      200,
      "the trustee's own blob still works",
    );
  });
});
