#!/usr/bin/env node
/**
 * npm run package: builds packaging/out/openstack-keystone_<version>_all.deb
 * (dpkg-deb) and packaging/out/openstack-keystone-<version>-1.noarch.rpm
 * (rpmbuild) from the compiled dist/ and the production node_modules.
 *
 *   node packaging/build-packages.mjs [--no-compile] [--deb-only|--rpm-only] [--out DIR]
 *
 * --no-compile uses the dist/ already built (the tests do). The compile step
 * is `tsc -p .`; tsc emits even when a file has type errors, which are then
 * reported as a warning (set KEYSTONE_PACKAGE_STRICT=1 to fail on them).
 *
 * Layout (both formats):
 *   /usr/lib/openstack-keystone/{dist/src,node_modules,package.json,libexec/keystone-pkg-setup}
 *   /usr/bin/keystone-all, /usr/bin/keystone-manage     (sh wrappers: exec node …)
 *   /etc/keystone/keystone.conf, policy.yaml            (conffiles / %config(noreplace))
 *   /etc/logrotate.d/openstack-keystone                 (conffile)
 *   {/lib,/usr/lib}/systemd/system/openstack-keystone.service, /usr/lib/tmpfiles.d/openstack-keystone.conf
 *   /usr/share/doc/openstack-keystone/{keystone.conf.sample,grafana-dashboard.json,…}
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, cpSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '..');
const argv = process.argv.slice(2);
const flag = (f) => argv.includes(f);
const outDir = argv.includes('--out') ? resolve(argv[argv.indexOf('--out') + 1]) : join(here, 'out');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const version = pkg.version;
const NAME = 'openstack-keystone';

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

/** The installed tree, common to both formats; `unitDir` differs (Debian /lib, RPM /usr/lib). */
function stage(stageDir, unitDir) {
  rmSync(stageDir, { recursive: true, force: true });
  const lib = join(stageDir, 'usr/lib', NAME);
  mkdirSync(lib, { recursive: true });
  if (!existsSync(join(root, 'dist/src'))) throw new Error('dist/src is missing: build first (npm run build)');
  cpSync(join(root, 'dist/src'), join(lib, 'dist/src'), { recursive: true, filter: (s) => !s.endsWith('.map') });
  const prodPkg = { ...pkg, scripts: {}, devDependencies: undefined };
  writeFile(join(lib, 'package.json'), JSON.stringify(prodPkg, null, 2) + '\n');
  copy(join(root, 'package-lock.json'), join(lib, 'package-lock.json'));
  log('copying production node_modules');
  cpSync(join(root, 'node_modules'), join(lib, 'node_modules'), { recursive: true, verbatimSymlinks: true });
  run('npm', ['prune', '--omit=dev', '--ignore-scripts', '--no-audit', '--no-fund', '--offline', '--loglevel=error'], { cwd: lib, stdio: ['ignore', 2, 'inherit'] });
  rmSync(join(lib, 'node_modules/.cache'), { recursive: true, force: true });
  rmSync(join(lib, 'node_modules/.package-lock.json'), { force: true });
  normaliseModes(lib);
  copy(join(here, 'scripts/keystone-pkg-setup'), join(lib, 'libexec/keystone-pkg-setup'), 0o755);
  const wrapper = readFileSync(join(here, 'scripts/keystone-bin.in'), 'utf8');
  for (const bin of ['keystone-all', 'keystone-manage']) writeExec(join(stageDir, 'usr/bin', bin), wrapper.replaceAll('@NAME@', bin));
  copy(join(here, 'etc/keystone.conf'), join(stageDir, 'etc/keystone/keystone.conf'), 0o640);
  copy(join(here, 'etc/policy.yaml'), join(stageDir, 'etc/keystone/policy.yaml'), 0o644);
  copy(join(here, 'logrotate', NAME), join(stageDir, 'etc/logrotate.d', NAME), 0o644);
  copy(join(root, 'systemd', `${NAME}.service`), join(stageDir, unitDir, `${NAME}.service`), 0o644);
  copy(join(root, 'systemd', `${NAME}.tmpfiles`), join(stageDir, 'usr/lib/tmpfiles.d', `${NAME}.conf`), 0o644);
  const doc = join(stageDir, 'usr/share/doc', NAME);
  if (existsSync(join(root, 'conf/keystone.conf.sample'))) copy(join(root, 'conf/keystone.conf.sample'), join(doc, 'keystone.conf.sample'));
  copy(join(here, 'grafana', `${NAME}.json`), join(doc, 'grafana-dashboard.json'));
  for (const f of ['README.md', 'docs/operations.md']) if (existsSync(join(root, f))) copy(join(root, f), join(doc, f.split('/').pop()));
  writeFile(join(doc, 'copyright'), `Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/\nUpstream-Name: ${NAME}\nLicense: ${pkg.license}\n`);
  chmodSync(join(stageDir, 'etc/keystone'), 0o755);
}

