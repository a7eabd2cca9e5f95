/**
 * Real X.509 material for the OAuth 2.0 mTLS tests, made with the openssl
 * command: a client CA and a second, unrelated CA; client certificates
 * signed by either; one that expired (openssl ca with explicit dates).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface CertificateFiles {
  dir: string;
  /** PEM of the client CA */
  caPem: string;
  caFile: string;
  /** a client certificate's PEM, by name */
  client(name: string): string;
  close(): void;
}

const openssl = (cwd: string, args: string[]) => execFileSync('openssl', args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });

function makeCa(dir: string, name: string, subject: string): void {
  openssl(
    dir,
    ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', `${name}.key`].concat([
      '-out',
      `${name}.pem`,
      '-days',
      '2',
      '-subj',
      subject,
    ]),
  );
}

function makeClient(dir: string, name: string, ca: string, subject: string, dates?: { start: string; end: string }): void {
  openssl(dir, [
    'req',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:P-256',
    '-nodes',
    '-keyout',
    `${name}.key`,
    '-out',
    `${name}.csr`,
    '-subj',
    subject,
  ]);
  if (!dates) {
    openssl(dir, [
      'x509',
      '-req',
      '-in',
      `${name}.csr`,
      '-CA',
      `${ca}.pem`,
      '-CAkey',
      `${ca}.key`,
      '-CAcreateserial',
      '-days',
      '2',
      '-out',
      `${name}.pem`,
    ]);
    return;
  }
  // openssl 3.0's x509 cannot date a certificate in the past; its ca command can
  writeFileSync(join(dir, 'index.txt'), '');
  writeFileSync(join(dir, 'serial'), '1000\n');
  writeFileSync(
    join(dir, 'ca.cnf'),
    [
      '[ca]',
      'default_ca = ca_default',
      '[ca_default]',
      `database = ${join(dir, 'index.txt')}`,
      `serial = ${join(dir, 'serial')}`,
      `new_certs_dir = ${dir}`,
      'default_md = sha256',
      'policy = any',
      'unique_subject = no',
      '[any]',
      'commonName = supplied',
      'countryName = optional',
      'organizationName = optional',
      'organizationalUnitName = optional',
      'emailAddress = optional',
      '',
    ].join('\n'),
  );
  openssl(
    dir,
    [
      'ca',
      '-batch',
      '-config',
      'ca.cnf',
      '-cert',
      `${ca}.pem`,
      '-keyfile',
      `${ca}.key`,
      '-in',
      `${name}.csr`,
      '-out',
      `${name}.pem`,
    ].concat(['-startdate', dates.start, '-enddate', dates.end, '-notext', '-preserveDN']),
  );
}

/** The CAs and the client certificates of the suite. */
export function makeCertificates(): CertificateFiles {
  const dir = mkdtempSync(join(tmpdir(), 'oauth2-mtls-'));
  makeCa(dir, 'ca', '/C=JP/O=Example/CN=Test Client CA');
  makeCa(dir, 'other-ca', '/C=JP/O=Elsewhere/CN=Test Client CA');
  const subject = (cn: string, email: string) => `/C=JP/O=Default/OU=Cloud/CN=${cn}/emailAddress=${email}`;
  makeClient(dir, 'alice', 'ca', subject('mtls-alice', 'alice@example.com'));
  makeClient(dir, 'alice-again', 'ca', subject('mtls-alice', 'alice@example.com'));
  makeClient(dir, 'alice-other-ca', 'other-ca', subject('mtls-alice', 'alice@example.com'));
  makeClient(dir, 'alice-expired', 'ca', subject('mtls-alice', 'alice@example.com'), { start: '20200101000000Z', end: '20210101000000Z' });
  makeClient(dir, 'nobody', 'ca', subject('mtls-nobody', 'nobody@example.com'));
  makeClient(dir, 'noproject', 'ca', subject('mtls-noproject', 'noproject@example.com'));
  return {
    dir,
    caPem: readFileSync(join(dir, 'ca.pem'), 'utf8'),
    caFile: join(dir, 'ca.pem'),
    client: (name) => readFileSync(join(dir, `${name}.pem`), 'utf8'),
    close: () => {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The header forms of the front proxies: Apache (newlines as spaces), nginx (URL-escaped PEM), HAProxy (base64 DER). */
export const headerForms = {
  apache: (pem: string) => pem.trim().replaceAll('\n', ' '),
  nginx: (pem: string) => encodeURIComponent(pem),
  haproxy: (pem: string) => pem.replace(/-----(BEGIN|END) CERTIFICATE-----/g, '').replace(/\s+/g, ''),
};
