/**
 * This service provider's metadata for one identity provider's protocol, for the IdP's operator to
 * import: our entity id, our signing certificate when we have one (then our AuthnRequests are signed),
 * and the assertion consumer services with their bindings: the protocol auth endpoint for ECP (PAOS, the
 * default) and WebSSO's callback for the browser (HTTP-POST). Assertions must be signed.
 */
import { renderXml, type XmlTree } from '../idp/xml-tree.js';
import { NS, SP } from './saml-sp-names.js';

export interface SpMetadataFields {
  spEntityId: string;
  ecpConsumerUrl: string;
  webSsoConsumerUrl: string;
  /** our certificate's DER in base64, or null when we sign nothing */
  signingCertificate: string | null;
}

export function spMetadata(f: SpMetadataFields): string {
  const keyDescriptors: XmlTree[] = f.signingCertificate
    ? [
        {
          name: 'md:KeyDescriptor',
          attrs: { use: 'signing' },
          children: [
            {
              name: 'ds:KeyInfo',
              children: [{ name: 'ds:X509Data', children: [{ name: 'ds:X509Certificate', text: f.signingCertificate }] }],
            },
          ],
        },
      ]
    : [];
  return renderXml(
    {
      name: 'md:EntityDescriptor',
      attrs: { entityID: f.spEntityId },
      children: [
        {
          name: 'md:SPSSODescriptor',
          attrs: {
            AuthnRequestsSigned: f.signingCertificate ? 'true' : 'false',
            WantAssertionsSigned: 'true',
            protocolSupportEnumeration: NS.protocol,
          },
          children: [
            ...keyDescriptors,
            {
              name: 'md:AssertionConsumerService',
              attrs: { Binding: SP.bindingPaos, Location: f.ecpConsumerUrl, index: '0', isDefault: 'true' },
            },
            { name: 'md:AssertionConsumerService', attrs: { Binding: SP.bindingPost, Location: f.webSsoConsumerUrl, index: '1' } },
          ],
        },
      ],
    },
    { md: NS.metadata, ds: NS.xmldsig },
  );
}
