/**
 * No password, token, secret or credential blob in any log line, at any
 * level, or in any error body: a real keystone-all with debug = true logging
 * to a file (and stderr), driven through logins, token issue / validate /
 * revoke, bad tokens, the admin_token, password changes (self-service and by
 * an admin), application credentials (create, authenticate); then every line
 * of the file and of the process output is searched for every secret used.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startKeystone, type KeystoneProcess } from '../helpers/keystone-process.js';
import { pgliteTemplate } from '../helpers/test-database.js';
import { mutateToken } from './fuzz-cases.js';
import { random, closeAgent, leaksIn } from './hostile-http.js';
import { api, bootstrapAdminToken, mustCreate, passwordToken, type ApiAnswer } from './victims.js';

const ADMIN_PASSWORD = 'Adm1n-Pa55word-LOGCHECK';
const ADMIN_TOKEN_SECRET = 'Shared-Admin-Token-LOGCHECK-7f3a';
/** every secret the run uses (tokens are added as they are issued) */
const secrets = new Map<string, string>([
  ['the bootstrap password', ADMIN_PASSWORD],
  ['the admin_token', ADMIN_TOKEN_SECRET],
]);
const errorBodies: Array<{ what: string; text: string }> = [];

let ks: KeystoneProcess;
let stateDir: string;
let logFile: string;

function note(what: string, answer: ApiAnswer): ApiAnswer {
  if (answer.status >= 400) errorBodies.push({ what, text: answer.text });
  return answer;
}

before(async () => {
  stateDir = mkdtempSync(join(tmpdir(), 'keystone-logs-'));
  cpSync(await pgliteTemplate(), join(stateDir, 'pglite'), { recursive: true });
  logFile = join(stateDir, 'keystone.log');
  ks = await startKeystone({
    stateDir,
    adminPassword: ADMIN_PASSWORD,
    config: {
      DEFAULT: { debug: true, log_file: logFile, use_stderr: true, admin_token: ADMIN_TOKEN_SECRET },
      eventlet_server: { public_workers: 2, admin_workers: 1 },
    },
  });
});

after(async () => {
  closeAgent();
  await ks?.stop();
  rmSync(stateDir, { recursive: true, force: true });
});

