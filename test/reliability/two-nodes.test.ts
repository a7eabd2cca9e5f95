/**
 * Two keystone-all nodes (their own ports and workers) on one PostgreSQL,
 * one Redis and one Fernet key repository (each node with its own copy, as
 * operators distribute it):
 *  - a token issued by either validates on both;
 *  - a token revocation, a role removal or a user disable on one node is
 *    honoured by the other before the DELETE / PATCH returns: 0 stale
 *    acceptances in 10,000 checks spread over both nodes, most of them on
 *    the token revoked last;
 *  - fernet_rotate on one node, then distributing the keys to the other,
 *    loses no valid token, with tokens issued and checked on both throughout.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readdirSync, renameSync, rmSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runKeystoneManage, type KeystoneProcess } from '../helpers/keystone-process.js';
import { createTestDatabase, databaseKinds, type TestDatabase } from '../helpers/test-database.js';
import { eventually, sleep } from '../process/http-client.js';
import { KeystoneClient, runLoad, timed, type Outcome } from './load.js';
import { skipUnless, startPostgres, startRedis, type PrivatePostgres, type PrivateRedis } from './backing-services.js';
import { NODE_ADMIN_PASSWORD, keyRepositories, startNode } from './keystone-node.js';

const CHECKS = 10_000;

const machinePostgres = databaseKinds().includes('postgres');
const cleanups: (() => unknown)[] = [];
after(async () => {
  for (const c of cleanups.reverse()) await c();
});

/** Makes `to` hold exactly the key files of `from`, each replaced atomically (as rsync does). */
function distributeKeys(from: string, to: string): void {
  const source = readdirSync(from).filter((n) => /^\d+$/.test(n));
  for (const name of source) {
    cpSync(join(from, name), join(to, `.${name}.sync`));
    renameSync(join(to, `.${name}.sync`), join(to, name));
  }
  for (const name of readdirSync(to)) if (/^\d+$/.test(name) && !source.includes(name)) unlinkSync(join(to, name));
}

