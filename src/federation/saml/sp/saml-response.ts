/**
 * A SAML 2.0 Response from a trusted identity provider, checked as a service provider must before
 * believing a word of it (SAML 2.0 profiles, 4.1.4.3 and 4.1.4.2): signed by the IdP (the Assertion, or
 * the Response around it) — every value below is read from the signed bytes only (xml/signed-element.ts);
 * issued by the IdP's entity id; status Success; addressed to this consumer URL (Destination, the bearer
 * SubjectConfirmationData's Recipient); for this service provider (every AudienceRestriction names our
 * entity id, where the Assertion names audiences); within NotBefore/NotOnOrAfter give or take the clock skew. What the replay and
 * InResponseTo checks need is returned with the attributes.
 */
import { XMLSerializer } from '@xmldom/xmldom';
import { XmlRefused, childElements, onlyChild, parseUntrustedXml, textOf } from '../xml/secure-xml.js';
import { hasOwnSignature, verifiedElement } from '../xml/signed-element.js';
import type { TrustedIdp } from './idp-metadata.js';
import { NS, SP } from './saml-sp-names.js';

export interface ResponseExpectations {
  consumerUrl: string;
  spEntityId: string;
  clockSkewSeconds: number;
  nowMs: number;
}

export interface CheckedAssertion {
  issuer: string;
  assertionId: string;
  /** the AuthnRequest it answers, if it names one */
  inResponseTo: string | null;
  /** until when it must be remembered against replay (ms) */
  notOnOrAfterMs: number;
  attributes: Array<{ name: string; values: string[] }>;
}

function time(value: string | null, what: string): number | null {
  if (value === null || value === '') return null;
  const ms = Date.parse(value);
  if (!Number.isFinite(ms) || !/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/.test(value))
    throw new XmlRefused(`${what} is not a time`);
  return ms;
}

function checkWindow(element: Element, what: string, expect: ResponseExpectations): number | null {
  const skew = expect.clockSkewSeconds * 1000;
  const notBefore = time(element.getAttribute('NotBefore'), `${what} NotBefore`);
  const notOnOrAfter = time(element.getAttribute('NotOnOrAfter'), `${what} NotOnOrAfter`);
  if (notBefore !== null && expect.nowMs + skew < notBefore) throw new XmlRefused(`${what} is not yet valid`);
  if (notOnOrAfter !== null && expect.nowMs - skew >= notOnOrAfter) throw new XmlRefused(`${what} has expired`);
  return notOnOrAfter;
}

/** The SAML Response inside an ECP (PAOS) SOAP envelope's Body. */
export function responseOfEnvelope(text: string): { xml: string; doc: Document; response: Element } {
  const doc = parseUntrustedXml(text);
  const envelope = doc.documentElement as Element;
  if (envelope.namespaceURI !== NS.soapEnvelope || envelope.localName !== 'Envelope') throw new XmlRefused('not a SOAP envelope');
  const body = onlyChild(envelope, NS.soapEnvelope, 'Body');
  const response = body && onlyChild(body, NS.protocol, 'Response');
  if (!response) throw new XmlRefused('the SOAP Body holds no SAML Response');
  return { xml: text, doc, response };
}

/** The SAML Response of an HTTP-POST binding's SAMLResponse form field (base64). */
export function responseOfPost(samlResponse: string): { xml: string; doc: Document; response: Element } {
  if (!/^[A-Za-z0-9+/=\s]+$/.test(samlResponse)) throw new XmlRefused('SAMLResponse is not base64');
  const xml = Buffer.from(samlResponse, 'base64').toString('utf8');
  const doc = parseUntrustedXml(xml);
  const response = doc.documentElement as Element;
  if (response.namespaceURI !== NS.protocol || response.localName !== 'Response') throw new XmlRefused('SAMLResponse is no SAML Response');
  return { xml, doc, response };
}

/** The signed Assertion of the Response, read from signed bytes only. */
function signedAssertion(xml: string, doc: Document, response: Element, idp: TrustedIdp): Element {
  if (childElements(response, NS.protocol, 'Assertion').length + childElements(response, NS.assertion, 'EncryptedAssertion').length > 0)
    throw new XmlRefused('an Assertion in the protocol namespace or an EncryptedAssertion is not accepted');
  let outer = response;
  let outerXml = xml;
  let outerDoc = doc;
  if (hasOwnSignature(response)) {
    outer = verifiedElement(xml, doc, response, idp.signingCertificates);
    outerXml = new XMLSerializer().serializeToString(outer);
    outerDoc = outer.ownerDocument;
  }
  const assertions = childElements(outer, NS.assertion, 'Assertion');
  if (assertions.length !== 1) throw new XmlRefused('the Response must hold exactly one Assertion');
  if (hasOwnSignature(assertions[0])) return verifiedElement(outerXml, outerDoc, assertions[0], idp.signingCertificates);
  if (outer === response) throw new XmlRefused('neither the Response nor its Assertion is signed');
  return assertions[0];
}

