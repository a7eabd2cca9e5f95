/**
 * A client certificate's subject and issuer as the assertion Keystone's
 * OAuth 2.0 mTLS mapping sees (keystone/common/utils.py
 * get_certificate_subject_dn / _issuer_dn, then api/os_oauth2.py):
 * SSL_CLIENT_SUBJECT_DN_<NAME> and SSL_CLIENT_ISSUER_DN_<NAME>, one entry
 * per attribute (a repeated attribute keeps its last value), <NAME> the
 * upper-cased RFC 4514 short name (CN, L, ST, O, OU, C, STREET, DC, UID),
 * EMAILADDRESS for emailAddress, otherwise the attribute's dotted OID; the
 * value escaped as python-cryptography's rfc4514_string escapes it. As in
 * Keystone, a value holding "=" makes the whole name unreadable.
 *
 * Node's X509Certificate names attributes by OpenSSL's short names and
 * escapes differently, so the Name is read from the DER here.
 */
import type { X509Certificate } from 'node:crypto';

export class UnreadableName extends Error {}

interface Der {
  tag: number;
  /** the contents */
  body: Buffer;
  /** where the next element starts */
  end: number;
}

function readDer(buf: Buffer, at: number): Der {
  if (at + 2 > buf.length) throw new UnreadableName('truncated');
  const tag = buf[at];
  let length = buf[at + 1];
  let start = at + 2;
  if (length & 0x80) {
    const n = length & 0x7f;
    if (n === 0 || n > 4 || start + n > buf.length) throw new UnreadableName('length');
    length = 0;
    for (let i = 0; i < n; i++) length = length * 256 + buf[start + i];
    start += n;
  }
  const end = start + length;
  if (end > buf.length) throw new UnreadableName('truncated');
  return { tag, body: buf.subarray(start, end), end };
}

function children(der: Der): Der[] {
  const out: Der[] = [];
  for (let at = 0; at < der.body.length;) {
    const child = readDer(der.body, at);
    out.push(child);
    at = child.end;
  }
  return out;
}

function oidString(body: Buffer): string {
  if (body.length === 0) throw new UnreadableName('oid');
  const arcs: number[] = [];
  let value = 0;
  for (const byte of body) {
    value = value * 128 + (byte & 0x7f);
    if (!(byte & 0x80)) {
      arcs.push(value);
      value = 0;
    }
  }
  const first = arcs.shift() ?? 0;
  const head = first < 40 ? [0, first] : first < 80 ? [1, first - 40] : [2, first - 80];
  return [...head, ...arcs].join('.');
}

const SHORT_NAMES: Readonly<Record<string, string>> = {
  '2.5.4.3': 'CN',
  '2.5.4.7': 'L',
  '2.5.4.8': 'ST',
  '2.5.4.10': 'O',
  '2.5.4.11': 'OU',
  '2.5.4.6': 'C',
  '2.5.4.9': 'STREET',
  '0.9.2342.19200300.100.1.25': 'DC',
  '0.9.2342.19200300.100.1.1': 'UID',
  '1.2.840.113549.1.9.1': 'emailAddress',
};

function stringValue(der: Der): string | Buffer {
  switch (der.tag) {
    case 0x0c: // UTF8String
    case 0x13: // PrintableString
    case 0x16: // IA5String
    case 0x12: // NumericString
    case 0x1a: // VisibleString
      return der.body.toString('utf8');
    case 0x14: // T61String
      return der.body.toString('latin1');
    case 0x1e: // BMPString
      return Buffer.from(der.body).swap16().toString('utf16le');
    case 0x1c: {
      // UniversalString (UCS-4 big endian)
      let s = '';
      for (let i = 0; i + 3 < der.body.length; i += 4) s += String.fromCodePoint(der.body.readUInt32BE(i));
      return s;
    }
    default:
      return der.body;
  }
}

/** python-cryptography's _escape_dn_value. */
function escapeValue(value: string | Buffer): string {
  if (Buffer.isBuffer(value)) return value.length ? `#${value.toString('hex')}` : '';
  if (!value) return '';
  let v = value.replace(/[\\"+,;<>]/g, (c) => `\\${c}`).replaceAll('\0', '\\00');
  if (v.startsWith('#') || v.startsWith(' ')) v = `\\${v}`;
  if (v.endsWith(' ')) v = `${v.slice(0, -1)}\\ `;
  return v;
}

function nameEntries(name: Der, prefix: string, out: Record<string, string>): void {
  if (name.tag !== 0x30) throw new UnreadableName('name');
  for (const rdn of children(name)) {
    if (rdn.tag !== 0x31) throw new UnreadableName('rdn');
    for (const attribute of children(rdn)) {
      const [type, value] = children(attribute);
      if (type === undefined || value === undefined || type.tag !== 0x06) throw new UnreadableName('attribute');
      const oid = oidString(type.body);
      const rendered = `${SHORT_NAMES[oid] ?? oid}=${escapeValue(stringValue(value))}`;
      // Keystone splits "name=value" on every "=" and needs exactly two parts
      const parts = rendered.split('=');
      if (parts.length !== 2) throw new UnreadableName('a value holds "="');
      out[`${prefix}${parts[0].toUpperCase()}`] = parts[1];
    }
  }
}

/** The issuer and subject Names of a certificate's tbsCertificate. */
function issuerAndSubject(der: Buffer): { issuer: Der; subject: Der } {
  const certificate = readDer(der, 0);
  const [tbs] = children(certificate);
  if (tbs === undefined) throw new UnreadableName('certificate');
  const fields = children(tbs);
  const offset = fields[0]?.tag === 0xa0 ? 1 : 0; // [0] version, when present
  const issuer = fields[offset + 2];
  const subject = fields[offset + 4];
  if (issuer === undefined || subject === undefined) throw new UnreadableName('tbsCertificate');
  return { issuer, subject };
}

/** The mapping's assertion for a client certificate; UnreadableName when Keystone could not read it either. */
export function certificateDnAssertion(certificate: X509Certificate): Record<string, string> {
  const { issuer, subject } = issuerAndSubject(certificate.raw);
  const out: Record<string, string> = {};
  nameEntries(subject, 'SSL_CLIENT_SUBJECT_DN_', out);
  nameEntries(issuer, 'SSL_CLIENT_ISSUER_DN_', out);
  return out;
}
