/**
 * Builds the .deb and the .rpm once (packaging/build-packages.mjs --no-compile,
 * from the dist/ this test was compiled into), then checks their contents,
 * modes, owners and scripts, and installs the .deb into a throwaway root with
 * `dpkg --root --force-script-chrootless` (the maintainer scripts honour
 * $DPKG_ROOT), upgrades, removes and purges it there.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync, type SpawnSyncOptions } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(fileURLToPath(new URL('../../..', import.meta.url)));
const has = (cmd: string) => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
const tools = ['dpkg-deb', 'dpkg', 'rpmbuild', 'rpm'].filter((t) => !has(t));
const ci = process.env.CI === 'true';
const skip = tools.length > 0 && !ci ? `missing ${tools.join(', ')} (apt-get install dpkg rpm)` : false;
const isRoot = process.getuid?.() === 0;

function sh(cmd: string, args: string[], opts: SpawnSyncOptions = {}): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8', ...opts });
  assert.equal(r.status, 0, `${cmd} ${args.join(' ')} failed: ${r.stderr}${r.error ?? ''}`);
  return String(r.stdout);
}

let work: string;
let deb: string;
let rpm: string;

before(() => {
  if (skip) return;
  assert.deepEqual(tools, [], 'CI=true: dpkg-deb and rpmbuild are required');
  work = mkdtempSync(join(tmpdir(), 'keystone-pkg-'));
  const out = sh(process.execPath, [join(root, 'packaging/build-packages.mjs'), '--no-compile', '--out', join(work, 'out')], { cwd: root, maxBuffer: 1 << 26 });
  const built = JSON.parse(out.trim().split('\n').pop() as string) as { deb: string; rpm: string };
  deb = built.deb;
  rpm = built.rpm;
});

after(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

const version = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).version as string;

test('the .deb: name, control fields, file list, modes and owners, conffiles, scripts', { skip }, () => {
  assert.equal(deb, join(work, 'out', `openstack-keystone_${version}_all.deb`));
  const field = (f: string) => sh('dpkg-deb', ['-f', deb, f]).trim();
  assert.equal(field('Package'), 'openstack-keystone');
  assert.equal(field('Version'), version);
  assert.equal(field('Architecture'), 'all');
  assert.match(field('Depends'), /(^|, )nodejs \(>= 20\)/);
  const listing = sh('dpkg-deb', ['-c', deb], { maxBuffer: 1 << 26 }).split('\n').filter(Boolean);
  const entry = (path: string) => listing.find((l) => l.endsWith(` .${path}`) || l.endsWith(` .${path}/`));
  const expect: [string, string][] = [
    ['/usr/bin/keystone-all', '-rwxr-xr-x'],
    ['/usr/bin/keystone-manage', '-rwxr-xr-x'],
    ['/etc/keystone/keystone.conf', '-rw-r-----'],
    ['/etc/keystone/policy.yaml', '-rw-r--r--'],
    ['/etc/logrotate.d/openstack-keystone', '-rw-r--r--'],
    ['/lib/systemd/system/openstack-keystone.service', '-rw-r--r--'],
    ['/usr/lib/tmpfiles.d/openstack-keystone.conf', '-rw-r--r--'],
    ['/usr/lib/openstack-keystone/dist/src/log/logger.js', '-rw-r--r--'],
    ['/usr/lib/openstack-keystone/dist/src/metrics/server.js', '-rw-r--r--'],
    ['/usr/lib/openstack-keystone/libexec/keystone-pkg-setup', '-rwxr-xr-x'],
    ['/usr/lib/openstack-keystone/package.json', '-rw-r--r--'],
    ['/usr/lib/openstack-keystone/node_modules/winston/package.json', '-rw-r--r--'],
    ['/usr/lib/openstack-keystone/node_modules/prom-client/package.json', '-rw-r--r--'],
    ['/usr/share/doc/openstack-keystone/grafana-dashboard.json', '-rw-r--r--'],
  ];
  for (const [path, mode] of expect) {
    const line = entry(path);
    assert.ok(line, `${path} is in the .deb`);
    assert.ok(line.startsWith(mode), `${path} has mode ${mode}: ${line}`);
    assert.match(line, / root\/root /, `${path} is owned by root`);
  }
  for (const l of listing) assert.match(l, / root\/root /, 'every file is root-owned in the archive');
  assert.ok(!listing.some((l) => l.includes('/node_modules/typescript/')), 'no dev dependency');
  assert.ok(!listing.some((l) => l.includes('/dist/test/')), 'no tests');
  assert.ok(!listing.some((l) => /^[-d]....(.w|..w)/.test(l.slice(0, 10)) && !l.startsWith('l')), 'nothing group/other-writable');

  const ctrl = join(work, 'deb-control');
  sh('dpkg-deb', ['-e', deb, ctrl]);
  assert.deepEqual(readFileSync(join(ctrl, 'conffiles'), 'utf8').trim().split('\n').sort(),
    ['/etc/keystone/keystone.conf', '/etc/keystone/policy.yaml', '/etc/logrotate.d/openstack-keystone']);
  for (const s of ['postinst', 'prerm', 'postrm']) {
    assert.equal(statSync(join(ctrl, s)).mode & 0o777, 0o755, `${s} is executable`);
    sh('sh', ['-n', join(ctrl, s)]);
  }
  const postinst = readFileSync(join(ctrl, 'postinst'), 'utf8');
  assert.match(postinst, /libexec\/keystone-pkg-setup"\n/);
  assert.match(postinst, /"\$SETUP" user\n\s+"\$SETUP" dirs/);
  assert.match(postinst, /"\$SETUP" keys/);
  assert.match(postinst, /if \[ -z "\$2" \]; then\s+"\$SETUP" conf-perms/, 'permissions of the configuration only on first install');
  const postrm = readFileSync(join(ctrl, 'postrm'), 'utf8');
  assert.match(postrm, /purge\)[\s\S]*rm -rf[^\n]*\/var\/lib\/keystone/, 'data removed only on purge');
  assert.ok(!/remove\)[\s\S]*rm -rf/.test(postrm), 'nothing removed on remove');
});

test('the .rpm: name, requires, file list, modes, owners, %config(noreplace), scriptlets', { skip }, () => {
  assert.equal(rpm, join(work, 'out', `openstack-keystone-${version}-1.noarch.rpm`));
  const q = (...args: string[]) => sh('rpm', ['-qp', '--nosignature', ...args, rpm], { maxBuffer: 1 << 26 });
  assert.equal(q('--qf', '%{NAME} %{VERSION} %{ARCH}').trim(), `openstack-keystone ${version} noarch`);
  assert.match(q('--requires'), /^nodejs >= 20$/m);
  const files = new Map<string, { mode: string; user: string; group: string; flags: number }>();
  for (const line of q('--qf', '[%{FILEMODES:perms} %{FILEUSERNAME} %{FILEGROUPNAME} %{FILEFLAGS} %{FILENAMES}\n]').split('\n').filter(Boolean)) {
    const [mode, user, group, flags, ...name] = line.split(' ');
    files.set(name.join(' '), { mode, user, group, flags: Number(flags) });
  }
  const CONFIG = 1 << 0;
  const NOREPLACE = 1 << 4;
  const check = (path: string, mode: string, user: string, group: string, config = false) => {
    const f = files.get(path);
    assert.ok(f, `${path} is in the .rpm`);
    assert.deepEqual([f.mode, f.user, f.group], [mode, user, group], path);
    if (config) assert.equal(f.flags & (CONFIG | NOREPLACE), CONFIG | NOREPLACE, `${path} is %config(noreplace)`);
  };
  check('/usr/bin/keystone-all', '-rwxr-xr-x', 'root', 'root');
  check('/usr/bin/keystone-manage', '-rwxr-xr-x', 'root', 'root');
  check('/etc/keystone', 'drwxr-x---', 'root', 'keystone');
  check('/etc/keystone/keystone.conf', '-rw-r-----', 'root', 'keystone', true);
  check('/etc/keystone/policy.yaml', '-rw-r--r--', 'root', 'root', true);
  check('/etc/logrotate.d/openstack-keystone', '-rw-r--r--', 'root', 'root', true);
  check('/usr/lib/systemd/system/openstack-keystone.service', '-rw-r--r--', 'root', 'root');
  check('/usr/lib/tmpfiles.d/openstack-keystone.conf', '-rw-r--r--', 'root', 'root');
  check('/var/lib/keystone', 'drwx------', 'keystone', 'keystone');
  check('/var/log/keystone', 'drwxr-x---', 'keystone', 'keystone');
  check('/usr/lib/openstack-keystone/dist/src/log/logger.js', '-rw-r--r--', 'root', 'root');
  check('/usr/lib/openstack-keystone/node_modules/prom-client/package.json', '-rw-r--r--', 'root', 'root');
  assert.ok(![...files.keys()].some((f) => f.includes('/node_modules/typescript/')), 'no dev dependency');
  const scripts = q('--scripts');
  assert.match(scripts, /preinstall scriptlet[\s\S]*useradd --system[^\n]*keystone/);
  assert.match(scripts, /postinstall scriptlet[\s\S]*keystone-pkg-setup dirs[\s\S]*keystone-pkg-setup keys/);
  assert.match(scripts, /preuninstall scriptlet[\s\S]*"\$1" -eq 0[\s\S]*disable --now/);
  assert.ok(!/rm -rf/.test(scripts), 'erasing never deletes data or keys');
});

/** A minimal root dpkg and useradd --prefix can work in. */
function makeRoot(): string {
  const r = mkdtempSync(join(tmpdir(), 'keystone-root-'));
  for (const d of ['var/lib/dpkg/info', 'var/lib/dpkg/updates', 'var/lib/dpkg/triggers', 'etc', 'usr/sbin']) mkdirSync(join(r, d), { recursive: true });
  writeFileSync(join(r, 'var/lib/dpkg/status'), '');
  writeFileSync(join(r, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/sh\n');
  writeFileSync(join(r, 'etc/group'), 'root:x:0:\n');
  writeFileSync(join(r, 'etc/shadow'), 'root:*:19000:0:99999:7:::\n', { mode: 0o600 });
  writeFileSync(join(r, 'etc/gshadow'), 'root:*::\n', { mode: 0o600 });
  if (existsSync('/etc/login.defs')) copyFileSync('/etc/login.defs', join(r, 'etc/login.defs'));
  return r;
}

const installSkip = skip || (!isRoot ? 'installing into a root with dpkg --root and useradd --prefix needs root' : false);

test('the .deb installs into a throwaway root: user, directories, permissions, keys; upgrade keeps configuration and keys; remove keeps data; purge deletes it', { skip: installSkip }, (t) => {
  const r = makeRoot();
  try {
    const dpkg = (...args: string[]) => sh('dpkg', [`--root=${r}`, '--force-script-chrootless', '--force-depends', '--force-confold', ...args], { maxBuffer: 1 << 26 });
    dpkg('-i', deb);
    const passwd = readFileSync(join(r, 'etc/passwd'), 'utf8');
    const user = /^keystone:x:(\d+):(\d+):[^:]*:\/var\/lib\/keystone:[^:]*nologin$/m.exec(passwd);
    assert.ok(user, 'the keystone system user exists');
    const [uid, gid] = [Number(user[1]), Number(user[2])];
    assert.ok(uid < 1000, 'a system uid');
    assert.match(readFileSync(join(r, 'etc/group'), 'utf8'), new RegExp(`^keystone:x:${gid}:`, 'm'));
    const lib = statSync(join(r, 'var/lib/keystone'));
    assert.equal(lib.mode & 0o7777, 0o700);
    assert.deepEqual([lib.uid, lib.gid], [uid, gid]);
    const logs = statSync(join(r, 'var/log/keystone'));
    assert.deepEqual([logs.mode & 0o7777, logs.uid, logs.gid], [0o750, uid, gid]);
    const conf = statSync(join(r, 'etc/keystone/keystone.conf'));
    assert.deepEqual([conf.mode & 0o7777, conf.uid, conf.gid], [0o640, 0, gid]);
    const confText = readFileSync(join(r, 'etc/keystone/keystone.conf'), 'utf8');
    assert.match(confText, /^log_dir = \/var\/log\/keystone$/m);
    assert.match(confText, /^#connection = postgresql:\/\//m);
    assert.match(confText, /^\[cache\]\n(#.*\n)*enabled = true$/m);
    assert.match(confText, /^#backend = dogpile\.cache\.redis$/m);

    const manage = join(r, 'usr/lib/openstack-keystone/dist/src/cli/keystone-manage.js');
    const haveManage = existsSync(manage);
    if (haveManage) {
      const help = spawnSync(join(r, 'usr/bin/keystone-manage'), ['--help'], { encoding: 'utf8' });
      assert.equal(help.status, 0, help.stderr);
      assert.match(help.stdout + help.stderr, /fernet_setup/);
      for (const repo of ['fernet-keys', 'credential-keys']) {
        const st = statSync(join(r, 'etc/keystone', repo), { throwIfNoEntry: false });
        assert.ok(st?.isDirectory(), `postinst created ${repo}`);
        assert.ok(existsSync(join(r, 'etc/keystone', repo, '0')), `${repo} has a staged key`);
      }
    } else {
      t.diagnostic('dist/src/cli/keystone-manage.js is not built yet: --help and key creation are not checked');
    }

    // The operator changes the configuration and has keys; an upgrade (re-install) keeps both.
    writeFileSync(join(r, 'etc/keystone/keystone.conf'), confText + '\n[token]\nexpiration = 7200\n');
    mkdirSync(join(r, 'etc/keystone/fernet-keys'), { recursive: true });
    writeFileSync(join(r, 'etc/keystone/fernet-keys/0'), 'operator-key-0');
    writeFileSync(join(r, 'etc/keystone/fernet-keys/1'), 'operator-key-1');
    writeFileSync(join(r, 'var/lib/keystone/data'), 'operator data');
    dpkg('-i', deb);
    assert.ok(readFileSync(join(r, 'etc/keystone/keystone.conf'), 'utf8').endsWith('expiration = 7200\n'), 'configuration kept on upgrade');
    assert.equal(readFileSync(join(r, 'etc/keystone/fernet-keys/1'), 'utf8'), 'operator-key-1', 'keys kept on upgrade');
    assert.equal(readFileSync(join(r, 'etc/keystone/fernet-keys/0'), 'utf8'), 'operator-key-0');

    dpkg('-r', 'openstack-keystone');
    assert.ok(!existsSync(join(r, 'usr/bin/keystone-all')), 'program removed');
    assert.ok(existsSync(join(r, 'var/lib/keystone/data')), 'data kept on remove');
    assert.ok(existsSync(join(r, 'etc/keystone/fernet-keys/1')), 'keys kept on remove');
    assert.ok(existsSync(join(r, 'etc/keystone/keystone.conf')), 'configuration kept on remove');

    dpkg('--purge', 'openstack-keystone');
    assert.ok(!existsSync(join(r, 'var/lib/keystone')), 'data deleted on purge');
    assert.ok(!existsSync(join(r, 'etc/keystone/fernet-keys')), 'keys deleted on purge');
    assert.ok(!existsSync(join(r, 'var/log/keystone')), 'logs deleted on purge');
  } finally {
    rmSync(r, { recursive: true, force: true });
  }
});

test('the installed unit verifies with systemd-analyze against the installed wrapper', { skip: installSkip || (!has('systemd-analyze') && !ci ? 'systemd-analyze missing' : false) }, () => {
  const r = makeRoot();
  try {
    sh('dpkg', ['-x', deb, r]);
    mkdirSync(join(r, 'bin'), { recursive: true });
    copyFileSync('/bin/kill', join(r, 'bin/kill'));
    // the targets the unit refers to, from the host
    sh('cp', ['-rn', '/lib/systemd/system/.', join(r, 'lib/systemd/system/')]);
    const v = spawnSync('systemd-analyze', ['verify', `--root=${r}`, '/lib/systemd/system/openstack-keystone.service'], { encoding: 'utf8' });
    assert.equal(v.status, 0, v.stderr);
    assert.equal(v.stderr.trim(), '', 'no warnings');
  } finally {
    rmSync(r, { recursive: true, force: true });
  }
});
