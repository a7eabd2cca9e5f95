/**
 * Keystone's default policy on trusts, application credentials and access
 * rules for users holding no admin role: the owner manages their own, the
 * trustor and the trustee see their trust, and other users get a 403.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { TestServer } from '../helpers/test-server.js';
import { databaseKinds } from '../helpers/test-database.js';
import { call, expectStatus } from '../api/identity-resource-fixtures.js';
import { newProject, startWorld, userOnProject, type ProjectUser } from '../trust/trust-fixtures.js';

for (const kind of databaseKinds()) {
  describe(`default policy for members on trusts and application credentials (${kind})`, () => {
    let server: TestServer;
    let projectId: string;
    let alice: ProjectUser;
    let bob: ProjectUser;
    before(async () => {
      ({ server, projectId } = await startWorld(kind));
      alice = await userOnProject(server, projectId, [server.bootstrap.memberRoleId]);
      bob = await userOnProject(server, await newProject(server), [server.bootstrap.memberRoleId]);
    });
    after(async () => {
      await server?.close();
    });

    test("a member manages their own application credentials and access rules, not another user's", async () => {
      const path = `/v3/users/${alice.userId}/application_credentials`;
      const cred = expectStatus(
        await call(server, 'POST', path, {
          token: alice.token,
          body: {
            application_credential: {
              name: 'mine',
              access_rules: [{ service: 'compute', path: '/v2.1/servers', method: 'GET' }],
            },
          },
        }),
        201,
      ).application_credential;
      assert.deepEqual(cred.roles.map((r: { name: string }) => r.name).sort(), ['member', 'reader']);
      expectStatus(await call(server, 'GET', path, { token: alice.token }), 200);
      expectStatus(await call(server, 'GET', `${path}/${cred.id}`, { token: alice.token }), 200);
      expectStatus(await call(server, 'GET', `/v3/users/${alice.userId}/access_rules`, { token: alice.token }), 200);
      expectStatus(await call(server, 'GET', path, { token: bob.token }), 403);
      expectStatus(await call(server, 'GET', `${path}/${cred.id}`, { token: bob.token }), 403);
      // the owner check uses the credential's owner, whatever the path says
      expectStatus(await call(server, 'GET', `/v3/users/${bob.userId}/application_credentials/${cred.id}`, { token: bob.token }), 403);
      expectStatus(await call(server, 'DELETE', `${path}/${cred.id}`, { token: bob.token }), 403);
      expectStatus(await call(server, 'GET', `/v3/users/${alice.userId}/access_rules`, { token: bob.token }), 403);
      expectStatus(await call(server, 'POST', path, { token: bob.token, body: { application_credential: { name: 'theirs' } } }), 403);
      expectStatus(await call(server, 'DELETE', `${path}/${cred.id}`, { token: alice.token }), 204);
    });

    test('the trustor and the trustee see their trust; others do not; only the trustor deletes it', async () => {
      const trust = expectStatus(
        await call(server, 'POST', '/v3/OS-TRUST/trusts', {
          token: alice.token,
          body: {
            trust: {
              trustor_user_id: alice.userId,
              trustee_user_id: bob.userId,
              project_id: projectId,
              impersonation: false,
              roles: [{ name: 'member' }],
            },
          },
        }),
        201,
      ).trust;
      const carol = await userOnProject(server, projectId, [server.bootstrap.memberRoleId]);
      expectStatus(await call(server, 'GET', `/v3/OS-TRUST/trusts/${trust.id}`, { token: alice.token }), 200);
      expectStatus(await call(server, 'GET', `/v3/OS-TRUST/trusts/${trust.id}`, { token: bob.token }), 200);
      expectStatus(await call(server, 'GET', `/v3/OS-TRUST/trusts/${trust.id}/roles`, { token: bob.token }), 200);
      expectStatus(await call(server, 'GET', `/v3/OS-TRUST/trusts/${trust.id}`, { token: carol.token }), 403);
      expectStatus(await call(server, 'GET', `/v3/OS-TRUST/trusts?trustor_user_id=${alice.userId}`, { token: alice.token }), 200);
      expectStatus(await call(server, 'GET', `/v3/OS-TRUST/trusts?trustee_user_id=${bob.userId}`, { token: bob.token }), 200);
      expectStatus(await call(server, 'GET', `/v3/OS-TRUST/trusts?trustor_user_id=${alice.userId}`, { token: carol.token }), 403);
      expectStatus(await call(server, 'GET', '/v3/OS-TRUST/trusts', { token: alice.token }), 403);
      expectStatus(await call(server, 'DELETE', `/v3/OS-TRUST/trusts/${trust.id}`, { token: bob.token }), 403);
      expectStatus(await call(server, 'DELETE', `/v3/OS-TRUST/trusts/${trust.id}`, { token: alice.token }), 204);
    });
  });
}
