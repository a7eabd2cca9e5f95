/**
 * The dashboard end of a WebSSO sign-in, for tests: an HTTP server on loopback standing for Horizon's
 * /auth/websso/, which keeps every token posted to it, and the checks of a sign-in that ends there.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { FormBrowser, BrowserPage } from './form-browser.js';
import type { TestServer } from './test-server.js';
import { validateToken } from './tokens.js';

export class TestDashboard {
  private constructor(
    private readonly server: Server,
    readonly url: string,
    /** the tokens posted to it, in order */
    readonly posted: string[],
  ) {}

  static async start(): Promise<TestDashboard> {
    const posted: string[] = [];
    const server = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString()));
      req.on('end', () => {
        const token = new URLSearchParams(body).get('token');
        if (req.method === 'POST' && token) posted.push(token);
        res.writeHead(200, { 'content-type': 'text/plain' }).end('signed in');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return new TestDashboard(server, `http://127.0.0.1:${(server.address() as AddressInfo).port}/auth/websso/`, posted);
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }

  /** Sign in with `browser` from `start` (filling `fill` in the identity provider's forms) to the dashboard's answer; the token it received. */
  async signIn(browser: FormBrowser, start: string, fill: Readonly<Record<string, string>>): Promise<string> {
    const before = this.posted.length;
    const page = (await browser.go(start, { fill })) as BrowserPage;
    assert.equal(page.url, this.url, `ended at ${page.url} (${page.status}): ${page.text.slice(0, 300)}`);
    assert.equal(page.text, 'signed in');
    assert.equal(this.posted.length, before + 1);
    return this.posted[this.posted.length - 1];
  }
}

/** The token validates, and is the federated user's through this identity provider and protocol. */
export async function assertFederatedToken(
  server: TestServer,
  admin: string,
  tokenId: string,
  expected: { user: string; idp: string; protocol: string },
): Promise<void> {
  const v = await validateToken(server, admin, tokenId);
  assert.equal(v.status, 200);
  assert.equal(v.body.token.user.name, expected.user);
  assert.equal(v.body.token.user['OS-FEDERATION'].identity_provider.id, expected.idp);
  assert.equal(v.body.token.user['OS-FEDERATION'].protocol.id, expected.protocol);
  assert.deepEqual(v.body.token.methods, [expected.protocol]);
}

/**
 * A WebSSO URL (`start`, without a query) refuses a sign-in for a dashboard that is not trusted before sending the browser
 * anywhere: no origin 400; another host, or the trusted URL with an upper-case scheme (Keystone compares the origin as
 * given with the trusted URLs lower-cased), 401 with Keystone's message (`amendment`: insecure_debug's).
 */
export async function assertUntrustedOriginsRefused(
  browser: FormBrowser,
  start: string,
  dashboardUrl: string,
  amendment: string,
): Promise<void> {
  const missing = await browser.request('GET', start);
  assert.equal(missing.status, 400);
  assert.equal((JSON.parse(missing.text) as { error: { message: string } }).error.message, 'Request must have an origin query parameter');
  for (const evil of ['https://evil.example.test/auth/websso/', dashboardUrl.replace('http://', 'HTTP://')]) {
    const page = await browser.request('GET', `${start}?origin=${encodeURIComponent(evil)}`);
    assert.equal(page.status, 401);
    assert.equal(
      (JSON.parse(page.text) as { error: { message: string } }).error.message,
      `${evil} is not a trusted dashboard host${amendment}`,
    );
    assert.equal(page.headers.get('location'), null);
  }
}
