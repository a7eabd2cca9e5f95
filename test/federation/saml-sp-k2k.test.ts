/**
 * Keystone-to-Keystone into the native SAML service provider: keystoneauth1's Keystone2Keystone plugin,
 * unchanged (test/fixtures/k2k/k2k_client.py), logs in at our identity provider, gets its ECP assertion
 * (Keystone's form: RSA-SHA1, no Conditions, unsolicited) and posts it to the service provider's sp_url,
 * which is a second server's protocol auth endpoint with the identity provider's metadata in
 * [saml2] idp_metadata_dir (keystone-manage saml_idp_metadata's document): no front proxy, no mod_shib.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startTestServer, type TestServer } from '../helpers/test-server.js';
import { unique } from '../api/identity-resource-fixtures.js';
import { generateIdpMetadata } from '../../src/federation/saml/idp/idp-metadata.js';
import { ENTITY_ID, PYTHON, makeSamlIdpFiles, runPython, samlOptions, type SamlIdpFiles } from './saml-idp-fixture.js';

const CLIENT = fileURLToPath(new URL('../../../test/fixtures/k2k/k2k_client.py', import.meta.url));
const probe = spawnSync(PYTHON, ['-c', 'import lxml.etree, keystoneauth1.identity.v3.k2k'], { encoding: 'utf8' });
const skip: string | false =
  probe.status === 0 || process.env.CI === 'true' ? false : `${PYTHON} cannot import lxml and keystoneauth1 (CI=true fails instead)`;
const IDP_AT_SP = 'keystone-idp';

describe('Keystone-to-Keystone into the native SAML service provider', { skip }, () => {
  let idp: TestServer;
  let sp: TestServer;
  let files: SamlIdpFiles;
  let metadataDir: string;
  const user = { name: unique('k2k-native'), id: '', password: 'k2k-password-3', projectId: '' };
  let spProjectId = '';

  before(async () => {
    files = makeSamlIdpFiles();
    metadataDir = mkdtempSync(join(tmpdir(), 'saml-sp-k2k-'));
    idp = await startTestServer({ config: samlOptions(files) });
    writeFileSync(join(metadataDir, `${IDP_AT_SP}.xml`), generateIdpMetadata(idp.providers.conf.saml));
    sp = await startTestServer({
      config: {
        auth: { methods: ['password', 'token', 'saml2'] },
        saml2: { idp_metadata_dir: metadataDir, remote_id_attribute: 'Shib-Identity-Provider' },
      },
    });
    const { identity_api: identity, resource_api: resource, assignment_api: assignment } = idp.providers;
    user.projectId = (await resource.createProjectRef({ name: unique('idp-project'), domainId: 'default', parentId: 'default' })).id;
    user.id = (await identity.createUser({ name: user.name, domainId: 'default', password: user.password })).id;
    await assignment.createGrant(idp.bootstrap.memberRoleId, { userId: user.id }, { projectId: user.projectId });

    const s = sp.providers;
    const group = await s.identity_api.createGroup({ name: 'k2k-users', domainId: 'default' });
    spProjectId = (await s.resource_api.createProjectRef({ name: unique('sp-project'), domainId: 'default', parentId: 'default' })).id;
    await s.assignment_api.createGrant(sp.bootstrap.memberRoleId, { groupId: group.id }, { projectId: spProjectId });
    await s.federation_api.createIdentityProvider(IDP_AT_SP, { remote_ids: [ENTITY_ID], enabled: true });
    await s.federation_api.createMapping('k2k-mapping', {
      rules: [
        {
          local: [{ user: { name: '{0}' } }, { group: { id: group.id } }],
          remote: [{ type: 'openstack_user' }, { type: 'openstack_roles', any_one_of: ['member'] }],
        },
      ],
    });
    await s.federation_api.createProtocol(IDP_AT_SP, 'saml2', { mapping_id: 'k2k-mapping' });
    const authUrl = `${sp.publicUrl}/v3/OS-FEDERATION/identity_providers/${IDP_AT_SP}/protocols/saml2/auth`;
    await idp.providers.federation_api.createServiceProvider('native-sp', { auth_url: authUrl, sp_url: authUrl, enabled: true });
  });

  after(async () => {
    await sp?.close();
    await idp?.close();
    rmSync(files.dir, { recursive: true, force: true });
    rmSync(metadataDir, { recursive: true, force: true });
  });

  test("a project-scoped token of the service provider for the identity provider's user", async () => {
    const run = await runPython([
      CLIENT,
      JSON.stringify({
        idp_auth_url: `${idp.publicUrl}/v3`,
        username: user.name,
        password: user.password,
        user_domain_id: 'default',
        project_id: user.projectId,
        service_provider: 'native-sp',
        sp_project_id: spProjectId,
      }),
    ]);
    const answer = JSON.parse(run.stdout) as { project_id?: string; user_name?: string };
    assert.equal(run.status, 0, `${run.stdout}\n${run.stderr}`);
    assert.equal(answer.project_id, spProjectId);
    assert.equal(answer.user_name, user.name);
  });
});
