/**
 * src/server/express-request-classes.ts: node:http creates requests and
 * responses that already carry express's methods, so express's
 * per-request Object.setPrototypeOf changes nothing; express's request and
 * response API (getters, res.status/json, req.app) works as before, and an app
 * served without the classes still works. keystone-all's workers and the test
 * server serve the whole API through them (every other API test).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { expressRequestClasses } from '../../src/server/express-request-classes.js';

interface Seen {
  requestKeptItsPrototype: boolean;
  responseKeptItsPrototype: boolean;
  query: unknown;
  header: string | undefined;
  path: string;
  appIsTheApp: boolean;
}

/** An express app whose one route reports what express gave it, and the server in front of it. */
function serve(withClasses: boolean): { server: Server; app: express.Express } {
  const app = express();
  app.set('query parser', 'extended');
  const prototypes = new WeakMap<object, { req: object | null; res: object | null }>();
  app.get('/seen', (req, res) => {
    const before = prototypes.get(req);
    const seen: Seen = {
      requestKeptItsPrototype: before?.req === Object.getPrototypeOf(req),
      responseKeptItsPrototype: before?.res === Object.getPrototypeOf(res),
      query: req.query,
      header: req.get('x-probe'),
      path: req.path,
      appIsTheApp: req.app === app && res.app === app,
    };
    res.status(201).json(seen);
  });
  const classes = withClasses ? expressRequestClasses(app) : {};
  const server = createServer(classes, (req: IncomingMessage, res) => {
    prototypes.set(req, { req: Object.getPrototypeOf(req) as object | null, res: Object.getPrototypeOf(res) as object | null });
    app(req, res);
  });
  return { server, app };
}

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

async function seen(base: string): Promise<{ status: number; body: Seen }> {
  const res = await fetch(`${base}/seen?a[b]=1&c=2`, { headers: { 'X-Probe': 'probe' } });
  return { status: res.status, body: (await res.json()) as Seen };
}

describe('express behind node:http with express-request-classes', () => {
  let withClasses: Server;
  let without: Server;
  let base: string;
  let baseWithout: string;
  before(async () => {
    withClasses = serve(true).server;
    without = serve(false).server;
    base = await listen(withClasses);
    baseWithout = await listen(without);
  });
  after(() => {
    withClasses?.close();
    without?.close();
  });

  test("express leaves the request's and the response's prototypes as node:http made them", async () => {
    const { status, body } = await seen(base);
    assert.equal(status, 201);
    assert.equal(body.requestKeptItsPrototype, true);
    assert.equal(body.responseKeptItsPrototype, true);
  });

  test("express's request and response API answers as without the classes (getters, req.get, req.app, res.status().json())", async () => {
    const a = await seen(base);
    const b = await seen(baseWithout);
    assert.deepEqual(a.body.query, { a: { b: '1' }, c: '2' });
    assert.equal(a.body.header, 'probe');
    assert.equal(a.body.path, '/seen');
    assert.equal(a.body.appIsTheApp, true);
    // the same answers, except whether express had to change the prototypes
    assert.deepEqual(
      { ...a.body, requestKeptItsPrototype: null, responseKeptItsPrototype: null },
      { ...b.body, requestKeptItsPrototype: null, responseKeptItsPrototype: null },
    );
    assert.equal(b.body.requestKeptItsPrototype, false, 'without the classes express changes the prototype, as it always did');
  });
});
