/**
 * /metrics against a real keystone-all (2 public workers, 1 admin worker;
 * the embedded database, and PostgreSQL with CI=true): a known mix of requests — discovery, lists,
 * entities by id, token issue, validations (the fast path and the router),
 * 401/404/405, malformed JSON, a 413, requests node's HTTP parser refuses —
 * is found in the primary's scrape exactly, by service, method, route
 * template and status, and line by line in the access log. Token, cache,
 * database, auth failure and lockout metrics come from the same requests.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { connect } from 'node:net';
import { startKeystone, type KeystoneProcess } from '../helpers/keystone-process.js';
import { databaseKinds } from '../helpers/test-database.js';
import { eventually } from '../process/http-client.js';
import { metricsUrlOf, scrape, sum, type Sample } from './scrape.js';

type Service = 'public' | 'admin';

interface Sent {
  service: Service;
  method: string;
  /** the path as sent (no query) */
  path: string;
  /** the route label the request must be counted under */
  route: string;
  status: number;
}

const key = (s: { service: string; method: string; route: string; status: number | string }) =>
  `${s.service} ${s.method} ${s.route} ${s.status}`;

const passwordBody = (name: string, password: string, scoped = true) =>
  JSON.stringify({
    auth: {
      identity: { methods: ['password'], password: { user: { name, domain: { name: 'Default' }, password } } },
      ...(scoped ? { scope: { project: { name: 'admin', domain: { name: 'Default' } } } } : {}),
    },
  });
const JSON_HEADERS = { 'Content-Type': 'application/json' };

interface AccessLine {
  pid: number;
  method: string;
  path: string;
  status: number;
}

function countsOf(samples: Sample[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const s of samples) {
    if (s.name !== 'keystone_http_request_duration_seconds_count') continue;
    const k = key({ service: s.labels.service, method: s.labels.method, route: s.labels.route, status: s.labels.status });
    counts.set(k, (counts.get(k) ?? 0) + s.value);
  }
  return counts;
}

function tally(items: string[]): Map<string, number> {
  const out = new Map<string, number>();
  for (const i of items) out.set(i, (out.get(i) ?? 0) + 1);
  return out;
}

const sorted = (m: Map<string, number>) => [...m.entries()].sort(([a], [b]) => a.localeCompare(b));

