/**
 * Every route declares who may call it: its policy rule(s), each one of
 * Keystone's defaults (src/rbac/keystone-defaults.ts), or that it is public
 * and why. The test walks the full route table of both apps (public and
 * admin, v2.0 on and off); a route that declares neither is refused when it
 * is registered; a handler that decides a rule its route did not declare is
 * caught by authorize() (UndeclaredRule).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Request } from 'express';
import { RouteTable, UndeclaredRouteAccess } from '../../src/server/route-table.js';
import { createApp } from '../../src/server/create-app.js';
import { KEYSTONE_DEFAULT_RULES } from '../../src/rbac/keystone-defaults.js';
import { assertDeclaredRule, UndeclaredRule } from '../../src/api/authorize.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';

const KNOWN_RULES = new Set(KEYSTONE_DEFAULT_RULES.map((r) => r.name));

/** The routes every app must declare public, and nothing else that a client reaches without a rule. */
const EXPECTED_PUBLIC = new Set([
  'GET /',
  'HEAD /',
  'GET /v3',
  'HEAD /v3',
  'GET /v2.0',
  'HEAD /v2.0',
  'GET /healthcheck',
  'HEAD /healthcheck',
  'POST /v3/auth/tokens',
  'POST /v2.0/tokens',
  'POST /v3/users/:user_id/password',
  // OAuth 1.0a: the consumer's own signature authenticates them (Keystone's unenforced_api)
  'POST /v3/OS-OAUTH1/request_token',
  'POST /v3/OS-OAUTH1/access_token',
  'PATCH /v2.0/OS-KSCRUD/users/:user_id',
  'GET /v3/auth/tokens/OS-PKI/revoked',
  'HEAD /v3/auth/tokens/OS-PKI/revoked',
  'GET /v2.0/extensions',
  'HEAD /v2.0/extensions',
  'GET /v2.0/extensions/:alias',
  'HEAD /v2.0/extensions/:alias',
  // the OAuth 2.0 token endpoint (its own proof of identity), and its other methods: 405 in OAuth 2.0's form
  'POST /v3/OS-OAUTH2/token',
  'GET /v3/OS-OAUTH2/token',
  'HEAD /v3/OS-OAUTH2/token',
  'PUT /v3/OS-OAUTH2/token',
  'PATCH /v3/OS-OAUTH2/token',
  'DELETE /v3/OS-OAUTH2/token',
  // PKI certificates, gone: 410 to anyone (Keystone 22's unenforced OS-SIMPLE-CERT, Pike's v2.0 copies)
  'GET /v3/OS-SIMPLE-CERT/ca',
  'HEAD /v3/OS-SIMPLE-CERT/ca',
  'GET /v3/OS-SIMPLE-CERT/certificates',
  'HEAD /v3/OS-SIMPLE-CERT/certificates',
  'GET /v2.0/certificates/ca',
  'HEAD /v2.0/certificates/ca',
  'GET /v2.0/certificates/signing',
  'HEAD /v2.0/certificates/signing',
  // federated authentication (Keystone's unenforced OSFederationAuthResource): the assertion is the proof
  'GET /v3/OS-FEDERATION/identity_providers/:idp_id/protocols/:protocol_id/auth',
  'HEAD /v3/OS-FEDERATION/identity_providers/:idp_id/protocols/:protocol_id/auth',
  'POST /v3/OS-FEDERATION/identity_providers/:idp_id/protocols/:protocol_id/auth',
  // the native SAML service provider's metadata
  'GET /v3/OS-FEDERATION/identity_providers/:idp_id/protocols/:protocol_id/saml2/metadata',
  'HEAD /v3/OS-FEDERATION/identity_providers/:idp_id/protocols/:protocol_id/saml2/metadata',
  // Keystone-to-Keystone (Keystone's unenforced saml2 resources): the token in the body is the proof; the IdP's metadata
  'POST /v3/auth/OS-FEDERATION/saml2',
  'POST /v3/auth/OS-FEDERATION/saml2/ecp',
  'GET /v3/OS-FEDERATION/saml2/metadata',
  'HEAD /v3/OS-FEDERATION/saml2/metadata',
  // WebSSO (Keystone's unenforced AuthFederationWebSSO resources), and the way back from the IdP (the code flow's GET, SAML's POST)
  'GET /v3/auth/OS-FEDERATION/websso/:protocol_id',
  'HEAD /v3/auth/OS-FEDERATION/websso/:protocol_id',
  'POST /v3/auth/OS-FEDERATION/websso/:protocol_id',
  'GET /v3/auth/OS-FEDERATION/identity_providers/:idp_id/protocols/:protocol_id/websso',
  'HEAD /v3/auth/OS-FEDERATION/identity_providers/:idp_id/protocols/:protocol_id/websso',
  'POST /v3/auth/OS-FEDERATION/identity_providers/:idp_id/protocols/:protocol_id/websso',
  'GET /v3/auth/OS-FEDERATION/identity_providers/:idp_id/protocols/:protocol_id/websso/callback',
  'POST /v3/auth/OS-FEDERATION/identity_providers/:idp_id/protocols/:protocol_id/websso/callback',
]);

