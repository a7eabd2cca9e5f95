/**
 * The XML namespaces and SAML 2.0 identifiers of Keystone's identity
 * provider documents, with the prefixes Keystone 22 (pysaml2 and
 * ElementTree) writes them under, so that an operator comparing our
 * documents with Keystone's sees the same text.
 */
export const NS = {
  metadata: 'urn:oasis:names:tc:SAML:2.0:metadata',
  protocol: 'urn:oasis:names:tc:SAML:2.0:protocol',
  assertion: 'urn:oasis:names:tc:SAML:2.0:assertion',
  xmldsig: 'http://www.w3.org/2000/09/xmldsig#',
  xsi: 'http://www.w3.org/2001/XMLSchema-instance',
  xs: 'http://www.w3.org/2001/XMLSchema',
  soapEnvelope: 'http://schemas.xmlsoap.org/soap/envelope/',
  ecp: 'urn:oasis:names:tc:SAML:2.0:profiles:SSO:ecp',
  xml: 'http://www.w3.org/XML/1998/namespace',
} as const;

export const SAML = {
  statusSuccess: 'urn:oasis:names:tc:SAML:2.0:status:Success',
  nameIdFormatEntity: 'urn:oasis:names:tc:SAML:2.0:nameid-format:entity',
  nameIdFormatTransient: 'urn:oasis:names:tc:SAML:2.0:nameid-format:transient',
  attrnameFormatUri: 'urn:oasis:names:tc:SAML:2.0:attrname-format:uri',
  bearer: 'urn:oasis:names:tc:SAML:2.0:cm:bearer',
  authnContextPassword: 'urn:oasis:names:tc:SAML:2.0:ac:classes:Password',
  /** the binding Keystone's metadata names for its SingleSignOnService */
  bindingUri: 'urn:oasis:names:tc:SAML:2.0:bindings:URI',
  /** the SOAP actor of the ECP RelayState header block */
  soapActorNext: 'http://schemas.xmlsoap.org/soap/actor/next',
} as const;

/** Keystone's signature: RSA-SHA1 over exclusive C14N, the Assertion referenced by its ID (xmlsec1 --sign as idp.py runs it). */
export const XMLDSIG = {
  rsaSha1: 'http://www.w3.org/2000/09/xmldsig#rsa-sha1',
  sha1: 'http://www.w3.org/2000/09/xmldsig#sha1',
  envelopedSignature: 'http://www.w3.org/2000/09/xmldsig#enveloped-signature',
  excC14n: 'http://www.w3.org/2001/10/xml-exc-c14n#',
} as const;
