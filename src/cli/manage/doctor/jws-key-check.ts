/**
 * keystone-manage doctor with [token] provider = jws: the key files Keystone needs (private.pem,
 * at least one public key), each a readable EC P-256 key, the private key kept private, and
 * private.pem's public half among the public keys (else no token issued here validates).
 */
import { createPublicKey } from 'node:crypto';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { KeystoneConfig } from '../../../config/options.js';
import { jwsKeyProblem, p256Key, privateKeyPath, type JwsKeyPaths } from '../../../token/jws/jws-keys.js';

export function jwsKeyProblems(conf: KeystoneConfig): string[] {
  if (conf.token.provider !== 'jws') return [];
  const paths: JwsKeyPaths = {
    publicRepository: conf.jwt_tokens.jws_public_key_repository,
    privateRepository: conf.jwt_tokens.jws_private_key_repository,
  };
  const missing = jwsKeyProblem(paths);
  if (missing) return [`[jwt_tokens]: ${missing}`];
  const problems: string[] = [];
  const privatePath = privateKeyPath(paths);
  let signingPublic: string | undefined;
  try {
    signingPublic = jwkOf(createPublicKey(p256Key(readFileSync(privatePath), 'private')));
    const mode = statSync(privatePath).mode & 0o777;
    if (mode & 0o077)
      problems.push(
        `[jwt_tokens] ${privatePath} has mode ${mode.toString(8).padStart(4, '0')}; it should be 0600 (only keystone may read it).`,
      );
  } catch (err) {
    problems.push(`[jwt_tokens] ${privatePath}: ${(err as Error).message}`);
  }
  const publics: string[] = [];
  for (const name of readdirSync(paths.publicRepository)) {
    const path = join(paths.publicRepository, name);
    try {
      publics.push(jwkOf(p256Key(readFileSync(path), 'public')));
    } catch (err) {
      problems.push(`[jwt_tokens] ${path}: ${(err as Error).message}; it is ignored.`);
    }
  }
  if (signingPublic !== undefined && !publics.includes(signingPublic))
    problems.push(`[jwt_tokens] no public key in ${paths.publicRepository} matches ${privatePath}: tokens issued here would not validate.`);
  return problems;
}

function jwkOf(key: ReturnType<typeof createPublicKey>): string {
  const { x, y } = key.export({ format: 'jwk' });
  return `${x ?? ''}.${y ?? ''}`;
}