for (const database of databaseKinds()) {
  let ks: KeystoneProcess;
  let metricsUrl: string;
  const sent: Sent[] = [];
  /** path as sent → its route label (what the test knows it sent) */
  const routeOfPath = new Map<string, string>();

  function baseOf(service: Service): string {
    return service === 'public' ? ks.publicUrl : ks.adminUrl;
  }

  /** One request through fetch; its status must be `status`; it is remembered with its route label. */
  async function send(
    service: Service,
    method: string,
    pathAndQuery: string,
    route: string,
    status: number,
    init: { headers?: Record<string, string>; body?: string } = {},
  ): Promise<Response> {
    const res = await fetch(baseOf(service) + pathAndQuery, { method, headers: init.headers, body: init.body });
    await res.arrayBuffer();
    assert.equal(res.status, status, `${method} ${pathAndQuery} on ${service}`);
    const path = pathAndQuery.split('?')[0];
    sent.push({ service, method, path, route, status });
    routeOfPath.set(path, route);
    return res;
  }

  /** Raw bytes on a fresh connection; resolves with the status line's code. */
  function sendRaw(service: Service, bytes: string): Promise<number> {
    const port = service === 'public' ? ks.publicPort : ks.adminPort;
    return new Promise((resolve, reject) => {
      const socket = connect(port, '127.0.0.1', () => socket.write(bytes));
      let data = '';
      socket.setEncoding('utf8');
      socket.on('data', (d) => {
        data += String(d);
      });
      socket.on('error', reject);
      socket.on('close', () => {
        resolve(Number(/^HTTP\/1\.1 (\d{3}) /.exec(data)?.[1] ?? 0));
      });
    });
  }

  function accessLines(): AccessLine[] {
    const lines: AccessLine[] = [];
    for (const line of ks.output().split('\n')) {
      const m = /^\S+ \S+ (\d+) INFO keystone\.access \[[^\]]*\] \S+ - - \[[^\]]+\] "(?:(\S+) (\S+) HTTP\/[\d.]+|-)" (\d{3}) /.exec(line);
      if (m) lines.push({ pid: Number(m[1]), method: m[2] ?? 'OTHER', path: m[3] ?? '', status: Number(m[4]) });
    }
    return lines;
  }

  describe(`the metrics of a real keystone-all (${database})`, () => {
    before(async () => {
      ks = await startKeystone({
        database,
        config: {
          eventlet_server: { public_workers: 2, admin_workers: 1 },
          metrics: { enabled: true },
          security_compliance: { lockout_failure_attempts: 2, lockout_duration: 600 },
          identity: { password_hash_concurrency: 3 },
        },
      });
      metricsUrl = await metricsUrlOf(ks);
    });

    after(async () => {
      await ks?.stop();
    });

    let adminToken = '';
    let subjectToken = '';

    test('a known mix of requests is counted exactly, by route template and status, and agrees with the access log line by line', async () => {
      // discovery
      for (let i = 0; i < 3; i++) await send('public', 'GET', '/', '/', 300);
      for (let i = 0; i < 20; i++) await send('public', 'GET', '/v3', '/v3', 200);
      await send('public', 'GET', '/v3/', '/v3', 200);
      await send('public', 'GET', '/v3', '/v3', 200, { headers: { Accept: 'application/json-home' } });
      await send('public', 'HEAD', '/v3', '/v3', 200);
      await send('public', 'GET', '/v2.0', '/v2.0', 200);
      for (let i = 0; i < 5; i++) await send('admin', 'GET', '/v3', '/v3', 200);

      // token issue
      const issued = await send('public', 'POST', '/v3/auth/tokens', '/v3/auth/tokens', 201, {
        headers: JSON_HEADERS,
        body: passwordBody('admin', ks.adminPassword),
      });
      adminToken = issued.headers.get('x-subject-token')!;
      subjectToken = (
        await send('public', 'POST', '/v3/auth/tokens?nocatalog', '/v3/auth/tokens', 201, {
          headers: JSON_HEADERS,
          body: passwordBody('admin', ks.adminPassword),
        })
      ).headers.get('x-subject-token')!;
      const auth = { 'X-Auth-Token': adminToken };

      // lists, entities by id (the id never becomes a label), a create
      for (let i = 0; i < 3; i++) await send('public', 'GET', '/v3/users', '/v3/users', 200, { headers: auth });
      for (let i = 0; i < 2; i++) await send('public', 'GET', '/v3/projects', '/v3/projects', 200, { headers: auth });
      const adminUserId = (
        (await (await fetch(`${ks.publicUrl}/v3/auth/tokens`, { headers: { ...auth, 'X-Subject-Token': adminToken } })).json()) as {
          token: { user: { id: string } };
        }
      ).token.user.id;
      sent.push({ service: 'public', method: 'GET', path: '/v3/auth/tokens', route: '/v3/auth/tokens', status: 200 });
      await send('public', 'GET', `/v3/users/${adminUserId}`, '/v3/users/{user_id}', 200, { headers: auth });
      for (let i = 0; i < 3; i++) await send('public', 'GET', `/v3/users/no-such-user-${i}`, '/v3/users/{user_id}', 404, { headers: auth });
      await send('public', 'GET', `/v3/users/${adminUserId}/projects`, '/v3/users/{user_id}/projects', 200, { headers: auth });
      await send('admin', 'POST', '/v3/users', '/v3/users', 201, {
        headers: { ...auth, ...JSON_HEADERS },
        body: JSON.stringify({ user: { name: 'metrics-user', password: 'right-password', domain_id: 'default' } }),
      });

      // validations: the first ones fill each worker's memo, the rest answer on the fast path
      for (let i = 0; i < 12; i++)
        await send('public', 'GET', '/v3/auth/tokens', '/v3/auth/tokens', 200, { headers: { ...auth, 'X-Subject-Token': subjectToken } });
      for (let i = 0; i < 3; i++)
        await send('public', 'GET', '/v3/auth/tokens?nocatalog', '/v3/auth/tokens', 200, {
          headers: { ...auth, 'X-Subject-Token': subjectToken },
        });
      for (let i = 0; i < 3; i++)
        await send('public', 'HEAD', '/v3/auth/tokens', '/v3/auth/tokens', 200, { headers: { ...auth, 'X-Subject-Token': subjectToken } });
      for (let i = 0; i < 4; i++)
        await send('admin', 'GET', '/v3/auth/tokens', '/v3/auth/tokens', 200, { headers: { ...auth, 'X-Subject-Token': subjectToken } });
      await send('public', 'GET', '/v3/auth/tokens', '/v3/auth/tokens', 404, { headers: { ...auth, 'X-Subject-Token': 'not-a-token' } });

      // failed authentications: two wrong passwords lock the account, the third attempt is refused as locked
      for (let i = 0; i < 2; i++)
        await send('public', 'POST', '/v3/auth/tokens', '/v3/auth/tokens', 401, {
          headers: JSON_HEADERS,
          body: passwordBody('metrics-user', 'wrong-password', false),
        });
      await send('public', 'POST', '/v3/auth/tokens', '/v3/auth/tokens', 401, {
        headers: JSON_HEADERS,
        body: passwordBody('metrics-user', 'right-password', false),
      });

      // errors before and at routing
      await send('public', 'GET', '/v3/users', '/v3/users', 401);
      await send('public', 'GET', '/v3/no-such-collection', 'unmatched', 404);
      await send('public', 'GET', '/v3/no-such-collection/abc/def', 'unmatched', 404);
      await send('public', 'DELETE', '/v3', '/v3', 405);
      await send('public', 'POST', '/v3/auth/tokens', '/v3/auth/tokens', 400, { headers: JSON_HEADERS, body: '{"auth": ' });
      await send('public', 'POST', '/v3/auth/tokens', '/v3/auth/tokens', 413, {
        headers: JSON_HEADERS,
        body: JSON.stringify({ pad: 'x'.repeat(200_000) }),
      });
      await send('admin', 'PATCH', '/v3/users/abc', '/v3/users/{user_id}', 400, { headers: { ...auth, ...JSON_HEADERS }, body: '[' });

      // refused by node's HTTP parser before any stage runs
      assert.equal(await sendRaw('public', 'NOT AN HTTP REQUEST\r\n\r\n'), 400);
      sent.push({ service: 'public', method: 'OTHER', path: '', route: 'unmatched', status: 400 });
      assert.equal(await sendRaw('admin', `GET /v3 HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`), 431);
      sent.push({ service: 'admin', method: 'OTHER', path: '', route: 'unmatched', status: 431 });

      // every line is in the log (written when each response finished), then the scrape
      await eventually(() => accessLines().length >= sent.length, 20_000, `${sent.length} access log lines`);
      const { samples } = await scrape(metricsUrl);
      const expected = tally(sent.map(key));
      const counted = countsOf(samples);
      assert.deepEqual(
        sorted(counted),
        sorted(expected),
        'the scrape counts every request once, by service, method, route template and status',
      );
      assert.equal(sum(samples, 'keystone_http_request_duration_seconds_count'), sent.length);
      for (const s of samples.filter((x) => x.name === 'keystone_http_request_duration_seconds_count')) {
        assert.equal(
          sum(samples, 'keystone_http_request_duration_seconds_bucket', { ...s.labels, le: '+Inf' }),
          s.value,
          'the +Inf bucket equals the count',
        );
        assert.ok(!/no-such|[0-9a-f]{32}/.test(s.labels.route), `a route label is a template: ${s.labels.route}`);
      }

      // the access log, line by line: each line is one counted request
      const serviceOfPid = new Map(ks.workers().map((w) => [w.pid, w.service]));
      const lines = accessLines();
      assert.equal(lines.length, sent.length, 'one access log line per request');
      const logged = tally(
        lines.map((l) => {
          const service = serviceOfPid.get(l.pid);
          assert.ok(service === 'public' || service === 'admin', `the access line's pid ${l.pid} is a worker`);
          const route = l.method === 'OTHER' ? 'unmatched' : routeOfPath.get(l.path);
          assert.ok(route, `a path the test sent: ${l.path}`);
          return key({ service, method: l.method, route, status: l.status });
        }),
      );
      assert.deepEqual(sorted(logged), sorted(counted), 'the access log and the scrape agree');

      // token operations, failures and lockouts from the same requests
      assert.equal(sum(samples, 'keystone_token_operations_total', { operation: 'issue', outcome: 'success' }), 2);
      assert.equal(
        sum(samples, 'keystone_token_operations_total', { operation: 'validate', outcome: 'invalid' }),
        1,
        'the garbage subject token',
      );
      assert.equal(sum(samples, 'keystone_auth_failures_total', { method: 'password', reason: 'unauthorized' }), 2);
      assert.equal(sum(samples, 'keystone_auth_failures_total', { method: 'password', reason: 'account_locked' }), 1);
      assert.equal(sum(samples, 'keystone_auth_failures_total'), 3);
      assert.equal(sum(samples, 'keystone_user_lockouts_total'), 1);
      // the database, from the workers' real queries
      assert.ok(sum(samples, 'keystone_db_query_duration_seconds_count', { operation: 'select' }) > 0, 'SELECTs timed');
      for (const worker of new Set(
        samples.filter((s) => s.name === 'keystone_http_request_duration_seconds_count').map((s) => s.labels.worker),
      )) {
        assert.equal(sum(samples, 'keystone_db_pool_connections', { worker, state: 'max' }) > 0, true, `pool of ${worker}`);
        // the password issues and failures above were hashed; none is in flight once answered
        assert.equal(sum(samples, 'keystone_password_hashes', { worker, state: 'max' }), 3, `hashing limit of ${worker}`);
        for (const state of ['running', 'waiting']) {
          assert.ok(
            samples.some(
              (s) => s.name === 'keystone_password_hashes' && s.labels.worker === worker && s.labels.state === state && s.value === 0,
            ),
            `${worker}: no hash ${state} after the answers`,
          );
        }
      }
      // the primary's own series
      assert.equal(sum(samples, 'keystone_workers', { service: 'public' }), 2);
      assert.equal(sum(samples, 'keystone_workers', { service: 'admin' }), 1);
      const keys = readdirSync(`${ks.stateDir}/fernet-keys`).filter((n) => /^\d+$/.test(n)).length;
      assert.equal(sum(samples, 'keystone_fernet_keys', { repository: 'fernet_tokens' }), keys);
      assert.ok(samples.some((s) => s.name === 'keystone_fernet_primary_key_age_seconds' && s.labels.repository === 'fernet_tokens'));
      for (const worker of [
        'primary',
        ...new Set(samples.filter((s) => s.name === 'keystone_http_request_duration_seconds_count').map((s) => s.labels.worker)),
      ]) {
        assert.ok(
          samples.some((s) => s.name === 'process_resident_memory_bytes' && s.labels.worker === worker),
          `process metrics of ${worker}`,
        );
      }
    });

    test('each validation counts two token validations (caller and subject) and two look-ups of the validation memo, on either path', async () => {
      const before = (await scrape(metricsUrl)).samples;
      const headers = { 'X-Auth-Token': adminToken, 'X-Subject-Token': subjectToken };
      for (let i = 0; i < 5; i++) {
        const res = await fetch(`${ks.publicUrl}/v3/auth/tokens?nocatalog`, { headers });
        await res.arrayBuffer();
        assert.equal(res.status, 200);
      }
      await eventually(() => accessLines().length >= sent.length + 5, 20_000, 'access log lines');
      const afterward = (await scrape(metricsUrl)).samples;
      const delta = (name: string, filter: Record<string, string> = {}) => sum(afterward, name, filter) - sum(before, name, filter);
      assert.equal(delta('keystone_http_request_duration_seconds_count', { route: '/v3/auth/tokens', method: 'GET', status: '200' }), 5);
      assert.equal(delta('keystone_token_operations_total', { operation: 'validate', outcome: 'success' }), 10);
      assert.equal(
        delta('keystone_cache_hits_total', { cache: 'token-validation' }) +
          delta('keystone_cache_misses_total', { cache: 'token-validation' }),
        10,
      );
    });

    test('a worker killed and replaced is counted by the primary', async () => {
      const victim = ks.workers().find((w) => w.service === 'public')!;
      process.kill(victim.pid, 'SIGKILL');
      await ks.waitForOutput(
        new RegExp(`restarted keystone-public: worker \\d+ \\(pid \\d+\\) replaces worker \\d+ \\(pid ${victim.pid}\\)`),
      );
      await eventually(
        async () => sum((await scrape(metricsUrl)).samples, 'keystone_workers', { service: 'public' }) === 2,
        30_000,
        'the replacement answers the scrape',
      );
      const { samples } = await scrape(metricsUrl);
      assert.equal(sum(samples, 'keystone_worker_restarts_total', { service: 'public', reason: 'SIGKILL' }), 1);
    });
  });
}