describe(
  'two keystone-all nodes on one PostgreSQL, one Redis, one key repository',
  { skip: skipUnless(machinePostgres ? ['redis-server'] : ['redis-server', 'postgres']) },
  () => {
    test('tokens cross nodes; revocations and role removals hold at once on the other node; rotation loses no token', async (t) => {
      let connection: string;
      if (machinePostgres) {
        const db: TestDatabase = await createTestDatabase('postgres');
        cleanups.push(() => db.close());
        connection = db.connection;
      } else {
        const pg: PrivatePostgres = await startPostgres();
        cleanups.push(() => pg.destroy());
        connection = pg.connection;
      }
      const redis: PrivateRedis = await startRedis();
      cleanups.push(() => redis.destroy());
      const keys = mkdtempSync(join(tmpdir(), 'keystone-keys-'));
      cleanups.push(() => {
        rmSync(keys, { recursive: true, force: true });
      });
      const config = {
        eventlet_server: { public_workers: 2, admin_workers: 1 },
        cache: { enabled: true, backend: 'dogpile.cache.redis', backend_argument: [`url:${redis.url}`] },
      };
      const a: KeystoneProcess = await startNode({ connection, keys, initialize: true, config });
      cleanups.push(() => a.stop({ signal: 'SIGKILL' }));
      // node b: its own copy of the key repository
      const bKeys = join(keys, 'fernet-b');
      cpSync(keyRepositories(keys).fernet, bKeys, { recursive: true });
      const b: KeystoneProcess = await startNode({ connection, keys, fernetKeys: bKeys, config });
      cleanups.push(() => b.stop({ signal: 'SIGKILL' }));

      const ca = new KeystoneClient(a.publicUrl, { sockets: 4 });
      const cb = new KeystoneClient(b.publicUrl, { sockets: 4 });
      cleanups.push(() => {
        ca.close();
        cb.close();
      });
      const nodes = [ca, cb];
      const adminA = await ca.token(NODE_ADMIN_PASSWORD);
      const adminB = await cb.token(NODE_ADMIN_PASSWORD);
      const adminOf = (c: KeystoneClient) => (c === ca ? adminA : adminB);

      // ---- a token issued by either validates on both
      for (const issuer of nodes) {
        const tok = await issuer.token(NODE_ADMIN_PASSWORD);
        for (const checker of nodes) for (let i = 0; i < 4; i++) assert.equal(await checker.validate(adminOf(checker), tok), 200);
      }

      // ---- users with a role on a project, each with a token scoped to it
      const created = await ca.send('POST', '/v3/projects', {
        token: adminA,
        body: { project: { name: 'two-nodes', domain_id: 'default' } },
      });
      assert.equal(created.status, 201, created.body);
      const projectId = (JSON.parse(created.body) as { project: { id: string } }).project.id;
      const roles = await cb.send('GET', '/v3/roles?name=member', { token: adminB });
      const memberRole = (JSON.parse(roles.body) as { roles: { id: string }[] }).roles[0].id;
      const users: { id: string; token: string }[] = [];
      for (let i = 0; i < 12; i++) {
        const via = nodes[i % 2];
        const u = await via.send('POST', '/v3/users', {
          token: adminOf(via),
          body: { user: { name: `two-nodes-${i}`, domain_id: 'default', password: `pw-${i}` } },
        });
        assert.equal(u.status, 201, u.body);
        const id = (JSON.parse(u.body) as { user: { id: string } }).user.id;
        const grant = await via.send('PUT', `/v3/projects/${projectId}/users/${id}/roles/${memberRole}`, { token: adminOf(via) });
        assert.equal(grant.status, 204, grant.body);
        users.push({ id, token: await nodes[(i + 1) % 2].token(`pw-${i}`, { id }, { id: projectId }) });
      }
      const adminTokens = await Promise.all(Array.from({ length: 12 }, (_, i) => nodes[i % 2].token(NODE_ADMIN_PASSWORD)));

      // ---- 10,000 checks while revocations, role removals and disables happen on alternating nodes
      /** subject → when the change that ends it returned */
      const endedAt = new Map<string, number>();
      let latest: string | null = null;
      const stale: Outcome[] = [];
      const victims = [
        ...adminTokens.map((tok) => ({ kind: 'revoke', subject: tok, userId: '' })),
        ...users.slice(0, 8).map((u) => ({ kind: 'role-removal', subject: u.token, userId: u.id })),
        ...users.slice(8).map((u) => ({ kind: 'user-disable', subject: u.token, userId: u.id })),
      ];
      const everything = victims.map((v) => v.subject);
      let checks = 0;
      const load = runLoad({
        loops: 6,
        step: async (n, loop) => {
          const checker = nodes[(n + loop) % 2];
          const subject = n % 2 === 0 && latest ? latest : everything[(n * 7 + loop) % everything.length];
          const r = await timed('check', () => checker.send('GET', '/v3/auth/tokens?nocatalog', { token: adminOf(checker), subject }));
          checks++;
          const at = endedAt.get(subject);
          if (r.status === 200 && at !== undefined && r.startedAt > at) stale.push({ ...r, note: subject.slice(0, 16) });
          return r;
        },
      });
      await eventually(() => checks >= 300, 60_000, 'checks before the first change');
      let i = 0;
      for (const v of victims) {
        const via = nodes[i++ % 2];
        const admin = adminOf(via);
        let r;
        if (v.kind === 'revoke') r = await via.send('DELETE', '/v3/auth/tokens', { token: admin, subject: v.subject });
        else if (v.kind === 'role-removal')
          r = await via.send('DELETE', `/v3/projects/${projectId}/users/${v.userId}/roles/${memberRole}`, { token: admin });
        else r = await via.send('PATCH', `/v3/users/${v.userId}`, { token: admin, body: { user: { enabled: false } } });
        assert.ok(r.status === 204 || r.status === 200, `${v.kind}: ${r.status} ${r.body}`);
        endedAt.set(v.subject, Date.now());
        latest = v.subject;
        const target = Math.round((i / (victims.length + 1)) * CHECKS);
        await eventually(() => checks >= target, 120_000, `${target} checks`);
      }
      await eventually(() => checks >= CHECKS, 120_000, `${CHECKS} checks`);
      const report = await load.stop();
      t.diagnostic(`${report.results.length} checks: ${report.summary()}; ${victims.length} changes`);
      assert.ok(report.results.length >= CHECKS);
      assert.deepEqual(stale, [], 'stale acceptances');
      assert.deepEqual(report.unanswered(), []);
      assert.deepEqual(report.unexpected({ check: [200, 404] }), []);
      for (const subject of everything) for (const c of nodes) assert.equal(await c.validate(adminOf(c), subject), 404);

      // ---- fernet_rotate on a, keys distributed to b: no valid token lost
      const live: string[] = [adminA, adminB];
      const issued: Outcome[] = [];
      const rotationLoad = runLoad({
        loops: 4,
        pauseMs: 2,
        step: async (n, loop) => {
          const node = nodes[(n + loop) % 2];
          if (n % 10 === 0) {
            const r = await timed(
              'issue',
              () =>
                node.send('POST', '/v3/auth/tokens?nocatalog', {
                  body: {
                    auth: {
                      identity: {
                        methods: ['password'],
                        password: { user: { name: 'admin', domain: { id: 'default' }, password: NODE_ADMIN_PASSWORD } },
                      },
                    },
                  },
                }),
              (x) => (typeof x.headers['x-subject-token'] === 'string' ? x.headers['x-subject-token'] : undefined),
            );
            if (r.note) {
              live.push(r.note);
              issued.push(r);
            }
            return r;
          }
          return timed('validate', () =>
            node.send('GET', '/v3/auth/tokens?nocatalog', { token: adminOf(node), subject: live[(n * 3 + loop) % live.length] }),
          );
        },
      });
      await eventually(() => rotationLoad.results.length >= 200, 60_000, 'load before the rotation');
      const aRepo = keyRepositories(keys).fernet;
      const rotated = await runKeystoneManage(['fernet_rotate'], { configFile: a.configFile });
      assert.equal(rotated.code, 0, rotated.stderr);
      // a serves with the new primary (b's staged key) before the keys reach b
      await sleep(1500);
      distributeKeys(aRepo, bKeys);
      const distributedAt = rotationLoad.results.length;
      await eventually(() => rotationLoad.results.length >= distributedAt + 500, 60_000, 'load after the distribution');
      const rotation = await rotationLoad.stop();
      t.diagnostic(`rotation: ${rotation.summary()}`);
      assert.deepEqual(rotation.unanswered(), []);
      assert.deepEqual(rotation.unexpected({ issue: [201], validate: [200] }).slice(0, 5), [], rotation.summary());
      assert.ok(issued.length > 10);
      assert.deepEqual(
        readdirSync(bKeys)
          .filter((n) => /^\d+$/.test(n))
          .sort(),
        ['0', '1', '2'],
      );
      for (const tok of live)
        for (const c of nodes)
          assert.equal(await c.validate(adminOf(c), tok), 200, 'every token issued before, during and after the rotation');
    });
  },
);
