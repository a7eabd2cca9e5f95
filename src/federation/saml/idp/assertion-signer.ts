/**
 * Signs the Assertion of a Response (or of an ECP envelope) as Keystone's
 * xmlsec1 run does: an enveloped xmldsig Signature after the Assertion's
 * Issuer, exclusive C14N, RSA-SHA1 over a SHA-1 digest of the Assertion
 * referenced by its ID, the certificate(s) of certfile in KeyInfo/X509Data.
 * xml-crypto computes it with Node's crypto.
 */
import { SignedXml } from 'xml-crypto';
import { NS, XMLDSIG } from './saml-names.js';
import type { SigningMaterial } from './signing-certificate.js';
import { elementTreeStyle } from './xml-tree.js';

const ASSERTION = `//*[local-name(.)='Assertion' and namespace-uri(.)='${NS.assertion}']`;

export function signAssertion(xml: string, material: SigningMaterial): string {
  const signer = new SignedXml({
    privateKey: material.privateKeyPem,
    publicCert: material.certificatePem,
    signatureAlgorithm: XMLDSIG.rsaSha1,
    canonicalizationAlgorithm: XMLDSIG.excC14n,
  });
  signer.addReference({ xpath: ASSERTION, digestAlgorithm: XMLDSIG.sha1, transforms: [XMLDSIG.envelopedSignature, XMLDSIG.excC14n] });
  signer.computeSignature(xml, {
    prefix: 'xmldsig',
    location: { reference: `${ASSERTION}/*[local-name(.)='Issuer']`, action: 'after' },
    existingPrefixes: { xmldsig: NS.xmldsig },
  });
  return elementTreeStyle(signer.getSignedXml());
}
