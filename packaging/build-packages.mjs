#!/usr/bin/env node
/**
 * npm run package: builds packaging/out/openstack-keystone_<version>_<arch>.deb
 * (dpkg-deb) and packaging/out/openstack-keystone-nodejs-<version>-1.<arch>.rpm
 * (rpmbuild) from the compiled dist/, the production node_modules and the
 * build machine's node binary (bundled: see docs/packaging.md).
 *
 *   node packaging/build-packages.mjs [--no-compile] [--deb-only|--rpm-only] [--out DIR] [--spec-only]
 *
 * --no-compile uses the dist/ already built (the tests do). The compile step
 * is `tsc -p .`; tsc emits even when a file has type errors, which are then
 * reported as a warning (set KEYSTONE_PACKAGE_STRICT=1 to fail on them).
 * --spec-only writes the .rpm's spec to --out and stops (for rpmlint).
 *
 * The architecture is the build machine's (dpkg --print-architecture / uname -m):
 * the packages carry native code (node itself, bcrypt, msgpackr-extract), and
 * only that architecture's prebuilt addons are kept.
 *
 * Layout (both formats; docs/packaging.md says why each path):
 * LIB = /usr/lib/openstack-keystone (.deb), /usr/lib64/openstack-keystone (.rpm, 64-bit)
 *   LIB/{dist/src,node_modules,package.json}
 *   LIB/node/bin/node                      the bundled runtime
 *   LIB/bin/{keystone-all,keystone-manage} sh wrappers: exec the bundled node
 *   LIB/libexec/keystone-pkg-setup         the maintainer scripts' logic
 *   /usr/bin/keystone-all → LIB/bin/keystone-all (relative link)
 *   /usr/bin/keystone-manage: not shipped; an alternative (update-alternatives / alternatives)
 *   /usr/share/openstack-keystone/{keystone.conf,policy.yaml}  templates, copied to /etc/keystone when absent
 *   /etc/logrotate.d/openstack-keystone-nodejs                 (conffile / %config(noreplace))
 *   {/lib,/usr/lib}/systemd/system/openstack-keystone.service, /usr/lib/tmpfiles.d/openstack-keystone.conf
 *   /usr/share/doc/<package>/{keystone.conf.sample,grafana/*,prometheus/*,…}
 */
import { execFileSync, spawnSync } from 'node:child_process';
import {
  chmodSync,
  copyFileSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  realpathSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '..');
const argv = process.argv.slice(2);
const flag = (f) => argv.includes(f);
const outDir = argv.includes('--out') ? resolve(argv[argv.indexOf('--out') + 1]) : join(here, 'out');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const version = pkg.version;
/** The code's directory, the unit's and the .deb's name. */
const NAME = 'openstack-keystone';
/** The .rpm's name: RDO's Keystone package is called openstack-keystone, and both must install side by side. */
const RPM_NAME = 'openstack-keystone-nodejs';
const LOGROTATE = 'openstack-keystone-nodejs';
/**
 * RPM's macros as Fedora/RHEL define them (Debian's rpm, which CI builds with,
 * leaves the systemd ones undefined): passed to rpmbuild so that the spec uses
 * the standard macro names.
 */
const RPM_LIBDIR = 'usr/lib64';
const RPM_MACROS = {
  _libdir: `/${RPM_LIBDIR}`,
  _unitdir: '/usr/lib/systemd/system',
  _tmpfilesdir: '/usr/lib/tmpfiles.d',
  _docdir: '/usr/share/doc',
  // gzip -6, as the .deb's payload (rpm's default is -9: twice rpmbuild's time for a 0.5% smaller package)
  _source_payload: 'w6.gzdio',
  _binary_payload: 'w6.gzdio',
};
/** node's process.arch → Debian and RPM architecture names. */
const ARCHES = { x64: ['amd64', 'x86_64'], arm64: ['arm64', 'aarch64'], ppc64: ['ppc64el', 'ppc64le'], s390x: ['s390x', 's390x'] };
const [DEB_ARCH, RPM_ARCH] =
  ARCHES[process.arch] ??
  (() => {
    throw new Error(`unsupported architecture ${process.arch}`);
  })();

const log = (m) => process.stderr.write(`[package] ${m}\n`);
const which = (cmd) => spawnSync('sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8' }).status === 0;
const run = (cmd, args, opts = {}) => execFileSync(cmd, args, { stdio: ['ignore', 'inherit', 'inherit'], ...opts });

