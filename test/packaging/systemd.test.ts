import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { notifyReady, notifyReloading, notifyStatus, notifyStopping, sdNotify } from '../../src/cli/systemd-notify.js';

const root = resolve(fileURLToPath(new URL('../../..', import.meta.url)));
const unit = readFileSync(join(root, 'systemd/openstack-keystone.service'), 'utf8');
const has = (cmd: string) => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
const ci = process.env.CI === 'true';

test('the unit has the directives the issue asks for', () => {
  const directives = new Map<string, string[]>();
  for (const line of unit.split('\n')) {
    const m = /^([A-Za-z]+)=(.*)$/.exec(line);
    if (m) directives.set(m[1], [...(directives.get(m[1]) ?? []), m[2]]);
  }
  const one = (k: string) => directives.get(k)?.at(-1);
  assert.equal(one('ExecStart'), '/usr/bin/keystone-all start');
  assert.equal(one('User'), 'keystone');
  assert.equal(one('ExecReload'), '/bin/kill -HUP $MAINPID');
  assert.equal(one('Restart'), 'on-failure');
  assert.equal(one('Type'), 'notify');
  assert.equal(one('NotifyAccess'), 'all', 'systemd-notify runs as a child of the main process');
  assert.equal(one('NoNewPrivileges'), 'yes');
  assert.equal(one('ProtectSystem'), 'strict');
  assert.equal(one('ReadWritePaths'), '/var/lib/keystone /var/log/keystone');
  assert.equal(one('PrivateTmp'), 'yes');
  assert.equal(one('ProtectHome'), 'yes');
  assert.equal(one('CapabilityBoundingSet'), '');
  assert.equal(one('RuntimeDirectory'), 'keystone');
  assert.match(unit, /CAP_NET_BIND_SERVICE/, 'documents what to change for a port < 1024');
  assert.ok(!directives.has('MemoryDenyWriteExecute'), 'V8 needs writable+executable memory');
  const tmpfiles = readFileSync(join(root, 'systemd/openstack-keystone.tmpfiles'), 'utf8');
  assert.match(tmpfiles, /^d\s+\/run\/keystone\s+0750\s+keystone\s+keystone\s+-$/m);
});

test('systemd-analyze verify passes on the unit', { skip: !has('systemd-analyze') && !ci ? 'systemd-analyze is not installed (apt-get install systemd)' : false }, () => {
  assert.ok(has('systemd-analyze'), 'CI=true: systemd-analyze is required');
  const r = mkdtempSync(join(tmpdir(), 'keystone-unit-'));
  try {
    mkdirSync(join(r, 'usr/bin'), { recursive: true });
    mkdirSync(join(r, 'bin'), { recursive: true });
    mkdirSync(join(r, 'lib/systemd'), { recursive: true });
    writeFileSync(join(r, 'usr/bin/keystone-all'), '#!/bin/sh\n');
    chmodSync(join(r, 'usr/bin/keystone-all'), 0o755);
    copyFileSync('/bin/kill', join(r, 'bin/kill'));
    spawnSync('cp', ['-r', '/lib/systemd/system', join(r, 'lib/systemd/system')]);
    copyFileSync(join(root, 'systemd/openstack-keystone.service'), join(r, 'lib/systemd/system/openstack-keystone.service'));
    const v = spawnSync('systemd-analyze', ['verify', `--root=${r}`, '/lib/systemd/system/openstack-keystone.service'], { encoding: 'utf8' });
    assert.equal(v.status, 0, v.stderr);
    assert.equal(v.stderr.trim(), '');
    // and it does catch a broken unit
    writeFileSync(join(r, 'lib/systemd/system/openstack-keystone.service'), unit.replace('ExecStart=/usr/bin/keystone-all start', 'ExecStart=/usr/bin/keystone-missing start'));
    assert.notEqual(spawnSync('systemd-analyze', ['verify', `--root=${r}`, '/lib/systemd/system/openstack-keystone.service']).status, 0);
  } finally {
    rmSync(r, { recursive: true, force: true });
  }
});

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

test('a real datagram reaches $NOTIFY_SOCKET through systemd-notify', { skip: !has('systemd-notify') || !has('python3') ? 'systemd-notify or python3 missing' : false }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'keystone-sock-'));
  const sock = join(dir, 'notify.sock');
  // python3 stands in for systemd: binds the datagram socket, prints the first message
  const py = spawn('python3', ['-c', `
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
print("bound", flush=True)
s.settimeout(10)
data = s.recv(4096)
print(data.decode(), flush=True)
`, sock], { stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    let out = '';
    py.stdout.on('data', (d) => (out += d));
    await new Promise<void>((res) => { const t = setInterval(() => { if (out.includes('bound')) { clearInterval(t); res(); } }, 10); });
    const sent = notifyReady('ready for tests', { env: { NOTIFY_SOCKET: sock, PATH: process.env.PATH }, mainPid: process.pid });
    await new Promise<void>((res) => py.on('exit', () => res()));
    await sent; // systemd-notify may report a failed barrier: this stand-in does not answer it
    assert.match(out, /READY=1/);
    assert.match(out, /STATUS=ready for tests/);
    assert.match(out, new RegExp(`MAINPID=${process.pid}`));
  } finally {
    py.kill();
    rmSync(dir, { recursive: true, force: true });
  }
});
