/**
 * /healthcheck's answers and its [healthcheck] options (oslo.middleware's):
 * the formats (text, JSON, HEAD), who gets the detail (detailed,
 * allowed_source_ranges, ignore_proxied_requests), and options refused at
 * load. The outages themselves (PostgreSQL stopped, the embedded database
 * hanging, a draining worker) are tested against real processes in
 * test/reliability/healthcheck.test.ts.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestServer, type TestServer } from '../helpers/test-server.js';
import { loadConfig } from '../../src/config/load-config.js';
import { addressInRanges, addressRanges, addressRangesProblem } from '../../src/config/address-ranges.js';

describe('/healthcheck with [healthcheck] detailed = true for the loopback network', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({
      config: { healthcheck: { detailed: true, allowed_source_ranges: ['10.0.0.0/8', '127.0.0.0/8', '::1'] } },
    });
  });
  after(async () => {
    await server?.close();
  });

  test('a healthy node: 200 with an empty body, HEAD 204, JSON with no reasons', async () => {
    const res = await fetch(`${server.publicUrl}/healthcheck`);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'text/plain; charset=UTF-8');
    assert.ok(res.headers.get('x-openstack-request-id'));
    assert.equal(await res.text(), '');
    const head = await fetch(`${server.adminUrl}/healthcheck`, { method: 'HEAD' });
    assert.equal(head.status, 204);
  });

  test('?detail (or a JSON request) from an allowed caller gets every check with its details, the pid and versions', async () => {
    for (const init of [
      { url: '/healthcheck?detail', headers: {} as Record<string, string> },
      { url: '/healthcheck', headers: { Accept: 'application/json' } },
    ]) {
      const res = await fetch(`${server.publicUrl}${init.url}`, { headers: init.headers });
      assert.equal(res.status, 200);
      const body = (await res.json()) as {
        detailed: boolean;
        reasons: Array<{ reason: string; details: string; class: string; available: boolean }>;
        pid: number;
        node_version: string;
        service: string;
      };
      assert.equal(body.detailed, true);
      assert.deepEqual(
        body.reasons.map((r) => [r.class, r.reason, r.available]),
        [
          ['DrainingCheck', 'OK', true],
          ['DatabaseCheck', 'OK', true],
        ],
      );
      assert.match(body.reasons[1].details, /SELECT 1 answered in [\d.]+ ms/);
      assert.equal(body.pid, process.pid);
      assert.equal(body.node_version, process.version);
      assert.equal(body.service, 'public');
    }
  });
});

describe('/healthcheck for callers outside allowed_source_ranges, and proxied requests', () => {
  let outside: TestServer;
  let proxied: TestServer;
  before(async () => {
    outside = await startTestServer({
      config: { healthcheck: { detailed: true, allowed_source_ranges: ['192.0.2.0/24', '2001:db8::/32'] } },
    });
    proxied = await startTestServer({ config: { healthcheck: { detailed: true, ignore_proxied_requests: true } } });
  });
  after(async () => {
    await outside?.close();
    await proxied?.close();
  });

  test('a caller outside allowed_source_ranges gets no answer from the health check (404), as oslo.middleware ignores it', async () => {
    for (const path of ['/healthcheck', '/healthcheck?detail']) {
      const res = await fetch(`${outside.publicUrl}${path}`);
      assert.equal(res.status, 404);
      const body = (await res.json()) as { error: { code: number; title: string } };
      assert.equal(body.error.code, 404);
      assert.doesNotMatch(JSON.stringify(body), /pid|node_version|uptime/);
    }
  });

  test('ignore_proxied_requests: a request with proxy headers is not answered; a direct one is', async () => {
    for (const header of ['X-Forwarded-For', 'X-Forwarded-Proto', 'X-Forwarded-Host', 'X-Forwarded-Prefix', 'X-Forwarded', 'Forwarded']) {
      const res = await fetch(`${proxied.publicUrl}/healthcheck?detail`, { headers: { [header]: '203.0.113.9' } });
      assert.equal(res.status, 404, header);
      await res.arrayBuffer();
    }
    const direct = await fetch(`${proxied.publicUrl}/healthcheck?detail`);
    assert.equal(direct.status, 200);
    assert.equal(((await direct.json()) as { detailed: boolean }).detailed, true);
  });
});

describe('[healthcheck] allowed_source_ranges values', () => {
  test('addresses and CIDR networks of both families; IPv4-mapped IPv6 peers match their IPv4 address', () => {
    assert.equal(addressRangesProblem(['10.0.0.0/8', '192.0.2.7', '2001:db8::/32', '::1']), undefined);
    const list = addressRanges(['10.0.0.0/8', '2001:db8::/32']);
    assert.equal(addressInRanges(list, '10.1.2.3'), true);
    assert.equal(addressInRanges(list, '::ffff:10.1.2.3'), true);
    assert.equal(addressInRanges(list, '11.0.0.1'), false);
    assert.equal(addressInRanges(list, '2001:db8::5'), true);
    assert.equal(addressInRanges(list, undefined), false);
  });

  test('a value that is not an address or network stops the configuration from loading, naming the option', () => {
    for (const [value, why] of [
      ['10.0.0.0/33', /prefix length/],
      ['not-an-address', /not an IP address/],
      ['10.0.0.0/8/1', /not an IP address/],
    ] as const) {
      const dir = mkdtempSync(join(tmpdir(), 'keystone-hc-conf-'));
      try {
        writeFileSync(join(dir, 'keystone.conf'), `[healthcheck]\nallowed_source_ranges = 127.0.0.1, ${value}\n`);
        assert.throws(
          () => loadConfig({ configFiles: [join(dir, 'keystone.conf')] }),
          (err: Error) => /\[healthcheck\] allowed_source_ranges/.test(err.message) && why.test(err.message),
        );
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }
  });
});
