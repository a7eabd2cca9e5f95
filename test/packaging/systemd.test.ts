import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { notifyReady, notifyReloading, notifyStatus, notifyStopping, sdNotify, startWatchdog } from '../../src/cli/all/systemd-notify.js';
import { startKeystone } from '../helpers/keystone-process.js';
import { eventually, httpRequest } from '../process/http-client.js';

const root = resolve(fileURLToPath(new URL('../../..', import.meta.url)));
const unit = readFileSync(join(root, 'systemd/openstack-keystone.service'), 'utf8');
const has = (cmd: string) => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
const ci = process.env.CI === 'true';
/** Debian's python3 (not a pyenv shim on PATH) stands in for systemd's end of $NOTIFY_SOCKET. */
const PYTHON = '/usr/bin/python3';

test('the unit has the directives the issue asks for', () => {
  const directives = new Map<string, string[]>();
  for (const line of unit.split('\n')) {
    const m = /^([A-Za-z]+)=(.*)$/.exec(line);
    if (m) directives.set(m[1], [...(directives.get(m[1]) ?? []), m[2]]);
  }
  const one = (k: string) => directives.get(k)?.at(-1);
  assert.equal(
    one('ExecStart'),
    '/usr/lib/openstack-keystone/bin/keystone-all start',
    "the package's own program, whatever the alternatives choose",
  );
  assert.equal(one('User'), 'keystone');
  assert.equal(one('ExecReload'), '/bin/kill -HUP $MAINPID');
  assert.equal(one('Restart'), 'on-failure');
  assert.equal(one('Type'), 'notify');
  assert.equal(one('NotifyAccess'), 'all', 'systemd-notify runs as a child of the main process');
  assert.match(one('WatchdogSec') ?? '', /^\d+$/);
  assert.equal(one('NoNewPrivileges'), 'yes');
  assert.equal(one('ProtectSystem'), 'strict');
  assert.equal(one('ReadWritePaths'), '/var/lib/keystone /var/log/openstack-keystone -/var/log/keystone');
  assert.equal(one('LogsDirectory'), 'openstack-keystone');
  assert.deepEqual(directives.get('SystemCallFilter'), ['@system-service', '~@privileged']);
  assert.equal(one('SystemCallErrorNumber'), 'EPERM', 'a refused call fails, it does not kill node');
  assert.equal(one('PrivateTmp'), 'yes');
  assert.equal(one('ProtectHome'), 'yes');
  assert.equal(one('CapabilityBoundingSet'), '');
  assert.equal(one('RuntimeDirectory'), 'openstack-keystone', "not keystone: Debian's keystone.service owns /run/keystone");
  assert.match(unit, /CAP_NET_BIND_SERVICE/, 'documents what to change for a port < 1024');
  assert.ok(!directives.has('MemoryDenyWriteExecute'), 'V8 needs writable+executable memory');
  const tmpfiles = readFileSync(join(root, 'systemd/openstack-keystone.tmpfiles'), 'utf8');
  assert.match(tmpfiles, /^d\s+\/run\/openstack-keystone\s+0750\s+keystone\s+keystone\s+-$/m);
});

test(
  'systemd-analyze security rates the unit OK or better',
  { skip: !has('systemd-analyze') && !ci ? 'systemd-analyze is not installed (apt-get install systemd)' : false },
  () => {
    assert.ok(has('systemd-analyze'), 'CI=true: systemd-analyze is required');
    const r = spawnSync('systemd-analyze', ['security', '--offline=yes', '--no-pager', join(root, 'systemd/openstack-keystone.service')], {
      encoding: 'utf8',
    });
    assert.equal(r.status, 0, r.stderr);
    // systemd's scale: PERFECT, SAFE, OK, MEDIUM, EXPOSED, UNSAFE (exposure 0.0–10.0)
    const m = /Overall exposure level for openstack-keystone\.service: (\d+\.\d+) (\w+)/.exec(r.stdout);
    assert.ok(m, r.stdout);
    assert.ok(['PERFECT', 'SAFE', 'OK'].includes(m[2]), `rated ${m[1]} ${m[2]}`);
  },
);

