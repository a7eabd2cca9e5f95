/** The namespaces and identifiers the service provider reads and writes, beyond those of ../idp/saml-names.ts. */
export { NS } from '../idp/saml-names.js';

export const SP = {
  paos: 'urn:liberty:paos:2003-08',
  soapActorNext: 'http://schemas.xmlsoap.org/soap/actor/next',
  ecpService: 'urn:oasis:names:tc:SAML:2.0:profiles:SSO:ecp',
  bindingSoap: 'urn:oasis:names:tc:SAML:2.0:bindings:SOAP',
  bindingPaos: 'urn:oasis:names:tc:SAML:2.0:bindings:PAOS',
  bindingRedirect: 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect',
  bindingPost: 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST',
  rsaSha256: 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256',
  bearer: 'urn:oasis:names:tc:SAML:2.0:cm:bearer',
  statusSuccess: 'urn:oasis:names:tc:SAML:2.0:status:Success',
  attributeMap: 'urn:mace:shibboleth:2.0:attribute-map',
} as const;

/** The media type of the ECP profile's PAOS messages. */
export const SAML_PAOS_MEDIA_TYPE = 'application/vnd.paos+xml';
