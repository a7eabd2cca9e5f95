/**
 * [token] provider = jws on a real keystone-all (2 workers, embedded database), keys made by our
 * keystone-manage create_jws_keypair: project, domain, system, trust and application-credential
 * tokens are ES256 JWTs with Keystone's claims, validate (here and in Keystone 22's own JWSFormatter,
 * with the same public key) and stop validating once revoked; Keystone's tokens validate here;
 * expired, forged, `alg: none`, unknown-key and garbage tokens are refused; a token whose public key
 * left the repository is refused by every worker, memo or not; without keys keystone-all refuses to
 * start, as Keystone does.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { api, instanceToken, startKeystoneAll, validations, type KeystoneInstance } from '../keystone-all-harness.js';
import { createKeyRepositories, keystoneJws, requireKeystone, skipWithoutKeystone, type KeyRepositories } from './jws-fixture.js';
import { isoZeroMicrosZ } from '../../../src/common/time.js';

const HEADER = 'eyJhbGciOiJFUzI1NiIsInR5cCI6IkpXVCJ9'; // {"alg":"ES256","typ":"JWT"}

function claimsOf(token: string): Record<string, unknown> {
  const parts = token.split('.');
  assert.equal(parts.length, 3, 'a compact JWS');
  assert.equal(parts[0], HEADER);
  return JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8')) as Record<string, unknown>;
}

interface TokenBody {
  token: {
    user: { id: string };
    project?: { id: string };
    domain?: { id: string };
    system?: { all: boolean };
    roles: { id: string; name: string }[];
    audit_ids: string[];
    methods: string[];
    expires_at: string;
    issued_at: string;
    'OS-TRUST:trust'?: { id: string };
    application_credential?: { id: string };
  };
}

async function issue(url: string, auth: Record<string, unknown>): Promise<{ id: string; body: TokenBody }> {
  const r = await fetch(`${url}/v3/auth/tokens`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ auth }),
  });
  const text = await r.text();
  assert.equal(r.status, 201, text);
  return { id: r.headers.get('x-subject-token') as string, body: JSON.parse(text) as TokenBody };
}

async function check(url: string, admin: string, subject: string, query = ''): Promise<{ status: number; body: TokenBody }> {
  const r = await fetch(`${url}/v3/auth/tokens${query}`, { headers: { 'X-Auth-Token': admin, 'X-Subject-Token': subject } });
  const text = await r.text();
  return { status: r.status, body: (text ? JSON.parse(text) : {}) as TokenBody };
}

describe('[token] provider = jws on keystone-all', () => {
  let dir: string;
  let repos: KeyRepositories;
  let ks: KeystoneInstance;
  let url: string;
  let admin: string;
  let adminBody: TokenBody;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'jws-keystone-all-'));
    repos = createKeyRepositories(dir);
    ks = await startKeystoneAll({
      workers: 2,
      config: {
        token: { provider: 'jws' },
        jwt_tokens: { jws_public_key_repository: repos.publicRepository, jws_private_key_repository: repos.privateRepository },
      },
    });
    url = ks.publicUrl;
    admin = await instanceToken(url);
    adminBody = (await check(url, admin, admin)).body;
  });
  after(async () => {
    await ks?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const password = () => ({
    methods: ['password'],
    password: { user: { name: 'admin', domain: { id: 'default' }, password: 'multi-process-secret' } },
  });

  test('project, domain, system, trust and application-credential tokens: claims, validation here and in Keystone, revocation', async () => {
    const userId = adminBody.token.user.id;
    const projectId = adminBody.token.project?.id as string;
    const adminRole = adminBody.token.roles.find((r) => r.name === 'admin');
    assert.ok(adminRole);
    const grant = await api(url, 'PUT', `/v3/domains/default/users/${userId}/roles/${adminRole.id}`, admin);
    assert.equal(grant.status, 204, JSON.stringify(grant.body));

    const trustee = await api(url, 'POST', '/v3/users', admin, {
      user: { name: 'jws-trustee', domain_id: 'default', password: 'trustee-pw' },
    });
    assert.equal(trustee.status, 201, JSON.stringify(trustee.body));
    const trusteeId = (trustee.body as { user: { id: string } }).user.id;
    const trust = await api(url, 'POST', '/v3/OS-TRUST/trusts', admin, {
      trust: {
        trustor_user_id: userId,
        trustee_user_id: trusteeId,
        project_id: projectId,
        impersonation: false,
        roles: [{ name: 'admin' }],
      },
    });
    assert.equal(trust.status, 201, JSON.stringify(trust.body));
    const trustId = (trust.body as { trust: { id: string } }).trust.id;
    const appCred = await api(url, 'POST', `/v3/users/${userId}/application_credentials`, admin, {
      application_credential: { name: 'jws-ac' },
    });
    assert.equal(appCred.status, 201, JSON.stringify(appCred.body));
    const { id: appCredId, secret } = (appCred.body as { application_credential: { id: string; secret: string } }).application_credential;

    const cases = [
      {
        name: 'project',
        auth: { identity: password(), scope: { project: { id: projectId } } },
        claim: ['openstack_project_id', projectId],
      },
      { name: 'domain', auth: { identity: password(), scope: { domain: { id: 'default' } } }, claim: ['openstack_domain_id', 'default'] },
      { name: 'system', auth: { identity: password(), scope: { system: { all: true } } }, claim: ['openstack_system', 'all'] },
      {
        name: 'trust',
        auth: {
          identity: { methods: ['password'], password: { user: { id: trusteeId, password: 'trustee-pw' } } },
          scope: { 'OS-TRUST:trust': { id: trustId } },
        },
        claim: ['openstack_trust_id', trustId],
      },
      {
        name: 'application credential',
        auth: { identity: { methods: ['application_credential'], application_credential: { id: appCredId, secret } } },
        claim: ['openstack_app_cred_id', appCredId],
      },
    ] as const;
    const issued: { name: string; id: string; body: TokenBody }[] = [];
    for (const c of cases) {
      const t = await issue(url, c.auth);
      const claims = claimsOf(t.id);
      assert.equal(claims[c.claim[0]], c.claim[1], `${c.name}: ${c.claim[0]}`);
      assert.equal(claims.sub, t.body.token.user.id, c.name);
      assert.deepEqual(claims.openstack_methods, t.body.token.methods, c.name);
      assert.deepEqual(claims.openstack_audit_ids, t.body.token.audit_ids, c.name);
      assert.equal(isoZeroMicrosZ(claims.exp as number), t.body.token.expires_at, c.name);
      assert.equal(isoZeroMicrosZ(claims.iat as number), t.body.token.issued_at, c.name);
      const v = await check(url, admin, t.id);
      assert.equal(v.status, 200, `${c.name}: ${JSON.stringify(v.body)}`);
      assert.deepEqual(v.body, t.body, `${c.name}: the validation body is the issue body`);
      issued.push({ name: c.name, ...t });
    }
    assert.equal(issued[3].body.token['OS-TRUST:trust']?.id, trustId);
    assert.equal(issued[4].body.token.application_credential?.id, appCredId);

    if (skipWithoutKeystone === false) {
      requireKeystone();
      const answers = keystoneJws(
        repos,
        issued.map((t) => ({ op: 'validate_token', token: t.id })),
      );
      for (const [i, t] of issued.entries()) {
        assert.ok(answers[i].ok, `${t.name}: ${answers[i].message}`);
        assert.equal(answers[i].user_id, t.body.token.user.id, t.name);
        assert.deepEqual(answers[i].audit_ids, t.body.token.audit_ids, t.name);
        assert.equal(answers[i].expires_at, t.body.token.expires_at, t.name);
        assert.equal(answers[i].issued_at, t.body.token.issued_at, t.name);
        assert.equal(answers[i].project_id ?? undefined, t.body.token.project?.id, t.name);
      }
    }

    for (const t of issued) {
      const del = await fetch(`${url}/v3/auth/tokens`, { method: 'DELETE', headers: { 'X-Auth-Token': admin, 'X-Subject-Token': t.id } });
      assert.equal(del.status, 204, t.name);
      assert.deepEqual(new Set(await validations(url, admin, t.id, 6)), new Set([404]), `${t.name}: revoked on every worker`);
    }
  });

  test("Keystone 22's tokens validate here; expired ones only within ?allow_expired", { skip: skipWithoutKeystone }, async () => {
    requireKeystone();
    const userId = adminBody.token.user.id;
    const projectId = adminBody.token.project?.id as string;
    const soon = isoZeroMicrosZ(Date.now() / 1000 + 3600);
    const past = isoZeroMicrosZ(Date.now() / 1000 - 60);
    const [project, system, expired] = keystoneJws(repos, [
      {
        op: 'create_token',
        user_id: userId,
        expires_at: soon,
        audit_ids: ['a2V5c3RvbmUtYXVkaXQtaWQx'],
        methods: ['password'],
        project_id: projectId,
      },
      {
        op: 'create_token',
        user_id: userId,
        expires_at: soon,
        audit_ids: ['a2V5c3RvbmUtYXVkaXQtaWQy'],
        methods: ['password'],
        system: 'all',
      },
      {
        op: 'create_token',
        user_id: userId,
        expires_at: past,
        audit_ids: ['a2V5c3RvbmUtYXVkaXQtaWQz'],
        methods: ['password'],
        project_id: projectId,
      },
    ]);
    assert.ok(project.ok && system.ok && expired.ok, project.message ?? system.message ?? expired.message);
    const p = await check(url, admin, project.token as string);
    assert.equal(p.status, 200, JSON.stringify(p.body));
    assert.equal(p.body.token.project?.id, projectId);
    assert.equal(p.body.token.issued_at, project.issued_at);
    assert.equal(p.body.token.expires_at, soon);
    const s = await check(url, admin, system.token as string);
    assert.equal(s.status, 200, JSON.stringify(s.body));
    assert.deepEqual(s.body.token.system, { all: true });
    // Keystone's token as the caller's own
    const listed = await api(url, 'GET', '/v3/projects', project.token as string);
    assert.equal(listed.status, 200);
    assert.equal((await check(url, admin, expired.token as string)).status, 404);
    assert.equal((await check(url, admin, expired.token as string, '?allow_expired=1')).status, 200);
    assert.equal((await api(url, 'GET', '/v3/projects', expired.token as string)).status, 401);
  });

  test('forged, alg none, unknown-key and garbage tokens: 404 as subject, 401 as caller', async () => {
    const good = await instanceToken(url);
    const [h, p, s] = good.split('.');
    const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
    const claims = claimsOf(good);
    const other = createKeyRepositories(join(dir, 'unknown'));
    const hostile: Record<string, string> = {
      'signature altered': `${h}.${p}.${s.slice(0, 5)}${s[5] === 'A' ? 'B' : 'A'}${s.slice(6)}`,
      'claims altered (longer expiry)': `${h}.${b64({ ...claims, exp: (claims.exp as number) + 86400 })}.${s}`,
      'alg none': `${b64({ alg: 'none', typ: 'JWT' })}.${p}.`,
      garbage: 'garbage',
      'three dots of garbage': 'a.b.c',
    };
    if (skipWithoutKeystone === false) {
      const [foreign] = keystoneJws(other, [
        {
          op: 'create_token',
          user_id: claims.sub,
          expires_at: isoZeroMicrosZ(Date.now() / 1000 + 600),
          audit_ids: ['dW5rbm93bi1rZXktYXVkaXQx'],
          methods: ['password'],
        },
      ]);
      assert.ok(foreign.ok, foreign.message);
      hostile['signed with a key not in the repository'] = foreign.token as string;
    }
    for (const [name, token] of Object.entries(hostile)) {
      const v = await check(url, admin, token);
      assert.equal(v.status, 404, `${name}: ${JSON.stringify(v.body)}`);
      assert.equal((await api(url, 'GET', '/v3/projects', token)).status, 401, name);
    }
    assert.equal((await check(url, admin, good)).status, 200);
  });

  test(
    'a token signed by a key whose public key is removed from the repository stops validating on every worker',
    { skip: skipWithoutKeystone },
    async () => {
      requireKeystone();
      const second = createKeyRepositories(join(dir, 'second'));
      copyFileSync(join(second.publicRepository, 'public.pem'), join(repos.publicRepository, 'second.pem'));
      const [made] = keystoneJws(second, [
        {
          op: 'create_token',
          user_id: adminBody.token.user.id,
          expires_at: isoZeroMicrosZ(Date.now() / 1000 + 600),
          audit_ids: ['c2Vjb25kLWtleS1hdWRpdC0x'],
          methods: ['password'],
          project_id: adminBody.token.project?.id,
        },
      ]);
      assert.ok(made.ok, made.message);
      const token = made.token as string;
      // validated (and memoized) by every worker
      assert.deepEqual(new Set(await validations(url, admin, token, 6)), new Set([200]));
      assert.equal((await check(url, admin, admin)).status, 200, 'tokens of the first key are unaffected');
      rmSync(join(repos.publicRepository, 'second.pem'));
      // each worker notices the change (fs.watch, or the next validation from the source) and re-checks its memo
      const until = Date.now() + 60_000;
      let statuses: number[] = [];
      while (Date.now() < until) {
        statuses = await validations(url, admin, token, 6);
        if (statuses.every((st) => st === 404)) break;
        await sleep(200);
      }
      assert.deepEqual(new Set(statuses), new Set([404]));
      assert.equal((await check(url, admin, admin)).status, 200, 'tokens of the remaining key still validate');
    },
  );
});

describe('[token] provider = jws without keys', () => {
  test("keystone-all refuses to start with Keystone's message", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'jws-nokeys-'));
    try {
      await assert.rejects(
        startKeystoneAll({
          workers: 1,
          config: {
            token: { provider: 'jws' },
            jwt_tokens: { jws_public_key_repository: join(dir, 'public'), jws_private_key_repository: join(dir, 'private') },
          },
        }),
        (err: Error) => err.message.includes(`${join(dir, 'private', 'private.pem')} does not exist. You can generate a key pair using`),
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
