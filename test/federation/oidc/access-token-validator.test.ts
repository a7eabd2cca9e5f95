/**
 * Native OpenID Connect: access tokens of the real OpenID Provider (test/helpers/oidc-provider.ts)
 * validated by src/federation/oidc/access-token-validator.ts: JWTs (RS256, ES256) against the JWKS
 * found through discovery, a rotated signing key picked up on its unknown kid, opaque tokens through
 * RFC 7662 introspection; and what must be refused: alg none, HMAC with the public key, an unknown
 * kid, a forged payload, another audience, an issuer not among the IdP's remote ids, an expired token.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startOpenIdProvider, type TestOpenIdProvider } from '../../helpers/oidc-provider.js';
import { AccessTokenValidator, InvalidAccessToken, type AccessTokenSettings } from '../../../src/federation/oidc/access-token-validator.js';
import { IssuerMetadataCache } from '../../../src/federation/oidc/issuer-metadata.js';

let op: TestOpenIdProvider;

function settings(overrides: Partial<AccessTokenSettings> = {}): AccessTokenSettings {
  return {
    audience: [op.audience],
    allowedAlgorithms: ['RS256', 'ES256', 'PS256'],
    clockSkewSeconds: 0,
    introspectionClientId: op.clients.keystone.clientId,
    introspectionClientSecret: op.clients.keystone.clientSecret,
    timeoutSeconds: 5,
    ...overrides,
  };
}

function validator(overrides: Partial<AccessTokenSettings> = {}): AccessTokenValidator {
  return new AccessTokenValidator(settings(overrides), new IssuerMetadataCache(5));
}

function parts(jwt: string): { header: Record<string, unknown>; claims: Record<string, unknown>; signature: string } {
  const [h, p, s] = jwt.split('.');
  return {
    header: JSON.parse(Buffer.from(h, 'base64url').toString()) as Record<string, unknown>,
    claims: JSON.parse(Buffer.from(p, 'base64url').toString()) as Record<string, unknown>,
    signature: s,
  };
}

function assemble(header: Record<string, unknown>, claims: Record<string, unknown>, signature: string): string {
  const enc = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
  return `${enc(header)}.${enc(claims)}.${signature}`;
}

async function refused(v: AccessTokenValidator, token: string, issuers: readonly string[], why: RegExp): Promise<void> {
  await assert.rejects(v.validate(token, issuers), (err: unknown) => {
    assert.ok(err instanceof InvalidAccessToken, String(err));
    assert.match(err.message, why);
    return true;
  });
}

before(async () => {
  op = await startOpenIdProvider();
});
after(async () => {
  await op.close();
});

test('a JWT access token (RS256, client credentials) validates to its claims', async () => {
  const token = await op.accessToken(op.clients.cli, 'client_credentials');
  const { issuer, claims } = await validator().validate(token, [op.issuer]);
  assert.equal(issuer, op.issuer);
  assert.equal(claims.iss, op.issuer);
  assert.equal(claims.client_id, op.clients.cli.clientId);
  assert.equal(claims.preferred_username, `service-account-${op.clients.cli.clientId}`);
});

test("a password-grant JWT carries the user's claims; ES256 tokens validate too", async () => {
  const v = validator();
  const alice = await v.validate(await op.accessToken(op.clients.cli, 'password', { username: 'alice', password: 'alice-secret' }), [
    op.issuer,
  ]);
  assert.equal(alice.claims.preferred_username, 'alice');
  assert.deepEqual(alice.claims.groups, ['cloud-users', 'admins']);
  const es = await op.accessToken(op.clients.es, 'client_credentials');
  assert.equal(parts(es).header.alg, 'ES256');
  assert.equal((await v.validate(es, [op.issuer])).claims.client_id, op.clients.es.clientId);
});

test('a rotated signing key is fetched again on its unknown kid', async () => {
  const v = validator();
  await v.validate(await op.accessToken(op.clients.cli, 'client_credentials'), [op.issuer]);
  await op.rotateSigningKey();
  const rotated = await op.accessToken(op.clients.cli, 'client_credentials');
  const { claims } = await v.validate(rotated, [op.issuer]);
  assert.equal(claims.client_id, op.clients.cli.clientId);
});

test('an opaque access token is introspected (RFC 7662) at the issuer', async () => {
  const token = await op.accessToken(op.clients.opaque, 'password', { username: 'bob', password: 'bob-secret' });
  assert.equal(token.split('.').length, 1, 'opaque');
  const { claims } = await validator().validate(token, [op.issuer]);
  assert.equal(claims.active, true);
  assert.equal(claims.sub, 'bob');
  assert.equal(claims.iss, op.issuer);
  await refused(validator({ introspectionClientSecret: 'wrong' }), token, [op.issuer], /introspection|not active/);
  await refused(validator(), `${token}x`, [op.issuer], /not active/);
});

test('hostile tokens are refused: alg none, HMAC on the public key, unknown kid, forged payload', async () => {
  const v = validator();
  const good = await op.accessToken(op.clients.cli, 'client_credentials');
  const { header, claims, signature } = parts(good);
  await refused(v, assemble({ ...header, alg: 'none' }, claims, ''), [op.issuer], /algorithm none/);
  await refused(v, assemble({ ...header, alg: 'HS256' }, claims, signature), [op.issuer], /algorithm HS256/);
  await refused(v, assemble({ ...header, kid: 'no-such-key' }, claims, signature), [op.issuer], /no key/);
  await refused(v, assemble(header, { ...claims, preferred_username: 'admin' }, signature), [op.issuer], /bad signature/);
  await refused(v, assemble(header, claims, signature.slice(0, -4) + 'AAAA'), [op.issuer], /bad signature/);
  await refused(v, 'a.b', [op.issuer], /not active|introspection/);
  await refused(v, `${good.split('.')[0]}.!!!.${signature}`, [op.issuer], /not active|introspection/);
});

test('another audience, an issuer not among the remote ids and an unconfigured audience are refused', async () => {
  const token = await op.accessToken(op.clients.cli, 'client_credentials');
  await refused(validator({ audience: ['https://other.example.test'] }), token, [op.issuer], /audience/);
  await refused(validator(), token, ['https://idp.example.test'], /issuer/);
  await refused(validator({ audience: [] }), token, [op.issuer], /not configured/);
  await refused(validator({ allowedAlgorithms: ['ES256'] }), token, [op.issuer], /algorithm RS256/);
});

test('an expired access token is refused', async () => {
  const shortLived = await startOpenIdProvider({ accessTokenTtl: 1 });
  try {
    const token = await shortLived.accessToken(shortLived.clients.cli, 'client_credentials');
    await new Promise((resolve) => setTimeout(resolve, 2100));
    const v = new AccessTokenValidator({ ...settings(), audience: [shortLived.audience] }, new IssuerMetadataCache(5));
    await refused(v, token, [shortLived.issuer], /expired/);
  } finally {
    await shortLived.close();
  }
});
