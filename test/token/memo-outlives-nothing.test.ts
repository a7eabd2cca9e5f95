/**
 * The validation memo never outlives what made a token valid (issue 11,
 * item 7), against a real keystone-all with two public workers and the
 * in-process cache (whose [token] cache_time would otherwise keep a memoized
 * validation for ten minutes):
 *  - the Fernet key that decrypted the token leaves the repository
 *    (fernet_rotate pushing it out, or removed by hand): refused;
 *  - the token's trust expires by time: refused;
 *  - the token's own expiry (here: its application credential's) passes: refused.
 * Each token is first validated a few times (memoized by both workers, the
 * fast path answering), then the test waits for the change and asks again,
 * both as the subject (GET /v3/auth/tokens) and as the caller's token.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { decryptDetailed } from '../../src/token/fernet/fernet.js';
import { TokenFormatter } from '../../src/token/fernet/token-formatter.js';
import { runKeystoneManage, startKeystone, type KeystoneProcess } from '../helpers/keystone-process.js';
import { api, bootstrapAdminToken, mustCreate, passwordToken } from '../security/victims.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls until `check` holds (bounded). */
async function eventually(check: () => Promise<boolean>, attempts = 60): Promise<boolean> {
  for (let i = 0; i < attempts; i++) {
    if (await check()) return true;
    await sleep(150);
  }
  return false;
}

/** Keystone's expires_at form, `seconds` from now. */
const inSeconds = (seconds: number) => new Date(Date.now() + seconds * 1000).toISOString().replace(/Z$/, '000Z');

