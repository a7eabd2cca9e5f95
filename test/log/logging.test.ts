import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, renameSync, rmSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { makeTestConfig, type TestConfig } from '../helpers/test-config.js';
import { configureLogging, log, logAccess, logFileTransports, getLogger, logFilePath } from '../../src/log/logger.js';
import { logContext, runWithLogContext, setLogUser } from '../../src/log/context.js';
import { accessLog, combinedLogLine } from '../../src/log/access.js';
import { scrubText, scrubValue } from '../../src/log/scrub.js';

let tc: TestConfig;
let logFile: string;
let logDir: string;

const flush = () => new Promise((r) => setImmediate(r));
const lines = () => (existsSync(logFile) ? readFileSync(logFile, 'utf8').split('\n').filter(Boolean) : []);

before(() => {
  // log_dir + a relative log_file
  logDir = mkdtempSync(join(tmpdir(), 'keystone-log-'));
  tc = makeTestConfig({ DEFAULT: { log_dir: join(logDir, 'logs'), log_file: 'keystone.log', debug: true } });
  logFile = join(logDir, 'logs', 'keystone.log');
  const setup = configureLogging(tc.conf, 'keystone-public', { checkIntervalMs: 0 });
  assert.equal(setup.file, logFile);
  assert.equal(setup.stderr, false);
  assert.equal(setup.level, 'debug');
});

after(() => {
  configureLogging(makeTestConfig().conf, 'keystone-test', { handleSignals: false });
  tc?.cleanup();
  rmSync(logDir, { recursive: true, force: true });
});

test("a line has oslo.log's shape: time, pid, level, name, context block, message", async () => {
  log.info('plain line');
  getLogger('keystone.token.provider').debug('named debug line');
  await flush();
  const all = lines();
  const plain = all.find((l) => l.endsWith('plain line'));
  assert.ok(plain, 'the line was written');
  assert.match(
    plain,
    new RegExp(`^\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d\\.\\d{3} ${process.pid} INFO keystone-public \\[-\\] plain line$`),
  );
  assert.ok(all.some((l) => / DEBUG keystone\.token\.provider \[-\] named debug line$/.test(l)));
});

