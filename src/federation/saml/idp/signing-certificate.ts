/**
 * The identity provider's signing material: [saml] certfile and keyfile,
 * read when used (as Keystone hands the paths to xmlsec1 on every
 * signature), so that replacing the files needs no restart.
 */
import { readFileSync } from 'node:fs';
import { createPrivateKey, X509Certificate } from 'node:crypto';

export interface SigningMaterial {
  /** the PEM text of certfile (every certificate in it is published in the signature's KeyInfo) */
  certificatePem: string;
  /** the PEM text of keyfile */
  privateKeyPem: string;
}

/** Why the certificate or key cannot sign (the 500's logged reason). */
export class SigningMaterialError extends Error {
  override name = 'SigningMaterialError';
}

function readText(path: string, what: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    throw new SigningMaterialError(`cannot read the ${what} ${path}: ${(err as Error).message}`);
  }
}

/** certfile and keyfile, checked to be a certificate and a private key. */
export function readSigningMaterial(certfile: string, keyfile: string): SigningMaterial {
  const certificatePem = readText(certfile, 'certificate');
  const privateKeyPem = readText(keyfile, 'private key');
  try {
    new X509Certificate(certificatePem);
  } catch (err) {
    throw new SigningMaterialError(`${certfile} is not a PEM certificate: ${(err as Error).message}`);
  }
  try {
    createPrivateKey(privateKeyPem);
  } catch (err) {
    throw new SigningMaterialError(`${keyfile} is not a PEM private key: ${(err as Error).message}`);
  }
  return { certificatePem, privateKeyPem };
}

/**
 * The base64 body of the first certificate (or public key) of a PEM file, its lines joined, as pysaml2's
 * read_cert_from_file gives Keystone's metadata its X509Certificate.
 */
export function certificateBody(pem: string): string {
  let lines = pem.replace(/\r\n/g, '\n').split('\n');
  const begin = ['-----BEGIN CERTIFICATE-----', '-----BEGIN PUBLIC KEY-----'].find((marker) => lines.includes(marker));
  if (begin === undefined) throw new SigningMaterialError('Strange beginning of PEM file');
  lines = lines.slice(lines.indexOf(begin) + 1);
  const end = ['-----END CERTIFICATE-----', '-----END PUBLIC KEY-----'].find((marker) => lines.includes(marker));
  if (end === undefined) throw new SigningMaterialError('Strange end of PEM file');
  return lines.slice(0, lines.indexOf(end)).join('');
}
