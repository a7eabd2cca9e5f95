/**
 * /v3/OS-TRUST/trusts over HTTP and trust-scoped tokens: create (roles by
 * id and name), show, list and its filters, the trust's roles, delete;
 * Keystone's refusals; tokens with and without impersonation, limited
 * uses, expiry, redelegation and its limits, revocation on delete, and a
 * deleted user's trusts.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { TestServer } from '../helpers/test-server.js';
import { databaseKinds } from '../helpers/test-database.js';
import { TrustRepository } from '../../src/trust/trust-repository.js';
import { call, expectStatus } from '../api/identity-resource-fixtures.js';
import {
  authenticate,
  newProject,
  startWorld,
  trustAuth,
  trustToken,
  userOnProject,
  validate,
  type ProjectUser,
} from './trust-fixtures.js';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

for (const kind of databaseKinds()) {
  describe(`OS-TRUST trusts (${kind})`, () => {
    let server: TestServer;
    let systemAdmin: string;
    let projectId: string;
    let trustor: ProjectUser;
    let trustee: ProjectUser;
    let roles: TestServer['bootstrap'];

    before(async () => {
      ({ server, roles, systemAdmin, projectId, owner: trustor } = await startWorld(kind));
      // the trustee holds the admin role elsewhere, so its own calls pass the interim policy
      trustee = await userOnProject(server, await newProject(server), [roles.adminRoleId]);
    });
    after(async () => {
      await server?.close();
    });

    const createTrust = async (trust: Json, token = trustor.token) =>
      call(server, 'POST', '/v3/OS-TRUST/trusts', { token, body: { trust } });
    const baseTrust = (extra: Json = {}): Json => ({
      trustor_user_id: trustor.userId,
      trustee_user_id: trustee.userId,
      project_id: projectId,
      impersonation: false,
      roles: [{ id: roles.memberRoleId }],
      ...extra,
    });

    test('create, show, list, roles and delete', async () => {
      const future = new Date(Date.now() + 3600_000).toISOString();
      const created = expectStatus(
        await createTrust(baseTrust({ roles: [{ name: 'member' }], expires_at: future, remaining_uses: 5, note: 'kept' })),
        201,
      ).trust;
      assert.equal(created.trustor_user_id, trustor.userId);
      assert.equal(created.trustee_user_id, trustee.userId);
      assert.equal(created.project_id, projectId);
      assert.equal(created.impersonation, false);
      assert.equal(created.remaining_uses, 5);
      assert.equal(created.redelegation_count, 0);
      assert.equal(created.redelegated_trust_id, null);
      assert.equal(created.deleted_at, null);
      assert.equal(created.note, 'kept');
      assert.match(created.expires_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.000000Z$/);
      assert.equal(created.expires_at.slice(0, 19), future.slice(0, 19));
      assert.deepEqual(
        created.roles.map((r: Json) => r.id),
        [roles.memberRoleId],
      );
      assert.equal(created.roles[0].name, 'member');
      assert.equal(created.roles[0].links.self, `${server.publicUrl}/v3/roles/${roles.memberRoleId}`);
      assert.deepEqual(created.roles_links, { self: `${server.publicUrl}/v3/${created.id}/roles`, next: null, previous: null });
      assert.equal(created.links.self, `${server.publicUrl}/v3/OS-TRUST/trusts/${created.id}`);

      const shown = expectStatus(await call(server, 'GET', `/v3/OS-TRUST/trusts/${created.id}`, { token: trustor.token }), 200).trust;
      assert.deepEqual(shown, created);
      assert.equal((await call(server, 'HEAD', `/v3/OS-TRUST/trusts/${created.id}`, { token: trustor.token })).status, 200);

      const all = expectStatus(await call(server, 'GET', '/v3/OS-TRUST/trusts', { token: systemAdmin }), 200);
      const listed = all.trusts.find((t: Json) => t.id === created.id);
      assert.ok(listed);
      assert.equal(listed.roles, undefined);
      assert.equal(listed.links.self, created.links.self);
      const byTrustor = expectStatus(
        await call(server, 'GET', `/v3/OS-TRUST/trusts?trustor_user_id=${trustor.userId}`, { token: trustor.token }),
        200,
      );
      assert.deepEqual(
        byTrustor.trusts.map((t: Json) => t.id),
        [created.id],
      );
      const byTrustee = expectStatus(
        await call(server, 'GET', `/v3/OS-TRUST/trusts?trustee_user_id=${trustee.userId}`, { token: trustee.token }),
        200,
      );
      assert.ok(byTrustee.trusts.some((t: Json) => t.id === created.id));
      const none = expectStatus(
        await call(server, 'GET', `/v3/OS-TRUST/trusts?trustor_user_id=${trustee.userId}`, { token: systemAdmin }),
        200,
      );
      assert.deepEqual(none.trusts, []);

      const trustRoles = expectStatus(await call(server, 'GET', `/v3/OS-TRUST/trusts/${created.id}/roles`, { token: trustor.token }), 200);
      assert.deepEqual(
        trustRoles.roles.map((r: Json) => r.id),
        [roles.memberRoleId],
      );
      assert.equal(trustRoles.links.self, `${server.publicUrl}/v3/${created.id}/roles`);
      const role = expectStatus(
        await call(server, 'GET', `/v3/OS-TRUST/trusts/${created.id}/roles/${roles.memberRoleId}`, { token: trustor.token }),
        200,
      ).role;
      assert.equal(role.name, 'member');
      assert.equal(
        (await call(server, 'HEAD', `/v3/OS-TRUST/trusts/${created.id}/roles/${roles.memberRoleId}`, { token: trustor.token })).status,
        200,
      );
      expectStatus(
        await call(server, 'GET', `/v3/OS-TRUST/trusts/${created.id}/roles/${roles.adminRoleId}`, { token: trustor.token }),
        404,
        `Could not find role: ${roles.adminRoleId}.`,
      );

      expectStatus(await call(server, 'DELETE', `/v3/OS-TRUST/trusts/${created.id}`, { token: trustor.token }), 204);
      expectStatus(
        await call(server, 'GET', `/v3/OS-TRUST/trusts/${created.id}`, { token: trustor.token }),
        404,
        `Could not find trust: ${created.id}.`,
      );
      expectStatus(await call(server, 'DELETE', `/v3/OS-TRUST/trusts/${created.id}`, { token: trustor.token }), 404);
      const after = expectStatus(await call(server, 'GET', '/v3/OS-TRUST/trusts', { token: systemAdmin }), 200);
      assert.ok(!after.trusts.some((t: Json) => t.id === created.id));
    });

    test("Keystone's refusals, and nothing is stored", async () => {
      const before = (await server.providers.trust_api.listTrusts()).length;
      // refused by policy (the trustor rule), or after it by the handler's own check
      expectStatus(
        await createTrust(baseTrust({ trustor_user_id: trustee.userId })),
        403,
        /^You are not authorized to perform the requested action: (identity:create_trust|The authenticated user should match the trustor)\.$/,
      );
      expectStatus(
        await createTrust(baseTrust({ roles: [] })),
        403,
        'You are not authorized to perform the requested action: At least one role should be specified.',
      );
      expectStatus(
        await createTrust(baseTrust({ roles: [{ id: roles.readerRoleId }, { id: 'f'.repeat(32) }] })),
        404,
        `Could not find role: ${'f'.repeat(32)}.`,
      );
      expectStatus(await createTrust(baseTrust({ roles: [{ name: 'no-such-role' }] })), 404, 'Role no-such-role is not defined');
      expectStatus(await createTrust(baseTrust({ trustee_user_id: 'a'.repeat(32) })), 404, `Could not find user: ${'a'.repeat(32)}.`);
      expectStatus(await createTrust(baseTrust({ project_id: 'b'.repeat(32) })), 404, `Could not find project: ${'b'.repeat(32)}.`);
      expectStatus(await createTrust(baseTrust({ remaining_uses: 0 })), 400);
      expectStatus(await createTrust(baseTrust({ impersonation: 'yes' })), 400);
      expectStatus(
        await createTrust({ trustor_user_id: trustor.userId, trustee_user_id: trustee.userId }),
        400,
        "'impersonation' is a required property",
      );
      expectStatus(await createTrust(baseTrust({ expires_at: 'tomorrow' })), 400, /^Timestamp not in expected format\./);
      expectStatus(await createTrust(baseTrust({ expires_at: '2001-01-01T00:00:00Z' })), 400, /^The 'expires_at' must not be before now\./);
      expectStatus(
        await createTrust(baseTrust({ allow_redelegation: true, remaining_uses: 2 })),
        400,
        'remaining_uses must not be set if redelegation is allowed',
      );
      expectStatus(await createTrust(baseTrust({ allow_redelegation: true, redelegation_count: 4 })), 403);
      expectStatus(await createTrust(baseTrust(), ''), 401);
      assert.equal((await server.providers.trust_api.listTrusts()).length, before);
      expectStatus(
        await call(server, 'GET', '/v3/OS-TRUST/trusts/nosuchtrust', { token: trustor.token }),
        404,
        'Could not find trust: nosuchtrust.',
      );
      // Keystone's duplicate_trust_constraint: same trustor, trustee, project, impersonation and expiry
      const expires_at = new Date(Date.now() + 7200_000).toISOString();
      expectStatus(await createTrust(baseTrust({ expires_at })), 201);
      expectStatus(
        await createTrust(baseTrust({ expires_at })),
        409,
        /^Conflict occurred attempting to store trust - Duplicate entry found with ID [0-9a-f]{32}\.$/,
      );
    });

    test('a trust-scoped token without impersonation: the trustee, with the delegated roles and those they imply', async () => {
      const trust = expectStatus(await createTrust(baseTrust()), 201).trust;
      const issued = await trustToken(server, trustee.userId, trust.id);
      const body = issued.body.token;
      assert.equal(body.user.id, trustee.userId);
      assert.deepEqual(body['OS-TRUST:trust'], {
        id: trust.id,
        impersonation: false,
        trustee_user: { id: trustee.userId },
        trustor_user: { id: trustor.userId },
      });
      assert.equal(body.project.id, projectId);
      assert.deepEqual(body.roles.map((r: Json) => r.name).sort(), ['member', 'reader']);
      const checked = await validate(server, systemAdmin, issued.token as string);
      assert.equal(checked.status, 200);
      assert.equal(checked.body.token['OS-TRUST:trust'].id, trust.id);
      // a trust-scoped token cannot be rescoped
      const rescope = await authenticate(server, {
        identity: { methods: ['token'], token: { id: issued.token } },
        scope: { project: { id: projectId } },
      });
      assert.equal(rescope.status, 403);
      // only the trustee may use the trust
      const stranger = await authenticate(server, trustAuth(trustor.userId, trust.id));
      assert.equal(stranger.status, 403);
      assert.equal(stranger.token, null);
    });

    test('a trust-scoped token with impersonation shows the trustor as its user', async () => {
      const trust = expectStatus(await createTrust(baseTrust({ impersonation: true })), 201).trust;
      const body = (await trustToken(server, trustee.userId, trust.id)).body.token;
      assert.equal(body.user.id, trustor.userId);
      assert.equal(body['OS-TRUST:trust'].impersonation, true);
      assert.equal(body['OS-TRUST:trust'].trustee_user.id, trustee.userId);
    });

    test('remaining_uses: each token takes one; none left is a 401, and the trust is gone (404), its last token too', async () => {
      const trust = expectStatus(await createTrust(baseTrust({ remaining_uses: 2 })), 201).trust;
      await trustToken(server, trustee.userId, trust.id);
      const shown = expectStatus(await call(server, 'GET', `/v3/OS-TRUST/trusts/${trust.id}`, { token: trustor.token }), 200).trust;
      assert.equal(shown.remaining_uses, 1);
      const last = await trustToken(server, trustee.userId, trust.id);
      const third = await authenticate(server, trustAuth(trustee.userId, trust.id));
      assert.equal(third.status, 401);
      // as Keystone 22 (without a token cache): a used-up trust is not found, so its last token no longer validates
      assert.equal((await validate(server, systemAdmin, last.token as string)).status, 404);
      expectStatus(await call(server, 'GET', `/v3/OS-TRUST/trusts/${trust.id}`, { token: trustor.token }), 404);
    });

    test('an expired trust gives no token, and its tokens stop validating', async () => {
      const trust = expectStatus(await createTrust(baseTrust({ expires_at: new Date(Date.now() + 3600_000).toISOString() })), 201).trust;
      const issued = await trustToken(server, trustee.userId, trust.id);
      assert.equal((await validate(server, systemAdmin, issued.token as string)).status, 200);
      await server.db.none("UPDATE trust SET expires_at = now() - interval '1 minute' WHERE id = $1", [trust.id]);
      await server.providers.revoke_api.dropTokenCache();
      assert.equal((await authenticate(server, trustAuth(trustee.userId, trust.id))).status, 401);
      assert.equal((await validate(server, systemAdmin, issued.token as string)).status, 404);
      expectStatus(await call(server, 'GET', `/v3/OS-TRUST/trusts/${trust.id}`, { token: trustor.token }), 404);
    });

    test('deleting a trust revokes the tokens issued through it', async () => {
      const trust = expectStatus(await createTrust(baseTrust()), 201).trust;
      const issued = await trustToken(server, trustee.userId, trust.id);
      assert.equal((await validate(server, systemAdmin, issued.token as string)).status, 200);
      expectStatus(await call(server, 'DELETE', `/v3/OS-TRUST/trusts/${trust.id}`, { token: trustor.token }), 204);
      assert.equal((await validate(server, systemAdmin, issued.token as string)).status, 404);
      assert.equal((await authenticate(server, trustAuth(trustee.userId, trust.id))).status, 401);
      const events = expectStatus(await call(server, 'GET', '/v3/OS-REVOKE/events', { token: systemAdmin }), 200).events;
      assert.ok(events.some((e: Json) => e['OS-TRUST:trust_id'] === trust.id));
    });

    test('redelegation: a chain within max_redelegation_count, each link narrower, none past the limit', async () => {
      // the trustee of a redelegatable trust holds the roles itself (Keystone checks the new trustor's roles)
      const middle = await userOnProject(server, projectId, [roles.adminRoleId]);
      const last = await userOnProject(server, await newProject(server), [roles.adminRoleId]);
      const parent = expectStatus(
        await createTrust(
          baseTrust({
            trustee_user_id: middle.userId,
            impersonation: false,
            allow_redelegation: true,
            redelegation_count: 1,
            roles: [{ id: roles.adminRoleId }, { id: roles.memberRoleId }],
          }),
        ),
        201,
      ).trust;
      assert.equal(parent.redelegation_count, 1);
      const middleToken = (await trustToken(server, middle.userId, parent.id)).token as string;
      const child = (extra: Json = {}) => ({
        trustor_user_id: middle.userId,
        trustee_user_id: last.userId,
        project_id: projectId,
        impersonation: false,
        allow_redelegation: true,
        roles: [{ id: roles.memberRoleId }],
        ...extra,
      });
      // a role the parent does not delegate, impersonation the parent lacks, a changed depth: refused
      expectStatus(await createTrust(child({ roles: [{ id: roles.readerRoleId }] }), middleToken), 403);
      expectStatus(await createTrust(child({ impersonation: true }), middleToken), 403);
      expectStatus(await createTrust(child({ redelegation_count: 3 }), middleToken), 403);
      const redelegated = expectStatus(await createTrust(child(), middleToken), 201).trust;
      assert.equal(redelegated.redelegated_trust_id, parent.id);
      assert.equal(redelegated.redelegation_count, 0);
      // the end of the chain: its token may not redelegate again
      await server.providers.assignment_api.createGrant(roles.adminRoleId, { userId: last.userId }, { projectId });
      const lastToken = await trustToken(server, last.userId, redelegated.id);
      const third = await createTrust(
        {
          trustor_user_id: last.userId,
          trustee_user_id: trustee.userId,
          project_id: projectId,
          impersonation: false,
          roles: [{ id: roles.memberRoleId }],
        },
        lastToken.token as string,
      );
      expectStatus(third, 403);
      // deleting the first link takes the chain with it
      expectStatus(await call(server, 'DELETE', `/v3/OS-TRUST/trusts/${parent.id}`, { token: trustor.token }), 204);
      expectStatus(await call(server, 'GET', `/v3/OS-TRUST/trusts/${redelegated.id}`, { token: systemAdmin }), 404);
    });

    test("an impersonating trust token speaks for the trustor: it redelegates in the trustor's name", async () => {
      const parent = expectStatus(
        await createTrust(
          baseTrust({
            impersonation: true,
            allow_redelegation: true,
            roles: [{ id: roles.adminRoleId }],
          }),
        ),
        201,
      ).trust;
      const token = (await trustToken(server, trustee.userId, parent.id)).token as string;
      const child = (trustorId: string) =>
        createTrust(
          {
            trustor_user_id: trustorId,
            trustee_user_id: trustee.userId,
            project_id: projectId,
            impersonation: true,
            allow_redelegation: true,
            roles: [{ id: roles.adminRoleId }],
          },
          token,
        );
      expectStatus(await child(trustee.userId), 403);
      const redelegated = expectStatus(await child(trustor.userId), 201).trust;
      assert.equal(redelegated.redelegated_trust_id, parent.id);
      assert.equal(redelegated.redelegation_count, parent.redelegation_count - 1);
    });

    test('a token of a delegated method (an application credential) cannot manage trusts', async () => {
      const cred = expectStatus(
        await call(server, 'POST', `/v3/users/${trustor.userId}/application_credentials`, {
          token: trustor.token,
          body: { application_credential: { name: 'trust-maker', unrestricted: true } },
        }),
        201,
      ).application_credential;
      const acToken = await authenticate(server, {
        identity: { methods: ['application_credential'], application_credential: { id: cred.id, secret: cred.secret } },
      });
      assert.equal(acToken.status, 201);
      // (Keystone's own double full stop: the action ends with one)
      expectStatus(
        await createTrust(baseTrust(), acToken.token as string),
        403,
        'You are not authorized to perform the requested action: Delegated tokens cannot manage trusts..',
      );
    });

    test("the trustor losing the delegated role, or being disabled, ends the trust's tokens", async () => {
      const project = await newProject(server);
      const giver = await userOnProject(server, project, [roles.adminRoleId, roles.memberRoleId]);
      const trust = (extra: Json = {}) =>
        createTrust(baseTrust({ trustor_user_id: giver.userId, project_id: project, ...extra }), giver.token);
      const viaMember = expectStatus(await trust({ roles: [{ id: roles.memberRoleId }] }), 201).trust;
      const memberToken = (await trustToken(server, trustee.userId, viaMember.id)).token as string;
      assert.equal((await validate(server, systemAdmin, memberToken)).status, 200);
      expectStatus(
        await call(server, 'DELETE', `/v3/projects/${project}/users/${giver.userId}/roles/${roles.memberRoleId}`, { token: systemAdmin }),
        204,
      );
      // admin implies member: the delegated role is still held, so the token still validates
      assert.equal((await validate(server, systemAdmin, memberToken)).status, 200);
      expectStatus(
        await call(server, 'DELETE', `/v3/projects/${project}/users/${giver.userId}/roles/${roles.adminRoleId}`, { token: systemAdmin }),
        204,
      );
      assert.equal((await validate(server, systemAdmin, memberToken)).status, 404);
      assert.notEqual((await authenticate(server, trustAuth(trustee.userId, viaMember.id))).status, 201);

      const other = await userOnProject(server, project, [roles.adminRoleId]);
      const viaOther = expectStatus(
        await createTrust(baseTrust({ trustor_user_id: other.userId, project_id: project }), other.token),
        201,
      ).trust;
      const otherToken = (await trustToken(server, trustee.userId, viaOther.id)).token as string;
      expectStatus(
        await call(server, 'PATCH', `/v3/users/${other.userId}`, { token: systemAdmin, body: { user: { enabled: false } } }),
        200,
      );
      assert.equal((await validate(server, systemAdmin, otherToken)).status, 404);
    });

    test("a deleted project's trusts go with it", async () => {
      const doomedProject = await newProject(server);
      await server.providers.assignment_api.createGrant(roles.memberRoleId, { userId: trustor.userId }, { projectId: doomedProject });
      const trust = expectStatus(await createTrust(baseTrust({ project_id: doomedProject })), 201).trust;
      expectStatus(await call(server, 'DELETE', `/v3/projects/${doomedProject}`, { token: systemAdmin }), 204);
      expectStatus(await call(server, 'GET', `/v3/OS-TRUST/trusts/${trust.id}`, { token: trustor.token }), 404);
    });

    test('trust_flush: deleted and expired trusts removed for good, narrowed by trustor', async () => {
      const gone = expectStatus(await createTrust(baseTrust()), 201).trust;
      expectStatus(await call(server, 'DELETE', `/v3/OS-TRUST/trusts/${gone.id}`, { token: trustor.token }), 204);
      const expired = expectStatus(await createTrust(baseTrust({ expires_at: new Date(Date.now() + 3600_000).toISOString() })), 201).trust;
      await server.db.none("UPDATE trust SET expires_at = now() - interval '1 hour' WHERE id = $1", [expired.id]);
      const live = expectStatus(await createTrust(baseTrust()), 201).trust;
      const { trust_api: trusts } = server.providers;
      assert.equal(await trusts.flushExpiredAndSoftDeletedTrusts({ trustorUserId: trustee.userId }), 0);
      assert.ok((await trusts.flushExpiredAndSoftDeletedTrusts({ trustorUserId: trustor.userId })) >= 2);
      const stored = new TrustRepository(server.db);
      assert.equal(await stored.get(gone.id), null);
      assert.equal(await stored.get(expired.id), null);
      assert.equal((await trusts.getTrust(live.id)).id, live.id);
      assert.equal(await server.db.oneOrNone('SELECT 1 FROM trust_role WHERE trust_id = $1', [gone.id]), null);
    });

    test("a deleted user's trusts go with it", async () => {
      const doomed = await userOnProject(server, await newProject(server), [roles.adminRoleId]);
      const trust = expectStatus(await createTrust(baseTrust({ trustee_user_id: doomed.userId })), 201).trust;
      const issued = await trustToken(server, doomed.userId, trust.id);
      expectStatus(await call(server, 'DELETE', `/v3/users/${doomed.userId}`, { token: systemAdmin }), 204);
      expectStatus(await call(server, 'GET', `/v3/OS-TRUST/trusts/${trust.id}`, { token: trustor.token }), 404);
      assert.equal((await validate(server, systemAdmin, issued.token as string)).status, 404);
    });
  });
}