test('every line logged while serving a request carries its request id, and the access line is in combined format', async () => {
  const app = (
    req: Parameters<ReturnType<typeof logContext>>[0] & import('node:http').IncomingMessage,
    res: import('node:http').ServerResponse,
  ) => {
    (req as { keystone?: object }).keystone = { requestId: `req-${crypto.randomUUID()}` };
    accessLog()(req, res, () => {
      logContext()(req, res, () => {
        log.info('handling request');
        setLogUser({ userId: 'u1', projectId: 'p1' });
        setTimeout(() => {
          void (async () => {
            await Promise.resolve();
            log.warn('after an await and a timer');
            res.setHeader('x-openstack-request-id', (req as { keystone: { requestId: string } }).keystone.requestId);
            res.statusCode = 201;
            res.end('{"ok": true}');
          })();
        }, 5);
      });
    });
  };
  const server: Server = createServer(app as never);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  try {
    const port = (server.address() as AddressInfo).port;
    const [a, b] = await Promise.all(
      ['/v3/projects/abc?name=x', '/v3/users'].map(async (p) => {
        const res = await fetch(`http://127.0.0.1:${port}${p}`, {
          method: p === '/v3/users' ? 'POST' : 'GET',
          headers: { 'user-agent': 'test "agent"', referer: 'http://ref/' },
        });
        await res.text();
        return res.headers.get('x-openstack-request-id') as string;
      }),
    );
    await new Promise((r) => setTimeout(r, 20));
    const all = lines();
    for (const id of [a, b]) {
      assert.match(id, /^req-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
      const mine = all.filter((l) => l.includes(`[${id}`));
      assert.equal(mine.filter((l) => l.endsWith('handling request')).length, 1, 'first line');
      assert.ok(
        mine.some((l) => l.includes(`[${id} u1 p1 - - -] after an await and a timer`)),
        'line after await carries id and user',
      );
      const access = mine.find((l) => l.includes(' keystone.access '));
      assert.ok(access, 'access line carries the request id');
      const combined = access.slice(access.indexOf('] ', access.indexOf('[req-')) + 2);
      assert.match(
        combined,
        /^127\.0\.0\.1 - - \[\d\d\/[A-Z][a-z]{2}\/\d{4}:\d\d:\d\d:\d\d [+-]\d{4}\] "(GET|POST) \/v3\/(projects\/abc|users) HTTP\/1\.1" 201 12 "http:\/\/ref\/" "test \\x22agent\\x22"$/,
      );
      assert.ok(!combined.includes('name=x'), 'the query string is dropped');
    }
    // no line of one request carries the other's id
    assert.equal(all.filter((l) => l.includes(a) && l.includes(b)).length, 0);
  } finally {
    server.close();
  }
});

test('combinedLogLine: Apache combined format fields', () => {
  const line = combinedLogLine({
    remoteAddr: '10.0.0.1',
    time: new Date(Date.UTC(2024, 0, 2, 3, 4, 5)),
    method: 'DELETE',
    url: '/v3/auth/tokens?x=1',
    httpVersion: '1.1',
    status: 204,
    bytes: 0,
  });
  assert.match(line, /^10\.0\.0\.1 - - \[\d\d\/Jan\/2024:\d\d:\d\d:05 [+-]\d{4}\] "DELETE \/v3\/auth\/tokens HTTP\/1\.1" 204 - "-" "-"$/);
});

const FERNET = 'gAAAAABmZ3fake_fernet-token' + 'A'.repeat(150) + 'xyz';
const UUID_TOKEN = '3b1f2c4d5e6f708192a3b4c5d6e7f809';
const SECRETS = [
  'S3cretPassw0rd!',
  'hunter2hunter2',
  FERNET,
  UUID_TOKEN,
  'adminTOKENvalue',
  'blobSecretValue',
  'dbpass123',
  'ec2SECRETkey',
  'subjTOKEN999',
];

test('no password, token, secret or credential blob reaches a line, whatever the form', async () => {
  const messages = [
    `auth body {"auth": {"identity": {"methods": ["password"], "password": {"user": {"name": "admin", "domain": {"id": "default"}, "password": "${SECRETS[0]}"}}}}}`,
    `password=${SECRETS[1]} user=admin`,
    `validating ${FERNET} now`,
    `token ${UUID_TOKEN} revoked`,
    `headers: X-Auth-Token: ${SECRETS[4]}, X-Subject-Token: ${SECRETS[8]}`,
    `credential {'blob': '${SECRETS[5]}', 'type': 'ec2'}`,
    `connecting to postgresql://keystone:${SECRETS[6]}@db.example.com/keystone`,
    `escaped "{\\"access\\": \\"a\\", \\"secret\\": \\"${SECRETS[7]}\\"}"`,
    `<password>${SECRETS[1]}</password>`,
    `admin_token = ${SECRETS[4]}`,
  ];
  for (const m of messages) log.info(m);
  log.debug('meta', {
    password: SECRETS[0],
    headers: { 'X-Auth-Token': SECRETS[4], 'x-subject-token': SECRETS[8] },
    blob: SECRETS[5],
    admin_token: SECRETS[4],
    nested: { credential: { secret: SECRETS[7] } },
  });
  log.error(new Error(`failed for token ${FERNET}`));
  runWithLogContext({ requestId: 'req-00000000-0000-0000-0000-000000000000' }, () => log.warn(`in request: password: ${SECRETS[1]}`));
  await flush();
  const text = readFileSync(logFile, 'utf8');
  for (const s of SECRETS) assert.ok(!text.includes(s), `secret ${s.slice(0, 12)}… not in the log`);
  assert.ok(text.includes('***'));
  // what is not secret survives
  assert.ok(text.includes('"name": "admin"'));
  assert.ok(text.includes('db.example.com/keystone'));
  assert.ok(text.includes("'type': 'ec2'"));
});

test('scrubText and scrubValue, directly', () => {
  assert.equal(scrubText('password=abc'), 'password=***');
  assert.equal(scrubText('"password": "a\\"b"'), '"password": "***"');
  assert.equal(scrubText('"token": null'), '"token": null');
  assert.equal(scrubText(`GET /v3/users/${UUID_TOKEN} HTTP/1.1`, { access: true }), `GET /v3/users/${UUID_TOKEN} HTTP/1.1`);
  assert.equal(scrubText(`GET /v2.0/tokens/${UUID_TOKEN} HTTP/1.1`, { access: true }), 'GET /v2.0/tokens/*** HTTP/1.1');
  assert.equal(scrubText(`id ${UUID_TOKEN}`), 'id ***');
  assert.equal(scrubText(scrubText('secret: x')), 'secret: ***');
  assert.deepEqual(scrubValue({ Password: 'x', user: { name: 'n', password_expires_at: null }, token_type: 'fernet', enabled: true }), {
    Password: '***',
    user: { name: 'n', password_expires_at: null },
    token_type: 'fernet',
    enabled: true,
  });
});

test('JSON lines (use_json) carry the request id in their context', async () => {
  const j = makeTestConfig({ DEFAULT: { log_file: 'json.log', log_dir: 'ignored-when-absolute', use_json: true } });
  try {
    const file = join(j.dir, 'json.log');
    const jc = makeTestConfig({ DEFAULT: { log_file: file, use_json: true } });
    configureLogging(jc.conf, 'keystone-admin', { checkIntervalMs: 0 });
    runWithLogContext({ requestId: 'req-11111111-2222-3333-4444-555555555555' }, () =>
      log.info('json line', { password: 'pw-in-json', user_id: 'u' }),
    );
    await flush();
    const rec = JSON.parse(readFileSync(file, 'utf8').trim().split('\n').pop() as string);
    assert.equal(rec.message, 'json line');
    assert.equal(rec.levelname, 'INFO');
    assert.equal(rec.process_name, 'keystone-admin');
    assert.equal(rec.context.request_id, 'req-11111111-2222-3333-4444-555555555555');
    assert.equal(rec.extra.password, '***');
    assert.equal(rec.extra.user_id, 'u');
    assert.ok(!readFileSync(file, 'utf8').includes('pw-in-json'));
    jc.cleanup();
  } finally {
    j.cleanup();
    configureLogging(tc.conf, 'keystone-public', { checkIntervalMs: 0 });
  }
});

test('log_dir alone writes keystone.log (keystone-manage.log for keystone-manage)', () => {
  const c = makeTestConfig({ DEFAULT: { log_dir: '/var/log/keystone' } });
  try {
    assert.equal(logFilePath(c.conf, 'keystone-public'), '/var/log/keystone/keystone.log');
    assert.equal(logFilePath(c.conf, 'keystone-manage'), '/var/log/keystone/keystone-manage.log');
  } finally {
    c.cleanup();
  }
});

test('debug = false drops debug lines', async () => {
  const q = makeTestConfig({ DEFAULT: { log_file: 'q.log' } });
  const file = join(q.dir, 'q.log');
  const qc = makeTestConfig({ DEFAULT: { log_file: file } });
  try {
    configureLogging(qc.conf, 'keystone-public', { checkIntervalMs: 0 });
    log.debug('invisible');
    log.info('visible');
    await flush();
    const text = readFileSync(file, 'utf8');
    assert.ok(text.includes('visible') && !text.includes('invisible'));
  } finally {
    configureLogging(tc.conf, 'keystone-public', { checkIntervalMs: 0 });
    q.cleanup();
    qc.cleanup();
  }
});

test('SIGUSR1 reopens the log file after logrotate moved it; a moved file is also noticed by itself', async () => {
  log.info('before rotation');
  await flush();
  renameSync(logFile, logFile + '.1');
  log.info('still into the moved file');
  process.kill(process.pid, 'SIGUSR1');
  await new Promise((r) => setTimeout(r, 50));
  log.info('after rotation');
  await flush();
  assert.ok(readFileSync(logFile + '.1', 'utf8').includes('still into the moved file'));
  const fresh = readFileSync(logFile, 'utf8');
  assert.ok(fresh.includes('after rotation'));
  assert.ok(!fresh.includes('before rotation'));
  // no signal: the periodic check notices the move (here called directly)
  unlinkSync(logFile + '.1');
  renameSync(logFile, logFile + '.1');
  const t = logFileTransports()[0];
  assert.equal(t.checkMoved(), true);
  assert.equal(t.checkMoved(), false);
  log.info('after second rotation');
  await flush();
  assert.ok(readFileSync(logFile, 'utf8').includes('after second rotation'));
});

test('use_journal: stderr lines carry sd-daemon priority prefixes', () => {
  const j = makeTestConfig({ DEFAULT: { use_journal: true } });
  try {
    const mod = fileURLToPath(new URL('../../src/log/logger.js', import.meta.url));
    const script = `import { configureLogging, log } from ${JSON.stringify(mod)};
      import { loadConfig } from ${JSON.stringify(fileURLToPath(new URL('../../src/config/load-config.js', import.meta.url)))};
      configureLogging(loadConfig({ configFiles: [${JSON.stringify(j.file)}] }).conf, 'keystone-all');
      log.info('to the journal'); log.error('an error, password=zzz'); log.debug('not at info');`;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stderr, /^<6>\S+ \S+ \d+ INFO keystone-all \[-\] to the journal$/m);
    assert.match(r.stderr, /^<3>.* ERROR keystone-all \[-\] an error, password=\*\*\*$/m);
    assert.ok(!r.stderr.includes('not at info'));
  } finally {
    j.cleanup();
  }
});

