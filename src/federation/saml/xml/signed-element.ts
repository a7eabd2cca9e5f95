/**
 * XML signature verification of one SAML element (a Response or an Assertion) against the identity
 * provider's certificates, safe against signature wrapping: the element must carry its own enveloped
 * ds:Signature with exactly one Reference, to its own ID, which no other element of the document bears;
 * xml-crypto checks the digest and the signature with the configured certificates only (KeyInfo is
 * never trusted); and the caller gets the signed bytes (xml-crypto's canonical form of the reference)
 * parsed anew, so nothing read afterwards can come from outside what was signed.
 */
import { SignedXml } from 'xml-crypto';
import { XmlRefused, childElements, parseUntrustedXml } from './secure-xml.js';

const XMLDSIG = 'http://www.w3.org/2000/09/xmldsig#';

/** The algorithms accepted in a signature: RSA with SHA-1 (Keystone's xmlsec1 signs so) or SHA-2, and their digests. */
const SIGNATURE_ALGORITHMS = [
  'http://www.w3.org/2000/09/xmldsig#rsa-sha1',
  'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256',
  'http://www.w3.org/2001/04/xmldsig-more#rsa-sha512',
];

function elementsWithId(doc: Document, id: string): number {
  let count = 0;
  const walk = (node: Node) => {
    for (let child = node.firstChild; child; child = child.nextSibling) {
      if (child.nodeType !== 1) continue;
      const element = child as Element;
      for (const name of ['ID', 'Id', 'id', 'AssertionID']) if (element.getAttribute(name) === id) count++;
      walk(element);
    }
  };
  walk(doc);
  return count;
}

/** Whether `element` carries an enveloped signature of its own (a ds:Signature child). */
export function hasOwnSignature(element: Element): boolean {
  return childElements(element, XMLDSIG, 'Signature').length > 0;
}

/**
 * Verifies the signature `element` carries and returns the signed element, parsed from the bytes the
 * signature covers. `xml` is the whole document's text as received; `certificatesPem` the IdP's signing
 * certificates (PEM): any one of them may have signed. Throws XmlRefused otherwise.
 */
export function verifiedElement(xml: string, doc: Document, element: Element, certificatesPem: readonly string[]): Element {
  const signatures = childElements(element, XMLDSIG, 'Signature');
  if (signatures.length !== 1) throw new XmlRefused(`${element.localName} is not signed (or signed more than once)`);
  const id = element.getAttribute('ID');
  if (!id) throw new XmlRefused(`${element.localName} has no ID`);
  if (elementsWithId(doc, id) !== 1) throw new XmlRefused(`the ID ${id} is not unique in the document`);
  const signedInfo = childElements(signatures[0], XMLDSIG, 'SignedInfo')[0] as Element | undefined;
  const references = signedInfo ? childElements(signedInfo, XMLDSIG, 'Reference') : [];
  if (references.length !== 1 || references[0].getAttribute('URI') !== `#${id}`)
    throw new XmlRefused(`the signature of ${element.localName} does not reference it (and only it)`);
  const method = signedInfo ? childElements(signedInfo, XMLDSIG, 'SignatureMethod')[0]?.getAttribute('Algorithm') : undefined;
  if (!method || !SIGNATURE_ALGORITHMS.includes(method)) throw new XmlRefused(`signature algorithm ${method ?? 'none'} not accepted`);
  if (certificatesPem.length === 0) throw new XmlRefused('no signing certificate is known for this identity provider');
  for (const publicCert of certificatesPem) {
    const verifier = new SignedXml({ publicCert, getCertFromKeyInfo: () => null });
    verifier.loadSignature(signatures[0]);
    let valid: boolean;
    try {
      valid = verifier.checkSignature(xml);
    } catch {
      valid = false;
    }
    if (!valid) continue;
    const signed = verifier.getSignedReferences();
    if (signed.length !== 1) throw new XmlRefused('the signature covers more than one reference');
    const root = parseUntrustedXml(signed[0]).documentElement as Element;
    if (root.namespaceURI !== element.namespaceURI || root.localName !== element.localName || root.getAttribute('ID') !== id)
      throw new XmlRefused('the signed reference is not the element');
    return root;
  }
  throw new XmlRefused(`the signature of ${element.localName} does not verify with the identity provider's certificates`);
}
