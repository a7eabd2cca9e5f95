/**
 * keystone-manage fernet_rotate on a full disk and on an unwritable key
 * repository, while keystone-all serves from that repository:
 *  - the command fails with one clear line naming the repository and the
 *    cause, and says the existing keys are unchanged;
 *  - nothing is half-written: the same key files with the same contents,
 *    no temporary file left behind;
 *  - tokens issued before keep validating, new ones are issued, under load;
 *  - once the disk has room again, the rotation succeeds and loses no token.
 *
 * As root (with mount rights) the repository lives on a 64 KB tmpfs that is
 * filled up (ENOSPC) and then remounted read-only (EROFS). Otherwise the
 * full disk is a file-size limit of 0 for keystone-manage (EFBIG: the same
 * failing write) and the unwritable repository a chmod 0500.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KEYSTONE_MANAGE, startKeystone, type KeystoneProcess, type RunResult } from '../helpers/keystone-process.js';
import { eventually } from '../process/http-client.js';
import { KeystoneClient, runLoad, timed } from './load.js';

const root = mkdtempSync(join(tmpdir(), 'keystone-keyfaults-'));
const keysDir = join(root, 'keys');
mkdirSync(keysDir, { mode: 0o700 });
const mounted = process.getuid?.() === 0 && spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=64k,mode=0700', 'tmpfs', keysDir]).status === 0;

let ks: KeystoneProcess | undefined;
after(async () => {
  await ks?.stop({ signal: 'SIGKILL' });
  if (mounted) spawnSync('umount', ['-l', keysDir]);
  rmSync(root, { recursive: true, force: true });
});

/** keystone-manage with a shell prefix (ulimit) when asked. */
function manage(configFile: string, args: string[], options: { fileSizeLimit0?: boolean } = {}): Promise<RunResult> {
  const argv = [KEYSTONE_MANAGE, '--config-file', configFile, ...args].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
  const script = `${options.fileSizeLimit0 ? 'ulimit -f 0; ' : ''}exec '${process.execPath}' ${argv}`;
  return new Promise((resolve, reject) => {
    const child = spawn('sh', ['-c', script], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => {
      stdout += d;
    });
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    child.on('error', reject);
    child.on('close', (code, signal) => {
      resolve({ code, signal, stdout, stderr });
    });
  });
}

/** Every entry of the repository with its content. */
function snapshot(): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of readdirSync(keysDir).sort()) {
    if (name === 'filler') continue;
    out[name] = readFileSync(join(keysDir, name), 'utf8');
  }
  return out;
}

describe('fernet_rotate on a full disk and an unwritable key repository', () => {
  test('clear error, nothing half-written, old keys keep working; rotation works once there is room', async (t) => {
    t.diagnostic(
      mounted ? 'key repository on a 64 KB tmpfs (ENOSPC, then read-only)' : 'not root: file-size limit 0 (EFBIG) and chmod 0500',
    );
    ks = await startKeystone({
      config: { fernet_tokens: { key_repository: keysDir, max_active_keys: 3 }, fernet_receipts: { key_repository: keysDir } },
    });
    const node = ks;
    const client = new KeystoneClient(node.publicUrl, { sockets: 2 });
    try {
      const admin = await client.token(node.adminPassword);
      const before = await client.token(node.adminPassword);
      const original = snapshot();
      assert.deepEqual(Object.keys(original), ['0', '1']);

      const load = runLoad({
        loops: 2,
        pauseMs: 5,
        step: (n) =>
          n % 10 === 0
            ? timed('issue', () =>
                client.send('POST', '/v3/auth/tokens?nocatalog', {
                  body: {
                    auth: {
                      identity: {
                        methods: ['password'],
                        password: { user: { name: 'admin', domain: { id: 'default' }, password: node.adminPassword } },
                      },
                    },
                  },
                }),
              )
            : timed('validate', () => client.send('GET', '/v3/auth/tokens?nocatalog', { token: admin, subject: before })),
      });

      // ---- the disk is full
      let full: RunResult;
      if (mounted) {
        try {
          writeFileSync(join(keysDir, 'filler'), Buffer.alloc(1024 * 1024));
        } catch (err) {
          assert.equal((err as NodeJS.ErrnoException).code, 'ENOSPC');
        }
        full = await manage(node.configFile, ['fernet_rotate']);
      } else {
        full = await manage(node.configFile, ['fernet_rotate'], { fileSizeLimit0: true });
      }
      assert.notEqual(full.code, 0, 'fernet_rotate fails');
      const fullError = full.stderr.trim();
      assert.equal(fullError.split('\n').length, 1, `one line: ${fullError}`);
      assert.match(fullError, new RegExp(`key repository ${keysDir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
      assert.match(fullError, mounted ? /no space left on device/i : /file too large/i);
      assert.match(fullError, /the existing keys are unchanged/);
      assert.doesNotMatch(fullError, /\n\s+at /, 'no stack trace');
      assert.deepEqual(snapshot(), original, 'nothing half-written, no temporary file left');
      if (mounted) rmSync(join(keysDir, 'filler'));

      // ---- the repository is not writable
      if (mounted) assert.equal(spawnSync('mount', ['-o', 'remount,ro', keysDir]).status, 0, 'remount read-only');
      else chmodSync(keysDir, 0o500);
      const ro = await manage(node.configFile, ['fernet_rotate']);
      if (mounted) assert.equal(spawnSync('mount', ['-o', 'remount,rw', keysDir]).status, 0, 'remount read-write');
      else chmodSync(keysDir, 0o700);
      assert.notEqual(ro.code, 0);
      const roError = ro.stderr.trim();
      assert.equal(roError.split('\n').length, 1, `one line: ${roError}`);
      assert.match(roError, /key repository .* (is not writable|read-only file system)/i);
      assert.match(roError, /the existing keys are unchanged/);
      assert.deepEqual(snapshot(), original);

      // the server never noticed: old token, new tokens
      const during = await load.stop();
      t.diagnostic(during.summary());
      assert.deepEqual(during.unanswered(), []);
      assert.deepEqual(during.unexpected({ issue: [201], validate: [200] }), [], during.summary());
      const fresh = await client.token(node.adminPassword);
      assert.equal(await client.validate(admin, fresh), 200);

      // ---- room again: the rotation works and loses no valid token
      const ok = await manage(node.configFile, ['fernet_rotate']);
      assert.equal(ok.code, 0, ok.stderr);
      assert.deepEqual(Object.keys(snapshot()), ['0', '1', '2']);
      assert.equal(snapshot()['2'], original['0'], 'the staged key was promoted');
      await eventually(
        async () => {
          const t2 = await client.token(node.adminPassword);
          // a token encrypted with the new primary validates only once every worker has loaded it
          return (await client.validate(admin, t2)) === 200 && (await client.validate(admin, t2)) === 200;
        },
        30_000,
        'the new keys in use',
      );
      for (const tok of [before, fresh, admin]) assert.equal(await client.validate(admin, tok), 200);
    } finally {
      client.close();
      await node.stop();
      ks = undefined;
    }
  });
});