describe('the validation memo never outlives what made the token valid (keystone-all)', () => {
  let ks: KeystoneProcess;
  /** the caller of the checks: a token no change of the test touches */
  let admin: string;
  const keyDir = () => join(ks.stateDir, 'fernet-keys');
  const primaryKey = () =>
    Math.max(
      ...readdirSync(keyDir())
        .filter((n) => /^\d+$/.test(n))
        .map(Number),
    );
  /** Whether `token` was encrypted with key file `n`. */
  const encryptedWith = (token: string, n: number) => {
    try {
      decryptDetailed(TokenFormatter.restorePadding(token), [readFileSync(join(keyDir(), String(n)), 'utf8').trim()]);
      return true;
    } catch {
      return false;
    }
  };
  /** fernet_rotate, then a caller token of the new primary key (once every worker issuing tokens has reloaded). */
  const rotate = async () => {
    const r = await runKeystoneManage(['fernet_rotate'], { configFile: ks.configFile });
    assert.equal(r.code, 0, r.stderr + r.stdout);
    const primary = primaryKey();
    let caller = '';
    assert.ok(
      await eventually(async () => {
        const tokens = [await adminToken(), await adminToken(), await adminToken()];
        caller = tokens[0]!;
        return tokens.every((t) => encryptedWith(t, primary));
      }),
      'tokens are issued with the new primary key',
    );
    admin = caller;
  };

  before(async () => {
    ks = await startKeystone({ config: { eventlet_server: { public_workers: 2 }, token: { cache_time: 600 } } });
    admin = await bootstrapAdminToken(ks.publicUrl, ks.adminPassword);
  });
  after(async () => {
    await ks?.stop();
  });

  const subjectStatus = async (subject: string, caller = admin) =>
    (await api(ks.publicUrl, 'GET', '/v3/auth/tokens?nocatalog', { token: caller, headers: { 'X-Subject-Token': subject } })).status;
  const callerStatus = async (token: string) =>
    (await api(ks.publicUrl, 'GET', '/v3/auth/tokens?nocatalog', { token, headers: { 'X-Subject-Token': token } })).status;

  /** Validated (and so memoized) by each worker: a few rounds as subject and as caller. */
  const memoize = async (token: string) => {
    for (let i = 0; i < 6; i++) {
      assert.equal(await subjectStatus(token), 200);
      assert.equal(await callerStatus(token), 200);
    }
  };
  const refusedEverywhere = async (token: string) => {
    let last = 0;
    assert.ok(await eventually(async () => (last = await subjectStatus(token)) === 404), `refused as the subject (last answer ${last})`);
    for (let i = 0; i < 6; i++) {
      assert.equal(await subjectStatus(token), 404);
      assert.equal(await callerStatus(token), 401);
    }
  };
  const adminToken = async () => {
    const a = await passwordToken(ks.publicUrl, { name: 'admin', domain: { id: 'default' } }, ks.adminPassword, {
      project: { name: 'admin', domain: { id: 'default' } },
    });
    assert.equal(a.status, 201, a.text);
    return a.token!;
  };

  test("fernet_rotate pushes the token's key out of the repository: refused; valid while the key is still there", async () => {
    const token = await adminToken();
    await memoize(token);
    await rotate();
    // the key ring changed, the token's key is still in it (now a secondary key)
    await memoize(token);
    // max_active_keys = 3: the next rotation removes the token's key
    await rotate();
    await refusedEverywhere(token);
    assert.equal(await subjectStatus(admin), 200);
  });

  test("the token's key removed by hand: refused", async () => {
    const token = await adminToken();
    const key = primaryKey();
    await memoize(token);
    await rotate();
    rmSync(join(keyDir(), String(key)));
    await refusedEverywhere(token);
    assert.equal(await subjectStatus(admin), 200);
  });

  test("the token's trust expires by time: refused", async () => {
    admin = await adminToken();
    const trustee = await mustCreate(ks.publicUrl, admin, '/v3/users', {
      user: { name: 'memo-trustee', password: 'trustee-password', domain_id: 'default' },
    });
    const me = await api(ks.publicUrl, 'GET', '/v3/auth/tokens?nocatalog', { token: admin, headers: { 'X-Subject-Token': admin } });
    const trust = await mustCreate(ks.publicUrl, admin, '/v3/OS-TRUST/trusts', {
      trust: {
        trustor_user_id: me.body.token.user.id,
        trustee_user_id: trustee.id,
        project_id: me.body.token.project.id,
        impersonation: false,
        roles: [{ name: 'member' }],
        expires_at: inSeconds(4),
      },
    });
    const t = await passwordToken(ks.publicUrl, { id: trustee.id }, 'trustee-password', { 'OS-TRUST:trust': { id: trust.id } });
    assert.equal(t.status, 201, t.text);
    await memoize(t.token!);
    await sleep(Math.max(0, Date.parse(trust.expires_at as string) - Date.now()));
    await refusedEverywhere(t.token!);
  });

  test("the token's own expiry (its application credential's) passes: refused", async () => {
    admin = await adminToken();
    const me = await api(ks.publicUrl, 'GET', '/v3/auth/tokens?nocatalog', { token: admin, headers: { 'X-Subject-Token': admin } });
    const userId = me.body.token.user.id as string;
    const cred = await mustCreate(ks.publicUrl, admin, `/v3/users/${userId}/application_credentials`, {
      application_credential: { name: 'memo-short', expires_at: inSeconds(4) },
    });
    const auth = { identity: { methods: ['application_credential'], application_credential: { id: cred.id, secret: cred.secret } } };
    const issued = await api(ks.publicUrl, 'POST', '/v3/auth/tokens?nocatalog', { body: { auth } });
    assert.equal(issued.status, 201, issued.text);
    const token = issued.headers['x-subject-token'] as string;
    await memoize(token);
    await sleep(Math.max(0, Date.parse(issued.body.token.expires_at as string) - Date.now()));
    await refusedEverywhere(token);
  });

  test('afterwards: nothing logged at ERROR', () => {
    assert.deepEqual(
      ks
        .output()
        .split('\n')
        .filter((l) => / ERROR /.test(l))
        .slice(0, 5),
      [],
    );
  });
});
