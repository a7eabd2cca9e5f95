/**
 * The client certificate of an OAuth 2.0 mutual-TLS token request.
 *
 * keystone-all does not terminate TLS, so the certificate comes, as Keystone
 * gets it from Apache's mod_ssl (the SSL_CLIENT_CERT variable), from the
 * front proxy that does: in the header [oauth2] client_cert_header
 * (SSL-Client-Cert by default), believed only from [oauth2] trusted_proxies
 * and ignored from anyone else. The proxy verifies the chain during the
 * handshake as Apache does (SSLVerifyClient require); here the certificate is
 * parsed, its validity dates checked and, with [oauth2] client_ca_file, its
 * issuer and signature checked once more.
 *
 * The header value may be PEM (newlines kept, or turned into spaces as
 * Apache's RequestHeader does), URL-escaped PEM (nginx's
 * $ssl_client_escaped_cert) or the DER in base64 (HAProxy's ssl_c_der).
 *
 * The thumbprint is Keystone's and keystonemiddleware's x5t#S256: SHA-256 of
 * the certificate's PEM text (python's ssl.DER_cert_to_PEM_cert: 64-column
 * base64, trailing newline), urlsafe base64 with padding — not RFC 8705's
 * digest of the DER, but what the oauth2_mtls_token middleware compares.
 */
import { X509Certificate, createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { BlockList } from 'node:net';
import type { IncomingHttpHeaders } from 'node:http';
import type { KeystoneConfig } from '../../config/options.js';
import { addressInRanges, addressRanges } from '../../config/address-ranges.js';

/** What the request says about a client certificate. */
export type ClientCertificate =
  | { kind: 'none' }
  /** sent but unusable (unparsable, expired, not yet valid, not from the configured CA): the reason, for the log */
  | { kind: 'refused'; reason: string }
  | { kind: 'certificate'; certificate: X509Certificate };

const PEM = /-----BEGIN CERTIFICATE-----([\s\S]*?)-----END CERTIFICATE-----/;

/** The DER of a header value in any of the proxies' forms, or null. */
function derOf(value: string): Buffer | null {
  let text = value.trim();
  if (text.includes('%')) {
    try {
      text = decodeURIComponent(text);
    } catch {
      return null;
    }
  }
  const pem = PEM.exec(text);
  const base64 = (pem ? pem[1] : text).replace(/\s+/g, '');
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(base64)) return null;
  const der = Buffer.from(base64, 'base64');
  return der.length > 0 ? der : null;
}

/** python's ssl.DER_cert_to_PEM_cert. */
export function canonicalPem(der: Buffer): string {
  const lines = der.toString('base64').match(/.{1,64}/g) ?? [];
  return `-----BEGIN CERTIFICATE-----\n${lines.join('\n')}\n-----END CERTIFICATE-----\n`;
}

/** Keystone's get_certificate_thumbprint over the canonical PEM (keystonemiddleware's computation). */
export function certificateThumbprint(certificate: X509Certificate): string {
  const digest = createHash('sha256').update(canonicalPem(certificate.raw), 'ascii').digest('base64');
  return digest.replaceAll('+', '-').replaceAll('/', '_');
}

function readCaFile(path: string): X509Certificate[] {
  const text = readFileSync(path, 'utf8');
  const out: X509Certificate[] = [];
  for (const match of text.matchAll(new RegExp(PEM.source, 'g'))) out.push(new X509Certificate(match[0]));
  if (out.length === 0) throw new Error(`[oauth2] client_ca_file ${path} holds no certificate`);
  return out;
}

export class ClientCertificates {
  private readonly header: string;
  private readonly proxies: BlockList;
  private authorities: X509Certificate[] | undefined;

  constructor(private readonly conf: KeystoneConfig['oauth2']) {
    this.header = conf.client_cert_header.toLowerCase();
    this.proxies = addressRanges(conf.trusted_proxies);
  }

  /** The CAs of [oauth2] client_cert_file, read when first needed (a bad file fails the requests that need it). */
  private caCertificates(): X509Certificate[] | undefined {
    if (!this.conf.client_ca_file) return undefined;
    this.authorities ??= readCaFile(this.conf.client_ca_file);
    return this.authorities;
  }

  /** The certificate a request carries, from a trusted proxy only. */
  of(req: { headers: IncomingHttpHeaders; socket: { remoteAddress?: string } }, now = new Date()): ClientCertificate {
    const value = req.headers[this.header];
    if (value === undefined || value === '' || this.conf.trusted_proxies.length === 0) return { kind: 'none' };
    if (!addressInRanges(this.proxies, req.socket.remoteAddress)) return { kind: 'none' };
    if (Array.isArray(value)) return { kind: 'refused', reason: `more than one ${this.conf.client_cert_header} header` };
    const der = derOf(value);
    let certificate: X509Certificate;
    try {
      if (!der) throw new Error('not a certificate');
      certificate = new X509Certificate(der);
    } catch {
      return { kind: 'refused', reason: 'the certificate content is not PEM format' };
    }
    if (now < new Date(certificate.validFrom))
      return { kind: 'refused', reason: `the certificate is not valid before ${certificate.validFrom}` };
    if (now > new Date(certificate.validTo)) return { kind: 'refused', reason: `the certificate expired on ${certificate.validTo}` };
    const authorities = this.caCertificates();
    if (authorities && !authorities.some((ca) => certificate.checkIssued(ca) && certificate.verify(ca.publicKey)))
      return {
        kind: 'refused',
        reason: `the certificate's issuer (${certificate.issuer.replaceAll('\n', ', ')}) is not in [oauth2] client_ca_file`,
      };
    return { kind: 'certificate', certificate };
  }
}
