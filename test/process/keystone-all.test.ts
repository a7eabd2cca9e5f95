/**
 * keystone-all as a real process tree: named workers on both ports, worker
 * replacement, draining on SIGTERM, rolling on SIGHUP, refusal of an old
 * schema. Against the embedded PGlite always, and PostgreSQL in CI.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { databaseKinds, createTestDatabase, seedPgliteState } from '../helpers/test-database.js';
import {
  listWorkers,
  runKeystoneAll,
  runKeystoneManage,
  startKeystone,
  writeKeystoneConfig,
  type KeystoneProcess,
} from '../helpers/keystone-process.js';
import { eventually, httpRequest, issueToken, passwordAuthBody, sleep } from './http-client.js';
import { loadConfig } from '../../src/config/load-config.js';
import { openCliDatabase } from '../../src/cli/cli-database.js';

const running = new Set<KeystoneProcess>();
after(async () => {
  await Promise.all([...running].map((k) => k.stop({ signal: 'SIGKILL' })));
});

async function start(kind: 'pglite' | 'postgres', config: Parameters<typeof startKeystone>[0] = {}): Promise<KeystoneProcess> {
  const ks = await startKeystone({ database: kind, ...config });
  running.add(ks);
  return ks;
}

async function stop(ks: KeystoneProcess, signal: NodeJS.Signals = 'SIGTERM') {
  running.delete(ks);
  return ks.stop({ signal });
}

function titled(ks: KeystoneProcess) {
  const w = ks.workers();
  return { public: w.filter((x) => x.service === 'public'), admin: w.filter((x) => x.service === 'admin'), all: w };
}

// Worker replacement and signals are the primary's business, whatever the database: they are tested on
// the embedded database only (the harder case: the primary hosts it; also under load in test/reliability).
const noTest = (() => undefined) as unknown as typeof test;

for (const kind of databaseKinds()) {
  describe(`keystone-all (${kind})`, () => {
    const processTest = kind === 'pglite' ? test : noTest;
    test('forks the configured number of named workers on both ports, which answer', async () => {
      const ks = await start(kind, { config: { eventlet_server: { public_workers: 2, admin_workers: 1 } } });
      try {
        const w = await eventually(
          () => {
            const t = titled(ks);
            return t.public.length === 2 && t.admin.length === 1 && t.all.length === 3 ? t : null;
          },
          20_000,
          'titled workers',
        );
        for (const p of w.public) {
          assert.equal(p.comm, 'keystone-public');
          assert.match(readFileSync(`/proc/${p.pid}/cmdline`, 'utf8'), /^keystone-public/);
        }
        assert.equal(w.admin[0].comm, 'keystone-admin');
        assert.match(readFileSync(`/proc/${w.admin[0].pid}/cmdline`, 'utf8'), /^keystone-admin/);
        assert.equal(readFileSync(`/proc/${ks.pid}/comm`, 'utf8').trim(), 'keystone-all');
        assert.notEqual(ks.publicPort, ks.adminPort);
        assert.notEqual(ks.publicPort, 5000);
        assert.notEqual(ks.adminPort, 35357);

        for (const url of [ks.publicUrl, ks.adminUrl]) {
          const r = await httpRequest(`${url}/v3`);
          assert.equal(r.status, 200);
          assert.equal(JSON.parse(r.body).version.id, 'v3.14');
        }
        const token = await issueToken(ks.publicUrl, ks.adminPassword);
        assert.equal(token.status, 201, token.body);
        assert.ok(token.headers['x-subject-token']);

        // nothing a client sends takes a worker down: garbage, a broken body, a reset mid-request
        for (const raw of [
          'GARBAGE\r\n\r\n',
          'POST /v3/auth/tokens HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 5\r\n\r\n{"a":',
          'GET /v3 HTTP/1.1\r\nHost: x\r\nX-Auth-Token: ' + 'a'.repeat(20_000) + '\r\n\r\n',
        ]) {
          await new Promise<void>((resolve) => {
            const s = connect(ks.publicPort, '127.0.0.1', () => {
              s.write(raw);
              setTimeout(() => s.destroy(), 100);
            });
            s.on('error', () => undefined);
            s.on('close', () => {
              resolve();
            });
          });
        }
        const bad = await httpRequest(`${ks.publicUrl}/v3/auth/tokens`, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json' },
          body: '{"auth": ',
        });
        assert.equal(bad.status, 400);
        await sleep(200);
        assert.deepEqual(
          titled(ks)
            .all.map((x) => x.pid)
            .sort(),
          w.all.map((x) => x.pid).sort(),
          'no worker died',
        );
        assert.doesNotMatch(ks.output(), /died/);

        // the ports file under state_path
        const ports = JSON.parse(readFileSync(join(ks.stateDir, 'ports'), 'utf8'));
        assert.equal(ports.public.port, ks.publicPort);
        assert.equal(ports.admin.port, ks.adminPort);
        assert.equal(ports.pid, ks.pid);
        // every worker start is logged
        assert.equal(ks.output().match(/started keystone-public worker/g)?.length, 2);
        assert.equal(ks.output().match(/started keystone-admin worker/g)?.length, 1);
      } finally {
        await stop(ks);
      }
    });

    processTest('replaces a killed worker; requests keep being answered', async () => {
      const ks = await start(kind, { config: { eventlet_server: { public_workers: 2, admin_workers: 1 } } });
      try {
        const before = await eventually(
          () => {
            const t = titled(ks);
            return t.public.length === 2 && t.admin.length === 1 ? t : null;
          },
          20_000,
          'workers',
        );
        const victim = before.public[0];
        process.kill(victim.pid, 'SIGKILL');
        await ks.waitForOutput(new RegExp(`keystone-public worker \\d+ \\(pid ${victim.pid}\\) died \\(signal SIGKILL\\)`));
        // the other public worker answers meanwhile
        for (let i = 0; i < 5; i++) assert.equal((await httpRequest(`${ks.publicUrl}/v3`)).status, 200);
        const m = await ks.waitForOutput(
          new RegExp(`restarted keystone-public: worker \\d+ \\(pid (\\d+)\\) replaces worker \\d+ \\(pid ${victim.pid}\\)`),
        );
        const replacement = Number(m[1]);
        assert.notEqual(replacement, victim.pid);
        assert.match(ks.output(), new RegExp(`keystone-public worker \\d+ \\(pid ${victim.pid}\\) died \\(signal SIGKILL\\)`));
        const afterKill = await eventually(
          () => {
            const t = titled(ks);
            return t.public.length === 2 && t.public.some((p) => p.pid === replacement) ? t : null;
          },
          20_000,
          'the replacement worker',
        );
        assert.ok(!afterKill.public.some((p) => p.pid === victim.pid));
        // the admin worker too
        process.kill(afterKill.admin[0].pid, 'SIGKILL');
        await ks.waitForOutput(new RegExp(`keystone-admin worker \\d+ \\(pid ${afterKill.admin[0].pid}\\) died`));
        await ks.waitForOutput(
          new RegExp(`restarted keystone-admin: worker \\d+ \\(pid \\d+\\) replaces worker \\d+ \\(pid ${afterKill.admin[0].pid}\\)`),
        );
        await eventually(async () => (await httpRequest(`${ks.adminUrl}/v3`)).status === 200, 20_000, 'the admin port answering');
        for (let i = 0; i < 6; i++) assert.equal((await httpRequest(`${ks.publicUrl}/v3`)).status, 200);
        const token = await issueToken(ks.publicUrl, ks.adminPassword);
        assert.equal(token.status, 201);
      } finally {
        await stop(ks);
      }
    });

    processTest('SIGTERM: stops accepting, lets an in-flight request finish, exits 0', async () => {
      const ks = await start(kind, { config: { eventlet_server: { public_workers: 1, admin_workers: 1, shutdown_timeout: 20 } } });
      const worker = await eventually(() => titled(ks).public[0], 20_000, 'the public worker');
      // A real slow request: a token request whose body arrives slowly.
      const body = passwordAuthBody(ks.adminPassword);
      const socket = connect(ks.publicPort, '127.0.0.1');
      let response = '';
      socket.setEncoding('utf8');
      socket.on('data', (d) => {
        response += String(d);
      });
      const closed = new Promise<void>((r) =>
        socket.on('close', () => {
          r();
        }),
      );
      await new Promise<void>((r) =>
        socket.once('connect', () => {
          r();
        }),
      );
      socket.write(
        `POST /v3/auth/tokens HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n`,
      );
      socket.write(body.slice(0, 20));
      await sleep(300);
      ks.signal('SIGTERM');
      await ks.waitForOutput(new RegExp(`${worker.pid} INFO keystone-public .*draining 1 in-flight request`));
      // no new connection is accepted while draining
      await eventually(
        async () => {
          try {
            await httpRequest(`${ks.publicUrl}/v3`, { timeoutMs: 2000 });
            return false;
          } catch (err) {
            return (err as NodeJS.ErrnoException).code === 'ECONNREFUSED';
          }
        },
        10_000,
        'new connections refused',
      );
      assert.equal(await Promise.race([ks.exited.then(() => 'exited'), sleep(500).then(() => 'running')]), 'running');
      socket.write(body.slice(20));
      await closed;
      assert.match(response, /^HTTP\/1\.1 201 Created/);
      assert.match(response, /^connection: close/im);
      assert.match(response, /X-Subject-Token: \S+/i);
      const exit = await ks.exited;
      assert.deepEqual(exit, { code: 0, signal: null });
      assert.match(ks.output(), /SIGTERM received/);
      assert.match(ks.output(), /keystone-all stopped/);
      assert.deepEqual(listWorkers(ks.pid), []);
      await stop(ks);
    });

    processTest('SIGHUP: reloads and replaces every worker one at a time with no refused connection', async () => {
      const ks = await start(kind, { config: { eventlet_server: { public_workers: 2, admin_workers: 1 } } });
      try {
        const before = await eventually(
          () => {
            const t = titled(ks);
            return t.public.length === 2 && t.admin.length === 1 ? t : null;
          },
          20_000,
          'workers',
        );
        let stopLoop = false;
        const failures: string[] = [];
        let answered = 0;
        const loop = async (url: string) => {
          while (!stopLoop) {
            try {
              const r = await httpRequest(`${url}/v3`);
              if (r.status === 200) answered++;
              else failures.push(`status ${r.status}`);
            } catch (err) {
              failures.push(`${(err as NodeJS.ErrnoException).code ?? ''} ${(err as Error).message}`);
            }
          }
        };
        const loops = [loop(ks.publicUrl), loop(ks.publicUrl), loop(ks.adminUrl)];
        await sleep(200);
        // a changed option is picked up by the new workers
        const conf = readFileSync(ks.configFile, 'utf8');
        assert.match(conf, /^public_workers = 2$/m);
        writeFileSync(ks.configFile, conf.replace(/^public_workers = 2$/m, 'public_workers = 1'));
        ks.signal('SIGHUP');
        await ks.waitForOutput(/SIGHUP: reload complete/, 60_000);
        await sleep(200);
        stopLoop = true;
        await Promise.all(loops);
        assert.deepEqual(failures, []);
        assert.ok(answered > 20, `only ${answered} requests answered`);
        const afterRoll = titled(ks);
        assert.equal(afterRoll.public.length, 1);
        assert.equal(afterRoll.admin.length, 1);
        for (const w of afterRoll.all) assert.ok(!before.all.some((b) => b.pid === w.pid), `worker ${w.pid} was not replaced`);
        assert.equal((await issueToken(ks.publicUrl, ks.adminPassword)).status, 201);
      } finally {
        await stop(ks);
      }
    });

    test('refuses to start against a schema older than the code', async () => {
      const db = kind === 'postgres' ? await createTestDatabase('postgres') : undefined;
      const { dir, file } = writeKeystoneConfig(db ? { database: { connection: db.connection } } : {});
      if (!db) await seedPgliteState(dir);
      try {
        const sync = await runKeystoneManage(['db_sync'], { configFile: file });
        assert.equal(sync.code, 0, sync.stderr);
        const { conf } = loadConfig({ configFiles: [file] });
        const handle = await openCliDatabase(conf);
        try {
          await handle.db.none('DELETE FROM keystone_schema_version WHERE version = (SELECT max(version) FROM keystone_schema_version)');
          assert.ok((await handle.db.one('SELECT max(version) AS v FROM keystone_schema_version')).v >= 1);
        } finally {
          await handle.close();
        }
        for (const args of [['fernet_setup'], ['credential_setup']])
          assert.equal((await runKeystoneManage(args, { configFile: file })).code, 0);
        const r = await runKeystoneAll(['start'], { configFile: file, env: { OS_BOOTSTRAP_PASSWORD: 'x' } });
        assert.equal(r.code, 1, r.stdout + r.stderr);
        assert.match(
          r.stderr,
          /^keystone-all: refusing to start: The database schema is at version \d+, this code needs \d+: run "keystone-manage db_sync"\.$/m,
        );
        assert.doesNotMatch(r.stdout + r.stderr, /started keystone-(public|admin) worker/);
        const check = await runKeystoneManage(['db_sync', '--check'], { configFile: file });
        assert.equal(check.code, 2);
        assert.match(check.stdout, /run "keystone-manage db_sync"/);
      } finally {
        await db?.close();
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });
}

describe('keystone-all start-up', () => {
  test('creates its state, prints a generated password once, and keystone-manage works beside it', async () => {
    const ks = await start('pglite', { env: { OS_BOOTSTRAP_PASSWORD: '' } });
    try {
      const m = /admin password: (\S+)\s+\(generated; shown only this once/.exec(ks.output());
      assert.ok(m, ks.output());
      const password = m[1];
      assert.equal(ks.output().split(password).length - 1, 3, 'the password is printed once (in the banner and its two example commands)');
      assert.match(ks.output(), /keystone-public listening on http:\/\/127\.0\.0\.1:\d+/);
      assert.match(ks.output(), new RegExp(`export OS_AUTH_URL=http://127\\.0\\.0\\.1:${ks.publicPort}/v3`));
      assert.match(ks.output(), /openstack token issue/);
      assert.match(ks.output(), /curl -si http:\/\/127\.0\.0\.1:\d+\/v3\/auth\/tokens/);
      // the catalog of the first run points at the bound ports
      const token = await issueToken(ks.publicUrl, password);
      assert.equal(token.status, 201, token.body);
      const catalog = JSON.parse(token.body).token.catalog as { type: string; endpoints: { interface: string; url: string }[] }[];
      const identity = catalog.find((s) => s.type === 'identity')!;
      assert.equal(identity.endpoints.find((e) => e.interface === 'public')!.url, `${ks.publicUrl}/v3`);
      assert.equal(identity.endpoints.find((e) => e.interface === 'admin')!.url, `${ks.adminUrl}/v3`);

      // through the running keystone-all (test/cli/keystone-manage-beside-server.test.ts covers the commands)
      const beside = await runKeystoneManage(['db_version'], { configFile: ks.configFile });
      assert.equal(beside.code, 0, beside.stderr);
      assert.match(beside.stdout, /^\d+\n$/);
      assert.equal((await stop(ks)).code, 0);
    } finally {
      if (running.has(ks)) await stop(ks);
    }
  });

  test('a restart on existing state is not a first run', async () => {
    const { dir } = writeKeystoneConfig();
    try {
      const first = await startKeystone({ stateDir: dir, adminPassword: 'first-password' });
      assert.match(first.output(), /First run/);
      assert.equal((await first.stop()).code, 0);
      const second = await startKeystone({ stateDir: dir, adminPassword: 'other-password' });
      running.add(second);
      try {
        assert.doesNotMatch(second.output(), /First run|first run/);
        assert.equal((await issueToken(second.publicUrl, 'first-password')).status, 201);
        assert.equal((await issueToken(second.publicUrl, 'other-password')).status, 401);
      } finally {
        await stop(second);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('an unreachable database: retried ([database] max_retries), then one clear line and exit 1', async () => {
    const { dir, file } = writeKeystoneConfig({
      database: { connection: 'postgresql://127.0.0.1:1/x', max_retries: 2, retry_interval: 0 },
    });
    try {
      const r = await runKeystoneAll(['start'], { configFile: file });
      assert.equal(r.code, 1);
      assert.equal(r.stderr.match(/database not reachable .*; retry \d of 2/g)?.length, 2, r.stderr);
      assert.match(r.stderr, /^keystone-all: Cannot connect to PostgreSQL at 127\.0\.0\.1:1\/x: .*ECONNREFUSED.*$/m);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('a bad configuration value stops start-up with one line naming section, option and value', async () => {
    const { dir, file } = writeKeystoneConfig({ eventlet_server: { public_port: 'fivethousand' } });
    try {
      const r = await runKeystoneAll(['start'], { configFile: file });
      assert.equal(r.code, 1);
      assert.equal(
        r.stderr.trim(),
        'keystone-all: configuration error: Invalid value for option [eventlet_server] public_port: "fivethousand" (expected an integer)',
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
