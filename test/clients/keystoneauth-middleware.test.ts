/**
 * keystoneauth1 (a v3.Password session: get_token, get_endpoint, the access
 * info) and keystonemiddleware's auth_token in front of a small WSGI app
 * (wsgiref, port 0, a subprocess): our tokens are accepted with the
 * identity headers set, garbage and revoked tokens are refused.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestServer, type TestServer } from '../helpers/test-server.js';
import { getToken, revokeToken } from '../helpers/tokens.js';
import { makeUser, grant } from '../auth/auth-fixtures.js';
import { PYTHON, assertOk, catalogAtServer, clientEnv, pythonModulesMissing, run, skipUnlessCi } from './python-clients.js';

const KSA_SCRIPT = `
import json, sys
from keystoneauth1 import session
from keystoneauth1.identity import v3
args = json.loads(sys.stdin.read())
auth = v3.Password(auth_url=args['auth_url'], username=args['username'], password=args['password'],
                   project_name='admin', user_domain_id='default', project_domain_id='default')
sess = session.Session(auth=auth)
token = sess.get_token()
access = auth.get_access(sess)
print(json.dumps({
    'token': token,
    'endpoint': sess.get_endpoint(service_type='identity', interface='public'),
    'user_id': sess.get_user_id(),
    'project_id': sess.get_project_id(),
    'roles': sorted(access.role_names),
    'expires': access.expires.isoformat(),
}))
`;

const MIDDLEWARE_SCRIPT = `
import json, sys
from wsgiref.simple_server import make_server, WSGIRequestHandler
from keystonemiddleware import auth_token

args = json.loads(sys.argv[1])

def app(environ, start_response):
    body = json.dumps({k: environ.get(k) for k in (
        'HTTP_X_IDENTITY_STATUS', 'HTTP_X_USER_ID', 'HTTP_X_PROJECT_ID', 'HTTP_X_ROLES', 'HTTP_X_USER_DOMAIN_ID')}).encode()
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
    'delay_auth_decision': False,
    'token_cache_time': args['cache_time'],
    'service_token_roles_required': False,
    'log_name': 'auth_token',
}

class Quiet(WSGIRequestHandler):
    def log_message(self, *a):
        pass

server = make_server('127.0.0.1', 0, auth_token.AuthProtocol(app, conf), handler_class=Quiet)
print(server.server_port, flush=True)
server.serve_forever()
`;

const reason = pythonModulesMissing(['keystoneauth1', 'keystonemiddleware.auth_token']);

describe('keystoneauth1 and keystonemiddleware auth_token', { skip: skipUnlessCi(reason) }, () => {
  let server: TestServer;
  let home: string;
  const children: ChildProcess[] = [];

  before(async () => {
    assert.equal(reason, false, `${reason} (required when CI=true)`);
    server = await startTestServer();
    await catalogAtServer(server);
    home = mkdtempSync(join(tmpdir(), 'keystone-ksa-'));
    writeFileSync(join(home, 'middleware.py'), MIDDLEWARE_SCRIPT);
  });
  after(async () => {
    for (const c of children) c.kill('SIGTERM');
    await server?.close();
    if (home) rmSync(home, { recursive: true, force: true });
  });

  /** Starts the WSGI app behind auth_token; resolves with its URL. */
  const startMiddleware = (cacheTime: number): Promise<string> =>
    new Promise((resolve, reject) => {
      const args = JSON.stringify({ auth_url: `${server.publicUrl}/v3`, password: server.adminPassword, cache_time: cacheTime });
      const child = spawn(PYTHON, [join(home, 'middleware.py'), args], { env: clientEnv(home), stdio: ['ignore', 'pipe', 'pipe'] });
      children.push(child);
      let out = '';
      let err = '';
      child.stdout.on('data', (d) => {
        out += d;
        const m = /^(\d+)\n/.exec(out);
        if (m) resolve(`http://127.0.0.1:${m[1]}/`);
      });
      child.stderr.on('data', (d) => {
        err += d;
      });
      child.once('exit', (code) => {
        reject(new Error(`middleware exited ${code}: ${err}`));
      });
    });

  const through = async (url: string, token?: string) => {
    const res = await fetch(url, { headers: token ? { 'X-Auth-Token': token } : {} });
    const text = await res.text();
    return {
      status: res.status,
      body: text
        ? (() => {
            try {
              return JSON.parse(text);
            } catch {
              return text;
            }
          })()
        : undefined,
      headers: res.headers,
    };
  };

  test('keystoneauth1 v3.Password: token, identity endpoint, user, project, roles', async () => {
    const input = JSON.stringify({ auth_url: `${server.publicUrl}/v3`, username: 'admin', password: server.adminPassword });
    const out = JSON.parse(assertOk(await run(PYTHON, ['-c', KSA_SCRIPT], clientEnv(home), input), 'keystoneauth1'));
    assert.match(out.token, /^gAAAAA/);
    assert.equal(out.endpoint, `${server.publicUrl}/v3`);
    assert.equal(out.user_id, server.bootstrap.userId);
    assert.equal(out.project_id, server.bootstrap.projectId);
    assert.deepEqual(out.roles, ['admin', 'member', 'reader']);
    assert.ok(Date.parse(out.expires) > Date.now());
  });

  test('auth_token accepts our tokens with the identity headers, refuses garbage and revoked tokens', async () => {
    const url = await startMiddleware(-1);
    const user = await makeUser(server);
    await grant(server, server.bootstrap.memberRoleId, user.id, { projectId: server.bootstrap.projectId });
    const token = (await getToken(server, { userId: user.id, password: user.password, project: { id: server.bootstrap.projectId } })).id;
    const ok = await through(url, token);
    assert.equal(ok.status, 200, JSON.stringify(ok.body));
    assert.equal(ok.body.HTTP_X_IDENTITY_STATUS, 'Confirmed');
    assert.equal(ok.body.HTTP_X_USER_ID, user.id);
    assert.equal(ok.body.HTTP_X_PROJECT_ID, server.bootstrap.projectId);
    assert.deepEqual(ok.body.HTTP_X_ROLES.split(',').sort(), ['member', 'reader']);
    assert.equal(ok.body.HTTP_X_USER_DOMAIN_ID, 'default');

    const none = await through(url);
    assert.equal(none.status, 401);
    assert.match(none.headers.get('www-authenticate') ?? '', /Keystone uri=/);
    assert.equal((await through(url, 'garbage')).status, 401);

    assert.equal(await revokeToken(server, token, token), 204);
    assert.equal((await through(url, token)).status, 401, 'a revoked token is refused');
  });

  test('with its token cache on, a token revoked before first use is refused', async () => {
    const url = await startMiddleware(300);
    const token = (await getToken(server, { username: 'admin', password: server.adminPassword, project: 'admin' })).id;
    const other = (await getToken(server, { username: 'admin', password: server.adminPassword, project: 'admin' })).id;
    assert.equal((await through(url, other)).status, 200);
    assert.equal(await revokeToken(server, other, token), 204);
    assert.equal((await through(url, token)).status, 401);
  });
});
