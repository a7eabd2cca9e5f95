/**
 * The SAML 2.0 Response Keystone's identity provider issues for a
 * project-scoped token (Keystone's SAMLGenerator.samlize_token): one
 * bearer Assertion about the token's user, valid until
 * [saml] assertion_expiration_time from now, carrying the openstack_*
 * attributes a Keystone service provider's mapping reads. Unsigned here
 * (assertion-signer.ts signs it); the Signature goes after the
 * Assertion's Issuer.
 */
import { isoSecondsZ, isoZeroMicrosZ } from '../../../common/time.js';
import { NS, SAML } from './saml-names.js';
import type { XmlTree } from './xml-tree.js';

export interface AssertionSubject {
  user: string;
  userDomainName: string;
  roles: readonly string[];
  project: string;
  projectDomainName: string;
  /** each `JSON:{"name": …, "domain": {"name": …}}` (groupAttributeValue) */
  groups: readonly string[];
}

export interface AssertionFrame {
  /** [saml] idp_entity_id */
  issuer: string;
  /** the service provider's sp_url */
  recipient: string;
  /** epoch seconds */
  now: number;
  expiresInSeconds: number;
  responseId: string;
  assertionId: string;
  sessionIndex: string;
}

/** An element of the protocol namespace under the prefix its document gives it (ns0 alone, ns2 inside the ECP envelope). */
type ProtocolPrefix = 'ns0' | 'ns2';

function pythonJsonString(value: string): string {
  return JSON.stringify(value).replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** A group as Keystone lists it: 'JSON:' + oslo's jsonutils.dumps({"name": …, "domain": {"name": …}}) (ensure_ascii, ", " and ": "). */
export function groupAttributeValue(name: string, domainName: string): string {
  return `JSON:{"name": ${pythonJsonString(name)}, "domain": {"name": ${pythonJsonString(domainName)}}}`;
}

function attribute(name: string, values: readonly string[]): XmlTree {
  return {
    name: 'saml:Attribute',
    attrs: { Name: name, NameFormat: SAML.attrnameFormatUri },
    children: values.map((text) => ({ name: 'saml:AttributeValue', attrs: { 'xsi:type': 'xs:string', 'xmlns:xs': NS.xs }, text })),
  };
}

function attributeStatement(s: AssertionSubject): XmlTree {
  const attributes = [
    attribute('openstack_user', [s.user]),
    attribute('openstack_roles', s.roles),
    attribute('openstack_project', [s.project]),
    attribute('openstack_project_domain', [s.projectDomainName]),
    attribute('openstack_user_domain', [s.userDomainName]),
  ];
  if (s.groups.length > 0) attributes.push(attribute('openstack_groups', s.groups));
  return { name: 'saml:AttributeStatement', children: attributes };
}

function issuer(entityId: string): XmlTree {
  return { name: 'saml:Issuer', attrs: { Format: SAML.nameIdFormatEntity }, text: entityId };
}

function assertion(s: AssertionSubject, f: AssertionFrame): XmlTree {
  const issued = isoSecondsZ(f.now);
  const expires = isoZeroMicrosZ(f.now + f.expiresInSeconds);
  return {
    name: 'saml:Assertion',
    attrs: { Version: '2.0', ID: f.assertionId, IssueInstant: issued },
    children: [
      issuer(f.issuer),
      {
        name: 'saml:Subject',
        children: [
          { name: 'saml:NameID', text: s.user },
          {
            name: 'saml:SubjectConfirmation',
            attrs: { Method: SAML.bearer },
            children: [{ name: 'saml:SubjectConfirmationData', attrs: { NotOnOrAfter: expires, Recipient: f.recipient } }],
          },
        ],
      },
      {
        name: 'saml:AuthnStatement',
        attrs: { AuthnInstant: issued, SessionIndex: f.sessionIndex, SessionNotOnOrAfter: expires },
        children: [
          {
            name: 'saml:AuthnContext',
            children: [
              { name: 'saml:AuthnContextClassRef', text: SAML.authnContextPassword },
              { name: 'saml:AuthenticatingAuthority', text: f.issuer },
            ],
          },
        ],
      },
      attributeStatement(s),
    ],
  };
}

/** The Response: Issuer, Status (Success), then the Assertion, as pysaml2 orders them. */
export function samlResponseTree(subject: AssertionSubject, frame: AssertionFrame, prefix: ProtocolPrefix): XmlTree {
  return {
    name: `${prefix}:Response`,
    attrs: { ID: frame.responseId, Version: '2.0', IssueInstant: isoSecondsZ(frame.now), Destination: frame.recipient },
    children: [
      issuer(frame.issuer),
      { name: `${prefix}:Status`, children: [{ name: `${prefix}:StatusCode`, attrs: { Value: SAML.statusSuccess } }] },
      assertion(subject, frame),
    ],
  };
}
