/**
 * The service provider's AuthnRequest (SAML 2.0 core §3.4.1), as the ECP profile and WebSSO send it: our
 * entity id as Issuer, the consumer URL and binding the identity provider answers with, and (sent through a
 * browser) the Destination it is sent to, which a signed request must name (bindings §3.4.5.2).
 */
import type { XmlTree } from '../idp/xml-tree.js';

export interface AuthnRequestFields {
  requestId: string;
  issueInstant: string;
  consumerUrl: string;
  /** the binding of the answer at consumerUrl (PAOS, HTTP-POST) */
  protocolBinding: string;
  spEntityId: string;
  destination?: string;
}

/** The samlp:AuthnRequest element, under the prefixes samlp and saml. */
export function authnRequestTree(f: AuthnRequestFields): XmlTree {
  return {
    name: 'samlp:AuthnRequest',
    attrs: {
      ID: f.requestId,
      Version: '2.0',
      IssueInstant: f.issueInstant,
      ...(f.destination ? { Destination: f.destination } : {}),
      AssertionConsumerServiceURL: f.consumerUrl,
      ProtocolBinding: f.protocolBinding,
    },
    children: [
      { name: 'saml:Issuer', text: f.spEntityId },
      { name: 'samlp:NameIDPolicy', attrs: { AllowCreate: '1' } },
    ],
  };
}

/** An xs:dateTime in seconds, as SAML writes instants. */
export function samlInstant(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d+Z$/, 'Z');
}
