/**
 * The validation fast path answers exactly as the express route does:
 * status, headers (request id, Vary, X-Subject-Token), body, the access log
 * line; and hands misses, errors and refusals to express. So does its
 * GET /v3/auth/catalog branch, which never answers a catalog older than the
 * last catalog write.
 */
import { after, before, describe, test } from 'node:test';
import { Agent, request } from 'node:http';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import winston from 'winston';
import { startTestServer, type TestServer } from '../helpers/test-server.js';
import { cacheConfig, cacheKinds, assertCacheReady } from '../helpers/cache-kinds.js';
import { getToken, revokeToken, validateToken } from '../helpers/tokens.js';
import { assertError, makeUser } from './auth-fixtures.js';
import { addPublicEndpoint } from '../helpers/catalog-fixtures.js';
import { fastPathStats } from '../../src/server/fast-path.js';
import { log } from '../../src/log/logger.js';

for (const cache of cacheKinds()) {
  describe(`validation fast path (cache ${cache})`, () => {
    let server: TestServer;
    let admin: string;
    const lines: string[] = [];
    const transport = new winston.transports.Stream({
      stream: new Writable({
        write(chunk, _enc, cb) {
          lines.push(String(chunk));
          cb();
        },
      }),
      format: winston.format.printf((info) => `${typeof info.requestId === 'string' ? info.requestId : '-'} ${String(info.message)}`),
    });
    before(async () => {
      server = await startTestServer({ config: cacheConfig(cache) });
      await assertCacheReady(server.cache);
      admin = (await getToken(server, { username: 'admin', password: server.adminPassword, project: 'admin' })).id;
      log.add(transport);
    });
    after(async () => {
      log.remove(transport);
      await server.close();
    });

    test('the memoized answer equals the routed one, with its own request id and access log line', async () => {
      const subject = (await getToken(server, { username: 'admin', password: server.adminPassword, project: 'admin' })).id;
      const before = fastPathStats.answered;
      const first = await validateToken(server, admin, subject);
      const second = await validateToken(server, admin, subject);
      const third = await validateToken(server, admin, subject, { query: '?nocatalog' });
      const head = await validateToken(server, admin, subject, { method: 'HEAD' });
      assert.ok(fastPathStats.answered - before >= 2, `fast path answered ${fastPathStats.answered - before}`);
      for (const r of [first, second, third, head]) {
        assert.equal(r.status, 200);
        assert.equal(r.headers.get('x-subject-token'), subject);
        assert.equal(r.headers.get('vary'), 'X-Auth-Token');
        assert.equal(r.headers.get('content-type'), 'application/json');
        assert.match(r.headers.get('x-openstack-request-id') ?? '', /^req-[0-9a-f-]{36}$/);
      }
      assert.notEqual(first.headers.get('x-openstack-request-id'), second.headers.get('x-openstack-request-id'));
      assert.deepEqual(second.body, first.body);
      assert.equal(third.body.token.catalog, undefined);
      assert.equal(head.body, undefined);
      assert.equal(head.headers.get('content-length'), second.headers.get('content-length'));
      await new Promise((r) => setTimeout(r, 50));
      const id = second.headers.get('x-openstack-request-id') as string;
      const line = lines.find((l) => l.startsWith(id));
      assert.ok(line, 'an access log line for the fast-path answer');
      assert.match(line, /"GET \/v3\/auth\/tokens HTTP\/1\.1" 200 \d+/);
    });

    test('one keep-alive connection: each answer its own access line, a changed client header in it, secrets masked', async () => {
      const subject = (await getToken(server, { username: 'admin', password: server.adminPassword, project: 'admin' })).id;
      await validateToken(server, admin, subject);
      const agent = new Agent({ keepAlive: true, maxSockets: 1 });
      const get = (userAgent: string) =>
        new Promise<string>((resolve, reject) => {
          const req = request(
            `${server.publicUrl}/v3/auth/tokens`,
            { agent, headers: { 'X-Auth-Token': admin, 'X-Subject-Token': subject, 'User-Agent': userAgent } },
            (res) => {
              res.resume();
              res.on('end', () => {
                resolve(res.headers['x-openstack-request-id'] as string);
              });
            },
          );
          req.on('error', reject);
          req.end();
        });
      const secretAgent = `probe token=${subject}`;
      const ids: string[] = [];
      for (const ua of ['probe/1', 'probe/1', 'probe/2', secretAgent, secretAgent]) ids.push(await get(ua));
      agent.destroy();
      await new Promise((r) => setTimeout(r, 50));
      const lineOf = (id: string) => {
        const line = lines.find((l) => l.startsWith(id));
        assert.ok(line, `an access line for ${id}`);
        return line;
      };
      assert.equal(new Set(ids).size, 5, 'a request id each');
      assert.match(lineOf(ids[0]), /"probe\/1"\s*$/);
      assert.match(lineOf(ids[1]), /"probe\/1"\s*$/);
      assert.match(lineOf(ids[2]), /"probe\/2"\s*$/);
      for (const id of ids.slice(3)) {
        assert.ok(!lineOf(id).includes(subject), 'the token in a client header is masked, also when the line repeats');
        assert.match(lineOf(id), /"GET \/v3\/auth\/tokens HTTP\/1\.1" 200 \d+/);
      }
    });

    test('misses, errors and refusals go through express', async () => {
      const user = await makeUser(server);
      const own = (await getToken(server, { userId: user.id, password: user.password })).id;
      await validateToken(server, own, own);
      assertError(await validateToken(server, own, admin), 403);
      assertError(await validateToken(server, own, admin), 403);
      assertError(await validateToken(server, admin, 'garbage'), 404, 'Could not recognize Fernet token');
      const victim = (await getToken(server, { username: 'admin', password: server.adminPassword, project: 'admin' })).id;
      assert.equal((await validateToken(server, admin, victim)).status, 200);
      assert.equal((await validateToken(server, admin, victim)).status, 200);
      assert.equal(await revokeToken(server, admin, victim), 204);
      assertError(await validateToken(server, admin, victim), 404, 'Failed to validate token');
      assertError(await validateToken(server, victim, admin), 401);
      assert.equal((await validateToken(server, admin, admin, { query: '?allow_expired=1&allow_expired=0' })).status, 200);
      assert.equal((await validateToken(server, admin, admin, { query: '?unknown=1' })).status, 200);
    });

    /** GET (or HEAD) /v3/auth/catalog; a query (which the route ignores) keeps the request off the fast path. */
    const authCatalog = async (token: string, options: { query?: string; method?: 'GET' | 'HEAD' } = {}) => {
      const res = await fetch(`${server.publicUrl}/v3/auth/catalog${options.query ?? ''}`, {
        method: options.method ?? 'GET',
        headers: { 'X-Auth-Token': token },
      });
      const text = await res.text();
      return { status: res.status, headers: res.headers, text, body: text ? (JSON.parse(text) as Record<string, unknown>) : undefined };
    };

    test('GET /v3/auth/catalog: the memoized answer equals the routed one, and follows every catalog write', async () => {
      // The routed request memoizes the caller's token under the current version. That version may move between
      // requests without a write of this test: an earlier test's write heard late, or (Redis) an epoch poll late on
      // a loaded machine, which makes the version be read per request. Then the fast path rightly hands the request
      // to express; so the three requests are sent again, a few times at most, until nothing moved under them.
      const triple = async () => {
        await authCatalog(admin, { query: '?routed' });
        const before = fastPathStats.answered;
        const fast = await authCatalog(admin);
        const again = await authCatalog(admin);
        const head = await authCatalog(admin, { method: 'HEAD' });
        return { fast, again, head, answered: fastPathStats.answered - before };
      };
      let sent = await triple();
      for (let attempt = 1; attempt < 5 && sent.answered < 3; attempt++) sent = await triple();
      const { fast, again, head } = sent;
      const routed = await authCatalog(admin, { query: '?routed' });
      assert.equal(sent.answered, 3, `fast path answered ${sent.answered} of 3`);
      for (const r of [fast, again, head, routed]) {
        assert.equal(r.status, 200);
        assert.equal(r.headers.get('vary'), 'X-Auth-Token');
        assert.equal(r.headers.get('content-type'), 'application/json');
        assert.equal(r.headers.get('x-subject-token'), null);
        assert.match(r.headers.get('x-openstack-request-id') ?? '', /^req-[0-9a-f-]{36}$/);
      }
      assert.equal(fast.text, routed.text);
      assert.equal(again.text, routed.text);
      assert.equal(head.text, '');
      assert.equal(head.headers.get('content-length'), routed.headers.get('content-length'));
      await new Promise((r) => setTimeout(r, 50));
      const line = lines.find((l) => l.startsWith(again.headers.get('x-openstack-request-id') as string));
      assert.ok(line, 'an access log line for the fast-path answer');
      assert.match(line, /"GET \/v3\/auth\/catalog HTTP\/1\.1" 200 \d+/);

      const { endpointId } = await addPublicEndpoint(server, 'object-store', 'swift', 'http://swift.example:8080/v1/AUTH_$(project_id)s');
      const added = await authCatalog(admin);
      assert.ok(added.text.includes(endpointId), 'the new endpoint is in the next answer');
      await server.providers.catalog_api.updateEndpoint(endpointId, { enabled: false });
      const disabled = await authCatalog(admin);
      assert.ok(!disabled.text.includes(endpointId), 'the disabled endpoint is gone from the next answer');
      assert.equal(disabled.text, (await authCatalog(admin, { query: '?routed' })).text);
    });

    test('GET /v3/auth/catalog: refusals go through express (no project, a revoked caller)', async () => {
      const user = await makeUser(server);
      const unscoped = (await getToken(server, { userId: user.id, password: user.password })).id;
      await validateToken(server, unscoped, unscoped);
      assertError(await authCatalog(unscoped), 403);
      assertError(await authCatalog(unscoped), 403);
      const victim = (await getToken(server, { username: 'admin', password: server.adminPassword, project: 'admin' })).id;
      assert.equal((await authCatalog(victim)).status, 200);
      assert.equal((await authCatalog(victim)).status, 200);
      assert.equal(await revokeToken(server, admin, victim), 204);
      assertError(await authCatalog(victim), 401);
      assertError(await authCatalog('garbage'), 401);
    });

    /** POST /v3/auth/tokens with a raw body (the fast path reads the body itself). */
    const post = async (body: string, query = '', headers: Record<string, string> = {}) => {
      const res = await fetch(`${server.publicUrl}/v3/auth/tokens${query}`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', ...headers },
        body,
      });
      const text = await res.text();
      return { status: res.status, headers: res.headers, text, body: text ? (JSON.parse(text) as Record<string, unknown>) : undefined };
    };
    const rescopeBody = (tokenId: string, projectId: string) =>
      JSON.stringify({ auth: { identity: { methods: ['token'], token: { id: tokenId } }, scope: { project: { id: projectId } } } });
    /** A token body without what differs between two issues of the same rescope. */
    const stable = (body: Record<string, unknown> | undefined) => {
      const token = { ...(body?.token as Record<string, unknown>) };
      delete token.issued_at;
      token.audit_ids = (token.audit_ids as string[]).slice(1);
      return token;
    };
    /** The access lines of a request id (after the line is written). */
    const linesOf = async (requestId: string | null) => {
      await new Promise((r) => setTimeout(r, 50));
      return lines.filter((l) => requestId !== null && l.startsWith(requestId));
    };

    test('POST /v3/auth/tokens (token method): answered as the route answers, one access line, the token valid', async () => {
      const unscoped = (await getToken(server, { username: 'admin', password: server.adminPassword })).id;
      const projectId = (
        (await getToken(server, { username: 'admin', password: server.adminPassword, project: 'admin' })).body.token as {
          project: { id: string };
        }
      ).project.id;
      const before = fastPathStats.answered;
      const fast = await post(rescopeBody(unscoped, projectId));
      const taken = fastPathStats.answered - before;
      const routed = await post(rescopeBody(unscoped, projectId), '?routed');
      assert.equal(fastPathStats.answered - before, taken, 'a query the fast path does not know goes through express');
      // without a cache express's request scope shares the look-ups: the fast path leaves the request alone
      assert.equal(taken, cache === 'none' ? 0 : 1);
      for (const r of [fast, routed]) {
        assert.equal(r.status, 201, r.text);
        assert.equal(r.headers.get('vary'), 'X-Auth-Token');
        assert.equal(r.headers.get('content-type'), 'application/json');
        assert.equal(r.headers.get('content-length'), String(Buffer.byteLength(r.text)));
        assert.match(r.headers.get('x-openstack-request-id') ?? '', /^req-[0-9a-f-]{36}$/);
        assert.ok(r.headers.get('x-subject-token'));
        assert.equal((await validateToken(server, admin, r.headers.get('x-subject-token') as string)).status, 200);
      }
      assert.deepEqual([...fast.headers.keys()].sort(), [...routed.headers.keys()].sort());
      assert.deepEqual(stable(fast.body), stable(routed.body));
      const line = await linesOf(fast.headers.get('x-openstack-request-id'));
      assert.equal(line.length, 1, 'one access line');
      assert.match(line[0], /"POST \/v3\/auth\/tokens HTTP\/1\.1" 201 \d+/);

      const nocatalog = await post(rescopeBody(unscoped, projectId), '?nocatalog');
      assert.equal(nocatalog.status, 201);
      assert.equal((nocatalog.body?.token as Record<string, unknown>).catalog, undefined);
      const { catalog: _catalog, ...withoutCatalog } = stable(routed.body);
      assert.deepEqual(stable(nocatalog.body), withoutCatalog);
    });

    test('POST /v3/auth/tokens: refusals are rendered by express once, as the route renders them', async () => {
      const victim = (await getToken(server, { username: 'admin', password: server.adminPassword, project: 'admin' })).id;
      const projectId = (
        (await getToken(server, { username: 'admin', password: server.adminPassword, project: 'admin' })).body.token as {
          project: { id: string };
        }
      ).project.id;
      assert.equal(await revokeToken(server, admin, victim), 204);
      const cases: Array<[string, string, number]> = [
        ['garbage token', rescopeBody('garbage', projectId), 404],
        ['revoked token', rescopeBody(victim, projectId), 404],
        ['unknown project', rescopeBody(admin, 'f'.repeat(32)), 401],
        ['malformed JSON', '{"auth":', 400],
        ['a NUL', rescopeBody(`a\u0000b`, projectId), 400],
        ['no methods', JSON.stringify({ auth: { identity: { methods: [], token: { id: admin } } } }), 401],
      ];
      for (const [what, body, status] of cases) {
        const fast = await post(body);
        const routed = await post(body, '?routed');
        assert.equal(fast.status, status, `${what}: ${fast.text}`);
        assert.equal(fast.text, routed.text, what);
        assert.equal(fast.headers.get('www-authenticate'), routed.headers.get('www-authenticate'), what);
        assert.equal((await linesOf(fast.headers.get('x-openstack-request-id'))).length, 1, `${what}: one access line`);
      }
      // another method goes through express as before
      const password = await post(
        JSON.stringify({
          auth: {
            identity: {
              methods: ['password'],
              password: { user: { name: 'admin', domain: { id: 'default' }, password: server.adminPassword } },
            },
          },
        }),
      );
      assert.equal(password.status, 201);
    });
  });
}
