/**
 * The identity providers this server trusts as a SAML 2.0 service provider: [saml2] idp_metadata_dir holds
 * one metadata file per Keystone identity provider, `<idp id>.xml` (an EntityDescriptor, or an
 * EntitiesDescriptor with one identity provider in it). Read when asked and kept until the file changes,
 * so an operator replaces a file (a rolled certificate) without a restart.
 */
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { XmlRefused, childElements, parseUntrustedXml, textOf } from '../xml/secure-xml.js';
import { NS, SP } from './saml-sp-names.js';

export interface TrustedIdp {
  entityId: string;
  /** PEM certificates that may sign its responses and assertions */
  signingCertificates: string[];
  /** its ECP endpoint (SingleSignOnService with the SOAP binding), if it has one */
  ecpEndpoint: string | null;
  /** its browser endpoint (SingleSignOnService with the HTTP-Redirect binding), if it has one: WebSSO */
  redirectEndpoint: string | null;
  /** WantAuthnRequestsSigned: it takes only signed AuthnRequests */
  wantsSignedRequests: boolean;
}

function pem(base64: string): string {
  const body = base64.replace(/\s+/g, '');
  return `-----BEGIN CERTIFICATE-----\n${(body.match(/.{1,64}/g) ?? []).join('\n')}\n-----END CERTIFICATE-----\n`;
}

function descendants(root: Element, namespace: string, localName: string): Element[] {
  return Array.from(root.getElementsByTagNameNS(namespace, localName));
}

/** The identity provider described by a metadata document's text. */
export function parseIdpMetadata(text: string): TrustedIdp {
  const root = parseUntrustedXml(text).documentElement as Element;
  const entities =
    root.namespaceURI === NS.metadata && root.localName === 'EntityDescriptor'
      ? [root]
      : descendants(root, NS.metadata, 'EntityDescriptor');
  const idps = entities.filter((e) => childElements(e, NS.metadata, 'IDPSSODescriptor').length > 0);
  if (idps.length !== 1) throw new XmlRefused('the metadata must describe exactly one identity provider');
  const entity = idps[0];
  const entityId = entity.getAttribute('entityID') ?? '';
  if (!entityId) throw new XmlRefused('the EntityDescriptor has no entityID');
  const descriptor = childElements(entity, NS.metadata, 'IDPSSODescriptor')[0];
  const signingCertificates = childElements(descriptor, NS.metadata, 'KeyDescriptor')
    .filter((key) => (key.getAttribute('use') ?? 'signing') === 'signing')
    .flatMap((key) => descendants(key, NS.xmldsig, 'X509Certificate').map((c) => pem(textOf(c))));
  const services = childElements(descriptor, NS.metadata, 'SingleSignOnService');
  const location = (binding: string) => services.find((s) => s.getAttribute('Binding') === binding)?.getAttribute('Location') || null;
  const wants = descriptor.getAttribute('WantAuthnRequestsSigned');
  return {
    entityId,
    signingCertificates,
    ecpEndpoint: location(SP.bindingSoap),
    redirectEndpoint: location(SP.bindingRedirect),
    wantsSignedRequests: wants === 'true' || wants === '1',
  };
}

export class IdpMetadataDirectory {
  private readonly cache = new Map<string, { mtimeMs: number; size: number; idp: TrustedIdp }>();

  constructor(private readonly directory: string | null) {}

  /** The metadata of a Keystone identity provider, or null when it has none (or the SP is off). */
  lookup(idpId: string): TrustedIdp | null {
    if (!this.directory || !/^[A-Za-z0-9._-]+$/.test(idpId) || idpId.startsWith('.')) return null;
    const path = join(this.directory, `${idpId}.xml`);
    let stat;
    try {
      stat = statSync(path);
    } catch {
      return null;
    }
    const cached = this.cache.get(idpId);
    if (cached && cached.mtimeMs === stat.mtimeMs && cached.size === stat.size) return cached.idp;
    const idp = parseIdpMetadata(readFileSync(path, 'utf8'));
    this.cache.set(idpId, { mtimeMs: stat.mtimeMs, size: stat.size, idp });
    return idp;
  }
}
