/**
 * What the SAML identity provider tests share: a signing certificate and key made by openssl, the [saml]
 * options that use them, Debian's xmlsec1 as the independent signature check, and a reader of the
 * assertion's attributes.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DOMParser } from '@xmldom/xmldom';
import type { ConfigOverrides } from '../helpers/test-config.js';

export const PYTHON = process.env.KEYSTONE_TEST_PYTHON ?? '/usr/bin/python3';
export const ASSERTION_NS = 'urn:oasis:names:tc:SAML:2.0:assertion';
export const ENTITY_ID = 'https://idp.example.test/v3/OS-FEDERATION/saml2/idp';
export const SSO_ENDPOINT = 'https://idp.example.test/v3/OS-FEDERATION/saml2/sso';

export interface SamlIdpFiles {
  dir: string;
  certfile: string;
  keyfile: string;
  metadataPath: string;
}

/** A self-signed RSA certificate and its key in a new temporary directory (the caller removes `dir`). */
export function makeSamlIdpFiles(): SamlIdpFiles {
  const dir = mkdtempSync(join(tmpdir(), 'saml-idp-'));
  const certfile = join(dir, 'signing_cert.pem');
  const keyfile = join(dir, 'signing_key.pem');
  const args = ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', keyfile, '-out', certfile, '-days', '2'];
  const made = spawnSync('openssl', [...args, '-subj', '/CN=keystone saml idp test'], { encoding: 'utf8' });
  if (made.status !== 0) throw new Error(`openssl req failed: ${made.stderr}`);
  return { dir, certfile, keyfile, metadataPath: join(dir, 'saml2_idp_metadata.xml') };
}

export function samlOptions(files: SamlIdpFiles, extra: Record<string, string | number> = {}): ConfigOverrides {
  return {
    saml: {
      certfile: files.certfile,
      keyfile: files.keyfile,
      idp_entity_id: ENTITY_ID,
      idp_sso_endpoint: SSO_ENDPOINT,
      idp_metadata_path: files.metadataPath,
      ...extra,
    },
  };
}

/** xmlsec1 --verify of every Signature of the document against the certificate (the Assertion's ID declared as an id). */
export function xmlsec1Verify(xml: string, certfile: string, dir: string): { ok: boolean; output: string } {
  const file = join(dir, `verify-${String(process.hrtime.bigint())}.xml`);
  writeFileSync(file, xml);
  const run = spawnSync('xmlsec1', ['--verify', '--pubkey-cert-pem', certfile, '--id-attr:ID', `${ASSERTION_NS}:Assertion`, file], {
    encoding: 'utf8',
  });
  return { ok: run.status === 0 && /^OK$/m.test(run.stderr), output: run.stderr };
}

export function parseXml(xml: string): Document {
  return new DOMParser().parseFromString(xml, 'text/xml');
}

/** The assertion's attributes: Name → values. */
export function assertionAttributes(doc: Document): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const attribute of Array.from(doc.getElementsByTagNameNS(ASSERTION_NS, 'Attribute'))) {
    out[attribute.getAttribute('Name') ?? ''] = Array.from(attribute.getElementsByTagNameNS(ASSERTION_NS, 'AttributeValue')).map(
      (v) => v.textContent ?? '',
    );
  }
  return out;
}

export function firstElement(doc: Document, ns: string, name: string): Element {
  const found = doc.getElementsByTagNameNS(ns, name)[0];
  if (!found) throw new Error(`no ${name} in the document`);
  return found;
}

/**
 * A Python helper run asynchronously, with `input` on its stdin: the in-process servers of the test answer it
 * meanwhile (spawnSync would block their event loop and stall their sockets).
 */
export function runPython(args: string[], input = ''): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(PYTHON, args);
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (status) => {
      resolve({ status, stdout, stderr });
    });
    child.stdin.end(input);
  });
}