describe('the route table: every route declares its policy rule(s) or that it is public', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer();
  });
  after(async () => {
    await server?.close();
  });

  for (const service of ['public', 'admin'] as const) {
    test(`${service} app: each route has a rule of Keystone's defaults or a public reason`, () => {
      const routes = createApp(service, server.providers, server.db).routes.list();
      assert.ok(routes.length > 150, `${routes.length} routes`);
      const problems: string[] = [];
      for (const r of routes) {
        const key = `${r.method} ${r.path}`;
        if (r.policy) {
          if (r.public !== undefined) problems.push(`${key}: both a rule and public`);
          for (const rule of r.policy) if (!KNOWN_RULES.has(rule)) problems.push(`${key}: ${rule} is not a rule of the policy defaults`);
          if (EXPECTED_PUBLIC.has(key)) problems.push(`${key}: expected public`);
        } else if (typeof r.public === 'string' && r.public.length > 0) {
          if (!EXPECTED_PUBLIC.has(key)) problems.push(`${key}: declared public (${r.public}), not one of the routes that may be`);
        } else {
          problems.push(`${key}: neither a rule nor public`);
        }
      }
      assert.deepEqual(problems, []);
      // v2.0 is there (default on), and its admin operations carry the v3 rules
      const byKey = new Map(routes.map((r) => [`${r.method} ${r.path}`, r]));
      if (service === 'admin') {
        assert.deepEqual(byKey.get('PUT /v2.0/users/:user_id/OS-KSADM/password')?.policy, ['identity:update_user']);
        assert.deepEqual(byKey.get('PUT /v2.0/tenants/:tenant_id/users/:user_id/roles/OS-KSADM/:role_id')?.policy, [
          'identity:create_grant',
        ]);
        assert.deepEqual(byKey.get('POST /v2.0/s3tokens')?.policy, ['identity:s3tokens_validate']);
        assert.deepEqual(byKey.get('PUT /v2.0/users/:user_id/password')?.policy, ['identity:update_user']);
        assert.deepEqual(byKey.get('POST /v2.0/users/:user_id/roleRefs')?.policy, ['identity:create_grant']);
      } else {
        assert.deepEqual(byKey.get('GET /v2.0/tenants')?.policy, ['identity:get_auth_projects']);
      }
      assert.deepEqual(byKey.get('POST /v2.0/ec2tokens')?.policy, ['identity:ec2tokens_validate']);
      // v2.0 token validation on both ports, as Keystone Pike's token router, under v3's rules
      assert.deepEqual(byKey.get('GET /v2.0/tokens/:token_id')?.policy, ['identity:validate_token']);
      assert.deepEqual(byKey.get('DELETE /v2.0/tokens/:token_id')?.policy, ['identity:revoke_token']);
    });
  }

  test('with [DEFAULT] enable_v2_api = false no /v2.0 route is registered', () => {
    const conf = { ...server.providers.conf, DEFAULT: { ...server.providers.conf.DEFAULT, enable_v2_api: false } };
    for (const service of ['public', 'admin'] as const) {
      const routes = createApp(service, { ...server.providers, conf }, server.db).routes.list();
      assert.deepEqual(
        routes.filter((r) => r.path.startsWith('/v2.0')),
        [],
      );
      assert.ok(routes.some((r) => r.path === '/v3/users'));
    }
  });
});

describe('forgetting is impossible', () => {
  const handler = () => undefined;

  test('a route without a declaration is refused at registration', () => {
    const routes = new RouteTable();
    // what TypeScript refuses to compile, a caller in plain JavaScript could still try
    const untyped = routes as unknown as { get(path: string, h: unknown, o?: unknown): unknown };
    assert.throws(() => untyped.get('/v3/forgotten', handler), UndeclaredRouteAccess);
    assert.throws(() => untyped.get('/v3/forgotten', handler, { rel: 'forgotten' }), UndeclaredRouteAccess);
    assert.throws(() => untyped.get('/v3/forgotten', handler, { policy: [] }), UndeclaredRouteAccess);
    assert.throws(() => untyped.get('/v3/forgotten', handler, { public: ' ' }), UndeclaredRouteAccess);
    assert.throws(() => untyped.get('/v3/both', handler, { policy: 'identity:get_user', public: 'why' }), UndeclaredRouteAccess);
    routes.get('/v3/declared', handler, { policy: 'identity:get_user' });
    assert.deepEqual(routes.list(), [{ method: 'GET', path: '/v3/declared', policy: ['identity:get_user'] }]);
  });

  test('a handler that authorizes with another rule than its route declared is caught', () => {
    const req = (rules: string[] | null) =>
      ({ keystone: { routeAccess: { route: 'PUT /v2.0/users/:user_id/OS-KSADM/password', rules } } }) as unknown as Request;
    assert.doesNotThrow(() => {
      assertDeclaredRule(req(['identity:update_user']), 'identity:update_user');
    });
    assert.throws(() => {
      assertDeclaredRule(req(['identity:get_user']), 'identity:update_user');
    }, UndeclaredRule);
    // a public route has no rule to decide
    assert.throws(() => {
      assertDeclaredRule(req(null), 'identity:update_user');
    }, /declares that it is public/);
  });
});
