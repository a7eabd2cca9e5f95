/**
 * Builds the .deb and the .rpm once (packaging/build-packages.mjs --no-compile,
 * from the dist/ this test was compiled into), then checks their contents,
 * modes, owners and scripts, and installs the .deb into a throwaway root with
 * `dpkg --root --force-script-chrootless` (the maintainer scripts honour
 * $DPKG_ROOT), upgrades, removes and purges it there. The install on this
 * machine itself, beside python3-keystone, is test/packaging/install.test.ts.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import {
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readlinkSync,
  rmSync,
  statSync,
  writeFileSync,
  copyFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildPackages, CI, debArch, has, IS_ROOT, REPO, sh } from './package-build.js';

const root = REPO;
const tools = ['dpkg-deb', 'dpkg', 'rpmbuild', 'rpm'].filter((t) => !has(t));
const ci = CI;
const skip = tools.length > 0 && !ci ? `missing ${tools.join(', ')} (apt-get install dpkg rpm)` : false;
const isRoot = IS_ROOT;
const RPM_ARCH: Record<string, string> = { x64: 'x86_64', arm64: 'aarch64', ppc64: 'ppc64le', s390x: 's390x' };

let work: string;
let deb: string;
let rpm: string;

before(() => {
  if (skip) return;
  assert.deepEqual(tools, [], 'CI=true: dpkg-deb and rpmbuild are required');
  work = mkdtempSync(join(tmpdir(), 'keystone-pkg-'));
  const built = buildPackages(join(work, 'out'));
  deb = built.deb!;
  rpm = built.rpm!;
});

after(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

const version = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).version as string;

test('the .deb: name, architecture, dependencies, file list, modes and owners, conffiles, scripts', { skip }, () => {
  const arch = debArch();
  assert.equal(deb, join(work, 'out', `openstack-keystone_${version}_${arch}.deb`));
  const field = (f: string) => sh('dpkg-deb', ['-f', deb, f]).trim();
  assert.equal(field('Package'), 'openstack-keystone');
  assert.equal(field('Version'), version);
  assert.equal(field('Architecture'), arch, "native code inside: the build machine's architecture, not all");
  const depends = field('Depends');
  assert.ok(!/nodejs/.test(depends), `the runtime is bundled, no nodejs dependency: ${depends}`);
  assert.match(depends, /(^|, )libc6 \(>= [0-9.]+\)/, 'the C library the bundled node links');
  assert.match(depends, /libstdc\+\+6/);
  const listing = sh('dpkg-deb', ['-c', deb]).split('\n').filter(Boolean);
  const entry = (path: string) => listing.find((l) => l.endsWith(` .${path}`) || l.endsWith(` .${path}/`) || l.includes(` .${path} -> `));
  const expect: [string, string][] = [
    ['/usr/bin/keystone-all', 'lrwxrwxrwx'],
    ['/usr/lib/openstack-keystone/bin/keystone-all', '-rwxr-xr-x'],
    ['/usr/lib/openstack-keystone/bin/keystone-manage', '-rwxr-xr-x'],
    ['/usr/lib/openstack-keystone/node/bin/node', '-rwxr-xr-x'],
    ['/usr/share/openstack-keystone/keystone.conf', '-rw-r--r--'],
    ['/usr/share/openstack-keystone/policy.yaml', '-rw-r--r--'],
    ['/etc/logrotate.d/openstack-keystone-nodejs', '-rw-r--r--'],
    ['/lib/systemd/system/openstack-keystone.service', '-rw-r--r--'],
    ['/usr/lib/tmpfiles.d/openstack-keystone.conf', '-rw-r--r--'],
    ['/usr/lib/openstack-keystone/dist/src/log/logger.js', '-rw-r--r--'],
    ['/usr/lib/openstack-keystone/dist/src/metrics/server.js', '-rw-r--r--'],
    ['/usr/lib/openstack-keystone/libexec/keystone-pkg-setup', '-rwxr-xr-x'],
    ['/usr/lib/openstack-keystone/package.json', '-rw-r--r--'],
    ['/usr/lib/openstack-keystone/node_modules/winston/package.json', '-rw-r--r--'],
    ['/usr/lib/openstack-keystone/node_modules/prom-client/package.json', '-rw-r--r--'],
    ['/usr/share/doc/openstack-keystone/grafana/openstack-keystone.json', '-rw-r--r--'],
  ];
  for (const [path, mode] of expect) {
    const line = entry(path);
    assert.ok(line, `${path} is in the .deb`);
    assert.ok(line.startsWith(mode), `${path} has mode ${mode}: ${line}`);
    assert.match(line, / root\/root /, `${path} is owned by root`);
  }
  assert.match(entry('/usr/bin/keystone-all')!, / -> \.\.\/lib\/openstack-keystone\/bin\/keystone-all$/);
  // every file of packaging/grafana and packaging/prometheus is shipped, by directory
  for (const dir of ['grafana', 'prometheus']) {
    const src = join(root, 'packaging', dir);
    if (!existsSync(src)) continue;
    for (const f of sh('ls', [src]).split('\n').filter(Boolean))
      assert.ok(entry(`/usr/share/doc/openstack-keystone/${dir}/${f}`), `packaging/${dir}/${f} is shipped`);
  }
  for (const l of listing) assert.match(l, / root\/root /, 'every file is root-owned in the archive');
  assert.ok(!entry('/usr/bin/keystone-manage'), "keystone-manage is python3-keystone's file or an alternatives link, never ours");
  assert.ok(
    !listing.some((l) => / \.\/etc\/keystone\//.test(l)),
    "nothing under /etc/keystone: Debian's Keystone configuration stays as it is",
  );
  assert.ok(!listing.some((l) => l.includes('/node_modules/typescript/')), 'no dev dependency');
  assert.ok(!listing.some((l) => l.includes('/dist/test/')), 'no tests');
  assert.ok(!listing.some((l) => /^[-d]....(.w|..w)/.test(l.slice(0, 10)) && !l.startsWith('l')), 'nothing group/other-writable');
  const natives = listing.filter((l) => /\.node$/.test(l)).map((l) => l.split(' ').pop()!);
  assert.ok(natives.length >= 2, `the native addons are inside: ${natives.join(', ')}`);
  for (const n of natives)
    assert.match(n, new RegExp(`linux-${process.arch}/[^/]*glibc[^/]*\\.node$`), `only this architecture's glibc addons: ${n}`);

  const ctrl = join(work, 'deb-control');
  sh('dpkg-deb', ['-e', deb, ctrl]);
  assert.deepEqual(readFileSync(join(ctrl, 'conffiles'), 'utf8').trim().split('\n').sort(), ['/etc/logrotate.d/openstack-keystone-nodejs']);
  for (const s of ['preinst', 'postinst', 'prerm', 'postrm']) {
    assert.equal(statSync(join(ctrl, s)).mode & 0o777, 0o755, `${s} is executable`);
    sh('sh', ['-n', join(ctrl, s)]);
  }
  assert.match(
    readFileSync(join(ctrl, 'preinst'), 'utf8'),
    /dpkg-divert --package openstack-keystone --divert \/usr\/bin\/keystone-manage\.python3-keystone/,
  );
  const postinst = readFileSync(join(ctrl, 'postinst'), 'utf8');
  assert.match(postinst, /"\$SETUP" user\n\s+"\$SETUP" dirs/);
  assert.match(postinst, /"\$SETUP" conf\n/);
  assert.match(postinst, /"\$SETUP" keys/);
  assert.match(postinst, /"\$SETUP" alternatives/);
  const postrm = readFileSync(join(ctrl, 'postrm'), 'utf8');
  assert.match(postrm, /purge\)[\s\S]*keystone-pkg-setup" purge/);
  assert.ok(!/rm -rf/.test(postrm), 'postrm deletes nothing itself');
});

test(
  "the .rpm: its own name beside RDO's openstack-keystone, architecture, requires, file list, modes, owners, scriptlets",
  { skip },
  () => {
    const arch = RPM_ARCH[process.arch];
    assert.equal(rpm, join(work, 'out', `openstack-keystone-nodejs-${version}-1.${arch}.rpm`));
    const q = (...args: string[]) => sh('rpm', ['-qp', '--nosignature', ...args, rpm]);
    assert.equal(q('--qf', '%{NAME} %{VERSION} %{ARCH}').trim(), `openstack-keystone-nodejs ${version} ${arch}`);
    const requires = q('--requires');
    assert.ok(!/nodejs/.test(requires), `the runtime is bundled: ${requires}`);
    assert.match(requires, /^glibc >= 2\.28$/m);
    assert.match(q('--enhances'), /^openstack-keystone$/m);
    const files = new Map<string, { mode: string; user: string; group: string; flags: number }>();
    for (const line of q('--qf', '[%{FILEMODES:perms} %{FILEUSERNAME} %{FILEGROUPNAME} %{FILEFLAGS} %{FILENAMES}\n]')
      .split('\n')
      .filter(Boolean)) {
      const [mode, user, group, flags, ...name] = line.split(' ');
      files.set(name.join(' '), { mode: mode, user: user, group: group, flags: Number(flags) });
    }
    const CONFIG = 1 << 0;
    const NOREPLACE = 1 << 4;
    const check = (path: string, mode: string, user: string, group: string, config = false) => {
      const f = files.get(path);
      assert.ok(f, `${path} is in the .rpm`);
      assert.deepEqual([f.mode, f.user, f.group], [mode, user, group], path);
      if (config) assert.equal(f.flags & (CONFIG | NOREPLACE), CONFIG | NOREPLACE, `${path} is %config(noreplace)`);
    };
    const lib = '/usr/lib64/openstack-keystone';
    check('/usr/bin/keystone-all', 'lrwxrwxrwx', 'root', 'root');
    check(`${lib}/bin/keystone-manage`, '-rwxr-xr-x', 'root', 'root');
    check(`${lib}/node/bin/node`, '-rwxr-xr-x', 'root', 'root');
    check('/usr/share/openstack-keystone/keystone.conf', '-rw-r--r--', 'root', 'root');
    check('/etc/logrotate.d/openstack-keystone-nodejs', '-rw-r--r--', 'root', 'root', true);
    check('/usr/lib/systemd/system/openstack-keystone.service', '-rw-r--r--', 'root', 'root');
    check('/usr/lib/tmpfiles.d/openstack-keystone.conf', '-rw-r--r--', 'root', 'root');
    check('/var/log/openstack-keystone', 'drwxr-x---', 'keystone', 'keystone');
    check(`${lib}/dist/src/log/logger.js`, '-rw-r--r--', 'root', 'root');
    // RDO's openstack-keystone owns these: ours never does
    for (const p of [
      '/usr/bin/keystone-manage',
      '/etc/keystone/keystone.conf',
      '/etc/logrotate.d/openstack-keystone',
      '/etc/keystone',
      '/var/lib/keystone',
    ])
      assert.ok(!files.has(p), `${p} is not in the .rpm`);
    assert.ok(![...files.keys()].some((f) => f.includes('/node_modules/typescript/')), 'no dev dependency');
    const unitDir = join(work, 'rpm-unit');
    mkdirSync(unitDir);
    const cpio = spawnSync(
      'sh',
      ['-c', `rpm2cpio '${rpm}' | cpio -i --quiet --to-stdout ./usr/lib/systemd/system/openstack-keystone.service`],
      { encoding: 'utf8' },
    );
    if (cpio.status === 0 && cpio.stdout)
      assert.match(cpio.stdout, new RegExp(`^ExecStart=${lib}/bin/keystone-all start$`, 'm'), "the unit runs the .rpm's own path");
    const scripts = q('--scripts');
    assert.match(scripts, /preinstall scriptlet[\s\S]*useradd --system[^\n]*keystone/);
    assert.match(
      scripts,
      /postinstall scriptlet[\s\S]*keystone-pkg-setup dirs[\s\S]*keystone-pkg-setup conf[\s\S]*keystone-pkg-setup keys[\s\S]*alternatives --install \/usr\/bin\/keystone-manage keystone-manage/,
    );
    assert.match(scripts, /preuninstall scriptlet[\s\S]*"\$1" -eq 0[\s\S]*disable --now[\s\S]*alternatives --remove keystone-manage/);
    assert.match(q('--triggers'), /triggerpostun scriptlet[\s\S]*openstack-keystone/);
    assert.ok(!/rm -rf/.test(scripts), 'erasing never deletes data or keys');
  },
);

/** A minimal root dpkg, dpkg-divert, update-alternatives and useradd --prefix can work in. */
function makeRoot(): string {
  const r = mkdtempSync(join(tmpdir(), 'keystone-root-'));
  for (const d of [
    'var/lib/dpkg/info',
    'var/lib/dpkg/updates',
    'var/lib/dpkg/triggers',
    'var/lib/dpkg/alternatives',
    'etc/alternatives',
    'var/log',
    'etc',
    'usr/sbin',
    'usr/bin',
  ])
    mkdirSync(join(r, d), { recursive: true });
  writeFileSync(join(r, 'var/lib/dpkg/status'), '');
  writeFileSync(join(r, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/sh\n');
  writeFileSync(join(r, 'etc/group'), 'root:x:0:\n');
  writeFileSync(join(r, 'etc/shadow'), 'root:*:19000:0:99999:7:::\n', { mode: 0o600 });
  writeFileSync(join(r, 'etc/gshadow'), 'root:*::\n', { mode: 0o600 });
  if (existsSync('/etc/login.defs')) copyFileSync('/etc/login.defs', join(r, 'etc/login.defs'));
  return r;
}

/** A stand-in python3-keystone (just its /usr/bin/keystone-manage), to install into a throwaway root. */
function fakePython3Keystone(dir: string): string {
  const tree = join(dir, 'fake-python3-keystone');
  mkdirSync(join(tree, 'DEBIAN'), { recursive: true });
  mkdirSync(join(tree, 'usr/bin'), { recursive: true });
  writeFileSync(
    join(tree, 'DEBIAN/control'),
    'Package: python3-keystone\nVersion: 2:22.0.2-0\nArchitecture: all\nMaintainer: test <test@localhost>\nDescription: stand-in\n',
  );
  writeFileSync(join(tree, 'usr/bin/keystone-manage'), '#!/bin/sh\necho python3-keystone keystone-manage\n', { mode: 0o755 });
  const out = join(dir, 'python3-keystone_fake.deb');
  sh('dpkg-deb', ['--root-owner-group', '--build', tree, out]);
  return out;
}

/** One stub package providing every dependency named in `depends` (versioned provides), for a throwaway root. */
function stubDependencies(dir: string, depends: string): string {
  const tree = join(dir, 'stub-deps');
  mkdirSync(join(tree, 'DEBIAN'), { recursive: true });
  const provides = depends
    .split(',')
    .map((d) => `${d.trim().split(' ')[0]} (= 999)`)
    .join(', ');
  writeFileSync(
    join(tree, 'DEBIAN/control'),
    `Package: stub-host-libraries\nVersion: 1\nArchitecture: all\nProvides: ${provides}\nMaintainer: test <test@localhost>\nDescription: stand-in for the host's libraries\n`,
  );
  const out = join(dir, 'stub-deps.deb');
  sh('dpkg-deb', ['--root-owner-group', '--build', tree, out]);
  return out;
}

const installSkip = skip || (!isRoot ? 'installing into a root with dpkg --root and useradd --prefix needs root' : false);

test(
  'the .deb installs into a throwaway root beside python3-keystone: divert + alternatives, user, directories, templates, keys; upgrade keeps configuration and keys; remove gives keystone-manage back; purge removes what the package made, its data included, unless KEYSTONE_PURGE_KEEP_DATA=yes',
  { skip: installSkip },
  (t) => {
    const r = makeRoot();
    try {
      const dpkg = (args: string[], env: NodeJS.ProcessEnv = {}) =>
        sh('dpkg', [`--root=${r}`, '--force-script-chrootless', '--force-depends', '--force-confold', ...args], {
          env: { ...process.env, ...env },
        });
      dpkg(['-i', fakePython3Keystone(r)]);
      dpkg(['-i', deb]);
      // keystone-manage: python3-keystone's file diverted, the name an alternatives link (ours by default)
      assert.ok(lstatSync(join(r, 'usr/bin/keystone-manage')).isSymbolicLink());
      assert.equal(readlinkSync(join(r, 'usr/bin/keystone-manage')), '/etc/alternatives/keystone-manage');
      assert.equal(readlinkSync(join(r, 'etc/alternatives/keystone-manage')), '/usr/lib/openstack-keystone/bin/keystone-manage');
      assert.match(readFileSync(join(r, 'usr/bin/keystone-manage.python3-keystone'), 'utf8'), /python3-keystone keystone-manage/);
      const alternatives = readFileSync(join(r, 'var/lib/dpkg/alternatives/keystone-manage'), 'utf8');
      assert.match(alternatives, /\/usr\/bin\/keystone-manage\.python3-keystone\n40\n/);
      assert.match(alternatives, /\/usr\/lib\/openstack-keystone\/bin\/keystone-manage\n50\n/);

      const passwd = readFileSync(join(r, 'etc/passwd'), 'utf8');
      const user = /^keystone:x:(\d+):(\d+):[^:]*:\/var\/lib\/keystone:[^:]*nologin$/m.exec(passwd);
      assert.ok(user, 'the keystone system user exists');
      const [uid, gid] = [Number(user[1]), Number(user[2])];
      assert.ok(uid < 1000, 'a system uid');
      assert.match(readFileSync(join(r, 'etc/group'), 'utf8'), new RegExp(`^keystone:x:${gid}:`, 'm'));
      const lib = statSync(join(r, 'var/lib/keystone'));
      assert.equal(lib.mode & 0o7777, 0o700);
      assert.deepEqual([lib.uid, lib.gid], [uid, gid]);
      const logs = statSync(join(r, 'var/log/openstack-keystone'));
      assert.deepEqual([logs.mode & 0o7777, logs.uid, logs.gid], [0o750, uid, gid]);
      const conf = statSync(join(r, 'etc/keystone/keystone.conf'));
      assert.deepEqual([conf.mode & 0o7777, conf.uid, conf.gid], [0o640, 0, gid]);
      const confText = readFileSync(join(r, 'etc/keystone/keystone.conf'), 'utf8');
      assert.equal(
        confText,
        readFileSync(join(root, 'packaging/etc/keystone.conf'), 'utf8'),
        'the template, where no keystone.conf existed',
      );
      assert.match(confText, /^log_dir = \/var\/log\/openstack-keystone$/m);

      const help = spawnSync(join(r, 'usr/lib/openstack-keystone/bin/keystone-manage'), ['--help'], { encoding: 'utf8' });
      assert.equal(help.status, 0, help.stderr);
      assert.match(help.stdout + help.stderr, /fernet_setup/);
      for (const repo of ['fernet-keys', 'credential-keys']) {
        const st = statSync(join(r, 'etc/keystone', repo), { throwIfNoEntry: false });
        assert.ok(st?.isDirectory(), `postinst created ${repo}`);
        assert.ok(existsSync(join(r, 'etc/keystone', repo, '0')), `${repo} has a staged key`);
      }
      t.diagnostic('keys created by postinst');

      // The operator changes the configuration and has keys and data; an upgrade (re-install) keeps them.
      writeFileSync(join(r, 'etc/keystone/keystone.conf'), confText + '\n[token]\nexpiration = 7200\n');
      writeFileSync(join(r, 'etc/keystone/fernet-keys/0'), 'operator-key-0');
      writeFileSync(join(r, 'etc/keystone/fernet-keys/1'), 'operator-key-1');
      writeFileSync(join(r, 'var/lib/keystone/data'), 'operator data');
      dpkg(['-i', deb]);
      assert.ok(
        readFileSync(join(r, 'etc/keystone/keystone.conf'), 'utf8').endsWith('expiration = 7200\n'),
        'configuration kept on upgrade',
      );
      assert.equal(readFileSync(join(r, 'etc/keystone/fernet-keys/1'), 'utf8'), 'operator-key-1', 'keys kept on upgrade');
      assert.equal(readFileSync(join(r, 'etc/keystone/fernet-keys/0'), 'utf8'), 'operator-key-0');
      assert.equal(readlinkSync(join(r, 'etc/alternatives/keystone-manage')), '/usr/lib/openstack-keystone/bin/keystone-manage');

      dpkg(['-r', 'openstack-keystone']);
      assert.ok(!existsSync(join(r, 'usr/bin/keystone-all')), 'program removed');
      assert.ok(!lstatSync(join(r, 'usr/bin/keystone-manage')).isSymbolicLink(), "python3-keystone's keystone-manage is back in place");
      assert.match(readFileSync(join(r, 'usr/bin/keystone-manage'), 'utf8'), /python3-keystone keystone-manage/);
      assert.ok(!existsSync(join(r, 'usr/bin/keystone-manage.python3-keystone')));
      assert.ok(!existsSync(join(r, 'var/lib/dpkg/alternatives/keystone-manage')), 'no alternatives left');
      assert.doesNotMatch(sh('dpkg-divert', [`--root=${r}`, '--list']), /keystone-manage/, 'no diversion left');
      assert.ok(existsSync(join(r, 'var/lib/keystone/data')), 'data kept on remove');
      assert.ok(existsSync(join(r, 'etc/keystone/fernet-keys/1')), 'keys kept on remove');
      assert.ok(existsSync(join(r, 'etc/keystone/keystone.conf')), 'configuration kept on remove');

      mkdirSync(join(r, 'var/lib/keystone/pglite'), { recursive: true });
      writeFileSync(join(r, 'var/lib/keystone/pglite/PG_VERSION'), '16');
      dpkg(['--purge', 'openstack-keystone']);
      assert.ok(!existsSync(join(r, 'var/lib/keystone/pglite')), 'the embedded database goes with purge');
      assert.ok(!existsSync(join(r, 'etc/keystone/fernet-keys')), 'key repositories the package created go with purge');
      assert.ok(!existsSync(join(r, 'etc/keystone/credential-keys')));
      assert.ok(!existsSync(join(r, 'var/log/openstack-keystone')), 'the logs go with purge');
      assert.ok(
        !existsSync(join(r, 'etc/keystone/keystone.conf')),
        'the configuration the package created goes, changed or not (as dpkg purges conffiles)',
      );
      assert.ok(!existsSync(join(r, 'etc/keystone/policy.yaml')));
      assert.ok(existsSync(join(r, 'var/lib/keystone/data')), 'what the package did not create stays');
      assert.ok(!existsSync(join(r, 'var/lib/openstack-keystone')), "the package's bookkeeping is removed");
      assert.match(
        readFileSync(join(r, 'usr/bin/keystone-manage'), 'utf8'),
        /python3-keystone keystone-manage/,
        'python3-keystone untouched',
      );

      // python3-keystone removed, then installed again while ours stays: its file activates our trigger,
      // which dpkg runs at the end of the same run (our dependencies are satisfied here by a stub, as
      // dpkg defers the triggers of a package whose dependencies are missing)
      dpkg(['-i', stubDependencies(r, sh('dpkg-deb', ['-f', deb, 'Depends']).trim())]);
      dpkg(['-i', deb]);
      const settle = () => {
        assert.doesNotMatch(readFileSync(join(r, 'var/lib/dpkg/status'), 'utf8'), /^Triggers-Pending:/m, 'no trigger left pending');
      };
      dpkg(['--purge', 'python3-keystone']);
      settle();
      assert.ok(!existsSync(join(r, 'usr/bin/keystone-manage.python3-keystone')));
      assert.doesNotMatch(
        readFileSync(join(r, 'var/lib/dpkg/alternatives/keystone-manage'), 'utf8'),
        /python3-keystone/,
        'its entry went with its file',
      );
      dpkg(['-i', fakePython3Keystone(r)]);
      settle();
      assert.match(
        readFileSync(join(r, 'usr/bin/keystone-manage.python3-keystone'), 'utf8'),
        /python3-keystone keystone-manage/,
        'installed beside ours, under the diverted name',
      );
      assert.match(
        readFileSync(join(r, 'var/lib/dpkg/alternatives/keystone-manage'), 'utf8'),
        /\/usr\/bin\/keystone-manage\.python3-keystone\n40\n/,
        'and registered again',
      );
      assert.equal(readlinkSync(join(r, 'etc/alternatives/keystone-manage')), '/usr/lib/openstack-keystone/bin/keystone-manage');
      dpkg(['--purge', 'openstack-keystone']);
      assert.match(readFileSync(join(r, 'usr/bin/keystone-manage'), 'utf8'), /python3-keystone keystone-manage/);

      // asked to keep: KEYSTONE_PURGE_KEEP_DATA=yes keeps the database, keys, logs and the changed configuration
      dpkg(['-i', deb]);
      writeFileSync(join(r, 'etc/keystone/keystone.conf'), confText + '\n# changed\n');
      mkdirSync(join(r, 'var/lib/keystone/pglite'), { recursive: true });
      writeFileSync(join(r, 'var/lib/keystone/pglite/PG_VERSION'), '16');
      writeFileSync(join(r, 'var/log/openstack-keystone/keystone.log'), 'a log line\n');
      dpkg(['--purge', 'openstack-keystone'], { KEYSTONE_PURGE_KEEP_DATA: 'yes' });
      assert.ok(existsSync(join(r, 'var/lib/keystone/pglite/PG_VERSION')), 'the embedded database is kept when asked');
      assert.ok(existsSync(join(r, 'etc/keystone/fernet-keys/0')), 'the keys are kept when asked');
      assert.ok(existsSync(join(r, 'var/log/openstack-keystone/keystone.log')), 'the logs are kept when asked');
      assert.ok(
        readFileSync(join(r, 'etc/keystone/keystone.conf'), 'utf8').endsWith('# changed\n'),
        'the changed configuration is kept when asked',
      );

      // keys the package did not create (here: left by the previous install, as Debian's Keystone's would be) stay on purge…
      dpkg(['-i', deb]);
      dpkg(['--purge', 'openstack-keystone']);
      assert.ok(existsSync(join(r, 'etc/keystone/fernet-keys/0')), 'a key repository the package did not create stays');
      assert.ok(!existsSync(join(r, 'var/lib/keystone/pglite')), "the embedded database is this package's alone: it goes");
      // …unless KEYSTONE_PURGE_DATA=yes asks for them too
      dpkg(['-i', deb]);
      dpkg(['--purge', 'openstack-keystone'], { KEYSTONE_PURGE_DATA: 'yes' });
      assert.ok(!existsSync(join(r, 'etc/keystone/fernet-keys')), 'KEYSTONE_PURGE_DATA=yes removes keys whoever made them');
      assert.ok(!existsSync(join(r, 'var/log/openstack-keystone')));
      assert.ok(existsSync(join(r, 'var/lib/keystone/data')), 'a file that is no key repository, database or log stays');
      assert.match(readFileSync(join(r, 'usr/bin/keystone-manage'), 'utf8'), /python3-keystone keystone-manage/);
    } finally {
      rmSync(r, { recursive: true, force: true });
    }
  },
);

test(
  'the installed unit verifies with systemd-analyze against the installed files, and its security rating is OK or better',
  { skip: installSkip || (!has('systemd-analyze') && !ci ? 'systemd-analyze missing' : false) },
  () => {
    const r = makeRoot();
    try {
      sh('dpkg', ['-x', deb, r]);
      mkdirSync(join(r, 'bin'), { recursive: true });
      copyFileSync('/bin/kill', join(r, 'bin/kill'));
      // the targets the unit refers to, from the host
      sh('cp', ['-rn', '/lib/systemd/system/.', join(r, 'lib/systemd/system/')]);
      const v = spawnSync('systemd-analyze', ['verify', `--root=${r}`, '/lib/systemd/system/openstack-keystone.service'], {
        encoding: 'utf8',
      });
      assert.equal(v.status, 0, v.stderr);
      assert.equal(v.stderr.trim(), '', 'no warnings');
      const sec = spawnSync(
        'systemd-analyze',
        ['security', '--offline=yes', `--root=${r}`, '--no-pager', '/lib/systemd/system/openstack-keystone.service'],
        { encoding: 'utf8' },
      );
      assert.equal(sec.status, 0, sec.stderr);
      assert.match(
        sec.stdout,
        /Overall exposure level for openstack-keystone\.service: \d+\.\d+ (OK|SAFE|PERFECT)\b/,
        sec.stdout.split('\n').slice(-2).join('\n'),
      );
    } finally {
      rmSync(r, { recursive: true, force: true });
    }
  },
);