function compile() {
  log('compiling (tsc -p .)');
  const r = spawnSync(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', root], { stdio: 'inherit' });
  if (r.status !== 0) {
    if (process.env.KEYSTONE_PACKAGE_STRICT === '1') throw new Error('tsc reported errors');
    log('warning: tsc reported type errors; packaging what it emitted');
  }
  // the embedded database's initdb template (src/storage/embedded-template.ts): a faster first start
  run(process.execPath, [join(root, 'dist/src/storage/embedded-template-build.js')]);
}

function writeExec(path, text) {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, text);
  chmodSync(path, 0o755);
}
function writeFile(path, text, mode = 0o644) {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, text);
  chmodSync(path, mode);
}
function copy(from, to, mode = 0o644) {
  mkdirSync(dirname(to), { recursive: true });
  copyFileSync(from, to);
  chmodSync(to, mode);
}

/** Files and directories read-only for everyone but root (no group/other write, no setuid). */
function normaliseModes(dir) {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    const st = statSync(p, { throwIfNoEntry: false });
    if (!st) continue;
    if (st.isDirectory()) {
      chmodSync(p, 0o755);
      normaliseModes(p);
    } else if (st.isFile()) {
      chmodSync(p, st.mode & 0o111 ? 0o755 : 0o644);
    }
  }
}

/**
 * Native addons: keep only this machine's (linux-<arch>, glibc) prebuilt
 * binaries; the other platforms' would be dead weight and the wrong
 * architecture inside an arch-specific package.
 */
function pruneForeignBinaries(dir) {
  const keep = `linux-${process.arch}`;
  const walk = (d) => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      const st = statSync(p, { throwIfNoEntry: false });
      if (!st?.isDirectory()) {
        if (name.endsWith('.musl.node')) rmSync(p, { force: true });
        continue;
      }
      if (name === 'prebuilds') {
        for (const plat of readdirSync(p)) if (plat !== keep) rmSync(join(p, plat), { recursive: true, force: true });
      } else if (d.endsWith('@msgpackr-extract') && !name.endsWith(`-${keep}`)) {
        rmSync(p, { recursive: true, force: true });
        continue;
      }
      walk(p);
    }
  };
  walk(dir);
}

/** The node binary that runs the build (the runtime the code was built and tested with). */
function nodeBinary() {
  const real = realpathSync(process.execPath);
  const major = Number(process.versions.node.split('.')[0]);
  if (major < 20) throw new Error(`node ${process.versions.node} builds the package, but the bundled runtime must be node >= 20`);
  return real;
}

/**
 * The installed tree, common to both formats. What differs: `libDir` (Debian
 * usr/lib, RPM's %{_libdir}: usr/lib64 on 64-bit architectures, where RPM
 * distributions put architecture-specific files), `unitDir` (Debian /lib, RPM
 * /usr/lib) and the documentation directory (the package's name).
 */
