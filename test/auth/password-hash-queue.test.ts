/**
 * [identity] password_hash_concurrency over HTTP: with one hash at a time, a login whose client hangs up while
 * its hash waits for its turn is not hashed at all, so its wrong password counts no failed attempt (lockout
 * after one). A login that waits and stays gets its answer.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { startTestServer, type TestServer } from '../helpers/test-server.js';
import { issueToken, passwordAuth } from '../helpers/tokens.js';
import { makeUser } from './auth-fixtures.js';

/** Polls the in-process hasher until `want` holds (every 2 ms, at most 30 s). */
async function until(server: TestServer, what: string, want: (load: { running: number; waiting: number }) => boolean): Promise<void> {
  const hasher = server.providers.identity_api.passwordHasher;
  const deadline = Date.now() + 30_000;
  while (!want(hasher.load())) {
    if (Date.now() > deadline) assert.fail(`${what}: still ${JSON.stringify(hasher.load())}`);
    await sleep(2);
  }
}

/** A password login sent over a connection of its own, which `hangUp` closes before the answer. */
function loginToHangUp(server: TestServer, body: unknown): { hangUp: () => void; closed: Promise<string> } {
  const url = new URL(`${server.publicUrl}/v3/auth/tokens`);
  const payload = JSON.stringify({ auth: body });
  const req = request(url, { method: 'POST', agent: false, headers: { 'Content-Type': 'application/json' } });
  const closed = new Promise<string>((resolve) => {
    req.on('response', (res) => {
      resolve(`answered ${res.statusCode}`);
    });
    req.on('error', () => {
      resolve('hung up');
    });
    req.on('close', () => {
      resolve('hung up');
    });
  });
  req.end(payload);
  return { hangUp: () => req.destroy(), closed };
}

describe('password hashes waiting for their turn ([identity] password_hash_concurrency = 1)', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({
      config: {
        // rounds that keep a hash busy long enough for a second login to queue behind it
        identity: { password_hash_concurrency: 1, password_hash_rounds: 13 },
        security_compliance: { lockout_failure_attempts: 1, lockout_duration: 600 },
      },
    });
  });
  after(async () => {
    await server.close();
  });

  test('one failed attempt locks a user out here (the lockout the next test relies on)', async () => {
    const user = await makeUser(server, { password: 'right one' });
    const wrong = await issueToken(server, passwordAuth({ userId: user.id, password: 'wrong one', unscoped: true }));
    assert.equal(wrong.status, 401);
    const right = await issueToken(server, passwordAuth({ userId: user.id, password: 'right one', unscoped: true }));
    assert.equal(right.status, 401, 'locked after one failure');
  });

  test('a login whose client hangs up while it waits is not hashed and counts no failure; the login ahead is answered', async () => {
    const user = await makeUser(server, { password: 'right one' });
    assert.equal(server.providers.identity_api.passwordHasher.load().limit, 1);
    const ahead = issueToken(server, passwordAuth({ username: 'admin', password: server.adminPassword, unscoped: true }));
    await until(server, 'the first login hashing', (l) => l.running === 1);
    const queued = loginToHangUp(server, passwordAuth({ userId: user.id, password: 'wrong one', unscoped: true }));
    await until(server, 'the second login waiting', (l) => l.waiting === 1);
    queued.hangUp();
    assert.equal(await queued.closed, 'hung up');
    assert.equal((await ahead).status, 201);
    await until(server, 'the queue drained', (l) => l.running === 0 && l.waiting === 0);
    const right = await issueToken(server, passwordAuth({ userId: user.id, password: 'right one', unscoped: true }));
    assert.equal(right.status, 201, 'the wrong password that was never hashed counted no failed attempt');
  });

  test('logins that wait their turn and stay are all answered', async () => {
    const user = await makeUser(server, { password: 'right one' });
    const answers = await Promise.all(
      Array.from({ length: 3 }, () => issueToken(server, passwordAuth({ userId: user.id, password: 'right one', unscoped: true }))),
    );
    assert.deepEqual(
      answers.map((a) => a.status),
      [201, 201, 201],
    );
    assert.deepEqual(server.providers.identity_api.passwordHasher.load(), { running: 0, waiting: 0, limit: 1 });
  });
});
