import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestServer, type TestServer } from '../helpers/test-server.js';

describe('request pipeline and discovery over HTTP', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer();
  });
  after(async () => {
    await server.close();
  });

  test('GET / answers 300 with the versions document and a request id', async () => {
    const res = await fetch(`${server.publicUrl}/`);
    assert.equal(res.status, 300);
    assert.match(res.headers.get('x-openstack-request-id') ?? '', /^req-[0-9a-f-]{36}$/);
    const body = (await res.json()) as { versions: { values: { id: string; status: string; links: { href: string }[] }[] } };
    const v3 = body.versions.values.find((v) => v.id === 'v3.14');
    assert.ok(v3);
    assert.equal(v3.status, 'stable');
    assert.equal(v3.links[0].href, `${server.publicUrl}/v3/`);
    assert.equal(res.headers.get('location'), `${server.publicUrl}/v3/`);
  });

  test('GET /v3 and /v3/ answer the v3 version document', async () => {
    for (const path of ['/v3', '/v3/']) {
      const res = await fetch(`${server.adminUrl}${path}`);
      assert.equal(res.status, 200);
      const body = (await res.json()) as { version: { id: string; 'media-types': unknown[] } };
      assert.equal(body.version.id, 'v3.14');
      assert.deepEqual(body.version['media-types'], [{ base: 'application/json', type: 'application/vnd.openstack.identity-v3+json' }]);
    }
  });

  test('GET /v3 with Accept: application/json-home answers JSON-Home', async () => {
    const res = await fetch(`${server.publicUrl}/v3`, { headers: { Accept: 'application/json-home' } });
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /application\/json-home/);
    const body = (await res.json()) as { resources: Record<string, unknown> };
    assert.equal(typeof body.resources, 'object');
  });

  test('GET /healthcheck answers 200 with an empty body, as Keystone; no detail unless [healthcheck] detailed', async () => {
    const res = await fetch(`${server.publicUrl}/healthcheck`);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'text/plain; charset=UTF-8');
    assert.equal(await res.text(), '');
    const detail = await fetch(`${server.publicUrl}/healthcheck?detail`);
    assert.equal(detail.status, 200);
    assert.equal(await detail.text(), '', '?detail without [healthcheck] detailed = true shows nothing more');
    const json = await fetch(`${server.publicUrl}/healthcheck`, { headers: { Accept: 'application/json' } });
    assert.deepEqual(await json.json(), { detailed: false, reasons: [] });
    const head = await fetch(`${server.publicUrl}/healthcheck`, { method: 'HEAD' });
    assert.equal(head.status, 204, 'HEAD: 204, as oslo.middleware');
  });

  test('an unknown route answers a JSON 404 in Keystone form', async () => {
    const res = await fetch(`${server.publicUrl}/v3/no-such-thing`);
    assert.equal(res.status, 404);
    const body = (await res.json()) as { error: { code: number; title: string; message: string } };
    assert.equal(body.error.code, 404);
    assert.equal(body.error.title, 'Not Found');
    assert.ok(res.headers.get('x-openstack-request-id'));
  });

  test('a wrong method answers 405 with Allow in Keystone form', async () => {
    const res = await fetch(`${server.publicUrl}/v3`, { method: 'DELETE' });
    assert.equal(res.status, 405);
    assert.match(res.headers.get('allow') ?? '', /GET/);
    const body = (await res.json()) as { error: { code: number; title: string } };
    assert.deepEqual([body.error.code, body.error.title], [405, 'Method Not Allowed']);
  });

  test("malformed JSON answers 400 with Keystone's message", async () => {
    const res = await fetch(`${server.publicUrl}/v3`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: '{"auth": ',
    });
    assert.equal(res.status, 400);
    const body = (await res.json()) as { error: { message: string; title: string } };
    assert.equal(body.error.title, 'Bad Request');
    assert.match(body.error.message, /^Expecting to find valid JSON in request body\./);
  });

  test('a body of another content type answers 400 naming application/json', async () => {
    const res = await fetch(`${server.publicUrl}/v3`, { method: 'POST', headers: { 'Content-Type': 'text/plain' }, body: 'hello' });
    assert.equal(res.status, 400);
    const body = (await res.json()) as { error: { message: string } };
    assert.match(body.error.message, /^Expecting to find application\/json in Content-Type header\./);
  });

  test('an oversized body answers 413 in Keystone form', async () => {
    const big = JSON.stringify({ x: 'a'.repeat(200_000) });
    const res = await fetch(`${server.publicUrl}/v3`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: big });
    assert.equal(res.status, 413);
    const body = (await res.json()) as { error: { code: number; message: string } };
    assert.equal(body.error.code, 413);
    assert.match(body.error.message, /max_request_body_size \(114688\)/);
  });

  test('no stack trace ever reaches a client', async () => {
    const res = await fetch(`${server.publicUrl}/v3/%E0%A4%A`);
    const text = await res.text();
    assert.ok(res.status < 500 || !/\bat \w+ \(/.test(text));
    assert.doesNotMatch(text, /node_modules|\.js:\d+/);
  });
});