test('access lines through logAccess: the same line as through winston, scrubbed, in order with the other lines, batched into few writes', async () => {
  const requestId = `req-${crypto.randomUUID()}`;
  const message = (i: number) =>
    `127.0.0.1 - - [04/Dec/2026:18:06:01 +0000] "GET /v3/auth/tokens HTTP/1.1" 200 ${String(700 + i)} "-" "agent password=hunter2-${String(i)}"`;
  log.info(message(0), { requestId, access: true });
  logAccess(message(0), requestId);
  log.info('between the access lines');
  for (let i = 1; i <= 50; i++) logAccess(message(i), requestId);
  const writes = { n: 0 };
  const t = logFileTransports()[0];
  const appendOf = (t as unknown as { append(text: string): void }).append.bind(t);
  (t as unknown as { append(text: string): void }).append = (text: string) => {
    writes.n++;
    appendOf(text);
  };
  try {
    await flush();
  } finally {
    delete (t as unknown as { append?: unknown }).append;
  }
  const all = lines();
  const mine = all.filter((l) => l.includes(requestId));
  assert.equal(mine.length, 52);
  const strip = (l: string) => l.replace(/^\S+ \S+ /, '');
  assert.equal(strip(mine[0]), strip(mine[1]), 'winston and logAccess write the same line');
  assert.match(
    mine[1],
    new RegExp(`^\\S+ \\S+ ${String(process.pid)} INFO keystone\\.access \\[${requestId} - - - - -\\] 127\\.0\\.0\\.1 `),
  );
  assert.ok(!all.join('\n').includes('hunter2'), 'the user agent is scrubbed');
  const between = all.indexOf(all.find((l) => l.endsWith('between the access lines')) as string);
  assert.ok(between > all.indexOf(mine[1]) && between < all.indexOf(mine[2]), 'order kept around a line written directly');
  assert.ok(writes.n >= 1 && writes.n <= 5, `50 access lines in ${String(writes.n)} writes`);
});

test('access lines queued by logAccess are written when the process exits', () => {
  const mod = fileURLToPath(new URL('../../src/log/logger.js', import.meta.url));
  const script = `import { logAccess } from ${JSON.stringify(mod)};
    logAccess('127.0.0.1 - - [04/Dec/2026:18:06:01 +0000] "GET /v3 HTTP/1.1" 200 5 "-" "-"', 'req-11111111-2222-3333-4444-555555555555');
    process.exit(0);`;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.match(
    r.stderr,
    /INFO keystone\.access \[req-11111111-2222-3333-4444-555555555555 - - - - -\] 127\.0\.0\.1 .*"GET \/v3 HTTP\/1\.1" 200 5/,
  );
});