test(
  'systemd-analyze verify passes on the unit',
  { skip: !has('systemd-analyze') && !ci ? 'systemd-analyze is not installed (apt-get install systemd)' : false },
  () => {
    assert.ok(has('systemd-analyze'), 'CI=true: systemd-analyze is required');
    const r = mkdtempSync(join(tmpdir(), 'keystone-unit-'));
    try {
      mkdirSync(join(r, 'usr/lib/openstack-keystone/bin'), { recursive: true });
      mkdirSync(join(r, 'bin'), { recursive: true });
      mkdirSync(join(r, 'lib/systemd'), { recursive: true });
      writeFileSync(join(r, 'usr/lib/openstack-keystone/bin/keystone-all'), '#!/bin/sh\n');
      chmodSync(join(r, 'usr/lib/openstack-keystone/bin/keystone-all'), 0o755);
      copyFileSync('/bin/kill', join(r, 'bin/kill'));
      spawnSync('cp', ['-r', '/lib/systemd/system', join(r, 'lib/systemd/system')]);
      copyFileSync(join(root, 'systemd/openstack-keystone.service'), join(r, 'lib/systemd/system/openstack-keystone.service'));
      const v = spawnSync('systemd-analyze', ['verify', `--root=${r}`, '/lib/systemd/system/openstack-keystone.service'], {
        encoding: 'utf8',
      });
      assert.equal(v.status, 0, v.stderr);
      assert.equal(v.stderr.trim(), '');
      // and it does catch a broken unit
      writeFileSync(
        join(r, 'lib/systemd/system/openstack-keystone.service'),
        unit.replace('ExecStart=/usr/lib/openstack-keystone/bin/keystone-all start', 'ExecStart=/usr/bin/keystone-missing start'),
      );
      assert.notEqual(spawnSync('systemd-analyze', ['verify', `--root=${r}`, '/lib/systemd/system/openstack-keystone.service']).status, 0);
    } finally {
      rmSync(r, { recursive: true, force: true });
    }
  },
);

test('notify functions are silent no-ops without NOTIFY_SOCKET', async () => {
  const env = { PATH: '/nonexistent' };
  assert.equal(await notifyReady(undefined, { env }), false);
  assert.equal(await notifyReloading({ env }), false);
  assert.equal(await notifyStopping({ env }), false);
  assert.equal(await notifyStatus('x', { env }), false);
});

