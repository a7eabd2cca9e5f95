/**
 * The OAuth 1.0a side of test/oauth1/: test/fixtures/oauth1/oauth1_client.py run by Debian's python
 * (oauthlib signs; keystoneclient and keystoneauth1 drive the dance as the OpenStack clients do).
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import assert from 'node:assert/strict';
import { PYTHON, pythonModulesMissing } from '../clients/python-clients.js';
import type { TestServer } from '../helpers/test-server.js';
import { call, grant, makeUser } from '../auth/auth-fixtures.js';

const CLIENT = fileURLToPath(new URL('../../../test/fixtures/oauth1/oauth1_client.py', import.meta.url));

export const oauthClientsMissing = (): string | false =>
  pythonModulesMissing(['oauthlib', 'keystoneclient.v3.contrib.oauth1', 'keystoneauth1.extras.oauth1']);

export type Answer = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** One op of oauth1_client.py (see its docstring). */
export function oauthClient(request: Record<string, unknown>): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const child = spawn(PYTHON, [CLIENT], { stdio: ['pipe', 'pipe', 'pipe'], env: { PATH: '/usr/bin:/bin', LANG: 'C.UTF-8' } });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) reject(new Error(`oauth1_client.py exited ${String(code)}: ${err}`));
      else resolve(JSON.parse(out) as Answer);
    });
    child.stdin.end(JSON.stringify(request));
  });
}

/** The fields of a form-encoded answer (oauth_token=…&oauth_token_secret=…). */
export function formFields(body: string): Record<string, string> {
  return Object.fromEntries(new URLSearchParams(body));
}

const signed = (request: Record<string, unknown>) => oauthClient({ op: 'signed', ...request });
const pair = (a: Answer): { key: string; secret: string } => {
  assert.equal(a.status, 201, JSON.stringify(a));
  const f = formFields(a.body as string);
  return { key: f.oauth_token, secret: f.oauth_token_secret };
};
/**
 * A user of its own with member on the bootstrap project, a consumer, an access token delegating member,
 * and an OAuth-scoped token of it (issue() signs in once more for another; signIn() answers raw).
 */
export async function oauthScopedToken(server: TestServer, admin: string) {
  const user = await makeUser(server);
  await grant(server, server.bootstrap.memberRoleId, user.id, { projectId: server.bootstrap.projectId });
  const consumer = (await call(server, 'POST', '/v3/OS-OAUTH1/consumers', { token: admin, body: { consumer: {} } })).body.consumer as {
    id: string;
    secret: string;
  };
  const v3 = `${server.publicUrl}/v3`;
  const request = pair(
    await signed({
      url: `${v3}/OS-OAUTH1/request_token`,
      client_key: consumer.id,
      client_secret: consumer.secret,
      callback_uri: 'oob',
      headers: { 'Requested-Project-Id': server.bootstrap.projectId },
    }),
  );
  // authorizing needs admin_required (Keystone's default): the user holds admin too, and delegates member only
  await grant(server, server.bootstrap.adminRoleId, user.id, { projectId: server.bootstrap.projectId });
  const adminOfUser = (
    await call(server, 'POST', '/v3/auth/tokens', {
      body: {
        auth: {
          identity: { methods: ['password'], password: { user: { id: user.id, password: user.password } } },
          scope: { project: { id: server.bootstrap.projectId } },
        },
      },
    })
  ).headers.get('x-subject-token') as string;
  const authorized = await call(server, 'PUT', `/v3/OS-OAUTH1/authorize/${request.key}`, {
    token: adminOfUser,
    body: { roles: [{ name: 'member' }] },
  });
  assert.equal(authorized.status, 200, JSON.stringify(authorized.body));
  const access = pair(
    await signed({
      url: `${v3}/OS-OAUTH1/access_token`,
      client_key: consumer.id,
      client_secret: consumer.secret,
      resource_owner_key: request.key,
      resource_owner_secret: request.secret,
      verifier: authorized.body.token.oauth_verifier,
    }),
  );
  /** POST /v3/auth/tokens with the oauth1 method, signed with the access token: the raw answer */
  const signIn = () =>
    signed({
      url: `${v3}/auth/tokens`,
      client_key: consumer.id,
      client_secret: consumer.secret,
      resource_owner_key: access.key,
      resource_owner_secret: access.secret,
      json: { auth: { identity: { methods: ['oauth1'], oauth1: {} } } },
    });
  const issue = async () => {
    const a = await signIn();
    assert.equal(a.status, 201, JSON.stringify(a));
    const headers = a.headers as Record<string, string>;
    return headers['x-subject-token'] ?? headers['X-Subject-Token'];
  };
  return { user, consumer, access, token: await issue(), issue, signIn };
}
