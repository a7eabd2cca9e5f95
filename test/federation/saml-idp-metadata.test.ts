/**
 * keystone-manage saml_idp_metadata, ours beside Keystone 22's own (run as its module, as
 * test/helpers/keystone-python.ts does) on the same keystone.conf: the same metadata byte for byte
 * (entity id, signing certificate, organization, contact person, NameID format, SSO endpoint; with the
 * defaults and with every [saml] idp_* option set, XML-special characters included), and the refusals
 * when idp_entity_id or idp_sso_endpoint is unset or the certificate cannot be read.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runKeystoneManage } from '../helpers/keystone-process.js';
import { keystone22Unavailable } from '../helpers/keystone-python.js';
import { renderIni, type ConfigOverrides } from '../helpers/test-config.js';
import { makeSamlIdpFiles, samlOptions, type SamlIdpFiles } from './saml-idp-fixture.js';

const KEYSTONE_MANAGE = ['-c', 'import sys; from keystone.cmd.manage import main; sys.argv[0] = "keystone-manage"; main()'];
const unavailable = keystone22Unavailable();

describe('keystone-manage saml_idp_metadata', () => {
  let files: SamlIdpFiles;
  before(() => {
    files = makeSamlIdpFiles();
  });
  after(() => {
    rmSync(files.dir, { recursive: true, force: true });
  });

  const configFile = (name: string, sections: ConfigOverrides) => {
    const file = join(files.dir, name);
    writeFileSync(file, renderIni({ DEFAULT: { log_file: join(files.dir, 'keystone.log') }, ...sections }));
    return file;
  };
  const ours = (file: string) => runKeystoneManage(['--config-file', file, 'saml_idp_metadata']);
  const theirs = (file: string) => {
    const r = spawnSync('/usr/bin/python3', [...KEYSTONE_MANAGE, '--config-file', file, 'saml_idp_metadata'], {
      encoding: 'utf8',
      timeout: 120_000,
    });
    return { code: r.status, stdout: r.stdout };
  };

  const EVERY_OPTION = {
    idp_lang: 'fr',
    idp_organization_name: 'Exemple & Fils <SA>',
    idp_organization_display_name: 'Nuage "Exemple"',
    idp_organization_url: 'https://exemple.test/a?b=1&c=2',
    idp_contact_company: 'Exemple',
    idp_contact_name: 'Zoë',
    idp_contact_surname: "O'Brien",
    idp_contact_email: 'cloud@exemple.test',
    idp_contact_telephone: '+33 1 23 45 67 89',
    idp_contact_type: 'technical',
  };

  test(
    'the same document as Keystone 22, with the defaults and with every idp_* option set',
    { skip: process.env.CI === 'true' ? false : (unavailable ?? false) },
    async () => {
      for (const [name, extra] of [
        ['defaults.conf', {}],
        ['every-option.conf', EVERY_OPTION],
      ] as const) {
        const file = configFile(name, samlOptions(files, extra));
        const expected = theirs(file);
        assert.equal(expected.code, 0, expected.stdout);
        const got = await ours(file);
        assert.equal(got.code, 0, got.stderr);
        assert.equal(got.stdout, expected.stdout);
        assert.match(got.stdout, /^<ns0:EntityDescriptor /);
      }
    },
  );

  test("refusals in Keystone's words, exit status 1", async () => {
    const { idp_entity_id: _entity, ...withoutEntity } = samlOptions(files).saml ?? {};
    const { idp_sso_endpoint: _sso, ...withoutSso } = samlOptions(files).saml ?? {};
    const cases: Array<[ConfigOverrides, RegExp]> = [
      [{ saml: withoutEntity }, /^keystone-manage: Ensure configuration option idp_entity_id is set\.$/],
      [{ saml: withoutSso }, /^keystone-manage: Ensure configuration option idp_sso_endpoint is set\.$/],
      [
        { saml: { ...samlOptions(files).saml, certfile: join(files.dir, 'missing.pem') } },
        /^keystone-manage: Cannot open certificate .*missing\.pem\.Reason: /,
      ],
      [
        { saml: { ...samlOptions(files).saml, certfile: files.keyfile } },
        /^keystone-manage: Cannot open certificate .*Reason: Strange beginning of PEM file$/,
      ],
    ];
    for (const [index, [sections, message]] of cases.entries()) {
      const r = await ours(configFile(`refusal-${String(index)}.conf`, sections));
      assert.equal(r.code, 1, r.stdout);
      assert.equal(r.stdout, '');
      assert.match(r.stderr.trim(), message);
    }
  });
});
