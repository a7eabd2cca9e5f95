/**
 * The identity provider's SAML 2.0 metadata (Keystone's MetadataGenerator,
 * printed by `keystone-manage saml_idp_metadata` and served from
 * [saml] idp_metadata_path): the entity id, the signing certificate, the
 * organization and contact person, the transient NameID format and the
 * single sign-on endpoint, in Keystone 22's element order.
 */
import { readFileSync } from 'node:fs';
import type { KeystoneConfig } from '../../../config/options.js';
import { NS, SAML } from './saml-names.js';
import { certificateBody } from './signing-certificate.js';
import { renderXml, type XmlTree } from './xml-tree.js';

type SamlOptions = KeystoneConfig['saml'];

/** Why the metadata cannot be generated, in Keystone's words. */
export class IdpMetadataError extends Error {
  override name = 'IdpMetadataError';
}

function signingCertificate(certfile: string): string {
  try {
    return certificateBody(readFileSync(certfile, 'utf8'));
  } catch (err) {
    throw new IdpMetadataError(`Cannot open certificate ${certfile}.Reason: ${(err as Error).message}`);
  }
}

function idpSsoDescriptor(saml: SamlOptions, ssoEndpoint: string): XmlTree {
  const lang = { 'xml:lang': saml.idp_lang };
  return {
    name: 'ns0:IDPSSODescriptor',
    attrs: { protocolSupportEnumeration: NS.protocol },
    children: [
      {
        name: 'ns0:KeyDescriptor',
        attrs: { use: 'signing' },
        children: [
          {
            name: 'ns1:KeyInfo',
            children: [{ name: 'ns1:X509Data', children: [{ name: 'ns1:X509Certificate', text: signingCertificate(saml.certfile) }] }],
          },
        ],
      },
      {
        name: 'ns0:Organization',
        children: [
          { name: 'ns0:OrganizationName', attrs: lang, text: saml.idp_organization_name },
          { name: 'ns0:OrganizationDisplayName', attrs: lang, text: saml.idp_organization_display_name },
          { name: 'ns0:OrganizationURL', attrs: lang, text: saml.idp_organization_url },
        ],
      },
      {
        name: 'ns0:ContactPerson',
        attrs: { contactType: saml.idp_contact_type },
        children: [
          { name: 'ns0:Company', text: saml.idp_contact_company },
          { name: 'ns0:GivenName', text: saml.idp_contact_name },
          { name: 'ns0:SurName', text: saml.idp_contact_surname },
          { name: 'ns0:EmailAddress', text: saml.idp_contact_email },
          { name: 'ns0:TelephoneNumber', text: saml.idp_contact_telephone },
        ],
      },
      { name: 'ns0:NameIDFormat', text: SAML.nameIdFormatTransient },
      { name: 'ns0:SingleSignOnService', attrs: { Binding: SAML.bindingUri, Location: ssoEndpoint } },
    ],
  };
}

/** The metadata document; IdpMetadataError when idp_entity_id or idp_sso_endpoint is unset or the certificate unreadable. */
export function generateIdpMetadata(saml: SamlOptions): string {
  if (saml.idp_entity_id === null) throw new IdpMetadataError('Ensure configuration option idp_entity_id is set.');
  if (saml.idp_sso_endpoint === null) throw new IdpMetadataError('Ensure configuration option idp_sso_endpoint is set.');
  const root: XmlTree = {
    name: 'ns0:EntityDescriptor',
    attrs: { entityID: saml.idp_entity_id },
    children: [idpSsoDescriptor(saml, saml.idp_sso_endpoint)],
  };
  return renderXml(root, { ns0: NS.metadata, ns1: NS.xmldsig });
}
