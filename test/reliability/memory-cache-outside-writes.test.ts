/**
 * The in-process cache ([cache] backend = dogpile.cache.memory) and writes
 * made outside the keystone-all that holds it: another node on the same
 * PostgreSQL here, as keystone-manage db_import is (both advance the SQL
 * token epoch without this keystone-all's workers hearing of the write).
 * A worker that cached a project drops what it holds once it sees the epoch
 * move by more than the writes it heard of (src/token/outside-write-detector.ts);
 * its own keystone-all's writes make it drop nothing beyond what they invalidate.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { KeystoneProcess } from '../helpers/keystone-process.js';
import { createTestDatabase, databaseKinds } from '../helpers/test-database.js';
import { eventually, sleep } from '../process/http-client.js';
import { KeystoneClient } from './load.js';
import { skipUnless, startPostgres } from './backing-services.js';
import { NODE_ADMIN_PASSWORD, startNode } from './keystone-node.js';

const DROPPED = /in-process cache dropped/g;

const machinePostgres = databaseKinds().includes('postgres');
const cleanups: (() => unknown)[] = [];
after(async () => {
  for (const c of cleanups.reverse()) await c();
});

describe('the in-process cache and writes made outside its keystone-all', { skip: skipUnless(machinePostgres ? [] : ['postgres']) }, () => {
  test('a project changed through another node is served changed within seconds; own writes drop nothing more', async () => {
    let connection: string;
    if (machinePostgres) {
      const db = await createTestDatabase('postgres');
      cleanups.push(() => db.close());
      connection = db.connection;
    } else {
      const pg = await startPostgres();
      cleanups.push(() => pg.destroy());
      connection = pg.connection;
    }
    const keys = mkdtempSync(join(tmpdir(), 'keystone-keys-'));
    cleanups.push(() => {
      rmSync(keys, { recursive: true, force: true });
    });
    const config = {
      eventlet_server: { public_workers: 2, admin_workers: 1 },
      cache: { enabled: true, backend: 'dogpile.cache.memory' },
    };
    const a: KeystoneProcess = await startNode({ connection, keys, initialize: true, config });
    cleanups.push(() => a.stop({ signal: 'SIGKILL' }));
    const b: KeystoneProcess = await startNode({ connection, keys, config });
    cleanups.push(() => b.stop({ signal: 'SIGKILL' }));
    const ca = new KeystoneClient(a.publicUrl, { sockets: 4 });
    const cb = new KeystoneClient(b.publicUrl, { sockets: 4 });
    cleanups.push(() => {
      ca.close();
      cb.close();
    });
    const adminA = await ca.token(NODE_ADMIN_PASSWORD);
    const adminB = await cb.token(NODE_ADMIN_PASSWORD);
    const descriptionOn = async (c: KeystoneClient, token: string, id: string) => {
      const r = await c.send('GET', `/v3/projects/${id}`, { token });
      assert.equal(r.status, 200, r.body);
      return (JSON.parse(r.body) as { project: { description: string } }).project.description;
    };

    // node a's own writes, read back on both of its workers (several connections)
    const created = await ca.send('POST', '/v3/projects', {
      token: adminA,
      body: { project: { name: 'outside-writes', domain_id: 'default', description: 'first' } },
    });
    assert.equal(created.status, 201, created.body);
    const id = (JSON.parse(created.body) as { project: { id: string } }).project.id;
    const patchOn = async (c: KeystoneClient, token: string, description: string) => {
      const r = await c.send('PATCH', `/v3/projects/${id}`, { token, body: { project: { description } } });
      assert.equal(r.status, 200, r.body);
    };
    await patchOn(ca, adminA, 'second');
    const reads = async (c: KeystoneClient, token: string) => Promise.all(Array.from({ length: 8 }, () => descriptionOn(c, token, id)));
    assert.deepEqual(new Set(await reads(ca, adminA)), new Set(['second']));
    await sleep(2500); // a few epoch polls of every worker of node a
    assert.equal(a.output().match(DROPPED), null, 'node a dropped its cache after its own writes');

    // the same project changed through node b: node a's workers held 'second'
    await patchOn(cb, adminB, 'changed on node b');
    await eventually(async () => (await reads(ca, adminA)).every((d) => d === 'changed on node b'), 10_000, 'node a to serve the change');
    assert.ok((a.output().match(DROPPED) ?? []).length >= 1, 'node a says why it dropped its cache');
  });
});