function stage(stageDir, { libDir, unitDir, docName }) {
  rmSync(stageDir, { recursive: true, force: true });
  const lib = join(stageDir, libDir, NAME);
  mkdirSync(lib, { recursive: true });
  if (!existsSync(join(root, 'dist/src'))) throw new Error('dist/src is missing: build first (npm run build)');
  cpSync(join(root, 'dist/src'), join(lib, 'dist/src'), { recursive: true, filter: (s) => !s.endsWith('.map') });
  const prodPkg = { ...pkg, scripts: {}, devDependencies: undefined };
  writeFile(join(lib, 'package.json'), JSON.stringify(prodPkg, null, 2) + '\n');
  copy(join(root, 'package-lock.json'), join(lib, 'package-lock.json'));
  log('copying production node_modules');
  cpSync(join(root, 'node_modules'), join(lib, 'node_modules'), { recursive: true, verbatimSymlinks: true, dereference: false });
  run('npm', ['prune', '--omit=dev', '--ignore-scripts', '--no-audit', '--no-fund', '--offline', '--loglevel=error'], {
    cwd: lib,
    stdio: ['ignore', 2, 'inherit'],
  });
  rmSync(join(lib, 'node_modules/.cache'), { recursive: true, force: true });
  rmSync(join(lib, 'node_modules/.package-lock.json'), { force: true });
  pruneForeignBinaries(join(lib, 'node_modules'));
  log(`bundling node ${process.versions.node} (${process.arch})`);
  copy(nodeBinary(), join(lib, 'node/bin/node'), 0o755);
  const nodeDoc = join(dirname(realpathSync(process.execPath)), '..', 'share/doc/nodejs');
  for (const f of ['LICENSE', 'copyright']) if (existsSync(join(nodeDoc, f))) copy(join(nodeDoc, f), join(lib, 'node', f));
  normaliseModes(lib);
  copy(join(here, 'scripts/keystone-pkg-setup'), join(lib, 'libexec/keystone-pkg-setup'), 0o755);
  const wrapper = readFileSync(join(here, 'scripts/keystone-bin.in'), 'utf8');
  for (const bin of ['keystone-all', 'keystone-manage']) writeExec(join(lib, 'bin', bin), wrapper.replaceAll('@NAME@', bin));
  mkdirSync(join(stageDir, 'usr/bin'), { recursive: true });
  symlinkSync(`../${libDir.replace(/^usr\//, '')}/${NAME}/bin/keystone-all`, join(stageDir, 'usr/bin/keystone-all'));
  const share = join(stageDir, 'usr/share', NAME);
  copy(join(here, 'etc/keystone.conf'), join(share, 'keystone.conf'), 0o644);
  copy(join(here, 'etc/policy.yaml'), join(share, 'policy.yaml'), 0o644);
  copy(join(here, 'logrotate', LOGROTATE), join(stageDir, 'etc/logrotate.d', LOGROTATE), 0o644);
  const unit = readFileSync(join(root, 'systemd', `${NAME}.service`), 'utf8').replaceAll(`/usr/lib/${NAME}/`, `/${libDir}/${NAME}/`);
  writeFile(join(stageDir, unitDir, `${NAME}.service`), unit);
  copy(join(root, 'systemd', `${NAME}.tmpfiles`), join(stageDir, 'usr/lib/tmpfiles.d', `${NAME}.conf`), 0o644);
  const doc = join(stageDir, 'usr/share/doc', docName);
  if (existsSync(join(root, 'conf/keystone.conf.sample'))) copy(join(root, 'conf/keystone.conf.sample'), join(doc, 'keystone.conf.sample'));
  // Dashboards and alert rules by directory, so that new files are shipped without a change here.
  for (const dir of ['grafana', 'prometheus']) {
    if (!existsSync(join(here, dir))) continue;
    for (const f of readdirSync(join(here, dir))) if (statSync(join(here, dir, f)).isFile()) copy(join(here, dir, f), join(doc, dir, f));
  }
  for (const f of ['README.md', 'docs/operations.md', 'docs/packaging.md'])
    if (existsSync(join(root, f))) copy(join(root, f), join(doc, f.split('/').pop()));
  writeFile(
    join(doc, 'copyright'),
    `Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/\nUpstream-Name: ${NAME}\nLicense: ${pkg.license}\n\nFiles: usr/lib/${NAME}/node/*\nComment: the bundled Node.js runtime; its licence is usr/lib/${NAME}/node/LICENSE\n`,
  );
}