test('notify functions run systemd-notify with MAINPID and the right assignments', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'keystone-notify-'));
  try {
    const fake = join(dir, 'systemd-notify');
    const record = join(dir, 'calls');
    writeFileSync(fake, `#!/bin/sh\necho "$NOTIFY_SOCKET $*" >> ${JSON.stringify(record)}\n`);
    chmodSync(fake, 0o755);
    const env = { NOTIFY_SOCKET: '/run/test.sock', PATH: process.env.PATH };
    assert.equal(await notifyReady('public: 2 workers', { env, command: fake, mainPid: 4242 }), true);
    assert.equal(await notifyReloading({ env, command: fake, mainPid: 4242 }), true);
    assert.equal(await notifyStopping({ env, command: fake, mainPid: 4242 }), true);
    assert.equal(await notifyStatus('line1\nline2', { env, command: fake, mainPid: 4242 }), true);
    const calls = readFileSync(record, 'utf8').trim().split('\n');
    assert.equal(calls[0], '/run/test.sock --pid=4242 READY=1 STATUS=public: 2 workers');
    assert.match(calls[1], /^\/run\/test\.sock --pid=4242 RELOADING=1 MONOTONIC_USEC=\d+ STATUS=Reloading/);
    assert.match(calls[2], /^\/run\/test\.sock --pid=4242 STOPPING=1 /);
    assert.equal(calls[3], '/run/test.sock --pid=4242 STATUS=line1 line2');
    assert.equal(await sdNotify(['READY=1'], { env, command: join(dir, 'missing') }), false, 'a missing tool is not an error');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test(
  'a real datagram reaches $NOTIFY_SOCKET through systemd-notify',
  { skip: (!has('systemd-notify') || !existsSync(PYTHON)) && !ci ? 'systemd-notify or python3 missing' : false },
  async () => {
    const dir = mkdtempSync(join(tmpdir(), 'keystone-sock-'));
    const sock = join(dir, 'notify.sock');
    // python3 stands in for systemd: binds the datagram socket, prints the first message
    const py = spawn(
      PYTHON,
      [
        '-c',
        `
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
print("bound", flush=True)
s.settimeout(10)
data = s.recv(4096)
print(data.decode(), flush=True)
`,
        sock,
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    try {
      let out = '';
      py.stdout.on('data', (d) => (out += d));
      await new Promise<void>((res) => {
        const t = setInterval(() => {
          if (out.includes('bound')) {
            clearInterval(t);
            res();
          }
        }, 10);
      });
      const sent = notifyReady('ready for tests', { env: { NOTIFY_SOCKET: sock, PATH: process.env.PATH }, mainPid: process.pid });
      await new Promise<void>((res) =>
        py.on('exit', () => {
          res();
        }),
      );
      await sent; // systemd-notify may report a failed barrier: this stand-in does not answer it
      assert.match(out, /READY=1/);
      assert.match(out, /STATUS=ready for tests/);
      assert.match(out, new RegExp(`MAINPID=${process.pid}`));
    } finally {
      py.kill();
      rmSync(dir, { recursive: true, force: true });
    }
  },
);

/**
 * systemd's end of $NOTIFY_SOCKET: a unix datagram socket bound by Debian's
 * python3, printing every message it receives as one JSON line (a barrier's
 * file descriptor is dropped by the plain recv(), which is what releases
 * systemd-notify's wait).
 */
async function notifyListener(dir: string): Promise<{ socket: string; messages: () => string[]; close: () => void }> {
  const socket = join(dir, 'notify.sock');
  const py = spawn(
    PYTHON,
    [
      '-c',
      `
import json, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
print("bound", flush=True)
while True:
    print(json.dumps(s.recv(65536).decode()), flush=True)
`,
      socket,
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  let out = '';
  py.stdout.on('data', (d) => (out += d));
  await eventually(() => out.startsWith('bound'), 10_000, 'the listener to bind');
  return {
    socket,
    messages: () =>
      out
        .split('\n')
        .slice(1)
        .filter(Boolean)
        .map((l) => JSON.parse(l) as string),
    close: () => py.kill(),
  };
}

test(
  'startWatchdog: WATCHDOG=1 at half of $WATCHDOG_USEC, only for the process $WATCHDOG_PID names',
  { skip: (!has('systemd-notify') || !existsSync(PYTHON)) && !ci ? 'systemd-notify or python3 missing' : false },
  async () => {
    assert.equal(startWatchdog({ env: { WATCHDOG_USEC: '1000000' } }), undefined, 'no NOTIFY_SOCKET: nothing');
    assert.equal(startWatchdog({ env: { NOTIFY_SOCKET: '/x' } }), undefined, 'no WATCHDOG_USEC: nothing');
    assert.equal(
      startWatchdog({ env: { NOTIFY_SOCKET: '/x', WATCHDOG_USEC: '1000000', WATCHDOG_PID: String(process.pid + 1) } }),
      undefined,
      "another process's watchdog",
    );
    const dir = mkdtempSync(join(tmpdir(), 'keystone-wd-'));
    const listener = await notifyListener(dir);
    try {
      const stop = startWatchdog({
        env: { NOTIFY_SOCKET: listener.socket, WATCHDOG_USEC: '400000', WATCHDOG_PID: String(process.pid), PATH: process.env.PATH },
      });
      assert.ok(stop);
      await eventually(() => listener.messages().filter((m) => m.includes('WATCHDOG=1')).length >= 3, 20_000, 'three WATCHDOG=1');
      stop();
    } finally {
      listener.close();
      rmSync(dir, { recursive: true, force: true });
    }
  },
);

test(
  'a real keystone-all tells $NOTIFY_SOCKET: READY=1 once both ports accept, WATCHDOG=1, RELOADING=1 then READY=1 on SIGHUP, STOPPING=1 on SIGTERM',
  { skip: (!has('systemd-notify') || !existsSync(PYTHON)) && !ci ? 'systemd-notify or python3 missing' : false, timeout: 180_000 },
  async () => {
    const dir = mkdtempSync(join(tmpdir(), 'keystone-notify-all-'));
    const listener = await notifyListener(dir);
    const ks = await startKeystone({ env: { NOTIFY_SOCKET: listener.socket, WATCHDOG_USEC: '2000000' } });
    try {
      const has = (re: RegExp) => listener.messages().findIndex((m) => re.test(m));
      const ready = await eventually(
        () => {
          const i = has(/^READY=1$/m);
          return i >= 0 ? i + 1 : 0;
        },
        30_000,
        'READY=1',
      );
      const readyMessage = listener.messages()[ready - 1];
      assert.match(readyMessage, new RegExp(`^MAINPID=${ks.pid}$`, 'm'), 'MAINPID is the primary');
      assert.match(readyMessage, /^STATUS=public: 1 workers on \d+, admin: 1 workers on \d+$/m);
      // READY=1 came after both ports accept: both answer now
      assert.equal((await httpRequest(`${ks.publicUrl}/v3`)).status, 200);
      assert.equal((await httpRequest(`${ks.adminUrl}/v3`)).status, 200);
      await eventually(() => listener.messages().filter((m) => /^WATCHDOG=1$/m.test(m)).length >= 2, 20_000, 'two WATCHDOG=1');

      ks.signal('SIGHUP');
      await eventually(() => /SIGHUP: reload complete/.test(ks.output()), 60_000, 'the reload');
      const afterHup = await eventually(
        () => {
          const msgs = listener.messages();
          const reloading = msgs.findIndex((m) => /^RELOADING=1$/m.test(m));
          const readyAgain = msgs.findIndex((m, i) => i > reloading && reloading >= 0 && /^READY=1$/m.test(m));
          return reloading >= 0 && readyAgain > reloading ? { reloading, readyAgain } : undefined;
        },
        20_000,
        'RELOADING=1 then READY=1',
      );
      assert.ok(afterHup.reloading >= ready, 'RELOADING=1 after the first READY=1');
      assert.match(listener.messages()[afterHup.reloading], /^MONOTONIC_USEC=\d+$/m);

      const stopped = ks.stop();
      await eventually(() => has(/^STOPPING=1$/m) >= 0, 20_000, 'STOPPING=1');
      assert.equal((await stopped).code, 0);
    } finally {
      await ks.stop().catch(() => undefined);
      listener.close();
      rmSync(dir, { recursive: true, force: true });
    }
  },
);
