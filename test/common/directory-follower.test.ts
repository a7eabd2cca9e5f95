/**
 * The directory follower behind the Fernet key ring and the JWS public keys: a change in the
 * directory runs the check (debounced), a failing check goes to onError and the next change
 * runs it again, nothing runs after close().
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DirectoryFollower } from '../../src/common/directory-follower.js';

test('a file written in the directory runs the check; a failing check is reported and the next change runs it again', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'keystone-follower-'));
  const errors: string[] = [];
  let runs = 0;
  let fail = true;
  let seen: () => void = () => undefined;
  const follower = new DirectoryFollower(
    dir,
    () => {
      runs++;
      seen();
      if (fail) throw new Error('unreadable');
    },
    { debounceMs: 10, pollMs: 200, onError: (err) => errors.push(err.message) },
  );
  const nextRun = () =>
    new Promise<void>((resolve) => {
      seen = resolve;
    });
  // the follower's watch and timers do not keep a process alive: this test does, while it waits
  const keepAlive = setInterval(() => undefined, 1000);
  try {
    follower.start();
    follower.start(); // idempotent
    let ran = nextRun();
    writeFileSync(join(dir, '0'), 'a');
    await ran;
    await follower.settled();
    assert.deepEqual(errors.slice(0, 1), ['unreadable']);

    fail = false;
    const before = runs;
    ran = nextRun();
    writeFileSync(join(dir, '1'), 'b');
    await ran;
    await follower.settled();
    assert.ok(runs > before);
    assert.ok(errors.every((e) => e === 'unreadable'));

    follower.close();
    const closedAt = runs;
    follower.start(); // no effect once closed
    writeFileSync(join(dir, '2'), 'c');
    await follower.settled();
    assert.equal(runs, closedAt, 'closed: nothing runs');
  } finally {
    clearInterval(keepAlive);
    follower.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