describe('secrets never reach a log line or an error body (debug = true)', () => {
  test('drive logins, tokens, password changes, application credentials, bad input', async () => {
    const base = ks.publicUrl;
    const admin = await bootstrapAdminToken(base, ADMIN_PASSWORD);
    secrets.set('the admin token', admin);

    // users with passwords, created and changed in every way
    const passwords = {
      created: 'Created-Pa55-LOGCHECK-a1',
      selfNew: 'Self-Changed-Pa55-LOGCHECK-b2',
      adminSet: 'Admin-Set-Pa55-LOGCHECK-c3',
      wrong: 'Wrong-Guess-Pa55-LOGCHECK-d4',
      unknown: 'Unknown-User-Pa55-LOGCHECK-e5',
    };
    for (const [k, v] of Object.entries(passwords)) secrets.set(`password ${k}`, v);
    const user = await mustCreate(base, admin, '/v3/users', {
      user: { name: 'log-user', domain_id: 'default', password: passwords.created },
    });
    const project = await mustCreate(base, admin, '/v3/projects', { project: { name: 'log-project', domain_id: 'default' } });
    const member = (await api(base, 'GET', '/v3/roles?name=member', { token: admin })).body.roles[0].id as string;
    assert.equal((await api(base, 'PUT', `/v3/projects/${project.id}/users/${user.id}/roles/${member}`, { token: admin })).status, 204);

    const userToken = await passwordToken(base, { id: user.id }, passwords.created, { project: { id: project.id } });
    assert.equal(userToken.status, 201, userToken.text);
    secrets.set('the user token', userToken.token!);
    const changed = note(
      'self-service password change',
      await api(base, 'POST', `/v3/users/${user.id}/password`, {
        token: userToken.token,
        body: { user: { original_password: passwords.created, password: passwords.selfNew } },
      }),
    );
    assert.ok([204, 403].includes(changed.status), `password change: ${changed.status} ${changed.text}`);
    note(
      'change with a wrong original',
      await api(base, 'POST', `/v3/users/${user.id}/password`, {
        token: admin,
        body: { user: { original_password: passwords.wrong, password: passwords.selfNew } },
      }),
    );
    assert.equal(
      note(
        'admin sets a password',
        await api(base, 'PATCH', `/v3/users/${user.id}`, { token: admin, body: { user: { password: passwords.adminSet } } }),
      ).status,
      200,
    );
    const relogin = await passwordToken(base, { id: user.id }, passwords.adminSet);
    assert.equal(relogin.status, 201);
    secrets.set('the relogin token', relogin.token!);
    note('wrong password', await passwordToken(base, { name: 'log-user', domain: { id: 'default' } }, passwords.wrong));
    note('unknown user', await passwordToken(base, { name: 'nobody', domain: { id: 'default' } }, passwords.unknown));
    note(
      'password in a malformed body',
      await api(base, 'POST', '/v3/auth/tokens', {
        body: { auth: { identity: { methods: ['password'], password: { user: { name: 'log-user', password: passwords.wrong } } } } },
      }),
    );
    note(
      'password in a body of the wrong type',
      await api(base, 'POST', '/v3/users', { token: admin, body: { user: { name: ['x'], password: passwords.unknown } } }),
    );

    // tokens: validate, check, rescope, revoke, then use the revoked and mangled ones
    const rng = random(7);
    assert.equal(
      note('validate', await api(base, 'GET', '/v3/auth/tokens', { token: admin, headers: { 'X-Subject-Token': relogin.token! } })).status,
      200,
    );
    assert.equal(
      note('check', await api(base, 'HEAD', '/v3/auth/tokens', { token: admin, headers: { 'X-Subject-Token': relogin.token! } })).status,
      200,
    );
    const rescoped = await api(base, 'POST', '/v3/auth/tokens?nocatalog', {
      body: { auth: { identity: { methods: ['token'], token: { id: relogin.token } }, scope: { project: { id: project.id } } } },
    });
    if (typeof rescoped.headers['x-subject-token'] === 'string') secrets.set('the rescoped token', rescoped.headers['x-subject-token']);
    assert.equal(
      await api(base, 'DELETE', '/v3/auth/tokens', { token: admin, headers: { 'X-Subject-Token': relogin.token! } }).then((a) => a.status),
      204,
    );
    note('revoked subject', await api(base, 'GET', '/v3/auth/tokens', { token: admin, headers: { 'X-Subject-Token': relogin.token! } }));
    note('revoked caller', await api(base, 'GET', '/v3/users', { token: relogin.token! }));
    for (let i = 0; i < 6; i++) {
      const bad = mutateToken(admin, rng);
      note('mangled caller', await api(base, 'GET', '/v3/projects', { token: bad }));
      note('mangled subject', await api(base, 'GET', '/v3/auth/tokens', { token: admin, headers: { 'X-Subject-Token': bad } }));
    }
    const opaque = 'opaque-bogus-token-LOGCHECK-0123456789';
    secrets.set('an opaque bogus token', opaque);
    note('opaque caller', await api(base, 'GET', '/v3/domains', { token: opaque }));
    note(
      'token auth with a bogus token',
      await api(base, 'POST', '/v3/auth/tokens', { body: { auth: { identity: { methods: ['token'], token: { id: opaque } } } } }),
    );

    // the admin_token
    assert.equal(note('admin_token', await api(base, 'GET', '/v3/domains', { token: ADMIN_TOKEN_SECRET })).status, 200);
    note('admin_token, near miss', await api(base, 'GET', '/v3/domains', { token: ADMIN_TOKEN_SECRET + 'x' }));

    // application credentials: the secret at creation and at authentication
    const appSecret = 'App-Cred-Secret-LOGCHECK-f6';
    secrets.set('the application credential secret', appSecret);
    const adminUser = (await api(base, 'GET', '/v3/auth/tokens', { token: admin, headers: { 'X-Subject-Token': admin } })).body.token.user
      .id as string;
    const ac = note(
      'create application credential',
      await api(base, 'POST', `/v3/users/${adminUser}/application_credentials`, {
        token: admin,
        body: { application_credential: { name: 'log-ac', secret: appSecret } },
      }),
    );
    assert.equal(ac.status, 201, ac.text);
    const generated = await api(base, 'POST', `/v3/users/${adminUser}/application_credentials`, {
      token: admin,
      body: { application_credential: { name: 'log-ac-generated' } },
    });
    assert.equal(generated.status, 201);
    secrets.set('a generated application credential secret', generated.body.application_credential.secret);
    const acAuth = await api(base, 'POST', '/v3/auth/tokens', {
      body: {
        auth: {
          identity: {
            methods: ['application_credential'],
            application_credential: { id: ac.body.application_credential.id, secret: appSecret },
          },
        },
      },
    });
    assert.equal(acAuth.status, 201, acAuth.text);
    secrets.set('the application credential token', acAuth.headers['x-subject-token'] as string);
    note(
      'application credential, wrong secret',
      await api(base, 'POST', '/v3/auth/tokens', {
        body: {
          auth: {
            identity: {
              methods: ['application_credential'],
              application_credential: { id: ac.body.application_credential.id, secret: appSecret + '-wrong' },
            },
          },
        },
      }),
    );
    note(
      'application credential by name, wrong secret',
      await api(base, 'POST', '/v3/auth/tokens', {
        body: {
          auth: {
            identity: {
              methods: ['application_credential'],
              application_credential: { name: 'log-ac', user: { id: adminUser }, secret: 'Another-Wrong-LOGCHECK-g7' },
            },
          },
        },
      }),
    );
    secrets.set('a wrong application credential secret', 'Another-Wrong-LOGCHECK-g7');

    // credential blobs, when the server has the credentials API
    const credentials = await api(base, 'GET', '/v3/credentials', { token: admin });
    if (credentials.status === 200) {
      const blob = JSON.stringify({ access: 'ec2-access-LOGCHECK', secret: 'ec2-secret-LOGCHECK-h8' });
      secrets.set('a credential blob secret', 'ec2-secret-LOGCHECK-h8');
      note(
        'create credential',
        await api(base, 'POST', '/v3/credentials', {
          token: admin,
          body: { credential: { type: 'ec2', user_id: adminUser, project_id: project.id, blob } },
        }),
      );
      note(
        'credential with a bad blob',
        await api(base, 'POST', '/v3/credentials', {
          token: admin,
          body: { credential: { type: 'ec2', user_id: adminUser, project_id: project.id, blob: 'not json ec2-secret-LOGCHECK-h8' } },
        }),
      );
    }
    assert.ok(secrets.size >= 15);
  });

  test('no secret in any line of the log file or the process output, at any level', async () => {
    // the file transport writes asynchronously: wait for the last request's access line
    for (let i = 0; i < 50 && !(existsSync(logFile) && /application_credentials/.test(readFileSync(logFile, 'utf8'))); i++)
      await new Promise((r) => setTimeout(r, 100));
    const fileText = readFileSync(logFile, 'utf8');
    const lines = [...fileText.split('\n'), ...ks.output().split('\n')];
    assert.ok(
      fileText.split('\n').some((l) => / DEBUG /.test(l)),
      'debug lines are written',
    );
    assert.ok(lines.length > 100, `${lines.length} lines`);
    if (process.env.KEYSTONE_TEST_KEEP_LOG) cpSync(logFile, process.env.KEYSTONE_TEST_KEEP_LOG);
    const found: string[] = [];
    for (const [what, secret] of secrets) {
      // a token also must not appear by its signature half
      const needles = secret.startsWith('gAAAA') ? [secret, secret.slice(-43)] : [secret];
      for (const line of lines) if (needles.some((n) => line.includes(n))) found.push(`${what}: ${line.slice(0, 300)}`);
    }
    assert.deepEqual(found.slice(0, 10), []);
  });

  test('no secret, stack trace or path in any error body', () => {
    assert.ok(errorBodies.length > 10);
    const found: string[] = [];
    for (const { what, text } of errorBodies) {
      for (const [name, secret] of secrets) if (text.includes(secret)) found.push(`${what}: ${name}`);
      for (const leak of leaksIn(text)) found.push(`${what}: ${leak}`);
    }
    assert.deepEqual(found, []);
  });
});
