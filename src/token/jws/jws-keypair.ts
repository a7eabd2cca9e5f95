/**
 * keystone-manage create_jws_keypair's key pair, as Keystone's
 * keystone.common.jwt_utils writes it: an EC key on the P-256 (secp256r1)
 * curve, the private key as unencrypted PKCS#8 PEM ("BEGIN PRIVATE KEY"),
 * the public key as SubjectPublicKeyInfo PEM ("BEGIN PUBLIC KEY"). Each file
 * is written beside its place and renamed into it, so that a running server
 * never reads half a key; the private key is 0600, the public key 0644.
 */
import { generateKeyPairSync } from 'node:crypto';
import { chownSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

export interface KeyFileOwner {
  uid?: number;
  gid?: number;
}

export function createJwsKeypair(privateKeyPath: string, publicKeyPath: string, owner: KeyFileOwner = {}): void {
  const { privateKey, publicKey } = generateKeyPairSync('ec', {
    namedCurve: 'P-256',
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
    publicKeyEncoding: { type: 'spki', format: 'pem' },
  });
  writeKeyFile(privateKeyPath, privateKey, 0o600, owner);
  writeKeyFile(publicKeyPath, publicKey, 0o644, owner);
}

function writeKeyFile(path: string, pem: string, mode: number, owner: KeyFileOwner): void {
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.tmp`);
  try {
    writeFileSync(tmp, pem, { mode, flag: 'wx' });
    if (owner.uid !== undefined && owner.gid !== undefined) chownSync(tmp, owner.uid, owner.gid);
    renameSync(tmp, path);
  } finally {
    rmSync(tmp, { force: true });
  }
}
