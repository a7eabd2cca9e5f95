/**
 * keystone-manage saml_idp_metadata: prints the identity provider's SAML 2.0 metadata as Keystone 22
 * does (redirect it to [saml] idp_metadata_path, which GET /v3/OS-FEDERATION/saml2/metadata serves).
 * Needs [saml] idp_entity_id, idp_sso_endpoint and a readable certfile; nothing else is touched.
 */
import { generateIdpMetadata, IdpMetadataError } from '../../../federation/saml/idp/idp-metadata.js';
import { CommandError, defineCommand } from '../command.js';

export const samlIdpMetadata = defineCommand({
  help: 'Generate Identity Provider metadata.',
  flags: {},
  run({ conf, out }) {
    try {
      out(generateIdpMetadata(conf.saml));
    } catch (err) {
      if (err instanceof IdpMetadataError) throw new CommandError(err.message);
      throw err;
    }
    return 0;
  },
});
