/**
 * The service provider's answer to an ECP client (a request that accepts application/vnd.paos+xml and
 * sends a PAOS header): a SOAP envelope whose header asks for a response at our consumer URL
 * (paos:Request responseConsumerURL, ecp:Request, ecp:RelayState) and whose body is the AuthnRequest
 * the client takes to the identity provider's ECP endpoint, as keystoneauth1's v3samlpassword reads it.
 */
import { renderXml } from '../idp/xml-tree.js';
import { NS, SP } from './saml-sp-names.js';
import { authnRequestTree } from './authn-request.js';

export interface EcpAuthnRequestFields {
  requestId: string;
  issueInstant: string;
  consumerUrl: string;
  spEntityId: string;
  relayState: string;
}

export function ecpAuthnRequestEnvelope(f: EcpAuthnRequestFields): string {
  const soapHeaderBlock = { 'S:actor': SP.soapActorNext, 'S:mustUnderstand': '1' };
  return renderXml(
    {
      name: 'S:Envelope',
      children: [
        {
          name: 'S:Header',
          children: [
            { name: 'paos:Request', attrs: { ...soapHeaderBlock, responseConsumerURL: f.consumerUrl, service: SP.ecpService } },
            { name: 'ecp:Request', attrs: { ...soapHeaderBlock, IsPassive: '0' }, children: [{ name: 'saml:Issuer', text: f.spEntityId }] },
            { name: 'ecp:RelayState', attrs: soapHeaderBlock, text: f.relayState },
          ],
        },
        {
          name: 'S:Body',
          children: [
            authnRequestTree({
              requestId: f.requestId,
              issueInstant: f.issueInstant,
              consumerUrl: f.consumerUrl,
              protocolBinding: SP.bindingPaos,
              spEntityId: f.spEntityId,
            }),
          ],
        },
      ],
    },
    { S: NS.soapEnvelope, paos: SP.paos, ecp: NS.ecp, saml: NS.assertion, samlp: NS.protocol },
  );
}