function du(dir) {
  const out = execFileSync('du', ['-sk', '--apparent-size', dir], { encoding: 'utf8' });
  return Number(out.split('\t')[0]);
}

function buildDeb(work) {
  const stageDir = join(work, 'deb-root');
  stage(stageDir, 'lib/systemd/system');
  const control = join(stageDir, 'DEBIAN');
  mkdirSync(control, { recursive: true });
  writeFile(join(control, 'control'), [
    `Package: ${NAME}`,
    `Version: ${version}`,
    'Section: net',
    'Priority: optional',
    'Architecture: all',
    'Depends: nodejs (>= 20), passwd',
    'Recommends: logrotate',
    `Installed-Size: ${du(stageDir)}`,
    'Maintainer: OpenStack Keystone for Node.js maintainers <keystone@localhost>',
    'Homepage: https://docs.openstack.org/keystone/',
    'Description: OpenStack Identity service (Keystone) for Node.js',
    ' A drop-in replacement for OpenStack Keystone: the identity API, Fernet',
    ' tokens byte-compatible with Keystone\'s, keystone-manage, a systemd unit,',
    ' Prometheus metrics and logrotate support.',
    '',
  ].join('\n'));
  writeFile(join(control, 'conffiles'), ['/etc/keystone/keystone.conf', '/etc/keystone/policy.yaml', `/etc/logrotate.d/${NAME}`, ''].join('\n'));
  for (const s of ['postinst', 'prerm', 'postrm']) copy(join(here, 'deb', s), join(control, s), 0o755);
  const deb = join(outDir, `${NAME}_${version}_all.deb`);
  log(`dpkg-deb → ${deb}`);
  run('dpkg-deb', ['--root-owner-group', '-Zgzip', '-z6', '--build', stageDir, deb], { stdio: ['ignore', 'ignore', 'inherit'] });
  return deb;
}

function buildRpm(work) {
  const stageDir = join(work, 'rpm-root');
  stage(stageDir, 'usr/lib/systemd/system');
  mkdirSync(join(stageDir, 'var/lib/keystone'), { recursive: true });
  mkdirSync(join(stageDir, 'var/log/keystone'), { recursive: true });
  const top = join(work, 'rpmbuild');
  for (const d of ['BUILD', 'RPMS', 'SOURCES', 'SPECS', 'SRPMS', 'BUILDROOT']) mkdirSync(join(top, d), { recursive: true });
  const spec = join(top, 'SPECS', `${NAME}.spec`);
  writeFileSync(spec, readFileSync(join(here, 'rpm', `${NAME}.spec.in`), 'utf8').replaceAll('@VERSION@', version).replaceAll('@STAGE@', stageDir));
  log('rpmbuild');
  run('rpmbuild', ['-bb', '--quiet', '--define', `_topdir ${top}`, '--define', '_source_payload w6.gzdio', spec], { stdio: ['ignore', 'ignore', 'inherit'] });
  const built = join(top, 'RPMS', 'noarch', `${NAME}-${version}-1.noarch.rpm`);
  const rpm = join(outDir, `${NAME}-${version}-1.noarch.rpm`);
  copyFileSync(built, rpm);
  log(`rpm → ${rpm}`);
  return rpm;
}

function main() {
  if (!flag('--no-compile')) compile();
  mkdirSync(outDir, { recursive: true });
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