/** Debian's shared-library dependencies of the bundled ELF files (dpkg-shlibdeps), or a safe floor without it. */
function debShlibDepends(lib) {
  const elves = [join(lib, 'node/bin/node')];
  const walk = (d) => {
    for (const n of readdirSync(d)) {
      const p = join(d, n);
      const st = statSync(p);
      if (st.isDirectory()) walk(p);
      else if (n.endsWith('.node')) elves.push(p);
    }
  };
  walk(join(lib, 'node_modules'));
  if (which('dpkg-shlibdeps')) {
    const tmp = mkdtempSync(join(tmpdir(), 'keystone-shlibs-'));
    try {
      mkdirSync(join(tmp, 'debian'));
      writeFileSync(join(tmp, 'debian/control'), `Source: ${NAME}\n\nPackage: ${NAME}\nArchitecture: any\n`);
      const r = spawnSync('dpkg-shlibdeps', ['-O', ...elves], { cwd: tmp, encoding: 'utf8' });
      const m = /^shlibs:Depends=(.*)$/m.exec(r.stdout ?? '');
      if (r.status === 0 && m) return m[1];
      log(`warning: dpkg-shlibdeps failed (${(r.stderr ?? '').trim().split('\n').pop()}); using a fixed floor`);
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  }
  return 'libc6 (>= 2.28), libgcc-s1, libstdc++6';
}

function du(dir) {
  const out = execFileSync('du', ['-sk', '--apparent-size', dir], { encoding: 'utf8' });
  return Number(out.split('\t')[0]);
}

function buildDeb(work) {
  const stageDir = join(work, 'deb-root');
  stage(stageDir, { libDir: 'usr/lib', unitDir: 'lib/systemd/system', docName: NAME });
  const control = join(stageDir, 'DEBIAN');
  mkdirSync(control, { recursive: true });
  writeFile(
    join(control, 'control'),
    [
      `Package: ${NAME}`,
      `Version: ${version}`,
      'Section: net',
      'Priority: optional',
      `Architecture: ${DEB_ARCH}`,
      // node is bundled (Debian 12 ships node 18): only the C libraries it and the addons link.
      `Depends: ${debShlibDepends(join(stageDir, 'usr/lib', NAME))}, passwd`,
      'Recommends: logrotate',
      // Installs beside Debian's Keystone: keystone-manage is shared through update-alternatives
      // (python3-keystone's is diverted to /usr/bin/keystone-manage.python3-keystone).
      'Enhances: python3-keystone',
      `Installed-Size: ${du(stageDir)}`,
      'Maintainer: OpenStack Keystone for Node.js maintainers <keystone@localhost>',
      'Homepage: https://docs.openstack.org/keystone/',
      'Description: OpenStack Identity service (Keystone) for Node.js',
      ' A drop-in replacement for OpenStack Keystone: the identity API, Fernet',
      " tokens byte-compatible with Keystone's, keystone-manage, a systemd unit,",
      ' Prometheus metrics and logrotate support. Bundles its Node.js runtime;',
      " installs beside Debian's keystone packages (keystone-manage is chosen",
      ' with update-alternatives).',
      '',
    ].join('\n'),
  );
  writeFile(join(control, 'conffiles'), [`/etc/logrotate.d/${LOGROTATE}`, ''].join('\n'));
  for (const s of ['preinst', 'postinst', 'prerm', 'postrm']) copy(join(here, 'deb', s), join(control, s), 0o755);
  // python3-keystone installing or removing its (diverted) keystone-manage runs our postinst `triggered`
  // (dpkg activates file triggers by the diverted name)
  writeFile(join(control, 'triggers'), 'interest-noawait /usr/bin/keystone-manage.python3-keystone\n');
  const deb = join(outDir, `${NAME}_${version}_${DEB_ARCH}.deb`);
  log(`dpkg-deb → ${deb}`);
  run('dpkg-deb', ['--root-owner-group', '-Zgzip', '-z6', '--build', stageDir, deb], { stdio: ['ignore', 'ignore', 'inherit'] });
  return deb;
}

function rpmSpec(stageDir) {
  return readFileSync(join(here, 'rpm', `${RPM_NAME}.spec.in`), 'utf8')
    .replaceAll('@VERSION@', version)
    .replaceAll('@STAGE@', stageDir)
    .replaceAll('@ARCH@', RPM_ARCH)
    .replaceAll('@NAME@', RPM_NAME);
}

function buildRpm(work) {
  const stageDir = join(work, 'rpm-root');
  stage(stageDir, { libDir: RPM_LIBDIR, unitDir: 'usr/lib/systemd/system', docName: RPM_NAME });
  for (const d of ['var/log/openstack-keystone']) mkdirSync(join(stageDir, d), { recursive: true });
  const top = join(work, 'rpmbuild');
  for (const d of ['BUILD', 'RPMS', 'SOURCES', 'SPECS', 'SRPMS', 'BUILDROOT']) mkdirSync(join(top, d), { recursive: true });
  const spec = join(top, 'SPECS', `${RPM_NAME}.spec`);
  writeFileSync(spec, rpmSpec(stageDir));
  log('rpmbuild');
  const defines = Object.entries(RPM_MACROS).flatMap(([k, v]) => ['--define', `${k} ${v}`]);
  run('rpmbuild', ['-bb', '--quiet', '--target', RPM_ARCH, '--define', `_topdir ${top}`, ...defines, spec], {
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const file = `${RPM_NAME}-${version}-1.${RPM_ARCH}.rpm`;
  const rpm = join(outDir, file);
  copyFileSync(join(top, 'RPMS', RPM_ARCH, file), rpm);
  log(`rpm → ${rpm}`);
  return rpm;
}

function main() {
  mkdirSync(outDir, { recursive: true });
  if (flag('--spec-only')) {
    const spec = join(outDir, `${RPM_NAME}.spec`);
    writeFileSync(spec, rpmSpec('/nonexistent'));
    process.stdout.write(JSON.stringify({ spec }) + '\n');
    return;
  }
  if (!flag('--no-compile')) compile();
  const work = join(outDir, 'work');
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  const built = {};
  try {
    if (!flag('--rpm-only')) {
      if (!which('dpkg-deb')) throw new Error('dpkg-deb not found (apt-get install dpkg)');
      built.deb = buildDeb(work);
    }
    if (!flag('--deb-only')) {
      if (!which('rpmbuild')) throw new Error('rpmbuild not found (apt-get install rpm)');
      built.rpm = buildRpm(work);
    }
  } finally {
    if (!flag('--keep-work')) rmSync(work, { recursive: true, force: true });
  }
  process.stdout.write(JSON.stringify(built) + '\n');
}

try {
  main();
} catch (err) {
  process.stderr.write(`[package] failed: ${err.message}\n`);
  process.exit(1);
}
