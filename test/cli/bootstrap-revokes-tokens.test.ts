/**
 * keystone-manage bootstrap, run against a running keystone-all, revokes the
 * tokens of a password it changes (issue 11, item 6): a token issued before
 * is refused afterwards by every worker (the revocation event is in the
 * database; the workers' validation memo follows the SQL epoch), the new
 * password works, and a bootstrap that keeps the password revokes nothing.
 *
 * On the embedded database, while keystone-manage cannot reach the database
 * of a running keystone-all, bootstrap runs between a stop and a restart on
 * the same state: the event outlives the process, the old token is refused.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runKeystoneManage, startKeystone, type KeystoneProcess } from '../helpers/keystone-process.js';
import { databaseKinds } from '../helpers/test-database.js';
import { api, bootstrapAdminToken, passwordToken } from '../security/victims.js';

/** Polls until `check` holds (the in-process cache follows an out-of-band change within about a second). */
async function eventually(check: () => Promise<boolean>, attempts = 40): Promise<boolean> {
  for (let i = 0; i < attempts; i++) {
    if (await check()) return true;
    await new Promise((r) => setTimeout(r, 150));
  }
  return false;
}

for (const kind of databaseKinds())
  describe(`keystone-manage bootstrap against a running keystone-all (${kind})`, () => {
    let ks: KeystoneProcess;
    let stateDir: string;
    const start = () => startKeystone({ database: kind, stateDir, config: { eventlet_server: { public_workers: 2 } } });
    before(async () => {
      stateDir = mkdtempSync(join(tmpdir(), 'keystone-bootstrap-revokes-'));
      ks = await start();
    });
    after(async () => {
      await ks?.stop();
      rmSync(stateDir, { recursive: true, force: true });
    });

    /** keystone-manage bootstrap with `password`; around a restart when the embedded database is held by the server. */
    const bootstrap = async (password: string) => {
      let r = await runKeystoneManage(['bootstrap', '--bootstrap-password', password], { configFile: ks.configFile });
      if (r.code !== 0 && /in use by a running keystone-all/.test(r.stderr)) {
        const { configFile } = ks;
        await ks.stop();
        r = await runKeystoneManage(['bootstrap', '--bootstrap-password', password], { configFile });
        ks = await start();
      }
      assert.equal(r.code, 0, r.stderr + r.stdout);
    };

    const validate = async (caller: string, subject: string) =>
      (await api(ks.publicUrl, 'GET', '/v3/auth/tokens', { token: caller, headers: { 'X-Subject-Token': subject } })).status;

    test('the same password: the tokens stay valid', async () => {
      const token = await bootstrapAdminToken(ks.publicUrl, ks.adminPassword);
      await bootstrap(ks.adminPassword);
      // give an (unwanted) out-of-band revocation the time it would need to show
      await new Promise((r) => setTimeout(r, 1500));
      for (let i = 0; i < 4; i++) assert.equal(await validate(token, token), 200);
    });

    test('a new password: every token issued before is refused, on every worker; the new password works', async () => {
      const old = await bootstrapAdminToken(ks.publicUrl, ks.adminPassword);
      const witness = await bootstrapAdminToken(ks.publicUrl, ks.adminPassword);
      // memoized in the workers before the change
      for (let i = 0; i < 4; i++) assert.equal(await validate(old, witness), 200);
      await bootstrap('a-new-admin-password');
      assert.ok(
        await eventually(async () => (await api(ks.publicUrl, 'GET', '/v3/projects', { token: old })).status === 401),
        'the old token is refused',
      );
      // several requests: whichever worker answers refuses it
      for (let i = 0; i < 6; i++) assert.equal((await api(ks.publicUrl, 'GET', '/v3/projects', { token: old })).status, 401);
      const fresh = await passwordToken(ks.publicUrl, { name: 'admin', domain: { id: 'default' } }, 'a-new-admin-password', {
        project: { name: 'admin', domain: { id: 'default' } },
      });
      assert.equal(fresh.status, 201, fresh.text);
      for (let i = 0; i < 4; i++) assert.equal(await validate(fresh.token!, witness), 404);
      const stale = await passwordToken(ks.publicUrl, { name: 'admin', domain: { id: 'default' } }, ks.adminPassword);
      assert.equal(stale.status, 401);
    });
  });
