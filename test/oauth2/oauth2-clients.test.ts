/**
 * OS-OAUTH2 end to end against a real keystone-all, with Debian's Python
 * clients. Debian's keystoneauth1 (5.0) has no v3oauth2clientcredential
 * plugin (keystoneauth1 5.1 added it), so the script drives the plugin's
 * flow itself, as the plugin does: an application_credential session
 * whose requests carry X-Auth-Token and `Authorization: Bearer` with the
 * access token POST /v3/OS-OAUTH2/token handed out (HTTP Basic with the
 * credential's id and secret); then python-requests alone (bearer only,
 * client_secret_post, a wrong secret). keystonemiddleware's oauth2_token
 * (the middleware an OpenStack service puts in front of its API for OAuth
 * 2.0 clients) accepts the access token with the identity headers set,
 * refuses none and refuses it once revoked.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startKeystone, type KeystoneProcess } from '../helpers/keystone-process.js';
import { PYTHON, assertOk, clientEnv, pythonModulesMissing, run, skipUnlessCi } from '../clients/python-clients.js';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const CLIENT_SCRIPT = `
import json, sys
import requests
from keystoneauth1 import session
from keystoneauth1.identity import v3

args = json.loads(sys.stdin.read())
auth_url = args['auth_url']
endpoint = auth_url + '/OS-OAUTH2/token'
client_id, secret = args['client_id'], args['client_secret']


class OAuth2ClientCredential(v3.ApplicationCredential):
    """keystoneauth1 5.1's v3oauth2clientcredential, as it works: the application credential's
    token, and on every request the OAuth 2.0 access token as a bearer token beside it."""

    def get_headers(self, session, **kwargs):
        headers = super().get_headers(session, **kwargs)
        resp = session.request(endpoint, 'POST', authenticated=False, raise_exc=False,
                               data={'grant_type': 'client_credentials'},
                               requests_auth=requests.auth.HTTPBasicAuth(client_id, secret))
        if resp.status_code != 200:
            raise RuntimeError(resp.json().get('error_description'))
        headers['Authorization'] = 'Bearer ' + resp.json()['access_token']
        return headers


out = {}
sess = session.Session(auth=OAuth2ClientCredential(auth_url=auth_url, application_credential_id=client_id,
                                                   application_credential_secret=secret))
r = sess.get(auth_url + '/users/' + args['user_id'])
out['plugin'] = {'status': r.status_code, 'user': r.json()['user']['id'],
                 'bearer': r.request.headers.get('Authorization', '').startswith('Bearer ')}

grant = {'grant_type': 'client_credentials'}
basic = requests.post(endpoint, auth=(client_id, secret), data=grant)
out['basic'] = {'status': basic.status_code, 'body': basic.json()}
token = basic.json()['access_token']
me = requests.get(auth_url + '/users/' + args['user_id'], headers={'Authorization': 'Bearer ' + token})
out['bearer_only'] = {'status': me.status_code, 'user': me.json().get('user', {}).get('id')}
check = requests.get(auth_url + '/auth/tokens', headers={'Authorization': 'Bearer ' + token, 'X-Subject-Token': token})
out['validate'] = {'status': check.status_code, 'methods': check.json()['token']['methods'],
                   'app_cred': check.json()['token']['application_credential']['id']}
post = requests.post(endpoint, data=dict(grant, client_id=client_id, client_secret=secret))
out['post'] = {'status': post.status_code, 'type': post.json().get('token_type')}
wrong = requests.post(endpoint, auth=(client_id, 'wrong'), data=grant)
out['wrong'] = {'status': wrong.status_code, 'body': wrong.json(), 'www': wrong.headers.get('WWW-Authenticate')}
out['token'] = token
print(json.dumps(out))
`;

const MIDDLEWARE_SCRIPT = `
import json, sys
from wsgiref.simple_server import make_server, WSGIRequestHandler
from keystonemiddleware import oauth2_token

args = json.loads(sys.argv[1])

def app(environ, start_response):
    body = json.dumps({k: environ.get(k) for k in (
        'HTTP_X_USER_ID', 'HTTP_X_PROJECT_ID', 'HTTP_X_ROLES')}).encode()
    start_response('200 OK', [('Content-Type', 'application/json'), ('Content-Length', str(len(body)))])
    return [body]

conf = {
    'www_authenticate_uri': args['auth_url'],
    'auth_url': args['auth_url'],
    'auth_type': 'password',
    'username': 'admin',
    'password': args['password'],
    'project_name': 'admin',
    'user_domain_id': 'default',
    'project_domain_id': 'default',
    'interface': 'public',
    'token_cache_time': -1,
    'service_token_roles_required': False,
    'log_name': 'oauth2_token',
}

class Quiet(WSGIRequestHandler):
    def log_message(self, *a):
        pass

server = make_server('127.0.0.1', 0, oauth2_token.filter_factory({}, **conf)(app), handler_class=Quiet)
print(server.server_port, flush=True)
server.serve_forever()
`;

const reason = pythonModulesMissing(['requests', 'keystoneauth1', 'keystonemiddleware.oauth2_token']);

describe('OS-OAUTH2 with Python clients against keystone-all', { skip: skipUnlessCi(reason) }, () => {
  let keystone: KeystoneProcess;
  let home: string;
  let middleware: ChildProcess | undefined;
  let userId: string;
  let projectId: string;
  let cred: { id: string; secret: string };

  const api = async (method: string, path: string, token: string | null, body?: unknown, headers: Record<string, string> = {}) => {
    const res = await fetch(`${keystone.publicUrl}${path}`, {
      method,
      headers: { ...(token ? { 'X-Auth-Token': token } : {}), ...(body ? { 'Content-Type': 'application/json' } : {}), ...headers },
      body: body ? JSON.stringify(body) : undefined,
    });
    const text = await res.text();
    return { status: res.status, headers: res.headers, body: (text ? JSON.parse(text) : null) as Json };
  };
  const passwordToken = async (auth: Json) => {
    const res = await api('POST', '/v3/auth/tokens', null, { auth });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    return res.headers.get('x-subject-token') as string;
  };

  before(async () => {
    assert.equal(reason, false, `${reason} (required when CI=true)`);
    keystone = await startKeystone({ readyTimeoutMs: 180_000 }); // a loaded machine may take long to start it
    home = mkdtempSync(join(tmpdir(), 'keystone-oauth2-'));
    writeFileSync(join(home, 'middleware.py'), MIDDLEWARE_SCRIPT);
    const admin = await passwordToken({
      identity: {
        methods: ['password'],
        password: { user: { name: 'admin', domain: { id: 'default' }, password: keystone.adminPassword } },
      },
      scope: { system: { all: true } },
    });
    projectId = (await api('POST', '/v3/projects', admin, { project: { name: 'oauth2-clients', domain_id: 'default' } })).body.project.id;
    userId = (await api('POST', '/v3/users', admin, { user: { name: 'oauth2-client', domain_id: 'default', password: 'client-pw' } })).body
      .user.id;
    const roles = (await api('GET', '/v3/roles?name=member', admin)).body.roles as Json[];
    assert.equal((await api('PUT', `/v3/projects/${projectId}/users/${userId}/roles/${roles[0].id}`, admin)).status, 204);
    const own = await passwordToken({
      identity: { methods: ['password'], password: { user: { id: userId, password: 'client-pw' } } },
      scope: { project: { id: projectId } },
    });
    const created = await api('POST', `/v3/users/${userId}/application_credentials`, own, { application_credential: { name: 'oauth2' } });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    cred = { id: created.body.application_credential.id, secret: created.body.application_credential.secret };
  });
  after(async () => {
    middleware?.kill('SIGTERM');
    await keystone?.stop();
    if (home) rmSync(home, { recursive: true, force: true });
  });

  const startMiddleware = (): Promise<string> =>
    new Promise((resolve, reject) => {
      const args = JSON.stringify({ auth_url: `${keystone.publicUrl}/v3`, password: keystone.adminPassword });
      const child = spawn(PYTHON, [join(home, 'middleware.py'), args], { env: clientEnv(home), stdio: ['ignore', 'pipe', 'pipe'] });
      middleware = child;
      let out = '';
      let err = '';
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        const m = /^(\d+)\n/.exec(out);
        if (m) resolve(`http://127.0.0.1:${m[1]}/`);
      });
      child.stderr.on('data', (d: Buffer) => {
        err += d.toString();
      });
      child.once('exit', (code) => {
        reject(new Error(`oauth2_token middleware exited ${String(code)}: ${err}`));
      });
    });

  test('the plugin flow, bearer-only requests, client_secret_post, a wrong secret; oauth2_token accepts the token until revoked', async () => {
    const input = JSON.stringify({ auth_url: `${keystone.publicUrl}/v3`, client_id: cred.id, client_secret: cred.secret, user_id: userId });
    const out = JSON.parse(assertOk(await run(PYTHON, ['-c', CLIENT_SCRIPT], clientEnv(home), input), 'the OAuth 2.0 client')) as Json;
    assert.deepEqual(out.plugin, { status: 200, user: userId, bearer: true });
    assert.equal(out.basic.status, 200);
    assert.deepEqual(Object.keys(out.basic.body).sort(), ['access_token', 'expires_in', 'token_type']);
    assert.equal(out.basic.body.token_type, 'Bearer');
    assert.equal(out.basic.body.expires_in, 3600);
    assert.deepEqual(out.bearer_only, { status: 200, user: userId });
    assert.deepEqual(out.validate, { status: 200, methods: ['application_credential'], app_cred: cred.id });
    assert.deepEqual(out.post, { status: 200, type: 'Bearer' });
    assert.equal(out.wrong.status, 401);
    assert.deepEqual(out.wrong.body, { error: 'invalid_client', error_description: 'The request you have made requires authentication.' });
    assert.equal(out.wrong.www, `Keystone uri="${keystone.publicUrl}/v3"`);

    const url = await startMiddleware();
    const token = out.token as string;
    const ok = await fetch(url, { headers: { Authorization: `Bearer ${token}` } });
    const seen = (await ok.json()) as Json;
    assert.equal(ok.status, 200, JSON.stringify(seen));
    assert.equal(seen.HTTP_X_USER_ID, userId);
    assert.equal(seen.HTTP_X_PROJECT_ID, projectId);
    assert.deepEqual(String(seen.HTTP_X_ROLES).split(',').sort(), ['member', 'reader']);
    const none = await fetch(url);
    await none.arrayBuffer();
    assert.equal(none.status, 401);

    const revoked = await api('DELETE', '/v3/auth/tokens', null, undefined, { Authorization: `Bearer ${token}`, 'X-Subject-Token': token });
    assert.equal(revoked.status, 204);
    const after = await fetch(url, { headers: { Authorization: `Bearer ${token}` } });
    await after.arrayBuffer();
    assert.equal(after.status, 401, 'a revoked access token is refused');
  });
});
