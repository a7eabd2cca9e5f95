/**
 * The README's install steps on this machine, beside Debian's Keystone
 * (python3-keystone): builds the .deb, installs it with dpkg, checks that the
 * operator chooses which keystone-manage answers (update-alternatives), runs
 * `keystone-manage db_sync` and `bootstrap` and starts the installed unit's
 * ExecStart as its User (keystone) with a configuration on 127.0.0.1 port 0
 * (no systemd runs here), gets and validates a token, stops it with SIGTERM,
 * then removes and purges the package and checks that python3-keystone's
 * keystone-manage is back, unchanged, and answering.
 *
 * Needs root and dpkg; skipped without them unless CI=true (CI runs as root
 * on a Debian machine with python3-keystone, where it must run).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  chmodSync,
  chownSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readlinkSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildPackages, CI, has, IS_ROOT, sh } from './package-build.js';
import { eventually, httpRequest, issueToken } from '../process/http-client.js';

const PKG = 'openstack-keystone';
const MANAGE = '/usr/bin/keystone-manage';
const DIVERTED = '/usr/bin/keystone-manage.python3-keystone';
const OURS = '/usr/lib/openstack-keystone/bin/keystone-manage';
const PASSWORD = 'install-test-password';

const skip = (!IS_ROOT || !has('dpkg')) && !CI ? 'installs a package on this machine: needs root and dpkg (runs under CI=true)' : false;

const md5 = (path: string) => createHash('md5').update(readFileSync(path)).digest('hex');
const installed = (pkg: string) =>
  spawnSync('dpkg-query', ['-W', '-f=${Status}', pkg], { encoding: 'utf8' }).stdout.includes('install ok installed');
/** Which keystone-manage answers: ours prints its own usage line, Keystone's lists its commands in brackets. */
/** 'ours', 'python3-keystone', or what else answered. */
function whichManage(): string {
  const r = spawnSync(MANAGE, ['--help'], { encoding: 'utf8', timeout: 120_000 });
  const out = `${r.stdout}${r.stderr}`;
  if (/usage: keystone-manage \[--config-file PATH\]/.test(out)) return 'ours';
  if (/usage: keystone-manage \[bootstrap\|/.test(out)) return 'python3-keystone';
  return `unknown (${r.status}): ${out.slice(0, 200)}`;
}
/** A directive of the installed unit ([Service] Key=value). */
function unitValue(unit: string, key: string): string {
  const m = new RegExp(`^${key}=(.*)$`, 'm').exec(unit);
  assert.ok(m, `the installed unit has ${key}=`);
  return m[1];
}

test(
  'the .deb installs beside python3-keystone, serves a token from the installed files as keystone, and uninstalls cleanly',
  { skip, timeout: 900_000 },
  async (t) => {
    assert.ok(IS_ROOT && has('dpkg'), 'CI=true: this test needs root and dpkg');
    assert.ok(installed('python3-keystone'), 'python3-keystone is installed (.ci/run installs it)');
    assert.ok(!installed(PKG), `${PKG} is not installed on this machine before the test`);
    assert.match(sh('dpkg-query', ['-S', MANAGE]), /^python3-keystone: /m);
    const before = md5(MANAGE);
    const hadConf = existsSync('/etc/keystone/keystone.conf');
    const hadKeys = ['/etc/keystone/fernet-keys', '/etc/keystone/credential-keys'].filter((d) => existsSync(d));
    const hadEtc = existsSync('/etc/keystone');

    const work = mkdtempSync(join(tmpdir(), 'keystone-install-'));
    chmodSync(work, 0o755);
    let child: ReturnType<typeof spawn> | undefined;
    try {
      const { deb } = buildPackages(join(work, 'out'), 'deb');
      sh('dpkg', ['-i', deb!]);

      // keystone-manage: an alternatives link, ours by default; the operator can choose Keystone's
      assert.ok(lstatSync(MANAGE).isSymbolicLink());
      assert.equal(readlinkSync('/etc/alternatives/keystone-manage'), OURS);
      assert.equal(md5(DIVERTED), before, "python3-keystone's keystone-manage is diverted, unchanged");
      assert.equal(whichManage(), 'ours');
      sh('update-alternatives', ['--set', 'keystone-manage', DIVERTED]);
      assert.equal(whichManage(), 'python3-keystone');
      sh('update-alternatives', ['--auto', 'keystone-manage']);
      assert.equal(whichManage(), 'ours');
      assert.equal(readlinkSync('/usr/bin/keystone-all'), '../lib/openstack-keystone/bin/keystone-all');

      // the installed unit's command, as its user, with a configuration on free ports
      const unit = readFileSync('/lib/systemd/system/openstack-keystone.service', 'utf8');
      const user = unitValue(unit, 'User');
      assert.equal(user, 'keystone');
      const [exe, ...execArgs] = unitValue(unit, 'ExecStart').split(' ');
      assert.equal(exe, '/usr/lib/openstack-keystone/bin/keystone-all');
      const state = join(work, 'state');
      mkdirSync(state);
      const uid = Number(sh('id', ['-u', user]).trim());
      const gid = Number(sh('id', ['-g', user]).trim());
      chownSync(state, uid, gid);
      const override = join(work, 'test.conf');
      writeFileSync(
        override,
        [
          '[DEFAULT]',
          `state_path = ${state}`,
          'log_dir =',
          'log_file =',
          'use_stderr = true',
          '[eventlet_server]',
          'public_bind_host = 127.0.0.1',
          'admin_bind_host = 127.0.0.1',
          'public_port = 0',
          'admin_port = 0',
          'public_workers = 1',
          'admin_workers = 1',
          'shutdown_timeout = 10',
          '[metrics]',
          'port = 0',
          '[identity]',
          'password_hash_rounds = 4',
          '',
        ].join('\n'),
        { mode: 0o644 },
      );
      // the installed keystone.conf (the template, or the machine's own) and the test's ports and state
      const confArgs = ['--config-file', '/etc/keystone/keystone.conf', '--config-file', override];
      const asKeystone = (cmd: string, args: string[]) => sh('runuser', ['-u', user, '--', cmd, ...args], { cwd: state });
      // README: keystone-manage db_sync && keystone-manage bootstrap --bootstrap-password …
      asKeystone(MANAGE, [...confArgs, 'db_sync']);
      asKeystone(MANAGE, [...confArgs, 'bootstrap', '--bootstrap-password', PASSWORD]);
      let out = '';
      child = spawn('runuser', ['-u', user, '--', exe, ...execArgs, ...confArgs], { cwd: state, stdio: ['ignore', 'pipe', 'pipe'] });
      child.stdout!.on('data', (d) => (out += d));
      child.stderr!.on('data', (d) => (out += d));
      const exited = new Promise<number | null>((res) =>
        child!.on('exit', (code) => {
          res(code);
        }),
      );
      type Ports = { public: { url: string }; admin: { url: string } };
      const ports = await eventually(
        (): Ports | undefined => {
          if (child?.exitCode != null) throw new Error(`keystone-all exited with ${child.exitCode}`);
          return existsSync(join(state, 'ports')) ? (JSON.parse(readFileSync(join(state, 'ports'), 'utf8')) as Ports) : undefined;
        },
        120_000,
        'keystone-all ready',
      ).catch((err: unknown) => {
        throw new Error(`${String(err)}; keystone-all printed:\n${out || '(nothing)'}`);
      });
      t.diagnostic(`public ${ports.public.url}, admin ${ports.admin.url}`);
      const issued = await issueToken(ports.public.url, PASSWORD);
      assert.equal(issued.status, 201, issued.body);
      const token = issued.headers['x-subject-token'] as string;
      assert.match(token, /^gAAAAA/);
      const validated = await httpRequest(`${ports.admin.url}/v3/auth/tokens`, {
        headers: { 'X-Auth-Token': token, 'X-Subject-Token': token },
      });
      assert.equal(validated.status, 200, validated.body);
      assert.equal(JSON.parse(validated.body).token.user.name, 'admin');
      // stop: SIGTERM to the primary (runuser's child), as systemctl stop does
      const primary = Number(
        sh('pgrep', ['-P', String(child.pid)])
          .trim()
          .split('\n')[0],
      );
      assert.ok(primary > 0);
      assert.equal(sh('ps', ['-o', 'user=', '-p', String(primary)]).trim(), user, 'the server runs as keystone');
      process.kill(primary, 'SIGTERM');
      assert.equal(await exited, 0, out);
      child = undefined;
      assert.match(out, /keystone-all stopped/);

      // remove: python3-keystone's keystone-manage back in place, unchanged, answering
      sh('dpkg', ['-r', PKG]);
      assert.ok(!lstatSync(MANAGE).isSymbolicLink());
      assert.equal(md5(MANAGE), before);
      assert.ok(!existsSync(DIVERTED));
      assert.doesNotMatch(sh('dpkg-divert', ['--list']), /keystone-manage/);
      assert.equal(whichManage(), 'python3-keystone');
      assert.ok(!existsSync('/usr/bin/keystone-all'));
      // purge: what the package made goes, its data included; keys it did not make stay
      sh('dpkg', ['--purge', PKG]);
      assert.ok(!installed(PKG));
      assert.ok(!existsSync('/var/lib/openstack-keystone'));
      if (!hadConf) assert.ok(!existsSync('/etc/keystone/keystone.conf'), 'the unchanged keystone.conf the package wrote is purged');
      for (const d of ['/etc/keystone/fernet-keys', '/etc/keystone/credential-keys']) {
        if (hadKeys.includes(d)) assert.ok(existsSync(d), `${d}, which the package did not create, is kept on purge`);
        else assert.ok(!existsSync(d), `${d}, which the package created, goes with purge`);
      }
      assert.ok(!existsSync('/var/log/openstack-keystone'), "the package's logs go with purge");
      assert.equal(md5(MANAGE), before);
      assert.equal(sh('dpkg-query', ['-S', MANAGE]).trim(), `python3-keystone: ${MANAGE}`);
      assert.equal(whichManage(), 'python3-keystone');
    } finally {
      if (child?.pid) {
        const kids = spawnSync('pgrep', ['-P', String(child.pid)], { encoding: 'utf8' })
          .stdout.trim()
          .split('\n')
          .filter(Boolean)
          .map(Number);
        for (const pid of kids)
          try {
            process.kill(pid, 'SIGKILL');
          } catch {
            /* gone */
          }
      }
      if (installed(PKG) || existsSync('/var/lib/dpkg/info/openstack-keystone.list')) spawnSync('dpkg', ['--purge', PKG]);
      // leave the machine as found: keys this test's install created
      for (const d of ['/etc/keystone/fernet-keys', '/etc/keystone/credential-keys'])
        if (!hadKeys.includes(d)) rmSync(d, { recursive: true, force: true });
      if (!hadEtc) rmSync('/etc/keystone', { recursive: true, force: true });
      rmSync(work, { recursive: true, force: true });
    }
  },
);
