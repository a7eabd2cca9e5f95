// The test OpenID Provider itself (test/helpers/oidc-provider.ts): what the other OIDC tests rely on it for.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startOpenIdProvider, type TestOpenIdProvider } from '../../helpers/oidc-provider.js';

let op: TestOpenIdProvider;
before(async () => {
  op = await startOpenIdProvider();
});
after(() => op?.close());

function claimsOf(jwt: string): Record<string, unknown> {
  const [header, payload] = jwt.split('.');
  return { header: JSON.parse(Buffer.from(header, 'base64url').toString()), ...JSON.parse(Buffer.from(payload, 'base64url').toString()) };
}

test('client_credentials gives an RS256 JWT for Keystone’s audience, ES256 for the es client', async () => {
  const rs = claimsOf(await op.accessToken(op.clients.cli, 'client_credentials'));
  assert.equal(rs.iss, op.issuer);
  assert.equal(rs.aud, op.audience);
  assert.equal((rs.header as { alg: string }).alg, 'RS256');
  assert.equal(rs.preferred_username, 'service-account-openstack-cli');
  const es = claimsOf(await op.accessToken(op.clients.es, 'client_credentials'));
  assert.equal((es.header as { alg: string }).alg, 'ES256');
});

test('the password grant gives a JWT with the user’s claims; a wrong password is refused', async () => {
  const claims = claimsOf(await op.accessToken(op.clients.cli, 'password', { username: 'alice', password: 'alice-secret' }));
  assert.equal(claims.sub, 'alice');
  assert.deepEqual(claims.groups, ['cloud-users', 'admins']);
  assert.equal(claims.email, 'alice@example.test');
  await assert.rejects(op.accessToken(op.clients.cli, 'password', { username: 'alice', password: 'nope' }), /invalid_grant/);
});

test('opaque tokens are introspected by the keystone client', async () => {
  const token = await op.accessToken(op.clients.opaque, 'password', { username: 'bob', password: 'bob-secret' });
  assert.equal(token.split('.').length, 1);
  const res = await fetch(`${op.issuer}/token/introspection`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: `Basic ${Buffer.from(`${op.clients.keystone.clientId}:${op.clients.keystone.clientSecret}`).toString('base64')}`,
    },
    body: new URLSearchParams({ token }).toString(),
  });
  const body = await res.json();
  assert.equal(body.active, true, JSON.stringify(body));
  assert.equal(body.sub, 'bob');
  assert.equal(body.aud, op.audience);
  assert.deepEqual(body.groups, ['cloud-users']);
});

test('a rotation puts a new kid first; tokens signed before stay verifiable with the old key still published', async () => {
  const before = claimsOf(await op.accessToken(op.clients.cli, 'client_credentials'));
  await op.rotateSigningKey();
  const afterRotation = claimsOf(await op.accessToken(op.clients.cli, 'client_credentials'));
  const oldKid = (before.header as { kid: string }).kid;
  const newKid = (afterRotation.header as { kid: string }).kid;
  assert.notEqual(oldKid, newKid);
  const jwks = await (await fetch(`${op.issuer}/jwks`)).json();
  const kids = jwks.keys.map((k: { kid: string }) => k.kid);
  assert.ok(kids.includes(oldKid) && kids.includes(newKid));
  await op.rotateSigningKey({ retire: true });
  const retired = await (await fetch(`${op.issuer}/jwks`)).json();
  assert.ok(!retired.keys.some((k: { kid: string }) => k.kid === oldKid));
});