export function checkResponse(
  xml: string,
  doc: Document,
  response: Element,
  idp: TrustedIdp,
  expect: ResponseExpectations,
): CheckedAssertion {
  const assertion = signedAssertion(xml, doc, response, idp);
  // the Response's own fields count only where they are covered by a signature or harmless: its status and Destination refuse, never grant
  const status = onlyChild(response, NS.protocol, 'Status');
  const code = status && onlyChild(status, NS.protocol, 'StatusCode');
  if (code?.getAttribute('Value') !== SP.statusSuccess)
    throw new XmlRefused(`the identity provider answered ${code?.getAttribute('Value') ?? 'no status'}`);
  const destination = response.getAttribute('Destination');
  if (destination && destination !== expect.consumerUrl) throw new XmlRefused(`the Response is for ${destination}`);

  const issuer = textOf(onlyChild(assertion, NS.assertion, 'Issuer'));
  if (issuer !== idp.entityId) throw new XmlRefused(`the Assertion is issued by ${issuer}, not ${idp.entityId}`);
  const assertionId = assertion.getAttribute('ID') ?? '';
  if (assertion.getAttribute('Version') !== '2.0') throw new XmlRefused('not a SAML 2.0 Assertion');

  // Keystone's own assertions (Keystone-to-Keystone) carry no Conditions: as the Shibboleth SP, the window and
  // audiences are checked where given; the bearer's Recipient and NotOnOrAfter below are always required
  const conditions = onlyChild(assertion, NS.assertion, 'Conditions');
  const conditionsEnd = conditions ? checkWindow(conditions, 'the Assertion', expect) : null;
  const restrictions = conditions ? childElements(conditions, NS.assertion, 'AudienceRestriction') : [];
  for (const restriction of restrictions) {
    const audiences = childElements(restriction, NS.assertion, 'Audience').map((a) => textOf(a));
    if (!audiences.includes(expect.spEntityId)) throw new XmlRefused(`the Assertion is for ${audiences.join(', ')}`);
  }

  const subject = onlyChild(assertion, NS.assertion, 'Subject');
  const bearers = subject
    ? childElements(subject, NS.assertion, 'SubjectConfirmation').filter((c) => c.getAttribute('Method') === SP.bearer)
    : [];
  let inResponseTo: string | null = null;
  let confirmationEnd: number | null = null;
  const reasons: string[] = [];
  for (const bearer of bearers) {
    const data = onlyChild(bearer, NS.assertion, 'SubjectConfirmationData');
    try {
      if (!data) throw new XmlRefused('a bearer confirmation without data');
      if (data.getAttribute('Recipient') !== expect.consumerUrl)
        throw new XmlRefused(`the bearer is for ${data.getAttribute('Recipient') ?? 'nobody'}`);
      if (!data.getAttribute('NotOnOrAfter')) throw new XmlRefused('the bearer confirmation has no NotOnOrAfter');
      confirmationEnd = checkWindow(data, 'the bearer confirmation', expect);
      inResponseTo = data.getAttribute('InResponseTo') || null;
      reasons.length = 0;
      break;
    } catch (err) {
      reasons.push((err as Error).message);
    }
  }
  if (confirmationEnd === null) throw new XmlRefused(reasons[0] ?? 'the Assertion has no bearer subject confirmation');
  const responseInResponseTo = response.getAttribute('InResponseTo') || null;
  if (responseInResponseTo !== null && inResponseTo !== null && responseInResponseTo !== inResponseTo)
    throw new XmlRefused('the Response and its Assertion answer different requests');

  const attributes: CheckedAssertion['attributes'] = [];
  for (const statement of childElements(assertion, NS.assertion, 'AttributeStatement')) {
    for (const attribute of childElements(statement, NS.assertion, 'Attribute')) {
      const name = attribute.getAttribute('Name') ?? '';
      if (name) attributes.push({ name, values: childElements(attribute, NS.assertion, 'AttributeValue').map((v) => textOf(v)) });
    }
  }
  return {
    issuer,
    assertionId,
    inResponseTo: inResponseTo ?? responseInResponseTo,
    notOnOrAfterMs: Math.max(conditionsEnd ?? 0, confirmationEnd) + expect.clockSkewSeconds * 1000,
    attributes,
  };
}
